// This file holds the tests of Supervisors in several processes on one
// FileStore: replicas started and killed at random, each in a re-executed
// test binary, never run a connector twice at once, and the survivors
// take over the connectors of the dead.

package connectors_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/connectorkit/connectors"
)

// The replica in a child process: supervisorChildEnv names it, and the
// other variables say where the store and the run marks are.
const (
	supervisorChildEnv = "CONNECTORS_TEST_SUPERVISOR_CHILD"
	supervisorPathEnv  = "CONNECTORS_TEST_SUPERVISOR_PATH"
	supervisorMarksEnv = "CONNECTORS_TEST_SUPERVISOR_MARKS"
)

// processInterval is the Interval of every replica of these tests.
const processInterval = 20 * time.Millisecond

// markedRun returns a run function that holds, while it runs, an OS lock
// on a file named after the connector in marks: a lock that one process
// holds at a time among all, and that the system frees when the process
// dies, as it ends the run. A run that finds the mark held has started a
// connector that runs elsewhere: it calls twice. Once its context ends, a
// run takes two Intervals to stop, as a graceful stop does.
func markedRun(marks string, started func(name string), twice func(name string)) connectors.RunFunc {
	return func(ctx context.Context, name string, cfg connectors.Config) error {
		mark := flock.New(filepath.Join(marks, strconv.Quote(name)))
		ok, err := mark.TryLock()
		if err != nil {
			return err
		}
		if !ok {
			twice(name)
			return fmt.Errorf("%s runs elsewhere", name)
		}
		defer mark.Unlock()
		started(name)
		<-ctx.Done()
		time.Sleep(2 * processInterval) // a graceful stop takes a while
		return nil
	}
}

// TestSupervisorChildProcess is not a test: it is the body of the child
// replicas of TestSupervisorProcessesKilled, and returns at once in a
// normal run. It runs a Supervisor until it is killed, printing "start
// <name>" for each run and exiting with status 3 if a connector it starts
// runs in another process.
func TestSupervisorChildProcess(t *testing.T) {
	replica := os.Getenv(supervisorChildEnv)
	if replica == "" {
		return
	}
	store, err := connectors.NewFileStore(os.Getenv(supervisorPathEnv), connectors.FileOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex // one line at a time on stdout
	run := markedRun(os.Getenv(supervisorMarksEnv),
		func(name string) { mu.Lock(); fmt.Printf("start %s\n", name); mu.Unlock() },
		func(name string) {
			mu.Lock()
			fmt.Printf("twice %s\n", name)
			os.Exit(3)
		})
	sup := connectors.NewSupervisor(store, run, fastOptions(replica, processInterval))
	err = sup.Run(context.Background())
	fmt.Fprintln(os.Stderr, "Run returned:", err)
	os.Exit(2)
}

// A childReplica is a replica running in a child process.
type childReplica struct {
	name   string
	cmd    *exec.Cmd
	starts chan string // the connectors it started, as it says
	out    strings.Builder
	done   chan struct{} // closed when its output ends
}

// startTestProcess starts this test binary again, running only the test
// named, with env added to its environment, and returns it with its
// standard output. Its standard error is the test's.
func startTestProcess(t *testing.T, test string, env ...string) (*exec.Cmd, io.ReadCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, stdout
}

// startChild starts replica name in a child process on the store at path.
func startChild(t *testing.T, name, path, marks string) *childReplica {
	t.Helper()
	cmd, stdout := startTestProcess(t, "TestSupervisorChildProcess",
		supervisorChildEnv+"="+name, supervisorPathEnv+"="+path, supervisorMarksEnv+"="+marks)
	c := &childReplica{name: name, cmd: cmd, starts: make(chan string, 1000), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			c.out.WriteString(lines.Text() + "\n")
			if n, ok := strings.CutPrefix(lines.Text(), "start "); ok {
				c.starts <- n
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	t.Cleanup(func() { c.kill(t) })
	return c
}

// kill kills the child, waits for it, and fails t if it found a connector
// it started running elsewhere.
func (c *childReplica) kill(t *testing.T) {
	if c.cmd.ProcessState != nil {
		return
	}
	c.cmd.Process.Kill() // SIGKILL: no chance to release anything
	<-c.done
	c.cmd.Wait()
	if code := c.cmd.ProcessState.ExitCode(); code != -1 {
		t.Errorf("replica %s exited with status %d before it was killed:\n%s", c.name, code, c.out.String())
	}
}

// TestSupervisorProcessesKilled: replicas in child processes join two
// replicas in this process and are killed at random, by SIGKILL, a few
// at a time. No connector ever runs in two processes at once (each run
// holds an OS lock named after its connector), and when the last child
// is killed the replicas here run every connector again. CONNECTORS_STRESS=n
// runs n times as many steps.
func TestSupervisorProcessesKilled(t *testing.T) {
	if os.Getenv(supervisorChildEnv) != "" {
		t.Skip("in a child replica")
	}
	steps := 8
	if n, err := strconv.Atoi(os.Getenv("CONNECTORS_STRESS")); err == nil && n > 1 {
		steps *= n
	}
	ctx := t.Context()
	dir := t.TempDir()
	path, marks := filepath.Join(dir, "agent.toml"), filepath.Join(dir, "marks")
	if err := os.Mkdir(marks, 0o700); err != nil {
		t.Fatal(err)
	}
	store, err := connectors.NewFileStore(path, connectors.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	const n = 6
	for i := range n {
		if err := store.Put(ctx, fmt.Sprintf("c%d", i), connectors.Config{"n": int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	here := map[string]bool{}
	run := markedRun(marks,
		func(name string) { mu.Lock(); here[name] = true; mu.Unlock() },
		func(name string) { t.Errorf("%s started here while it runs in a child", name) })
	tracked := func(ctx context.Context, name string, cfg connectors.Config) error {
		err := run(ctx, name, cfg)
		mu.Lock()
		delete(here, name)
		mu.Unlock()
		return err
	}
	// Two replicas here, on two stores of the one file: their leases, OS
	// locks on files, hold between them as between processes.
	second, err := connectors.NewFileStore(path, connectors.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	defer startSupervisor(t, ctx, connectors.NewSupervisor(store, tracked, fastOptions("parent-1", processInterval)))()
	defer startSupervisor(t, ctx, connectors.NewSupervisor(second, tracked, fastOptions("parent-2", processInterval)))()
	runsHere := func() int { mu.Lock(); defer mu.Unlock(); return len(here) }
	waitFor(t, "every connector running here", func() bool { return runsHere() == n })

	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed) // shown on failure
	rnd := rand.New(rand.NewPCG(seed, 0))
	var live []*childReplica
	for step := range steps {
		if len(live) < 3 && (len(live) == 0 || rnd.IntN(2) == 0) {
			c := startChild(t, fmt.Sprintf("child-%d", step), path, marks)
			select { // killed once it runs something, or a little after
			case <-c.starts:
			case <-time.After(5 * time.Second):
				t.Fatalf("replica %s started nothing within 5s:\n%s", c.name, c.out.String())
			}
			live = append(live, c)
			time.Sleep(time.Duration(rnd.IntN(5)) * processInterval)
			continue
		}
		i := rnd.IntN(len(live))
		live[i].kill(t)
		live = append(live[:i], live[i+1:]...)
	}
	for _, c := range live {
		c.kill(t)
	}
	waitFor(t, "every connector running here again", func() bool { return runsHere() == n })
}
