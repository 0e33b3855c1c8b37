//go:build unix

// This file holds the test of a replica whose process is paused for
// longer than its leases (SIGSTOP), as a stopped process or a scheduler
// that does not run it would be.

package pgstore

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/connectorkit/connectors"
)

// pausedEnv names the schema of the replica in the second process of
// TestSupervisorPausedProcess.
const pausedEnv = "PGSTORE_TEST_PAUSED_SCHEMA"

// TestSupervisorPausedProcess runs a replica in a second process, which
// runs the one connector, and stops that process (SIGSTOP) for longer
// than its lease: a replica here takes the connector over within
// LeaseTTL and a second of the pause, and once the paused process runs
// again (SIGCONT) it stops the connector, having lost the lease. (While
// it was paused it could not stop it: see the package documentation.)
func TestSupervisorPausedProcess(t *testing.T) {
	if os.Getenv(pausedEnv) != "" {
		t.Skip("in the second process, TestSupervisorPausedChild runs instead")
	}
	db := newTestDB(t)
	opts := db.options()
	opts.LeaseTTL = time.Second
	s := db.store(t, "parent", opts)
	put(t, s, "c0", connectors.Config{"n": int64(0)})

	cmd := exec.Command(os.Args[0], "-test.run=^TestSupervisorPausedChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), pausedEnv+"="+db.schema)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		for sc := bufio.NewScanner(stdout); sc.Scan(); {
			lines <- sc.Text()
		}
	}()
	expect := func(want string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the second process ended while waiting for %q", want)
				}
				if l == want {
					return
				}
			case <-timeout:
				t.Fatalf("the second process did not say %q within 10s", want)
			}
		}
	}
	expect("start c0")

	started := make(chan time.Time, 10)
	run := func(ctx context.Context, name string, cfg connectors.Config) error {
		started <- time.Now()
		<-ctx.Done()
		return nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	sup := connectors.NewSupervisor(s, run, connectors.SupervisorOptions{Replica: "parent", Interval: 50 * time.Millisecond})
	go func() { defer close(done); sup.Run(ctx) }()
	defer func() { cancel(); <-done }()

	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	paused := time.Now()
	select {
	case at := <-started:
		if d := at.Sub(paused); d > opts.LeaseTTL+time.Second {
			t.Errorf("the connector of the paused replica was taken over %v after the pause, want within %v", d, opts.LeaseTTL+time.Second)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the connector of the paused replica was not taken over within 10s")
	}
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	expect("stop c0")
	t.Logf("paused %v; the paused replica stopped the connector %v after it ran again", resumed.Sub(paused).Round(time.Millisecond), time.Since(resumed).Round(time.Millisecond))
}

// TestSupervisorPausedChild is the second process of
// TestSupervisorPausedProcess: a replica that says when it starts and
// stops a connector, until it is killed.
func TestSupervisorPausedChild(t *testing.T) {
	schema := os.Getenv(pausedEnv)
	if schema == "" {
		t.Skip("run by TestSupervisorPausedProcess")
	}
	db := &testDB{url: testURL(t), schema: schema}
	s, err := New(t.Context(), db.pool(t, "child"), Options{Schema: schema, Keys: []Key{keyA}, LeaseTTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	run := func(ctx context.Context, name string, cfg connectors.Config) error {
		fmt.Printf("start %s\n", name)
		<-ctx.Done()
		fmt.Printf("stop %s\n", name)
		return nil
	}
	sup := connectors.NewSupervisor(s, run, connectors.SupervisorOptions{Replica: "child", Interval: 50 * time.Millisecond})
	err = sup.Run(context.Background())
	fmt.Fprintln(os.Stderr, "Run returned:", err)
}
