//go:build unix

// This file holds the tests of FileStore leases whose holder process
// runs another program: by exec in its place, or as a child that outlives
// it. The lease ends with the holder's program, not with the process or
// the child that inherited its descriptors.

package connectors_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/connectorkit/connectors"
)

// leaseExecEnv names what the holder process does once it holds the
// lease: "exec" (replace itself with sleep) or "spawn" (start sleep and
// wait to be killed).
const leaseExecEnv = "CONNECTORS_TEST_LEASE_EXEC"

// TestFileLeaseHolderExecs: a holder that replaces itself with another
// program (exec, as a server that updates itself does) frees its leases:
// the program that now runs in its process knows nothing of them, and
// would hold them for as long as it runs.
func TestFileLeaseHolderExecs(t *testing.T) {
	testFileLeaseHolderRunsAnother(t, "exec")
}

// TestFileLeaseHolderSpawns: a holder killed while a program it started
// runs on frees its leases at once: the child does not hold them.
func TestFileLeaseHolderSpawns(t *testing.T) {
	testFileLeaseHolderRunsAnother(t, "spawn")
}

func testFileLeaseHolderRunsAnother(t *testing.T, how string) {
	if os.Getenv(leaseExecEnv) != "" {
		t.Skip("in the holder process")
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep program")
	}
	path := filepath.Join(t.TempDir(), "agent.toml")
	store, err := connectors.NewFileStore(path, connectors.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cmd, stdout := startTestProcess(t, "TestFileLeaseHolderProcess",
		leaseExecEnv+"="+how, supervisorPathEnv+"="+path, "CONNECTORS_TEST_SLEEP="+sleep)
	defer cmd.Wait()
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	var child int // the pid of the program the holder spawned
	for lines.Scan() && !strings.HasPrefix(lines.Text(), "holding") {
	}
	if _, pid, ok := strings.Cut(lines.Text(), "holding "); ok {
		child, _ = strconv.Atoi(pid)
	}
	if !strings.HasPrefix(lines.Text(), "holding") {
		t.Fatal("the holder process did not take the lease")
	}
	if child > 0 {
		defer syscall.Kill(child, syscall.SIGKILL)
	}
	if how == "spawn" {
		cmd.Process.Kill()
		cmd.Wait()
	}
	// The holder sleeps now, by exec, or is dead with its child asleep.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		l, err := store.TryLease(t.Context(), "k", "parent")
		if err == nil {
			l.Release(t.Context())
			return
		}
		if !errors.Is(err, connectors.ErrLeaseHeld) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lease is still held 5s after its holder ran another program (%s)", how)
		}
	}
}

// TestFileLeaseHolderProcess is not a test: it is the holder process of
// TestFileLeaseHolderExecs and TestFileLeaseHolderSpawns, and returns at
// once in a normal run.
func TestFileLeaseHolderProcess(t *testing.T) {
	how := os.Getenv(leaseExecEnv)
	if how == "" {
		return
	}
	store, err := connectors.NewFileStore(os.Getenv(supervisorPathEnv), connectors.FileOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if _, err := store.TryLease(t.Context(), "k", "child"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	sleep := os.Getenv("CONNECTORS_TEST_SLEEP")
	switch how {
	case "exec":
		fmt.Println("holding")
		os.Stdout.Sync()
		err = syscall.Exec(sleep, []string{"sleep", "30"}, os.Environ())
	case "spawn":
		c := exec.Command(sleep, "30")
		if err = c.Start(); err == nil {
			fmt.Printf("holding %d\n", c.Process.Pid)
			time.Sleep(time.Minute) // until killed
		}
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(2)
}
