package connectorstest_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/connectorkit/connectors"
	"github.com/connectorkit/connectors/connectorstest"
	"github.com/google/go-cmp/cmp"
)

func TestMemoryStore(t *testing.T) {
	connectorstest.Run(t, func(*testing.T) connectors.Store { return new(connectors.MemoryStore) })
}

// brokenEnv names, in the environment of a child test process, the broken
// store that TestBrokenStore runs the suite on.
const brokenEnv = "CONNECTORSTEST_BROKEN_STORE"

var brokenStores = map[string]func() connectors.Store{
	"shares configs": func() connectors.Store { return &sharingStore{m: make(map[string]connectors.Config)} },
	"drops puts":     func() connectors.Store { return new(droppingStore) },
}

// TestBrokenStore runs the suite on a broken store, and so fails. It runs
// only as the child process of TestSuiteFailsBrokenStores.
func TestBrokenStore(t *testing.T) {
	newStore, ok := brokenStores[os.Getenv(brokenEnv)]
	if !ok {
		t.Skip("runs in the child process of TestSuiteFailsBrokenStores")
	}
	connectorstest.Run(t, func(*testing.T) connectors.Store { return newStore() })
}

// TestSuiteFailsBrokenStores runs the suite on broken stores, each in a
// child process of this test binary, and checks that it fails them in
// the checks of the promises they break.
func TestSuiteFailsBrokenStores(t *testing.T) {
	tests := []struct {
		store string
		// wantFailed are the failed checks, under TestBrokenStore; nil
		// when any may fail besides those of wantAmong.
		wantFailed []string
		wantAmong  []string
	}{
		{
			store:      "shares configs",
			wantFailed: []string{"Store", "Store/ReturnsCopies"},
		},
		{
			store:     "drops puts",
			wantAmong: []string{"Store/ConcurrentWriters", "Store/RoundTrip"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.store, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenStore$")
			cmd.Env = append(os.Environ(), brokenEnv+"="+tt.store)
			out, err := cmd.CombinedOutput()
			if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) {
				t.Fatalf("child test process: error %v, want a failure; output:\n%s", err, out)
			}
			failed := failedChecks(out)
			if tt.wantFailed != nil {
				if diff := cmp.Diff(tt.wantFailed, failed); diff != "" {
					t.Errorf("failed checks (-want +got):\n%s\noutput:\n%s", diff, out)
				}
			}
			for _, name := range tt.wantAmong {
				if !slices.Contains(failed, name) {
					t.Errorf("check %s did not fail; failed: %q\noutput:\n%s", name, failed, out)
				}
			}
		})
	}
}

var failLine = regexp.MustCompile(`(?m)^\s*--- FAIL: TestBrokenStore/(\S+)`)

// failedChecks returns the names of the subtests of TestBrokenStore that
// failed, sorted, from the output of go test.
func failedChecks(out []byte) []string {
	var names []string
	for _, m := range failLine.FindAllSubmatch(out, -1) {
		names = append(names, string(m[1]))
	}
	slices.Sort(names)
	return names
}

// sharingStore is a Store that hands out the configs it holds instead of
// copies, so a caller that changes a config it got changes the store. It
// is otherwise correct.
type sharingStore struct {
	mu sync.Mutex
	m  map[string]connectors.Config
}

func (s *sharingStore) List(ctx context.Context) (map[string]connectors.Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.m), nil // the map is new, the configs are not
}

func (s *sharingStore) Get(ctx context.Context, name string) (connectors.Config, error) {
	name, err := connectors.CheckName(name)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg, ok := s.m[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", connectors.ErrNotFound, name)
	}
	return cfg, nil
}

func (s *sharingStore) Put(ctx context.Context, name string, cfg connectors.Config) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	name, err := connectors.CheckName(name)
	if err != nil {
		return err
	}
	cfg, err = connectors.NormalizeConfig(cfg)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[name] = cfg
	return nil
}

func (s *sharingStore) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	name, err := connectors.CheckName(name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, name)
	return nil
}

// droppingStore is a Store that silently drops every fifth Put. It
// wraps a MemoryStore, but is only a Store.
type droppingStore struct {
	store connectors.MemoryStore
	puts  atomic.Int64
}

func (s *droppingStore) List(ctx context.Context) (map[string]connectors.Config, error) {
	return s.store.List(ctx)
}

func (s *droppingStore) Get(ctx context.Context, name string) (connectors.Config, error) {
	return s.store.Get(ctx, name)
}

func (s *droppingStore) Put(ctx context.Context, name string, cfg connectors.Config) error {
	if s.puts.Add(1)%5 == 0 {
		return nil
	}
	return s.store.Put(ctx, name, cfg)
}

func (s *droppingStore) Delete(ctx context.Context, name string) error {
	return s.store.Delete(ctx, name)
}
