package connectors

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectorkit/connectors/internal/atomicfile"

	"github.com/google/go-cmp/cmp"
)

// The durability tests run a second process: the test binary itself,
// re-executed with childEnv naming the job (see TestChildProcess).
const childEnv = "CONNECTORS_TEST_CHILD"

// stressScale multiplies the counts of the stress tests: set
// CONNECTORS_STRESS=10 for a long run.
func stressScale(t *testing.T) int {
	t.Helper()
	v := os.Getenv("CONNECTORS_STRESS")
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("CONNECTORS_STRESS=%q: want a positive integer", v)
	}
	return n
}

// child returns a command that re-runs this test binary as a child
// process doing job on path with args.
func child(t *testing.T, job, path string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		childEnv+"="+job,
		"CONNECTORS_TEST_PATH="+path,
		"CONNECTORS_TEST_ARGS="+strings.Join(args, ","))
	cmd.Stderr = os.Stderr
	return cmd
}

// load reads and parses the file as it is on disk now.
func (s *FileStore) load() (doc map[string]any, m map[string]Config, err error) {
	data, _, _, err := s.read()
	if err != nil {
		return nil, nil, err
	}
	if _, m, _, err = s.parse(data); err != nil || len(data) == 0 {
		return map[string]any{}, m, err
	}
	doc, _, err = s.codec.decode(data)
	return doc, m, err
}

// TestChildProcess is not a test: it is the body of the child processes
// of the tests below, and returns at once in a normal run.
func TestChildProcess(t *testing.T) {
	job := os.Getenv(childEnv)
	if job == "" {
		return
	}
	store, err := NewFileStore(os.Getenv("CONNECTORS_TEST_PATH"), FileOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var args []int
	for _, a := range strings.Split(os.Getenv("CONNECTORS_TEST_ARGS"), ",") {
		n, _ := strconv.Atoi(a)
		args = append(args, n)
	}
	switch job {
	case "writers":
		if err := runWriters(store, args[0], args[1], args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "crash":
		crashLoop(store)
	}
	os.Exit(0)
}

// writerOps is what goroutine g of process p does, op by op: put a name,
// put another, delete the one before, and so on, over ten names of its
// own, so that each name is written many times but the file stays small.
func writerOps(p, g, ops int, do func(name string, cfg Config) error) error {
	name := func(i int) string { return fmt.Sprintf("p%d-g%d-%d", p, g, i%10) }
	for i := range ops {
		var err error
		if i%3 == 2 {
			err = do(name(i-1), nil)
		} else {
			err = do(name(i), Config{"seq": int64(i), "botToken": fmt.Sprintf("%d:tok-%d-%d", i, p, g)})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// runWriters runs goroutines writers of process p against store.
func runWriters(store Store, p, goroutines, ops int) error {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			errs <- writerOps(p, g, ops, func(name string, cfg Config) error {
				if cfg == nil {
					return store.Delete(ctx, name)
				}
				return store.Put(ctx, name, cfg)
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// TestConcurrentProcesses has two processes of many goroutines each write
// their own names to one file. Every write must survive: at the end the
// file holds exactly the expected set, and the host's table.
func TestConcurrentProcesses(t *testing.T) {
	goroutines, ops := 8, 200*stressScale(t)
	if testing.Short() {
		ops = 30
	}
	path := filepath.Join(t.TempDir(), "agent.toml")
	host := "[agent]\nname = \"shared\"\n"
	if err := os.WriteFile(path, []byte(host), 0o644); err != nil {
		t.Fatal(err)
	}
	store, err := NewFileStore(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}

	cmd := child(t, "writers", path, "1", strconv.Itoa(goroutines), strconv.Itoa(ops))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ownErr := runWriters(store, 0, goroutines, ops)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child process: %v", err)
	}
	if ownErr != nil {
		t.Fatal(ownErr)
	}

	want := map[string]Config{}
	for p := range 2 {
		for g := range goroutines {
			writerOps(p, g, ops, func(name string, cfg Config) error {
				if cfg == nil {
					delete(want, name)
				} else {
					want[name] = cfg
				}
				return nil
			})
		}
	}
	reopened, err := NewFileStore(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := reopened.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("file after %d writes by 2 processes (-want +got):\n%s", 2*goroutines*ops, diff)
	}
	doc, _, err := reopened.load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"name": "shared"}, doc["agent"]); diff != "" {
		t.Errorf("host table (-want +got):\n%s", diff)
	}
}

// crashLoop writes seq+1, seq+2, ... to the "crash" connector until it is
// killed, printing each seq once its write has returned.
func crashLoop(store *FileStore) {
	ctx := context.Background()
	cfg, err := store.Get(ctx, "crash")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	for seq := cfg["seq"].(int64) + 1; ; seq++ {
		if err := store.Put(ctx, "crash", Config{"seq": seq, "token": strings.Repeat("s", int(seq%97))}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Fprintln(w, seq)
		w.Flush()
	}
}

// TestCrashMidWrite kills a writing process at random moments. After each
// kill the file must parse and hold the last acknowledged write or the
// one that was in flight, and nothing else may be lost.
func TestCrashMidWrite(t *testing.T) {
	kills := 200 * stressScale(t)
	if testing.Short() {
		kills = 20
	}
	path := filepath.Join(t.TempDir(), "agent.toml")
	store, err := NewFileStore(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	others := map[string]Config{}
	for i := range 50 {
		name := fmt.Sprintf("bot-%02d", i)
		others[name] = Config{"botToken": fmt.Sprintf("%d:ABC", i), "accounts": []any{map[string]any{"id": int64(i)}}}
		if err := store.Put(ctx, name, others[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Put(ctx, "crash", Config{"seq": int64(0)}); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	var acked int64
	for k := range kills {
		cmd := child(t, "crash", path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		if !lines.Scan() { // the child is in its write loop
			cmd.Wait()
			t.Fatalf("kill %d: child wrote nothing", k)
		}
		time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
		cmd.Process.Kill()
		last := lines.Text()
		for lines.Scan() {
			last = lines.Text()
		}
		cmd.Wait()
		acked, _ = strconv.ParseInt(last, 10, 64)

		got, err := store.List(ctx)
		if err != nil {
			t.Fatalf("kill %d: the file does not read back: %v", k, err)
		}
		seq, _ := got["crash"]["seq"].(int64)
		if seq != acked && seq != acked+1 {
			t.Fatalf("kill %d: file holds seq %d, want %d (acknowledged) or %d (in flight)", k, seq, acked, acked+1)
		}
		delete(got, "crash")
		if diff := cmp.Diff(others, got); diff != "" {
			t.Fatalf("kill %d: other connectors (-want +got):\n%s", k, diff)
		}
	}
	t.Logf("%d kills, last acknowledged write %d", kills, acked)
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), atomicfile.TempPattern(path)))
	if len(stale) > 1 {
		t.Errorf("%d temp files left; a write should remove those of killed writers", len(stale))
	}
}

// TestHandEdit edits the file by hand between two API writes: the hand
// edit and both writes survive.
func TestHandEdit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	store, err := NewFileStore(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(store, HandlerOptions{})
	if rec := do(t, h, "POST", "/", `{"name":"telegram","config":{"botToken":"1:A"}}`, nil); rec.Code != 200 {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := string(data) + "\n[connectors.manual]\ntoken = \"by-hand\"\n\n[logging]\nlevel = \"debug\"\n"
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	if rec := do(t, h, "POST", "/", `{"name":"discord","config":{"token":"D"}}`, nil); rec.Code != 200 {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	got, err := store.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Config{
		"telegram": {"botToken": "1:A"},
		"manual":   {"token": "by-hand"},
		"discord":  {"token": "D"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("connectors (-want +got):\n%s", diff)
	}
	doc, _, err := store.load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"level": "debug"}, doc["logging"]); diff != "" {
		t.Errorf("hand-written table (-want +got):\n%s", diff)
	}
}

// TestInPlaceSave: an editor that saves in place (empties the file, then
// writes it, at once or in pieces) is not read half-way: a watcher sees
// only the connector the save changed, not every connector removed and
// added again, and a write made during the save, by a store that had
// read the file or by a new one, keeps the host's file and the save's
// change instead of replacing the file with what it found empty or cut
// short.
func TestInPlaceSave(t *testing.T) {
	for _, ext := range []string{".toml", ".json"} {
		for _, fresh := range []bool{false, true} {
			for _, pieces := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/fresh=%v/pieces=%v", ext, fresh, pieces), func(t *testing.T) {
					testInPlaceSave(t, ext, fresh, pieces)
				})
			}
		}
	}
}

func testInPlaceSave(t *testing.T, ext string, fresh, pieces bool) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "agent"+ext)
	host := "[model]\nname = \"local\"\n"
	if ext == ".json" {
		host = "{\"model\": {\"name\": \"local\"}}\n"
	}
	writeConfigFile(t, path, host, 0o600)
	s, err := NewFileStore(path, FileOptions{PollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, name := range []string{"telegram", "discord"} {
		if err := s.Put(ctx, name, Config{"token": "1:" + name}); err != nil {
			t.Fatal(err)
		}
	}
	saved := strings.Replace(string(readConfigFile(t, path)), "1:discord", "2:discord", 1)
	watchCtx, stopWatch := context.WithCancel(ctx)
	seq := s.Watch(watchCtx)
	events := make(chan string, 10)
	go func() {
		defer close(events)
		for e := range seq {
			events <- e.String()
		}
	}()
	writer := s
	if fresh {
		if writer, err = NewFileStore(path, FileOptions{}); err != nil {
			t.Fatal(err)
		}
		defer writer.Close()
	}

	// The save: the file emptied, or cut short before the discord
	// connector (in TOML, a file that still parses), for 50ms, then
	// written; meanwhile a Put, which must wait for the save and keep it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	cut := 0
	if pieces {
		cut = strings.LastIndex(saved[:strings.Index(saved, "discord")], "\n") + 1
		if _, err := f.WriteString(saved[:cut]); err != nil {
			t.Fatal(err)
		}
	}
	saving := make(chan struct{})
	go func() {
		defer close(saving)
		time.Sleep(50 * time.Millisecond)
		f.WriteString(saved[cut:])
		f.Close()
	}()
	select {
	case <-saving:
		t.Skip("the machine is too slow to start the write during the save")
	default:
	}
	if err := writer.Put(ctx, "slack", Config{"token": "xoxb"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-saving:
	default:
		t.Fatal("the Put returned before the save ended: it did not wait for it")
	}
	got, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Config{"telegram": {"token": "1:telegram"}, "discord": {"token": "2:discord"}, "slack": {"token": "xoxb"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("connectors after a Put during an in-place save (-want +got):\n%s", diff)
	}
	if data := string(readConfigFile(t, path)); !strings.Contains(data, "model") {
		t.Errorf("the host's part is gone:\n%s", data)
	}
	time.Sleep(50 * time.Millisecond) // a few polls
	stopWatch()
	var seen []string
	for e := range events {
		seen = append(seen, e)
	}
	slices.Sort(seen)
	if want := []string{"discord updated", "slack added"}; !slices.Equal(seen, want) {
		t.Errorf("events %q, want %q", seen, want)
	}
}

func TestETag(t *testing.T) {
	for _, s := range handlerStores(t) {
		t.Run(s.name, func(t *testing.T) {
			h := NewHandler(s.store, HandlerOptions{})
			post := func(body, ifMatch string) *httptest.ResponseRecorder {
				t.Helper()
				hdr := map[string]string{}
				if ifMatch != "" {
					hdr["If-Match"] = ifMatch
				}
				return do(t, h, "POST", "/", body, hdr)
			}
			rec := post(`{"name":"telegram","config":{"botToken":"1:A","port":1}}`, "")
			tag1 := rec.Header().Get("ETag")
			if rec.Code != 200 || !strings.HasPrefix(tag1, `"`) {
				t.Fatalf("POST: %d, ETag %q", rec.Code, tag1)
			}
			for _, target := range []string{"/", "/telegram"} {
				if got := do(t, h, "GET", target, "", nil).Header().Get("ETag"); got != tag1 {
					t.Fatalf("GET %s ETag = %s, want the POST's %s", target, got, tag1)
				}
			}

			// Only the secret changes: the tag must change too.
			rec = post(`{"name":"telegram","config":{"botToken":"1:B","port":1}}`, tag1)
			tag2 := rec.Header().Get("ETag")
			if rec.Code != 200 || tag2 == tag1 || tag2 == "" {
				t.Fatalf("POST with a current If-Match: %d, ETag %q (was %q)", rec.Code, tag2, tag1)
			}

			// A stale tag changes nothing.
			for _, rq := range []struct{ method, target, body string }{
				{"POST", "/", `{"name":"telegram","config":{"botToken":"1:C"}}`},
				{"POST", "/", `{"name":"new","config":{}}`},
				{"DELETE", "/telegram", ""},
			} {
				rec := do(t, h, rq.method, rq.target, rq.body, map[string]string{"If-Match": tag1})
				if rec.Code != http.StatusPreconditionFailed {
					t.Fatalf("%s with a stale If-Match: %d %s, want 412", rq.method, rec.Code, rec.Body)
				}
			}
			got, err := s.store.List(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]Config{"telegram": {"botToken": "1:B", "port": int64(1)}}, got); diff != "" {
				t.Fatalf("store after refused writes (-want +got):\n%s", diff)
			}

			for _, ifMatch := range []string{"*", `"other", ` + tag2} {
				if rec := do(t, h, "DELETE", "/nothing", "", map[string]string{"If-Match": ifMatch}); rec.Code != 200 {
					t.Errorf("DELETE with If-Match %s: %d", ifMatch, rec.Code)
				}
			}
			if rec := do(t, h, "DELETE", "/telegram", "", map[string]string{"If-Match": "W/" + tag2}); rec.Code != 412 {
				t.Errorf("a weak tag must not match for If-Match: %d", rec.Code)
			}
		})
	}
}

// TestUpdateSeesOtherWriters runs fn on the file as it is, also when fn
// would refuse the state this store last knew.
func TestUpdateSeesOtherWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	a, _ := NewFileStore(path, FileOptions{})
	b, _ := NewFileStore(path, FileOptions{})
	ctx := context.Background()
	if _, err := a.List(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "telegram", Config{"botToken": "1:A", "port": int64(1)}); err != nil {
		t.Fatal(err)
	}
	// A dashboard that read through b writes back through a.
	h := NewHandler(a, HandlerOptions{})
	rec := do(t, h, "POST", "/", `{"name":"telegram","config":{"botToken":"****:****","port":2}}`, nil)
	if rec.Code != 200 {
		t.Fatalf("write-back of another process's connector: %d %s", rec.Code, rec.Body)
	}
	got, _ := b.Get(ctx, "telegram")
	if diff := cmp.Diff(Config{"botToken": "1:A", "port": int64(2)}, got); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
}

// TestWriteKeepsTightenedMode chmods the file between two writes: the
// mode the user set is the one kept, though the size and time that the
// store checks did not change.
func TestWriteKeepsTightenedMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	if err := os.WriteFile(path, []byte("[connectors.a]\ntoken = \"a\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old) // outside the racy window: the stat is trusted
	store, _ := NewFileStore(path, FileOptions{})
	ctx := context.Background()
	if _, err := store.List(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := store.Put(ctx, "b", Config{"token": "b"}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after write = %v, want -rw-------", fi.Mode().Perm())
	}
}

// TestFileStoreSeesSameTickEdit rewrites a file that a store has just
// written in place, to the same size, as an edit within one tick of a
// coarse clock looks, and checks that the store that wrote it and one
// that read it both see the edit. The edit's modification time is the
// latest that can fool each: for the writer, which set the file's time
// just below the system's stamp of its write (see atomicfile.WriteFile),
// the earliest time the system can stamp a later change with, one tick
// of the file's time on; for the reader, the file's own time, which it
// cannot tell apart from the file it read, so that it compares the bytes
// within the racy window.
func TestFileStoreSeesSameTickEdit(t *testing.T) {
	for _, by := range []string{"writer", "reader"} {
		t.Run(by, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "agent.toml")
			store := openFileStore(t, path)
			ctx := t.Context()
			if err := store.Put(ctx, "a", Config{"token": "one"}); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			mtime := fi.ModTime()
			if by == "writer" {
				mtime = mtime.Add(time.Nanosecond)
			} else {
				store = openFileStore(t, path)
				if _, err := store.List(ctx); err != nil {
					t.Fatal(err)
				}
				// A read after the racy window (a slow disk) shows a
				// state no same-tick edit can follow.
				if k := store.known; k.readAt.Sub(k.fi.ModTime()) > racyWindow(k.fi.ModTime()) {
					t.Skip("the store read the file after its racy window; the test shows nothing")
				}
			}
			editInPlace(t, path, `"one"`, `"two"`, mtime)
			if now, _ := os.Stat(path); now.Size() != fi.Size() || !now.ModTime().Equal(mtime) {
				t.Fatalf("the edit's stat is not as the test sets it; the test shows nothing")
			}
			got, err := store.Get(ctx, "a")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(Config{"token": "two"}, got); diff != "" {
				t.Errorf("after a same-size edit in the same tick (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFileStoreSeesOtherStoreWriteUnderReusedInodeInSameTick: a store
// sees, and its next write keeps, a write another store made just after
// its own, also when that write's file has the stat of the store's own:
// ext4 gives a freed inode number to the next file at once, so two writes
// of the other store bring the store's number back, at the same size;
// and without multigrain timestamps (Linux before 6.13) writes within one
// tick of the coarse clock get the same stamp, and atomicfile.WriteFile
// sets both files one nanosecond below it. The test gives the other
// store's file that time with Chtimes, as no kernel here does. The store
// must not trust its stat for its own write here: the guard file holds
// the other store's record.
func TestFileStoreSeesOtherStoreWriteUnderReusedInodeInSameTick(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "agent.toml")
	a := openFileStore(t, path)
	defer a.Close()
	b := openFileStore(t, path)
	defer b.Close()
	for i := 0; ; i++ {
		if i == 10 {
			t.Skip("the file system never gave the other store's file the inode number of the store's within the store's racy window")
		}
		if err := a.Put(ctx, "a", Config{"token": "from-a"}); err != nil {
			t.Fatal(err)
		}
		mine, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		// Writes after the store's racy window (a slow disk) are not in
		// the tick of its write.
		if k := a.known; k.readAt.Sub(mine.ModTime()) > racyWindow(mine.ModTime()) {
			continue
		}
		if err := b.Put(ctx, "a", Config{"token": "from-1"}); err != nil {
			t.Fatal(err)
		}
		if err := b.Put(ctx, "a", Config{"token": "from-b"}); err != nil {
			t.Fatal(err)
		}
		theirs, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if !os.SameFile(mine, theirs) || mine.Size() != theirs.Size() {
			continue
		}
		// The time the system gives the other store's file when its
		// writes fall in the tick of the store's.
		if err := os.Chtimes(path, mine.ModTime(), mine.ModTime()); err != nil {
			t.Fatal(err)
		}
		break
	}
	got, err := a.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if got["token"] != "from-b" {
		t.Errorf("Get after another store's write in the same tick, under the same inode number: token %v, want from-b", got["token"])
	}
	if err := a.Put(ctx, "x", Config{"token": "x"}); err != nil {
		t.Fatal(err)
	}
	if data := string(readConfigFile(t, path)); !strings.Contains(data, "from-b") {
		t.Errorf("a Put after another store's write in the same tick, under the same inode number, wrote that write over:\n%s", data)
	}
}

// TestFileStoreStatDescribesBytesRead replaces the file between a read's
// stat of the path and the read itself, then puts back, under the first
// file's inode number, size and time (a backup restored with its times),
// the first content: the store must not have filed the first file's stat
// with the second file's bytes, or it would trust that stat now and keep
// serving the second content. Where the file system does not reuse the
// inode number, the test shows nothing and says so.
func TestFileStoreStatDescribesBytesRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.toml")
	const first = "[connectors.x]\nv = \"pppp\"\n"
	writeConfigFile(t, path, "[connectors.x]\nv = \"oooo\"\n", 0o600)
	a, b := openFileStore(t, path), openFileStore(t, path)
	ctx := t.Context()
	if _, err := a.List(ctx); err != nil {
		t.Fatal(err)
	}
	writeConfigFile(t, path+".new", first, 0o600)
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old)
	firstInode := inode(t, path)

	a.mu.Lock()
	done := make(chan struct{})
	go func() { a.current(); close(done) }() // stats the first file, then waits
	time.Sleep(50 * time.Millisecond)
	if err := b.Put(ctx, "x", Config{"v": "qqqq"}); err != nil {
		t.Fatal(err)
	}
	a.mu.Unlock()
	<-done

	var restored string
	for i := range 50 {
		restored = filepath.Join(dir, fmt.Sprintf("restore%d", i))
		writeConfigFile(t, restored, first, 0o600)
		if inode(t, restored) == firstInode {
			break
		}
	}
	if inode(t, restored) != firstInode {
		t.Skip("this file system does not reuse inode numbers at once; nothing to show")
	}
	os.Chtimes(restored, old, old)
	if err := os.Rename(restored, path); err != nil {
		t.Fatal(err)
	}
	got, err := a.Get(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	if got["v"] != "pppp" {
		t.Errorf("Get = %v; the file holds v=pppp", got)
	}
}

// TestFirstReadOfOldFileDoesNotWait: a store's first read of a file last
// written long ago does not wait for it to settle, as the FileStore doc
// promises ("only a store's first read of a file written within the last
// settleTime waits"), also where the modification time is in whole
// seconds (a file unpacked from a tar archive, or on a file system that
// keeps seconds). A file that does not parse is never recorded as read,
// so such a wait would come back on every read of it, with the store
// locked.
func TestFirstReadOfOldFileDoesNotWait(t *testing.T) {
	for _, tt := range []struct {
		name, content string
	}{
		{"parses", "[connectors.a]\ntoken = \"1\"\n"},
		{"does not parse", "[connectors.a]\ntoken = \"1\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "agent.toml")
			writeConfigFile(t, path, tt.content, 0o600)
			old := time.Now().Add(-time.Hour).Truncate(time.Second)
			if err := os.Chtimes(path, old, old); err != nil {
				t.Fatal(err)
			}
			s := openFileStore(t, path)
			defer s.Close()
			for i := range 3 {
				start := time.Now()
				s.List(t.Context())
				if took := time.Since(start); took >= settleTime {
					t.Errorf("read %d of a file written an hour ago took %v: it waited for the file to settle", i+1, took)
				}
			}
		})
	}
}

// TestReplacedFileMidSave: a file replaced by a new one that is not
// renamed into place, but created and written in pieces at its path (an
// editor that moves the old file to its backup name and writes a new one,
// as Vim's backupcopy=no and Emacs's default do; `install`; rm then
// cat >), is not read half-way: a write made during the save keeps the
// save's connectors. (Once, only a file changed in place or seen for the
// first time was left to settle; a new inode was read at once, as if it
// had been renamed into place whole.) So also when the writer sets the
// file's mode (or owner, or an ACL) between the pieces: that sets the
// change time and not the modification time, and a rule on the two
// times took such a file for one renamed into place whole.
func TestReplacedFileMidSave(t *testing.T) {
	for _, chmod := range []bool{false, true} {
		t.Run(fmt.Sprintf("chmod=%v", chmod), func(t *testing.T) {
			testReplacedFileMidSave(t, chmod)
		})
	}
}

func testReplacedFileMidSave(t *testing.T, chmod bool) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, "[model]\nname = \"local\"\n", 0o600)
	s := openFileStore(t, path)
	defer s.Close()
	for _, name := range []string{"telegram", "discord"} {
		if err := s.Put(ctx, name, Config{"token": "1:" + name}); err != nil {
			t.Fatal(err)
		}
	}
	saved := strings.Replace(string(readConfigFile(t, path)), "1:discord", "2:discord", 1)
	cut := strings.LastIndex(saved[:strings.Index(saved, "discord")], "\n") + 1

	// The save: the old file moved away, a new one written in two pieces
	// 50ms apart (its mode set 10ms after the first); the first piece
	// parses.
	if err := os.Rename(path, path+"~"); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(saved[:cut]); err != nil {
		t.Fatal(err)
	}
	if chmod {
		time.Sleep(10 * time.Millisecond)
		if err := f.Chmod(0o600); err != nil {
			t.Fatal(err)
		}
	}
	saving := make(chan struct{})
	go func() {
		defer close(saving)
		time.Sleep(50 * time.Millisecond)
		f.WriteString(saved[cut:])
		f.Close()
	}()
	if err := s.Put(ctx, "slack", Config{"token": "xoxb"}); err != nil {
		t.Fatal(err)
	}
	<-saving
	got, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Config{"telegram": {"token": "1:telegram"}, "discord": {"token": "2:discord"}, "slack": {"token": "xoxb"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("connectors after a Put during a save to a new file (-want +got):\n%s", diff)
	}
}

// TestReplacedFileEmptyWaitsLikeEmptied: a file replaced by a new, empty
// one where the store knew bytes (rm then cat >, a backup-then-write save
// whose writer is slow to start) is given as long to fill as a file
// emptied in place (emptySettleTime), not just settleTime: a Put made
// while it is empty must not replace the host's whole file.
func TestReplacedFileEmptyWaitsLikeEmptied(t *testing.T) {
	ctx := t.Context()
	for _, inPlace := range []bool{true, false} {
		path := filepath.Join(t.TempDir(), "agent.toml")
		writeConfigFile(t, path, "[model]\nname = \"local\"\n", 0o600)
		s := openFileStore(t, path)
		if err := s.Put(ctx, "telegram", Config{"token": "1:telegram"}); err != nil {
			t.Fatal(err)
		}
		saved := string(readConfigFile(t, path))
		var f *os.File
		var err error
		if inPlace {
			f, err = os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		} else {
			if err = os.Remove(path); err == nil {
				f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		saving := make(chan struct{})
		go func() {
			defer close(saving)
			time.Sleep(300 * time.Millisecond)
			f.WriteString(saved)
			f.Close()
		}()
		if err := s.Put(ctx, "slack", Config{"token": "xoxb"}); err != nil {
			t.Fatal(err)
		}
		<-saving
		got, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		if _, ok := got["telegram"]; !ok {
			t.Errorf("file emptied (in place: %v) and written 300ms later: a Put meanwhile dropped the host's connectors: %v", inPlace, got)
		}
	}
}

// TestStoreDoesNotWaitForReusedInode: a store reading a file that another
// store wrote does not wait for it to settle, also when the file system
// gave the new file the inode number of the one the store last read (ext4
// reuses a freed inode number at once, so two writes by another store
// bring it back). Such a file must not be taken for the store's own file
// changed in place, which waits settleTime with the store's lock held.
func TestStoreDoesNotWaitForReusedInode(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "agent.toml")
	a := openFileStore(t, path)
	defer a.Close()
	b := openFileStore(t, path)
	defer b.Close()
	if err := a.Put(ctx, "a", Config{"n": int64(0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.List(ctx); err != nil {
		t.Fatal(err)
	}
	known, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	reused := false
	for i := 1; i <= 10 && !reused; i++ {
		if err := a.Put(ctx, "a", Config{"n": int64(i)}); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		reused = os.SameFile(known, fi)
	}
	if !reused {
		t.Skip("the file system gave each write a new inode number")
	}
	start := time.Now()
	if _, err := b.List(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("List of a file another store just wrote, under a reused inode number, took %v", d)
	}
}

// TestStoreDoesNotWaitAfterOtherStoreEmptiedFile: when a store's Delete
// removes the last connector of a TOML file that holds nothing else, its
// write leaves the file empty. Another store reading the file next must
// not take that for a file emptied in place by an editor, which waits
// emptySettleTime (a second) with its lock held, stalling its reads,
// writes and watchers: the file was renamed into place whole.
func TestStoreDoesNotWaitAfterOtherStoreEmptiedFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "agent.toml")
	a := openFileStore(t, path)
	defer a.Close()
	b := openFileStore(t, path)
	defer b.Close()
	if err := a.Put(ctx, "telegram", Config{"token": "1:telegram"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.List(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Delete(ctx, "telegram"); err != nil {
		t.Fatal(err)
	}
	if data := readConfigFile(t, path); len(data) != 0 {
		t.Skipf("the delete left %q, not an empty file", data)
	}
	start := time.Now()
	got, err := b.List(ctx)
	d := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("List after the other store deleted the last connector: %v", got)
	}
	if d > 300*time.Millisecond {
		t.Errorf("List of a file another store just emptied by Delete took %v", d)
	}
}

// TestStoreWriteRecognizedWhileOtherFilesChange: a store reading a file
// another store just wrote reads it at once, also while unrelated files
// on the machine are being changed. (With multigrain timestamps, Linux
// 6.13 and later, such changes move the coarse clock on, so a rule on a
// file's change and modification times took most of a store's writes for
// unfinished, and readers waited settleTime with their lock held.)
func TestStoreWriteRecognizedWhileOtherFilesChange(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.toml")
	other := filepath.Join(dir, "other.log")
	writeConfigFile(t, other, "x", 0o600)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		// Another program on the machine: looks at a file, changes it.
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			os.Stat(other)
			os.Chmod(other, 0o600)
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	a := openFileStore(t, path)
	defer a.Close()
	b := openFileStore(t, path)
	defer b.Close()
	if err := a.Put(ctx, "a", Config{"n": int64(0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.List(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 20
	slow := 0
	var total time.Duration
	for i := 1; i <= n; i++ {
		if err := a.Put(ctx, "a", Config{"n": int64(i)}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := b.List(ctx); err != nil {
			t.Fatal(err)
		}
		d := time.Since(start)
		total += d
		if d > 50*time.Millisecond {
			slow++
		}
	}
	if slow > n/5 {
		t.Errorf("%d of %d Lists of a file another store had just written waited (%v in all) while another program changed an unrelated file", slow, n, total)
	}
}

// TestWriteRecordIsOfTheFileRenamed: a store's write records in the guard
// file the file it wrote, not the config as a stat after the rename finds
// it. A program that saves in place (opens with O_TRUNC, then writes)
// just after the rename must not have its half-saved file vouched for as
// written whole: another store would read it at once, empty, instead of
// waiting for the save to settle, and a Put of its own would then write
// back nothing of the host's file.
func TestWriteRecordIsOfTheFileRenamed(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "agent.toml")
	a := openFileStore(t, path)
	defer a.Close()
	if err := a.Put(ctx, "a", Config{"n": int64(0)}); err != nil {
		t.Fatal(err)
	}
	const saved = "[connectors.editor]\nn = 1\n"
	tries, caught, halfRead := 0, 0, 0
	for deadline := time.Now().Add(3 * time.Second); tries < 20 && time.Now().Before(deadline); {
		tries++
		before, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		saving := make(chan bool, 1)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			// The editor: saves in place as soon as the store's file is
			// in place, pausing between truncating and writing.
			defer wg.Done()
			for end := time.Now().Add(500 * time.Millisecond); time.Now().Before(end); {
				fi, err := os.Stat(path)
				if err != nil || os.SameFile(fi, before) {
					continue
				}
				f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
				if err != nil {
					break
				}
				saving <- true
				time.Sleep(60 * time.Millisecond)
				f.WriteString(saved)
				f.Close()
				return
			}
			saving <- false
		}()
		if err := a.Put(ctx, "a", Config{"n": int64(tries)}); err != nil {
			t.Fatal(err)
		}
		b := openFileStore(t, path)
		got, err := b.List(ctx)
		if <-saving {
			caught++
			if err == nil && len(got) == 0 {
				halfRead++
			}
		}
		wg.Wait()
		b.Close()
	}
	if caught == 0 {
		t.Skip("the editor never began its save right after a store's rename")
	}
	if halfRead > 0 {
		t.Errorf("a store read an in-place save half-way, at once, in %d of %d saves begun just after another store's write (%d writes)", halfRead, caught, tries)
	}
}

// TestReadSeesChangeWhileReading: read reports the file changed whenever
// the bytes it returns are not those of the file its stat describes, so
// that a store never takes a file truncated mid-read for one with fewer
// connectors, or none. A program saves the file in place again and
// again, as an editor does (truncate, pause, write, pause), while the
// store reads it. (A writer that never pauses can change the file and
// change it back within one tick of a coarse clock, which no stat shows;
// the racy window makes the next read compare the bytes.)
func TestReadSeesChangeWhileReading(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	content := []byte(strings.Repeat("# padding\n", 400) + "[connectors.a]\nn = 1\n")
	writeConfigFile(t, path, string(content), 0o600)
	s := openFileStore(t, path)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var saves atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Error(err)
				return
			}
			time.Sleep(100 * time.Microsecond)
			f.Write(content)
			f.Close()
			saves.Add(1)
			time.Sleep(100 * time.Microsecond)
		}
	}()
	stopWriter := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopWriter()
	reads, torn := 0, 0
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); reads++ {
		data, fi, changed, err := s.read()
		if err != nil {
			t.Fatal(err)
		}
		if changed {
			torn++
			continue
		}
		if int64(len(data)) != fi.Size() || len(data) > 0 && string(data) != string(content) {
			t.Errorf("read %d: %d bytes of a file of %d, not seen as changed", reads, len(data), fi.Size())
			break
		}
	}
	stopWriter()
	if saves.Load() == 0 {
		t.Fatal("the program never saved the file; the test shows nothing")
	}
	t.Logf("%d reads, %d seen changing, %d saves", reads, torn, saves.Load())
}

// TestWriteRecordLength: every write record has the length lastRecord
// reads, whatever the numbers in it; a longer one would never match, and
// stores would stop trusting their own writes and others' without a word.
func TestWriteRecordLength(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, "", 0o600)
	writeConfigFile(t, path+".lock", "", 0o600)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path+".lock", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rec, err := recordWrite(f, fi)
	if err != nil {
		t.Fatal(err)
	}
	if !haveFileID {
		if rec != "" {
			t.Fatalf("a record %q where there is no inode number", rec)
		}
		t.Skip("no inode numbers here: no record")
	}
	if len(rec) != recordLen {
		t.Errorf("record %q is %d bytes, want recordLen (%d)", rec, len(rec), recordLen)
	}
	if got := lastRecord(path + ".lock"); got != rec {
		t.Errorf("lastRecord = %q, want the record written, %q", got, rec)
	}
}

// TestListNeverTakesFileTruncatedMidRead: a store that reads again a file
// it knows (within the racy window, here held open by a modification
// time in the future) never returns bytes cut short by a program that
// truncates the file while they are read, then writes it back: List
// returns every connector, after waiting for the save. The file is large
// (8 MB of comments) so that a read takes long enough for the
// truncation to fall inside it.
func TestListNeverTakesFileTruncatedMidRead(t *testing.T) {
	if testing.Short() {
		t.Skip("writes an 8 MB file several times")
	}
	var b strings.Builder
	for i := range 20 {
		fmt.Fprintf(&b, "[connectors.c%02d]\ntoken = \"%d\"\n", i, i)
	}
	for b.Len() < 8<<20 {
		b.WriteString("# a long comment line that the host keeps below its connectors, as hosts do\n")
	}
	content := b.String()
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, content, 0o600)
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, future, future); err != nil {
		t.Fatal(err)
	}
	s := openFileStore(t, path)
	ctx := t.Context()
	if got, err := s.List(ctx); err != nil || len(got) != 20 {
		t.Fatalf("first List = %d connectors, %v; want 20", len(got), err)
	}
	for try := range 5 {
		saved := make(chan error, 1)
		go func() {
			time.Sleep(time.Millisecond)
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				saved <- err
				return
			}
			time.Sleep(30 * time.Millisecond)
			_, err = f.WriteString(content)
			f.Close()
			saved <- err
		}()
		got, err := s.List(ctx)
		if err := <-saved; err != nil {
			t.Fatal(err)
		}
		if err != nil || len(got) != 20 {
			t.Fatalf("try %d: List while the file was truncated and written back = %d connectors, %v; want 20", try, len(got), err)
		}
		if err := os.Chtimes(path, future, future); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriteKeepsASaveMadeDuringIt: a program that does not take the lock
// (an editor saving by rename) and saves the file while a store's write
// of it is under way, after the store read it, keeps its save: the write
// checks the file at the last moment before its rename, and fails,
// writing nothing, if it changed. The Validate hook makes the save fall
// inside the write.
func TestWriteKeepsASaveMadeDuringIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, "[connectors.a]\ntoken = \"1\"\n", 0o600)
	const saved = "[connectors.a]\ntoken = \"1\"\n\n[connectors.editor]\ntoken = \"9\"\n"
	s, err := NewFileStore(path, FileOptions{Validate: func(string, Config) error {
		writeConfigFile(t, path+".new", saved, 0o600)
		return os.Rename(path+".new", path)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	putErr := s.Put(t.Context(), "b", Config{"token": "2"})
	if got := string(readConfigFile(t, path)); got != saved {
		t.Errorf("after a save during a Put (err %v), the file is\n%s\nwant the save's", putErr, got)
	}
	if putErr == nil {
		t.Error("the Put returned nil, but its change is not in the file")
	}
}

// TestWriterStopsReadingItsRecordOutOfTheRacyWindow: the store that wrote
// the file checks its record in the guard file only while the file is in
// its racy window; once the record has shown the file unchanged past it,
// a stat alone does, as for a file the store read, so that a GET costs one
// stat, not a read of the guard file besides.
func TestWriterStopsReadingItsRecordOutOfTheRacyWindow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	s := openFileStore(t, path)
	ctx := t.Context()
	putConfig(t, s, "a", Config{"token": "1"})
	k := s.known
	if k.record == "" {
		t.Skip("the write was not recorded here; the test shows nothing")
	}
	time.Sleep(racyWindow(k.fi.ModTime()) + 10*time.Millisecond)
	if _, err := s.State(ctx); err != nil {
		t.Fatal(err)
	}
	k = s.known
	if k.readAt.Sub(k.fi.ModTime()) <= racyWindow(k.fi.ModTime()) {
		t.Errorf("after the racy window the store still takes the file as read %v after its change, within the window: it reads its record on every call", k.readAt.Sub(k.fi.ModTime()))
	}
	// The record is no longer needed: a guard file gone does not make the
	// store read the file again.
	if err := os.Remove(path + ".lock"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.State(ctx); err != nil {
		t.Fatal(err)
	}
	if s.known != k {
		t.Error("the store read the file again, unchanged, after its guard file went")
	}
}

// editInPlace replaces the first old in the file at path with new, of the
// same length, in place, as an editor that saves in place does, and gives
// the file the modification time mtime: the edit of a coarse clock's
// tick, which leaves the file's size, identity and time as they were.
func editInPlace(t *testing.T, path, old, new string, mtime time.Time) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(b, []byte(old))
	if at < 0 || len(old) != len(new) {
		t.Fatalf("the file is not as the test expects:\n%s", b)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(new), int64(at)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}
