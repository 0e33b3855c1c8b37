package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestMain lets the test binary run as the server: the replica tests
// start it as child processes, as an operator would start the command.
func TestMain(m *testing.M) {
	if os.Getenv("EXAMPLE_SERVER_CHILD") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A span is one run of a connector on one replica, from its log.
type span struct {
	replica     string
	start, stop time.Time // stop zero: still running
}

// A cluster is a set of server processes sharing one store, and what
// their logs say about the connectors they run.
type cluster struct {
	t    *testing.T
	args []string // the store's flags, for every replica
	env  []string

	mu       sync.Mutex
	replicas map[string]*replica
	spans    map[string][]*span // by connector
	lines    chan string        // "started a r1", "stopped a r1"
}

type replica struct {
	name string
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
	done chan struct{}
}

func newCluster(t *testing.T, env []string, args ...string) *cluster {
	c := &cluster{t: t, args: args, env: env, replicas: map[string]*replica{}, spans: map[string][]*span{}, lines: make(chan string, 1000)}
	t.Cleanup(func() {
		for _, r := range c.replicas {
			r.cmd.Process.Kill()
			<-r.done
		}
		c.checkOverlaps()
	})
	return c
}

var logLine = regexp.MustCompile(`^time=(\S+) level=\S+ msg="?([^"]*?)"? (?:replica=(\S+) )?(?:connector=(\S+)|addr=(\S+))`)

// start starts a replica and waits for it to listen.
func (c *cluster) start(name string) *replica {
	c.t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-addr", "127.0.0.1:0", "-replica", name}, c.args...)...)
	cmd.Env = append(append(os.Environ(), "EXAMPLE_SERVER_CHILD=1"), c.env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	r := &replica{name: name, cmd: cmd, done: make(chan struct{})}
	listening := make(chan string, 1)
	go func() {
		defer func() { cmd.Wait(); close(r.done) }()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			c.record(name, sc.Text(), listening)
		}
	}()
	select {
	case r.base = <-listening:
	case <-r.done:
		c.t.Fatalf("replica %s exited before listening", name)
	case <-time.After(20 * time.Second):
		c.t.Fatalf("replica %s not listening after 20s", name)
	}
	c.mu.Lock()
	c.replicas[name] = r
	c.mu.Unlock()
	return r
}

// record takes one log line of a replica into account.
func (c *cluster) record(name, line string, listening chan<- string) {
	m := logLine.FindStringSubmatch(line)
	if m == nil {
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN") {
			c.t.Logf("%s: %s", name, line)
		}
		return
	}
	at, err := time.Parse(time.RFC3339Nano, m[1])
	if err != nil {
		c.t.Errorf("log time %q: %v", m[1], err)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch m[2] {
	case "listening":
		listening <- m[5]
	case "connector started":
		if m[3] != name {
			c.t.Errorf("replica %s logs replica=%s", name, m[3])
		}
		c.spans[m[4]] = append(c.spans[m[4]], &span{replica: name, start: at})
		c.lines <- "started " + m[4] + " " + name
	case "connector stopped":
		for _, s := range c.spans[m[4]] {
			if s.replica == name && s.stop.IsZero() {
				s.stop = at
			}
		}
		c.lines <- "stopped " + m[4] + " " + name
	}
}

// running returns who runs each connector now, by the logs.
func (c *cluster) running() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]string{}
	for conn, spans := range c.spans {
		for _, s := range spans {
			if s.stop.IsZero() {
				out[conn] = s.replica
			}
		}
	}
	return out
}

// kill sends sig to a replica and waits for it to exit. A replica killed
// with SIGKILL logs nothing more: its runs end at the moment of the kill.
func (c *cluster) kill(name string, sig syscall.Signal) (at time.Time) {
	c.t.Helper()
	c.mu.Lock()
	r := c.replicas[name]
	delete(c.replicas, name)
	c.mu.Unlock()
	at = time.Now()
	r.cmd.Process.Signal(sig)
	select {
	case <-r.done:
	case <-time.After(15 * time.Second):
		c.t.Fatalf("replica %s still running 15s after %v", name, sig)
	}
	if sig == syscall.SIGKILL {
		c.mu.Lock()
		for _, spans := range c.spans {
			for _, s := range spans {
				if s.replica == name && s.stop.IsZero() {
					s.stop = at
				}
			}
		}
		c.mu.Unlock()
	}
	return at
}

// checkOverlaps fails if a connector ever ran on two replicas at once.
func (c *cluster) checkOverlaps() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for conn, spans := range c.spans {
		for i, a := range spans {
			for _, b := range spans[i+1:] {
				aStop, bStop := a.stop, b.stop
				if aStop.IsZero() {
					aStop = time.Now()
				}
				if bStop.IsZero() {
					bStop = time.Now()
				}
				if a.start.Before(bStop) && b.start.Before(aStop) {
					c.t.Errorf("connector %s ran on %s (%v to %v) and %s (%v to %v) at once", conn,
						a.replica, a.start.Format(time.StampMicro), a.stop.Format(time.StampMicro),
						b.replica, b.start.Format(time.StampMicro), b.stop.Format(time.StampMicro))
				}
			}
		}
	}
}

// waitLine waits for a log line and returns how long it took.
func (c *cluster) waitLine(want string, within time.Duration) time.Duration {
	c.t.Helper()
	began := time.Now()
	timeout := time.After(within)
	for {
		select {
		case l := <-c.lines:
			if l == want {
				return time.Since(began)
			}
		case <-timeout:
			c.t.Fatalf("no %q within %v; running: %v", want, within, c.running())
		}
	}
}

// drain discards the log lines seen so far.
func (c *cluster) drain() {
	for {
		select {
		case <-c.lines:
		default:
			return
		}
	}
}

func (c *cluster) status(r *replica) map[string]map[string]any {
	c.t.Helper()
	resp, err := http.Get(r.base + "/api/connectors/status")
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Connectors map[string]map[string]any `json:"connectors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		c.t.Fatalf("GET status on %s: %d %v", r.name, resp.StatusCode, err)
	}
	return body.Connectors
}

func until(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
	}
}

// exercise runs the scenario of the ownership tests on a cluster whose
// store holds the connectors a, b, c and d: n replicas run each
// connector exactly once and answer the same status; a change restarts a
// connector on its owner only; a SIGKILLed owner's connector starts
// elsewhere within 5s; a clean shutdown hands over at once.
func exercise(t *testing.T, c *cluster, names ...string) {
	for _, name := range names {
		c.start(name)
	}
	conns := []string{"a", "b", "c", "d"}
	until(t, "every connector running, spread evenly", 10*time.Second, func() bool {
		return c.spread(names, len(conns))
	})
	until(t, "the same status on every replica, all running", 10*time.Second, func() bool {
		var first string
		for _, name := range names {
			st := c.status(c.replicas[name])
			for _, conn := range conns {
				if st[conn]["state"] != "running" || st[conn]["replica"] != c.running()[conn] {
					return false
				}
			}
			b, _ := json.Marshal(st)
			if first != "" && string(b) != first {
				return false
			}
			first = string(b)
		}
		return true
	})

	// Every replica answers the same list and ETag, and takes an
	// If-Match tag from another.
	var body, tag string
	for i, name := range names {
		b, etag := list(t, c.replicas[name].base)
		if i > 0 && (b != body || etag != tag) {
			t.Fatalf("replica %s lists %s (ETag %s), %s listed %s (ETag %s)", name, b, etag, names[0], body, tag)
		}
		body, tag = b, etag
	}
	first, last := c.replicas[names[0]].base, c.replicas[names[len(names)-1]].base
	ownerC := c.running()["c"]
	c.drain()
	if code := postIfMatch(t, last, `{"name":"c","config":{"botToken":"3:C2"}}`, tag); code != http.StatusOK {
		t.Fatalf("POST with another replica's current ETag: %d", code)
	}
	if code := postIfMatch(t, first, `{"name":"c","config":{"botToken":"3:C3"}}`, tag); code != http.StatusPreconditionFailed {
		t.Fatalf("POST with a stale ETag on another replica: %d, want 412", code)
	}
	c.waitLine("started c "+ownerC, 5*time.Second)

	// A change restarts the connector on its owner, and nothing else.
	owner := c.running()["b"]
	c.drain()
	post(t, c.replicas[names[len(names)-1]].base, `{"name":"b","config":{"botToken":"2:changed"}}`)
	c.waitLine("stopped b "+owner, 5*time.Second)
	c.waitLine("started b "+owner, 5*time.Second)
	select {
	case l := <-c.lines:
		t.Fatalf("after a change of b: %q", l)
	case <-time.After(time.Second):
	}

	// The owner of a is killed: another replica starts a within 5s.
	victim := c.running()["a"]
	c.drain()
	took := waitStart(t, c, "a", c.kill(victim, syscall.SIGKILL), 5*time.Second)
	t.Logf("after SIGKILL of %s, a started again after %v", victim, took.Round(time.Millisecond))

	// A replacement joins; then a replica that shuts down cleanly hands
	// its connectors over at once.
	c.start(victim + "-new")
	names = append(slices.DeleteFunc(names, func(n string) bool { return n == victim }), victim+"-new")
	until(t, "the replacement taking its share", 10*time.Second, func() bool {
		return c.spread(names, len(conns))
	})
	leaving := c.running()["a"]
	var mine []string
	for conn, r := range c.running() {
		if r == leaving {
			mine = append(mine, conn)
		}
	}
	c.drain()
	at := c.kill(leaving, syscall.SIGTERM)
	for _, conn := range mine {
		took := waitStart(t, c, conn, at, 2*time.Second)
		t.Logf("after SIGTERM of %s, %s started again after %v", leaving, conn, took.Round(time.Millisecond))
	}
}

// spread reports whether all n connectors run, on the replicas names,
// with counts within one of each other.
func (c *cluster) spread(names []string, n int) bool {
	run := c.running()
	per := map[string]int{}
	for _, name := range names {
		per[name] = 0
	}
	for _, r := range run {
		per[r]++
	}
	counts := slices.Collect(maps.Values(per))
	return len(run) == n && len(per) == len(names) && slices.Max(counts)-slices.Min(counts) <= 1
}

// waitStart waits, until within after since, for a connector to run on
// a replica, and returns when it started after since.
func waitStart(t *testing.T, c *cluster, conn string, since time.Time, within time.Duration) time.Duration {
	t.Helper()
	until(t, conn+" running again", within-time.Since(since), func() bool { return c.running()[conn] != "" })
	c.mu.Lock()
	defer c.mu.Unlock()
	spans := c.spans[conn]
	return spans[len(spans)-1].start.Sub(since)
}

// list returns the body and ETag of a GET of the connectors.
func list(t *testing.T, base string) (body, etag string) {
	t.Helper()
	resp, err := http.Get(base + "/api/connectors")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.Header.Get("Etag")
}

// postIfMatch posts body with If-Match and returns the status.
func postIfMatch(t *testing.T, base, body, tag string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/connectors", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("If-Match", tag)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func post(t *testing.T, base, body string) {
	t.Helper()
	resp, err := http.Post(base+"/api/connectors", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST: %d %s", resp.StatusCode, b)
	}
}

const fourConnectors = `# The agent's connectors.
[connectors.a]
botToken = "1:A"
[connectors.b]
botToken = "2:B"
[connectors.c]
botToken = "3:C"
[connectors.d]
botToken = "4:D"
`

// TestReplicasOnOneFile: three server processes on one config file.
func TestReplicasOnOneFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	config := filepath.Join(t.TempDir(), "connectors.toml")
	if err := os.WriteFile(config, []byte(fourConnectors), 0o600); err != nil {
		t.Fatal(err)
	}
	exercise(t, newCluster(t, nil, "-config", config), "r1", "r2", "r3")
}

// TestReplicasOnPostgreSQL: two server processes on one database.
func TestReplicasOnPostgreSQL(t *testing.T) {
	url := os.Getenv("CONNECTORS_TEST_DATABASE_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CONNECTORS_TEST_DATABASE_URL is not set")
		}
		t.Skip("CONNECTORS_TEST_DATABASE_URL is not set")
	}
	dbURL := freshDatabase(t, url)
	key := make([]byte, 32)
	rand.Read(key)
	env := []string{"CONNECTORS_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key)}
	c := newCluster(t, env, "-database-url", dbURL)
	first := c.start("seed")
	for i, conn := range []string{"a", "b", "c", "d"} {
		post(t, first.base, fmt.Sprintf(`{"name":%q,"config":{"botToken":"%d:%s"}}`, conn, i+1, strings.ToUpper(conn)))
	}
	c.kill("seed", syscall.SIGTERM)
	exercise(t, c, "p1", "p2")
}

// freshDatabase creates a database for the test, dropped at its end, and
// returns its URL.
func freshDatabase(t *testing.T, url string) string {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("example_server_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Error(err)
		}
	})
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
