// Tests of the store contract as the handler and hosts see it: ETags
// shared by servers of one store, If-Match on a store with only the
// four methods, and the FileStore's limits.

package connectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// TestETagAcrossServers: two handlers on one file, and a handler on a
// store opened again (a restart), give one ETag for one state and accept
// each other's If-Match.
func TestETagAcrossServers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	a := NewHandler(openFileStore(t, path), HandlerOptions{})
	b := NewHandler(openFileStore(t, path), HandlerOptions{})
	rec := do(t, a, "POST", "/", `{"name":"telegram","config":{"botToken":"1:A"}}`, nil)
	tag := rec.Header().Get("ETag")
	if rec.Code != http.StatusOK || tag == "" {
		t.Fatalf("POST on A: %d, ETag %q", rec.Code, tag)
	}
	if got := do(t, b, "GET", "/", "", nil).Header().Get("ETag"); got != tag {
		t.Fatalf("GET on B: ETag %s, A gave %s", got, tag)
	}
	restarted := NewHandler(openFileStore(t, path), HandlerOptions{})
	if got := do(t, restarted, "GET", "/", "", nil).Header().Get("ETag"); got != tag {
		t.Fatalf("GET after a restart: ETag %s, before %s", got, tag)
	}
	rec = do(t, b, "POST", "/", `{"name":"discord","config":{"token":"x"}}`, map[string]string{"If-Match": tag})
	if rec.Code != http.StatusOK {
		t.Fatalf("POST on B with A's tag: %d %s", rec.Code, rec.Body)
	}
	rec = do(t, a, "POST", "/", `{"name":"slack","config":{}}`, map[string]string{"If-Match": tag})
	if rec.Code != http.StatusPreconditionFailed {
		t.Fatalf("POST on A with the tag B's write made stale: %d, want 412", rec.Code)
	}
}

// TestIfMatchSeveralLines: If-Match sent as several header lines is one
// list (RFC 9110), as it is on one line.
func TestIfMatchSeveralLines(t *testing.T) {
	h := NewHandler(&MemoryStore{}, HandlerOptions{})
	tag := do(t, h, "GET", "/", "", nil).Header().Get("ETag")
	post := func(tags ...string) int {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"name":"x","config":{}}`))
		req.Header.Set("Content-Type", "application/json")
		for _, tag := range tags {
			req.Header.Add("If-Match", tag)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := post(`"stale"`, `"older"`); code != http.StatusPreconditionFailed {
		t.Errorf("POST with two lines of stale tags: %d, want 412", code)
	}
	if code := post(`"stale"`, tag); code != http.StatusOK {
		t.Errorf("POST with a stale tag on one line and the current one on the next: %d, want 200", code)
	}
}

// TestIfMatchPlainStore: a store with only the four Store methods gets its
// writes serialized by the handler, so of many POSTs carrying one tag,
// exactly one succeeds.
func TestIfMatchPlainStore(t *testing.T) {
	h := NewHandler(storeWithoutUpdater{&MemoryStore{}}, HandlerOptions{})
	tag := do(t, h, "GET", "/", "", nil).Header().Get("ETag")
	var wg sync.WaitGroup
	codes := make([]int, 32)
	for i := range codes {
		wg.Go(func() {
			body := fmt.Sprintf(`{"name":"c%d","config":{}}`, i)
			codes[i] = do(t, h, "POST", "/", body, map[string]string{"If-Match": tag}).Code
		})
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusPreconditionFailed:
		default:
			t.Fatalf("status %d", c)
		}
	}
	if ok != 1 {
		t.Fatalf("%d POSTs with one tag succeeded, want 1", ok)
	}
}

// TestFileStoreWriteWatchesContext: a write waiting for the file lock,
// held by someone else, gives up when its context ends, and stores
// nothing.
func TestFileStoreWriteWatchesContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	s := openFileStore(t, path)
	if err := s.Put(t.Context(), "a", Config{}); err != nil {
		t.Fatal(err)
	}
	other := flock.New(path + ".lock")
	if err := other.Lock(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	err := s.Put(ctx, "b", Config{})
	other.Unlock()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Put while the lock is held elsewhere = %v, want DeadlineExceeded", err)
	}
	if _, err := openFileStore(t, path).Get(t.Context(), "b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the timed-out write was stored: Get = %v", err)
	}
}

// TestFileStoreSizeLimit: a write that would grow the file past its limit
// is ErrTooLarge, answered 413 naming the limit; a delete still works.
func TestFileStoreSizeLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	s, err := NewFileStore(path, FileOptions{MaxFileBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(s, HandlerOptions{})
	if rec := do(t, h, "POST", "/", `{"name":"a","config":{"v":"small"}}`, nil); rec.Code != http.StatusOK {
		t.Fatalf("small POST: %d %s", rec.Code, rec.Body)
	}
	big := strings.Repeat("x", 5000)
	rec := do(t, h, "POST", "/", `{"name":"b","config":{"v":"`+big+`"}}`, nil)
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "4096") {
		t.Fatalf("POST past the limit: %d %s, want 413 naming 4096", rec.Code, rec.Body)
	}
	if err := s.Put(t.Context(), "b", Config{"v": big}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Put past the limit = %v, want ErrTooLarge", err)
	}
	if rec := do(t, h, "DELETE", "/a", "", nil); rec.Code != http.StatusOK {
		t.Fatalf("DELETE: %d", rec.Code)
	}
}

// TestValidateHook: a store's Validate refuses a config on every write
// path: Put, Update, and a POST, which is a 400 with the hook's message.
func TestValidateHook(t *testing.T) {
	validate := func(name string, cfg Config) error {
		if _, ok := cfg["botToken"]; name == "telegram" && !ok {
			return errors.New("telegram needs config.botToken")
		}
		return nil
	}
	path := filepath.Join(t.TempDir(), "agent.json")
	fs, err := NewFileStore(path, FileOptions{Validate: validate})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []Store{&MemoryStore{Validate: validate}, fs} {
		if err := s.Put(t.Context(), "telegram", Config{}); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%T Put = %v, want ErrInvalidConfig", s, err)
		}
		err := s.(Updater).Update(t.Context(), func(m map[string]Config) error {
			m["telegram"] = Config{"port": 1}
			return nil
		})
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%T Update = %v, want ErrInvalidConfig", s, err)
		}
		rec := do(t, NewHandler(s, HandlerOptions{}), "POST", "/", `{"name":"telegram","config":{}}`, nil)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "needs config.botToken") {
			t.Errorf("%T POST: %d %s, want 400 with the hook's message", s, rec.Code, rec.Body)
		}
		if m, _ := s.List(t.Context()); len(m) != 0 {
			t.Errorf("%T stored a refused config: %v", s, m)
		}
	}
}

// TestTokenTrimmed: a token configured with a trailing newline (read from
// a file) is the token without it.
func TestTokenTrimmed(t *testing.T) {
	h := NewHandler(&MemoryStore{}, HandlerOptions{Token: "sekret\n"})
	if rec := do(t, h, "GET", "/", "", map[string]string{"Authorization": "Bearer sekret"}); rec.Code != http.StatusOK {
		t.Fatalf("GET with the trimmed token: %d", rec.Code)
	}
	// A token of white space only (an empty line from a file) refuses
	// every request rather than none.
	h = NewHandler(&MemoryStore{}, HandlerOptions{Token: " \n"})
	for _, hdr := range []map[string]string{nil, {"X-Api-Key": " "}, {"Authorization": "Bearer "}, {"Authorization": "Bearer \n"}} {
		if rec := do(t, h, "GET", "/", "", hdr); rec.Code != http.StatusUnauthorized {
			t.Errorf("GET with %q and a blank token set: %d, want 401", hdr, rec.Code)
		}
	}
}

// TestHeadersNotShared: a middleware that edits a header value in place
// changes only its own response.
func TestHeadersNotShared(t *testing.T) {
	h := NewHandler(&MemoryStore{}, HandlerOptions{})
	first := do(t, h, "GET", "/", "", nil)
	first.Header()["Content-Type"][0] = "text/html"
	first.Header()["Etag"][0] = "changed"
	second := do(t, h, "GET", "/", "", nil)
	if got := second.Header().Get("Content-Type"); got != "application/json" {
		t.Fatalf("second response Content-Type = %q", got)
	}
	if got := second.Header().Get("ETag"); got == "changed" {
		t.Fatal("second response ETag changed by an edit of the first")
	}
}

// TestJSONByteOrderMark: a JSON file that starts with a byte-order mark
// opens, and keeps the mark on write.
func TestJSONByteOrderMark(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.json")
	writeConfigFile(t, path, "\uFEFF{\"connectors\": {\"a\": {\"v\": 1}}}\n", 0o600)
	s := openFileStore(t, path)
	if err := s.Put(t.Context(), "b", Config{"v": 2}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "\uFEFF") {
		t.Fatalf("byte-order mark lost: %q", data)
	}
	if m, err := openFileStore(t, path).List(t.Context()); err != nil || len(m) != 2 {
		t.Fatalf("List = %v, %v", m, err)
	}
}

// TestTOMLLocalTimes: TOML local dates and times written by hand read as
// they were written, not as instants in UTC.
func TestTOMLLocalTimes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, "[connectors.a]\nday = 2024-05-06\nat = 07:08:09\nlocal = 2024-05-06T07:08:09.5\nutc = 2024-05-06T07:08:09+02:00\n", 0o600)
	got, err := openFileStore(t, path).Get(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{"day": "2024-05-06", "at": "07:08:09", "local": "2024-05-06T07:08:09.5", "utc": "2024-05-06T07:08:09+02:00"}
	if !EqualConfig(got, want) {
		t.Fatalf("Get = %v, want %v", got, want)
	}
}

// TestFileStoreBadValueIsolated: a connector whose value the value model
// cannot hold (a NaN, an integer beyond int64) is left out, named in an
// error on its own GET, and can be replaced or deleted; the others keep
// working.
func TestFileStoreBadValueIsolated(t *testing.T) {
	for _, bad := range []string{"ratio = nan", "ratio = inf", "n = 1e20"} {
		t.Run(bad, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "agent.toml")
			writeConfigFile(t, path, "[connectors.a]\nv = 1\n\n[connectors.b]\n"+bad+"\n", 0o600)
			var logs strings.Builder
			h := NewHandler(openFileStore(t, path), HandlerOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if rec := do(t, h, "GET", "/", "", nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"a"`) {
				t.Fatalf("GET /: %d %s", rec.Code, rec.Body)
			}
			if rec := do(t, h, "GET", "/b", "", nil); rec.Code != http.StatusInternalServerError {
				t.Fatalf("GET /b: %d %s, want 500", rec.Code, rec.Body)
			}
			if !strings.Contains(logs.String(), "connectors.b.") || !strings.Contains(logs.String(), path) {
				t.Fatalf("log does not name the file and the path: %s", logs.String())
			}
			if rec := do(t, h, "POST", "/", `{"name":"c","config":{}}`, nil); rec.Code != http.StatusOK {
				t.Fatalf("POST c: %d %s", rec.Code, rec.Body)
			}
			if rec := do(t, h, "DELETE", "/b", "", nil); rec.Code != http.StatusOK {
				t.Fatalf("DELETE b: %d %s", rec.Code, rec.Body)
			}
			data, _ := os.ReadFile(path)
			if strings.Contains(string(data), "connectors.b") {
				t.Fatalf("b still in the file after DELETE:\n%s", data)
			}
			m, err := openFileStore(t, path).List(t.Context())
			if err != nil || len(m) != 2 {
				t.Fatalf("List after = %v, %v; want a and c", m, err)
			}
		})
	}
}

// TestUpdateCanonicalNames: a name Update's fn adds in another spelling is
// the connector of its canonical spelling, as with Put.
func TestUpdateCanonicalNames(t *testing.T) {
	s := &MemoryStore{}
	err := s.Update(t.Context(), func(m map[string]Config) error {
		m["cafe\u0301"] = Config{"v": int64(1)}
		m[" spaced "] = Config{}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"caf\u00e9", "spaced"} {
		if _, err := s.Get(t.Context(), name); err != nil {
			t.Errorf("Get(%q) = %v", name, err)
		}
	}
}

// TestFileStoreManyChanges: an Update that changes more connectors than
// are edited one by one writes the connectors table once, keeps the
// host's bytes before it, and leaves a connector the value model cannot
// hold that it did not touch.
func TestFileStoreManyChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	host := "# host config\n[model]\nname = \"local\" # kept\n\n"
	writeConfigFile(t, path, host+"[connectors.bad]\nratio = nan\n\n[connectors.a]\nv = 1\n", 0o600)
	s := openFileStore(t, path)
	want := map[string]Config{}
	err := s.Update(t.Context(), func(m map[string]Config) error {
		delete(m, "a")
		for i := range manyChanges + 4 {
			name := fmt.Sprintf("c%02d", i)
			m[name] = Config{"i": int64(i)}
			want[name] = Config{"i": int64(i)}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), host) {
		t.Fatalf("host bytes changed:\n%s", data)
	}
	got, err := openFileStore(t, path).List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !maps.EqualFunc(want, got, EqualConfig) {
		t.Fatalf("List = %v, want %v", got, want)
	}
	if _, err := s.Get(t.Context(), "bad"); !errors.Is(err, ErrInvalidFile) {
		t.Fatalf("Get(bad) = %v, want the untouched bad connector's ErrInvalidFile", err)
	}
}

// TestWatchStartsNowAfterHandEdit: a file replaced by hand between a read
// and Watch is the state Watch starts from, not its first event.
func TestWatchStartsNowAfterHandEdit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, "[connectors.a]\nv = 1\n", 0o600)
	s, err := NewFileStore(path, FileOptions{PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.List(t.Context()); err != nil {
		t.Fatal(err)
	}
	writeConfigFile(t, path+".new", "[connectors.a]\nv = 1\n\n[connectors.hand]\nv = 2\n", 0o600)
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	events := s.Watch(ctx)
	if err := s.Put(ctx, "marker", Config{}); err != nil {
		t.Fatal(err)
	}
	for e := range events {
		if e.Name != "marker" {
			t.Fatalf("first event %v; the hand edit came before Watch", e)
		}
		return
	}
	t.Fatal("no event within 5s")
}

// TestRenderAfterChanges: the GET body, built from the parts of the last
// rendering that did not change, is always what encoding the whole
// redacted state gives.
func TestRenderAfterChanges(t *testing.T) {
	ctx := t.Context()
	store := &MemoryStore{}
	h := NewHandler(store, HandlerOptions{})
	steps := []func(){
		func() { store.Put(ctx, "b", Config{"token": "1:B", "n": int64(1)}) },
		func() { store.Put(ctx, "a<&>", Config{"url": "https://u:p@h/x"}) },
		func() { store.Put(ctx, "b", Config{"token": "1:B", "n": int64(2)}) },
		func() { store.Put(ctx, "c", Config{"nested": map[string]any{"apiKey": "k"}}) },
		func() { store.Delete(ctx, "a<&>") },
		func() { store.Put(ctx, "a<&>", Config{"url": "plain"}) },
		func() { store.Delete(ctx, "b"); store.Delete(ctx, "c"); store.Delete(ctx, "a<&>") },
	}
	for i, step := range steps {
		step()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		all, _ := store.List(ctx)
		want, _ := json.Marshal(map[string]any{"connectors": (*Policy)(nil).RedactAll(all)})
		if got := strings.TrimSuffix(rec.Body.String(), "\n"); got != string(want) {
			t.Fatalf("step %d: GET body\n%s\nwant\n%s", i, got, want)
		}
	}
}

// TestRenderAfterWrites: the body a POST or DELETE answers, built from
// the parts of the last rendering that its change did not touch, is
// always what encoding the whole redacted state gives, with other writers
// going around the handler in between, on every kind of store.
func TestRenderAfterWrites(t *testing.T) {
	stores := map[string]func(t *testing.T) Store{
		"memory":  func(*testing.T) Store { return &MemoryStore{} },
		"file":    func(t *testing.T) Store { return newTestFileStore(t) },
		"updater": func(*testing.T) Store { m := &MemoryStore{}; return updaterOnly{storeWithoutUpdater{m}, m} },
		"plain":   func(*testing.T) Store { return storeWithoutUpdater{&MemoryStore{}} },
	}
	for kind, newStore := range stores {
		t.Run(kind, func(t *testing.T) {
			ctx := t.Context()
			store := newStore(t)
			h := NewHandler(store, HandlerOptions{})
			post := func(name, cfg string) string {
				return do(t, h, "POST", "/", `{"name":"`+name+`","config":`+cfg+`}`, nil).Body.String()
			}
			del := func(name string) string { return do(t, h, "DELETE", "/"+name, "", nil).Body.String() }
			get := func() string { return do(t, h, "GET", "/", "", nil).Body.String() }
			steps := []func() string{
				func() string { return post("b", `{"token":"1:B","n":1}`) },
				func() string { return post("a", `{"url":"https://u:p@h/x"}`) },
				func() string { return post("b", `{"token":"1:B","n":2}`) },
				func() string { store.Put(ctx, "a", Config{"url": "plain"}); return post("b", `{"n":3}`) },
				func() string { return post("c", `{"nested":{"apiKey":"k"}}`) },
				func() string { store.Put(ctx, "d", Config{"x": "y"}); return post("c", `{"nested":{"apiKey":"k2"}}`) },
				func() string { return del("a") },
				func() string { store.Delete(ctx, "d"); return get() },
				func() string { return post("a", `{"url":"again"}`) },
				func() string { store.Put(ctx, "c", Config{"v": int64(1)}); return del("b") },
				func() string { return post("c", `{"v":2}`) },
				func() string { return get() },
				func() string { del("a"); return del("c") },
			}
			for i, step := range steps {
				got := step()
				all, err := store.List(ctx)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := json.Marshal(map[string]any{"connectors": (*Policy)(nil).RedactAll(all)})
				if got = strings.TrimSuffix(got, "\n"); got != string(want) {
					t.Fatalf("step %d: body\n%s\nwant\n%s", i, got, want)
				}
			}
		})
	}
}

// updaterOnly is an Updater that is not Versioned.
type updaterOnly struct {
	storeWithoutUpdater
	m *MemoryStore
}

func (u updaterOnly) Update(ctx context.Context, fn func(map[string]Config) error) error {
	return u.m.Update(ctx, fn)
}
