package connectors_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/connectorkit/connectors"
)

// runs records what run functions do, and fails the test if a connector
// ever runs twice at once.
type runs struct {
	t       *testing.T
	mu      sync.Mutex
	running map[string]string // connector -> replica
	starts  map[string]int
	changed chan string // a line per start and stop: "start a r1", "stop a r1"
}

func newRuns(t *testing.T) *runs {
	return &runs{t: t, running: map[string]string{}, starts: map[string]int{}, changed: make(chan string, 1000)}
}

// run returns a RunFunc for replica that runs until its context ends.
func (r *runs) run(replica string) connectors.RunFunc {
	return func(ctx context.Context, name string, cfg connectors.Config) error {
		r.mu.Lock()
		if other, ok := r.running[name]; ok {
			r.t.Errorf("connector %s started on %s while running on %s", name, replica, other)
		}
		r.running[name] = replica
		r.starts[name]++
		r.mu.Unlock()
		r.changed <- "start " + name + " " + replica
		<-ctx.Done()
		r.mu.Lock()
		delete(r.running, name)
		r.mu.Unlock()
		r.changed <- "stop " + name + " " + replica
		return nil
	}
}

// slowRun is run, but each run takes stop to end once its context has
// ended, as a graceful stop that closes a session does.
func (r *runs) slowRun(replica string, stop time.Duration) connectors.RunFunc {
	run := r.run(replica)
	return func(ctx context.Context, name string, cfg connectors.Config) error {
		err := run(ctx, name, cfg)
		time.Sleep(stop)
		return err
	}
}

// startSlow starts a Supervisor of replica on store, with Interval
// interval, whose runs take three Intervals to end once stopped, and
// returns its stop function.
func (r *runs) startSlow(t *testing.T, ctx context.Context, store connectors.Watcher, replica string, interval time.Duration) func() {
	return startSupervisor(t, ctx, connectors.NewSupervisor(store, r.slowRun(replica, 3*interval), fastOptions(replica, interval)))
}

// where returns who runs each connector now.
func (r *runs) where() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]string{}
	for k, v := range r.running {
		out[k] = v
	}
	return out
}

// expect waits for the lines, in any order, and fails on others.
func (r *runs) expect(lines ...string) {
	r.t.Helper()
	want := map[string]bool{}
	for _, l := range lines {
		want[l] = true
	}
	timeout := time.After(5 * time.Second)
	for len(want) > 0 {
		select {
		case l := <-r.changed:
			if !want[l] {
				r.t.Fatalf("unexpected %q while waiting for %v", l, want)
			}
			delete(want, l)
		case <-timeout:
			r.t.Fatalf("still waiting for %v", want)
		}
	}
}

// quiet fails if anything starts or stops within d.
func (r *runs) quiet(d time.Duration) {
	r.t.Helper()
	select {
	case l := <-r.changed:
		r.t.Fatalf("unexpected %q", l)
	case <-time.After(d):
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// checkGoroutines fails if more goroutines run at the end of the test
// than at its start.
func checkGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		for deadline := time.Now().Add(2 * time.Second); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Errorf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
				return
			}
		}
	})
}

// storeOf returns a MemoryStore holding n connectors, c0 to c<n-1>.
func storeOf(t *testing.T, n int) *connectors.MemoryStore {
	store := &connectors.MemoryStore{}
	for i := range n {
		if err := store.Put(t.Context(), fmt.Sprintf("c%d", i), connectors.Config{"n": int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	return store
}

// fastOptions are the options of replica for a test: interval, and a
// short backoff.
func fastOptions(replica string, interval time.Duration) connectors.SupervisorOptions {
	return connectors.SupervisorOptions{Replica: replica, Interval: interval, MinBackoff: 10 * time.Millisecond}
}

func startSupervisor(t *testing.T, ctx context.Context, sup *connectors.Supervisor) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func TestSupervisorStartsRestartsStops(t *testing.T) {
	checkGoroutines(t)
	ctx := t.Context()
	store := &connectors.MemoryStore{}
	store.Put(ctx, "a", connectors.Config{"botToken": "1:A"})
	store.Put(ctx, "b", connectors.Config{"botToken": "2:B"})
	r := newRuns(t)
	sup := connectors.NewSupervisor(onlyWatcher{store}, r.run("r1"), connectors.SupervisorOptions{Replica: "r1", MinBackoff: 10 * time.Millisecond})
	stop := startSupervisor(t, ctx, sup)
	r.expect("start a r1", "start b r1")

	store.Put(ctx, "b", connectors.Config{"botToken": "2:C"})
	r.expect("stop b r1", "start b r1")
	store.Put(ctx, "b", connectors.Config{"botToken": "2:C"}) // no change
	store.Put(ctx, "c", connectors.Config{"botToken": "3:C"})
	r.expect("start c r1")
	store.Delete(ctx, "a")
	r.expect("stop a r1")
	r.quiet(50 * time.Millisecond)

	waitFor(t, "b running", func() bool {
		st, err := sup.Status(ctx)
		return err == nil && st["b"].State == connectors.Running
	})
	st, _ := sup.Status(ctx)
	if st["b"].Restarts != 1 || st["b"].Replica != "r1" || st["c"].Restarts != 0 || len(st) != 2 {
		t.Errorf("status: %+v", st)
	}
	stop()
	r.expect("stop b r1", "stop c r1")
}

// onlyWatcher hides the MemoryStore's leases: the supervisor then runs
// every connector itself.
type onlyWatcher struct{ connectors.Watcher }

// TestSupervisorChangeUndoneAfterItsList: a change made after the
// supervisor subscribed and before the List it starts from, and undone
// after that List, reaches it: it ends running the config the store
// holds, and not the connector added and removed meanwhile.
func TestSupervisorChangeUndoneAfterItsList(t *testing.T) {
	checkGoroutines(t)
	ctx := t.Context()
	store := &connectors.MemoryStore{}
	store.Put(ctx, "b", connectors.Config{"v": "b1"})
	listed := make(chan struct{})
	slow := &slowList{Watcher: store, listed: listed}
	var mu sync.Mutex
	running := map[string]any{}
	run := func(ctx context.Context, name string, cfg connectors.Config) error {
		mu.Lock()
		running[name] = cfg["v"]
		mu.Unlock()
		<-ctx.Done()
		mu.Lock()
		delete(running, name)
		mu.Unlock()
		return nil
	}
	sup := connectors.NewSupervisor(slow, run, connectors.SupervisorOptions{Replica: "r1", Interval: 10 * time.Millisecond})
	stop := startSupervisor(t, ctx, sup)
	defer stop()
	waitFor(t, "the List to begin", func() bool { return slow.began.Load() })
	store.Put(ctx, "b", connectors.Config{"v": "b2"}) // before the List reads
	store.Put(ctx, "c", connectors.Config{"v": "c1"})
	<-listed
	store.Put(ctx, "b", connectors.Config{"v": "b1"}) // after it read
	store.Delete(ctx, "c")
	waitFor(t, "b running with b1 and c stopped", func() bool {
		mu.Lock()
		defer mu.Unlock()
		_, c := running["c"]
		return running["b"] == "b1" && !c
	})
}

// slowList is a Watcher whose first List takes a while before it reads
// the store, and after, as a database's does; listed is closed when it
// has read.
type slowList struct {
	connectors.Watcher
	began  atomic.Bool
	listed chan struct{}
	once   sync.Once
}

func (s *slowList) List(ctx context.Context) (map[string]connectors.Config, error) {
	first := !s.began.Swap(true)
	if first {
		time.Sleep(50 * time.Millisecond)
	}
	m, err := s.Watcher.List(ctx)
	if first {
		s.once.Do(func() { close(s.listed) })
		time.Sleep(50 * time.Millisecond)
	}
	return m, err
}

func TestSupervisorBackoff(t *testing.T) {
	checkGoroutines(t)
	ctx := t.Context()
	store := &connectors.MemoryStore{}
	store.Put(ctx, "tg", connectors.Config{"botToken": "123456:SECRET-TOKEN-VALUE", "webhook": "https://user:hunter2pass@example.com/x"})
	var mu sync.Mutex
	var calls []time.Time
	fail := func(ctx context.Context, name string, cfg connectors.Config) error {
		mu.Lock()
		calls = append(calls, time.Now())
		mu.Unlock()
		return fmt.Errorf("getMe: 401 for https://api.telegram.org/bot%s/getMe via %s", cfg["botToken"], cfg["webhook"])
	}
	min, max := 40*time.Millisecond, 160*time.Millisecond
	sup := connectors.NewSupervisor(store, fail, connectors.SupervisorOptions{Replica: "r1", MinBackoff: min, MaxBackoff: max})
	stop := startSupervisor(t, ctx, sup)
	waitFor(t, "6 calls", func() bool { mu.Lock(); defer mu.Unlock(); return len(calls) >= 6 })
	st, err := sup.Status(ctx)
	stop()
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// The delays double from min and stay at max: 40, 80, 160, 160, 160
	// ms. The bounds below are loose for a loaded machine, but a delay
	// that did not double is short, and one past the cap (320, 640) long.
	for i, want := range []time.Duration{min, 2 * min, max, max, max} {
		got := calls[i+1].Sub(calls[i])
		if got < want || got > want+250*time.Millisecond {
			t.Errorf("delay %d: %v, want about %v", i, got, want)
		}
	}
	s := st["tg"]
	if s.State != connectors.Backoff && s.State != connectors.Starting || s.Restarts < 4 {
		t.Errorf("status: %+v", s)
	}
	for _, secret := range []string{"SECRET-TOKEN-VALUE", "123456", "hunter2pass"} {
		if strings.Contains(s.Error, secret) {
			t.Errorf("status error shows a secret: %q", s.Error)
		}
	}
	if !strings.Contains(s.Error, "getMe: 401 for https://api.telegram.org/bot") {
		t.Errorf("status error lost its message: %q", s.Error)
	}
}

// TestSupervisorReplicas: three supervisors on one store that lends
// leases run each connector exactly once, spread over them; when one
// stops, the others take its connectors; all report the same status.
func TestSupervisorReplicas(t *testing.T) {
	checkGoroutines(t)
	ctx := t.Context()
	store := storeOf(t, 7)
	r := newRuns(t)
	opts := func(name string) connectors.SupervisorOptions { return fastOptions(name, 20*time.Millisecond) }
	sups := map[string]*connectors.Supervisor{}
	stops := map[string]func(){}
	for _, name := range []string{"r1", "r2", "r3"} {
		sups[name] = connectors.NewSupervisor(store, r.run(name), opts(name))
		stops[name] = startSupervisor(t, ctx, sups[name])
	}
	spread := func() bool {
		w := r.where()
		per := map[string]int{}
		for _, rep := range w {
			per[rep]++
		}
		for _, rep := range []string{"r1", "r2", "r3"} {
			if per[rep] < 2 || per[rep] > 3 { // 7 over 3: 3, 2 and 2
				return false
			}
		}
		return len(w) == 7
	}
	waitFor(t, "7 connectors spread over 3 replicas", spread)

	// The same status on every replica.
	waitFor(t, "the same status everywhere", func() bool {
		var first map[string]connectors.ConnectorStatus
		for _, s := range sups {
			st, err := s.Status(ctx)
			if err != nil || len(st) != 7 {
				return false
			}
			for _, c := range st {
				if c.State != connectors.Running {
					return false
				}
			}
			if first != nil && fmt.Sprint(first) != fmt.Sprint(st) {
				return false
			}
			first = st
		}
		return true
	})

	// A change restarts the connector on its owner only.
	owner := r.where()["c3"]
	for len(r.changed) > 0 {
		<-r.changed
	}
	store.Put(ctx, "c3", connectors.Config{"n": int64(33)})
	r.expect("stop c3 "+owner, "start c3 "+owner)

	// One replica stops: the others take its connectors.
	gone := r.where()["c0"]
	stops[gone]()
	delete(stops, gone)
	waitFor(t, "every connector running on the two left", func() bool {
		w := r.where()
		if len(w) != 7 {
			return false
		}
		for _, rep := range w {
			if rep == gone {
				return false
			}
		}
		return true
	})
	for _, stop := range stops {
		stop()
	}
	if w := r.where(); len(w) != 0 {
		t.Errorf("still running after every supervisor stopped: %v", w)
	}
	leases, _ := store.Leases(ctx)
	if len(leases) != 0 {
		t.Errorf("leases left: %v", leases)
	}
}

// TestSupervisorJoinSettles: a replica that joins replicas running their
// shares gets work, and the hand-over settles, even with run functions
// that take several Intervals to stop: the connector handed over goes to
// the replica short of its floor, not back to the one that gave it up
// (which, with a tick queued while it waited for the stop, took it back
// at once, for ever).
func TestSupervisorJoinSettles(t *testing.T) {
	ctx := t.Context()
	store := storeOf(t, 4)
	const interval = 50 * time.Millisecond
	r := newRuns(t)
	count := func() map[string]int {
		per := map[string]int{}
		for _, rep := range r.where() {
			per[rep]++
		}
		return per
	}
	defer r.startSlow(t, ctx, store, "a", interval)()
	waitFor(t, "a running all four", func() bool { return count()["a"] == 4 })
	defer r.startSlow(t, ctx, store, "b", interval)()
	waitFor(t, "a and b running two each", func() bool { c := count(); return c["a"] == 2 && c["b"] == 2 })
	defer r.startSlow(t, ctx, store, "c", interval)()
	waitFor(t, "c running one, all four running", func() bool {
		c := count()
		return c["c"] == 1 && c["a"]+c["b"]+c["c"] == 4
	})
	for len(r.changed) > 0 {
		<-r.changed
	}
	r.quiet(20 * interval)
}

// TestSupervisorJoinAtOnce: replicas that join at once get their shares,
// and only the connectors that must move start again. The replica that
// hands connectors over reads the leases just after each slow stop, while
// the connector it freed is not yet taken; it counted the replica short
// of its floor as short still, and stopped one connector more than the
// counts needed (which it then took back and started again).
func TestSupervisorJoinAtOnce(t *testing.T) {
	ctx := t.Context()
	store := storeOf(t, 4)
	const interval = 50 * time.Millisecond
	r := newRuns(t)
	defer r.startSlow(t, ctx, store, "a", interval)()
	r.expect("start c0 a", "start c1 a", "start c2 a", "start c3 a")
	defer r.startSlow(t, ctx, store, "b", interval)()
	defer r.startSlow(t, ctx, store, "c", interval)()

	// 4 over 3 replicas: a keeps 2 and hands 2 over, one to b and one to
	// c, so 2 connectors start again, once each. Wait until nothing
	// starts or stops for 20 Intervals (a hand-over takes 3 or 4).
	restarts := 0
	for settled := false; !settled; {
		select {
		case l := <-r.changed:
			if strings.HasPrefix(l, "start ") {
				restarts++
			}
		case <-time.After(20 * interval):
			settled = true
		}
	}
	per := map[string]int{}
	for _, rep := range r.where() {
		per[rep]++
	}
	if restarts != 2 || per["a"] != 2 || per["b"] != 1 || per["c"] != 1 {
		t.Errorf("%d connectors started again, and they run %v; want 2, and a:2 b:1 c:1", restarts, per)
	}
}

// TestSupervisorUnreadableReplica: a replica that cannot read the store
// (a wrong sealing key, say) does not count among the replicas, so the
// others run every connector instead of keeping a share for it.
func TestSupervisorUnreadableReplica(t *testing.T) {
	ctx := t.Context()
	store := storeOf(t, 4)
	r := newRuns(t)
	opts := func(name string) connectors.SupervisorOptions { return fastOptions(name, 20*time.Millisecond) }
	defer startSupervisor(t, ctx, connectors.NewSupervisor(store, r.run("a"), opts("a")))()
	defer startSupervisor(t, ctx, connectors.NewSupervisor(store, r.run("b"), opts("b")))()
	waitFor(t, "four running", func() bool { return len(r.where()) == 4 })
	c := unreadable{store, new(atomic.Int64)}
	defer startSupervisor(t, ctx, connectors.NewSupervisor(c, r.run("c"), opts("c")))()
	waitFor(t, "c to try to read the store three times", func() bool { return c.lists.Load() >= 3 })
	waitFor(t, "four running on a and b", func() bool { return len(r.where()) == 4 })
	leases, err := store.Leases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := leases["replica/c"]; ok {
		t.Errorf("the replica that cannot read the store holds its replica lease")
	}
}

// unreadable is a store whose List fails, and whose leases work.
type unreadable struct {
	*connectors.MemoryStore
	lists *atomic.Int64 // calls of List
}

func (u unreadable) List(context.Context) (map[string]connectors.Config, error) {
	u.lists.Add(1)
	return nil, connectors.ErrUnavailable
}

func TestSupervisorReplicaNameInUse(t *testing.T) {
	ctx := t.Context()
	store := &connectors.MemoryStore{}
	if _, err := store.TryLease(ctx, "replica/r1", "r1"); err != nil {
		t.Fatal(err)
	}
	sup := connectors.NewSupervisor(store, newRuns(t).run("r1"), connectors.SupervisorOptions{Replica: "r1", Interval: 10 * time.Millisecond})
	if err := sup.Run(ctx); err == nil || !strings.Contains(err.Error(), `"r1" is in use`) {
		t.Fatalf("Run with its name held: %v", err)
	}
}

// TestSupervisorBadReplicaName: Run refuses a replica name that no store
// need hold (a NUL byte, which PostgreSQL's text refuses, would otherwise
// be retried as an unavailable store for ever).
func TestSupervisorBadReplicaName(t *testing.T) {
	for _, name := range []string{"web\x001", "a\nb", strings.Repeat("r", 129), "\xff"} {
		sup := connectors.NewSupervisor(&connectors.MemoryStore{}, newRuns(t).run(name), connectors.SupervisorOptions{Replica: name})
		if err := sup.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "replica name must be") {
			t.Errorf("Run with replica name %q: %v", name, err)
		}
	}
}

// TestHandlerStatus: the Handler serves the supervisor's status at
// /status under its token, with the documented fields, secrets masked.
func TestHandlerStatus(t *testing.T) {
	checkGoroutines(t)
	ctx := t.Context()
	store := &connectors.MemoryStore{}
	store.Put(ctx, "ok", connectors.Config{"x": "1"})
	store.Put(ctx, "bad", connectors.Config{"apiKey": "sk-live-0123456789"})
	run := func(ctx context.Context, name string, cfg connectors.Config) error {
		if name == "bad" {
			return fmt.Errorf("auth failed for key %s", cfg["apiKey"])
		}
		<-ctx.Done()
		return nil
	}
	sup := connectors.NewSupervisor(store, run, connectors.SupervisorOptions{Replica: "web-1", MinBackoff: 10 * time.Millisecond, MaxBackoff: time.Hour})
	stop := startSupervisor(t, ctx, sup)
	defer stop()
	srv := httptest.NewServer(connectors.NewHandler(store, connectors.HandlerOptions{Token: "t0ken", Supervisor: sup}))
	defer srv.Close()

	get := func(token string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+"/status", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, _ := get(""); code != http.StatusUnauthorized {
		t.Fatalf("GET /status without the token: %d", code)
	}
	var body struct {
		Connectors map[string]map[string]any `json:"connectors"`
	}
	waitFor(t, "ok running, bad in backoff", func() bool {
		code, text := get("t0ken")
		if code != http.StatusOK || json.Unmarshal([]byte(text), &body) != nil {
			return false
		}
		return body.Connectors["ok"]["state"] == "running" && body.Connectors["bad"]["state"] == "backoff"
	})
	_, text := get("t0ken")
	if strings.Contains(text, "0123456789") {
		t.Errorf("status shows a secret: %s", text)
	}
	ok, bad := body.Connectors["ok"], body.Connectors["bad"]
	if ok["replica"] != "web-1" || ok["restarts"] != float64(0) || ok["error"] != nil {
		t.Errorf("ok: %v", ok)
	}
	if since, err := time.Parse(time.RFC3339, fmt.Sprint(ok["since"])); err != nil || time.Since(since) > time.Minute {
		t.Errorf("ok since: %v (%v)", ok["since"], err)
	}
	if bad["error"] != "auth failed for key ****" {
		t.Errorf("bad: %v", bad)
	}
}

func TestRedactText(t *testing.T) {
	cfg := connectors.Config{
		"password":  "ab1:cd2:ef3:gh4",
		"botToken":  "123456789:AAE-secret/part",
		"webhook":   "https://hook:pa55word@example.com/x?token=s3cr%2Ft0ken&page=2",
		"nested":    map[string]any{"apiKey": "sk-nested-value"},
		"apiSecret": int64(778899001122),
		"name":      "support bot",
	}
	msg := `auth failed: password "ab1:cd2:ef3:gh4" rejected; token 123456789:AAE-secret/part` +
		` (quoted "123456789:AAE-secret%2Fpart", escaped 123456789%3AAAE-secret%2Fpart);` +
		` POST https://hook:pa55word@example.com/x?token=s3cr%2Ft0ken failed, token s3cr/t0ken;` +
		` key sk-nested-value; pin 778899001122; for support bot`
	got := connectors.RedactText(msg, cfg)
	for _, secret := range []string{"ab1:cd2", "123456789", "AAE-secret", "pa55word", "s3cr", "sk-nested-value", "778899001122"} {
		if strings.Contains(got, secret) {
			t.Errorf("RedactText left %q in:\n%s", secret, got)
		}
	}
	if !strings.Contains(got, "for support bot") || !strings.Contains(got, "auth failed: password") {
		t.Errorf("RedactText masked what is no secret:\n%s", got)
	}
	// A credential is taken from the URL itself, whatever it holds.
	odd0 := connectors.Config{"webhook": "https://u:pass@word@****h/x"}
	if got := connectors.RedactText("auth with pass@word failed", odd0); got != "auth with **** failed" {
		t.Errorf("RedactText with a password holding @ and a host holding ****: %s", got)
	}
	// As JSON quotes it (escaping <, > and &), and cut short or joined to
	// other text: no piece of 8 bytes is left.
	const password, token = "p<ss>w&rd-9f8e7d6c5b4a", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	body, _ := json.Marshal(map[string]string{"password": password})
	pieces := connectors.Config{"password": password, "botToken": token}
	for _, msg := range []string{
		"request " + string(body) + " refused",
		"token " + token[:24] + "... rejected",
		"token ending in " + token[len(token)-12:] + " rejected",
		"bot" + token + "/getMe",
	} {
		got := connectors.RedactText(msg, pieces)
		for _, secret := range []string{password, token} {
			for i := 0; i+8 <= len(secret); i++ {
				if strings.Contains(got, secret[i:i+8]) {
					t.Errorf("RedactText left %q of a secret in %q", secret[i:i+8], got)
					break
				}
			}
		}
	}
	// A piece never splits a character, and a webhook URL's scheme and
	// host stay readable where a message names them for other reasons.
	mixed := connectors.Config{"password": "xässwörd-secret-1", "webhook_url": "https://discord.com/api/webhooks/123/tokenpart-abcdef"}
	if got := connectors.RedactText("got Ĥsswörd-secret-2 here", mixed); !utf8.ValidString(got) || strings.Contains(got, "sswörd") {
		t.Errorf("RedactText of a piece within characters: %q", got)
	}
	if got := connectors.RedactText("rate limited by https://discord.com/api/v10/gateway; hook .../123/tokenpart-abcdef", mixed); !strings.Contains(got, "https://discord.com/") || strings.Contains(got, "tokenpart") {
		t.Errorf("RedactText with a webhook URL: %q", got)
	}
	// Values outside the value model are secrets too.
	odd := map[string]any{"tokens": []string{"first-secret-token"}}
	if got := connectors.RedactText("bad first-secret-token", odd); strings.Contains(got, "first-secret") {
		t.Errorf("RedactText of a []string: %s", got)
	}
}

func TestSupervisorRunsOnce(t *testing.T) {
	store := &connectors.MemoryStore{}
	sup := connectors.NewSupervisor(store, newRuns(t).run("r1"), connectors.SupervisorOptions{Replica: "r1"})
	stop := startSupervisor(t, t.Context(), sup)
	defer stop()
	waitFor(t, "the first Run to join", func() bool { l, _ := store.Leases(t.Context()); return len(l) == 1 })
	if err := sup.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "running already") {
		t.Errorf("a second Run: %v", err)
	}
}

func TestSupervisorRecoversPanic(t *testing.T) {
	checkGoroutines(t)
	ctx := t.Context()
	store := &connectors.MemoryStore{}
	store.Put(ctx, "tg", connectors.Config{"botToken": "123456:PANIC-SECRET"})
	run := func(ctx context.Context, name string, cfg connectors.Config) error {
		panic("bad token " + cfg["botToken"].(string))
	}
	sup := connectors.NewSupervisor(store, run, connectors.SupervisorOptions{MinBackoff: 10 * time.Millisecond, MaxBackoff: time.Hour})
	stop := startSupervisor(t, ctx, sup)
	defer stop()
	waitFor(t, "a failure in the status", func() bool {
		st, _ := sup.Status(ctx)
		return st["tg"].Error != ""
	})
	st, _ := sup.Status(ctx)
	if got := st["tg"].Error; got != "panic: bad token ****" {
		t.Errorf("status error: %q", got)
	}
}

// TestHandlerStatusPolicy: /status masks with the Handler's policy too,
// whatever policy the replica that failed used.
func TestHandlerStatusPolicy(t *testing.T) {
	ctx := t.Context()
	store := &connectors.MemoryStore{}
	store.Put(ctx, "door", connectors.Config{"pinCode": "778899001122"})
	run := func(ctx context.Context, name string, cfg connectors.Config) error {
		return fmt.Errorf("pin %s refused", cfg["pinCode"])
	}
	sup := connectors.NewSupervisor(store, run, connectors.SupervisorOptions{MinBackoff: 10 * time.Millisecond, MaxBackoff: time.Hour})
	stop := startSupervisor(t, ctx, sup)
	defer stop()
	h := connectors.NewHandler(store, connectors.HandlerOptions{Supervisor: sup, Policy: &connectors.Policy{Keys: []string{"pinCode"}}})
	waitFor(t, "a failure in the status", func() bool {
		st, _ := sup.Status(ctx)
		return st["door"].Error != ""
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/status", nil))
	if body := rec.Body.String(); rec.Code != 200 || strings.Contains(body, "778899001122") || !strings.Contains(body, "pin **** refused") {
		t.Errorf("GET /status: %d %s", rec.Code, body)
	}
}

// TestSupervisorRunGoexit: a run function that ends its goroutine with
// runtime.Goexit (as t.Fatal in a run function does) returns before its
// context ends, a failure like any other: the connector is started again
// after a backoff, and Run returns when stopped. Goexit recovers no panic
// and sends no result, so the run was taken as still running, for ever:
// never started again, and Run waited for it at the end.
func TestSupervisorRunGoexit(t *testing.T) {
	checkGoroutines(t)
	ctx := t.Context()
	store := &connectors.MemoryStore{}
	store.Put(ctx, "tg", connectors.Config{"x": "1"})
	var calls atomic.Int64
	run := func(ctx context.Context, name string, cfg connectors.Config) error {
		calls.Add(1)
		runtime.Goexit()
		return nil
	}
	sup := connectors.NewSupervisor(store, run, connectors.SupervisorOptions{Replica: "r1", MinBackoff: 10 * time.Millisecond})
	stop := startSupervisor(t, ctx, sup)
	waitFor(t, "the run function called three times", func() bool { return calls.Load() >= 3 })
	st, err := sup.Status(ctx)
	if err != nil || !strings.Contains(st["tg"].Error, "Goexit") {
		t.Errorf("status: %+v, %v; want an error naming Goexit", st["tg"], err)
	}
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of its context's end")
	}
}

// TestSupervisorChurn puts, changes and deletes connectors at random
// while supervisors of five replicas start and stop at random, on one
// MemoryStore, or on FileStores of one file, one per replica, which learn
// of each other's writes by polling. No connector ever runs twice at
// once; once the churn ends, every connector of the store runs, with its
// newest config, and nothing else runs; once every supervisor has
// stopped, nothing runs and no lease is held. CONNECTORS_STRESS=n runs n
// times as many steps.
func TestSupervisorChurn(t *testing.T) {
	tests := []struct {
		name string
		// stores returns the store written to and a function that
		// returns a store of replica i (the same store, or another on
		// the same data).
		stores func(t *testing.T) (connectors.Leaser, func(i int) connectors.Watcher)
	}{
		{"MemoryStore", func(t *testing.T) (connectors.Leaser, func(int) connectors.Watcher) {
			store := &connectors.MemoryStore{}
			return store, func(int) connectors.Watcher { return store }
		}},
		{"FileStore", func(t *testing.T) (connectors.Leaser, func(int) connectors.Watcher) {
			path := filepath.Join(t.TempDir(), "agent.toml")
			store := openFileStoreForTest(t, path, connectors.FileOptions{})
			replicas := map[int]*connectors.FileStore{}
			return store, func(i int) connectors.Watcher {
				if replicas[i] == nil {
					replicas[i] = openFileStoreForTest(t, path, connectors.FileOptions{PollInterval: 10 * time.Millisecond})
				}
				return replicas[i]
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkGoroutines(t)
			store, replicaStore := tt.stores(t)
			testSupervisorChurn(t, store, replicaStore)
		})
	}
}

func testSupervisorChurn(t *testing.T, store connectors.Leaser, replicaStore func(i int) connectors.Watcher) {
	steps := 300
	if n, err := strconv.Atoi(os.Getenv("CONNECTORS_STRESS")); err == nil && n > 1 {
		steps *= n
	}
	ctx := t.Context()
	var mu sync.Mutex
	running := map[string]connectors.Config{} // connector -> the config it runs with
	run := func(replica string) connectors.RunFunc {
		return func(ctx context.Context, name string, cfg connectors.Config) error {
			mu.Lock()
			if _, ok := running[name]; ok {
				t.Errorf("%s started %s while it runs elsewhere", replica, name)
			}
			running[name] = cfg
			mu.Unlock()
			<-ctx.Done()
			mu.Lock()
			delete(running, name)
			mu.Unlock()
			return nil
		}
	}
	start := func(i int) func() {
		replica := fmt.Sprint("r", i)
		return startSupervisor(t, ctx, connectors.NewSupervisor(replicaStore(i), run(replica), fastOptions(replica, 5*time.Millisecond)))
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed) // shown on failure
	rnd := rand.New(rand.NewPCG(seed, 0))
	stops := make([]func(), 5)
	for step := range steps {
		name := fmt.Sprint("c", rnd.IntN(8))
		switch op := rnd.IntN(10); {
		case op < 5:
			if err := store.Put(ctx, name, connectors.Config{"step": int64(step)}); err != nil {
				t.Fatal(err)
			}
		case op < 7:
			if err := store.Delete(ctx, name); err != nil {
				t.Fatal(err)
			}
		default:
			i := rnd.IntN(len(stops))
			if stops[i] != nil {
				stops[i]()
				stops[i] = nil
			} else {
				stops[i] = start(i)
			}
		}
		time.Sleep(time.Duration(rnd.IntN(3)) * time.Millisecond)
	}
	if stops[0] == nil {
		stops[0] = start(0)
	}
	want, err := store.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every connector running with its newest config", func() bool {
		mu.Lock()
		defer mu.Unlock()
		if len(running) != len(want) {
			return false
		}
		for name, cfg := range want {
			if got, ok := running[name]; !ok || !connectors.EqualConfig(got, cfg) {
				return false
			}
		}
		return true
	})
	for _, stop := range stops {
		if stop != nil {
			stop()
		}
	}
	mu.Lock()
	if len(running) != 0 {
		t.Errorf("running after every supervisor stopped: %v", running)
	}
	mu.Unlock()
	if leases, _ := store.Leases(ctx); len(leases) != 0 {
		t.Errorf("leases held after every supervisor stopped: %v", leases)
	}
}

// TestSupervisorStoppedWhileJoiningWarnsNothing: a supervisor stopped
// while it takes its replica lease logs no warning. The lease's failure
// with the context's error was taken for a store out of reach.
func TestSupervisorStoppedWhileJoiningWarnsNothing(t *testing.T) {
	var logs syncBuffer
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	sup := connectors.NewSupervisor(storeOf(t, 1), newRuns(t).run("r1"), connectors.SupervisorOptions{
		Replica: "r1",
		Logger:  slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err := sup.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if s := logs.String(); s != "" {
		t.Errorf("warnings of a supervisor stopped as it started:\n%s", s)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// gatedLeases is a MemoryStore whose Leases, once gated, waits for the
// test: it says it has been called on arrive, then waits on proceed. A
// supervisor reads the leases once per reconciliation, at its start, so
// the test lets through one reconciliation at a time.
type gatedLeases struct {
	*connectors.MemoryStore
	gated            atomic.Bool
	arrive, proceeds chan struct{}
}

func newGatedLeases(store *connectors.MemoryStore) *gatedLeases {
	return &gatedLeases{MemoryStore: store, arrive: make(chan struct{}), proceeds: make(chan struct{})}
}

func (g *gatedLeases) Leases(ctx context.Context) (map[string]connectors.LeaseInfo, error) {
	if g.gated.Load() {
		select {
		case g.arrive <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		select {
		case <-g.proceeds:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.MemoryStore.Leases(ctx)
}

// TestSupervisorTakeoverInOneInterval: when a replica stops or dies, the
// others take all its connectors at their next reconciliation, within an
// Interval, as documented. With 7 connectors on 3 replicas (3, 2, 2) and
// the one with 3 gone, each of the two left took only up to the floor of
// the new share (3), and the last connector waited for another Interval.
func TestSupervisorTakeoverInOneInterval(t *testing.T) {
	ctx := t.Context()
	store := storeOf(t, 7)
	r := newRuns(t)
	gates := map[string]*gatedLeases{}
	stops := map[string]func(){}
	for _, name := range []string{"a", "b", "c"} {
		gates[name] = newGatedLeases(store)
		stops[name] = startSupervisor(t, ctx, connectors.NewSupervisor(gates[name], r.run(name), fastOptions(name, 5*time.Millisecond)))
	}
	per := func() map[string]int {
		out := map[string]int{}
		for _, rep := range r.where() {
			out[rep]++
		}
		return out
	}
	var gone string
	waitFor(t, "7 connectors spread 3, 2, 2", func() bool {
		gone = ""
		for rep, n := range per() {
			switch n {
			case 3:
				gone = rep
			case 2:
			default:
				return false
			}
		}
		return len(r.where()) == 7 && gone != ""
	})
	var left []string
	for rep := range gates {
		if rep != gone {
			left = append(left, rep)
			gates[rep].gated.Store(true)
		}
	}
	for _, rep := range left { // each waits at the start of a reconciliation
		<-gates[rep].arrive
	}
	stops[gone]()
	delete(stops, gone)
	for _, rep := range left { // one reconciliation each, to its end
		gates[rep].proceeds <- struct{}{}
		<-gates[rep].arrive
	}
	// No replica reconciles again until the gates open: the connectors
	// run only if those reconciliations took them all.
	waitFor(t, "all 7 connectors running after one reconciliation of each replica left", func() bool { return len(r.where()) == 7 })
	for _, rep := range left {
		gates[rep].gated.Store(false)
		gates[rep].proceeds <- struct{}{}
	}
	for _, stop := range stops {
		stop()
	}
}
