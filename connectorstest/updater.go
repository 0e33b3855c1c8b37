// This file checks the promises of connectors.Updater.

package connectorstest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/connectorkit/connectors"
)

var updaterChecks = []check[connectors.Updater]{
	{"SeesEverything", testUpdateSeesEverything},
	{"StoresChanges", testUpdateStoresChanges},
	{"Error", testUpdateError},
	{"Invalid", testUpdateInvalid},
	{"Concurrent", testUpdateConcurrent},
	{"CancelledContext", testUpdateCancelledContext},
}

// errRefused is what the checks' functions return to refuse a change.
var errRefused = errors.New("connectorstest: refused")

// copyAll returns a deep copy of m, for a function passed to Update or
// Edit, which may not keep what it is given.
func copyAll(m map[string]connectors.Config) map[string]connectors.Config {
	out := make(map[string]connectors.Config, len(m))
	for name, cfg := range m {
		out[name] = connectors.CloneConfig(cfg)
	}
	return out
}

func testUpdateSeesEverything(t *testing.T, s connectors.Updater) {
	want := map[string]connectors.Config{
		"a": sample(),
		"b": {"n": int64(2)},
		"c": {},
	}
	for name, cfg := range want {
		mustPut(t, s, name, cfg)
	}
	var seen map[string]connectors.Config
	err := s.Update(t.Context(), func(m map[string]connectors.Config) error {
		seen = copyAll(m)
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if diff := cmpDiff(want, seen); diff != "" {
		t.Errorf("Update's function saw (-want +got):\n%s", diff)
	}
	wantList(t, s, want)
}

// testUpdateStoresChanges replaces, deletes, removes by nil and adds in
// one Update.
func testUpdateStoresChanges(t *testing.T, s connectors.Updater) {
	for _, name := range []string{"replaced", "deleted", "nil", "kept"} {
		mustPut(t, s, name, connectors.Config{"name": name})
	}
	err := s.Update(t.Context(), func(m map[string]connectors.Config) error {
		m["replaced"] = connectors.Config{"new": true}
		delete(m, "deleted")
		m["nil"] = nil
		m["added"] = connectors.Config{"n": 1, "absent": nil}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	wantList(t, s, map[string]connectors.Config{
		"replaced": {"new": true},
		"kept":     {"name": "kept"},
		"added":    {"n": int64(1)},
	})
}

func testUpdateError(t *testing.T, s connectors.Updater) {
	want := map[string]connectors.Config{"a": {"n": int64(1)}, "b": {"n": int64(2)}}
	for name, cfg := range want {
		mustPut(t, s, name, cfg)
	}
	err := s.Update(t.Context(), func(m map[string]connectors.Config) error {
		m["a"] = connectors.Config{"n": int64(10)}
		delete(m, "b")
		m["c"] = connectors.Config{}
		return fmt.Errorf("in the function: %w", errRefused)
	})
	if !errors.Is(err, errRefused) {
		t.Errorf("Update: error %v, want the function's error", err)
	}
	wantList(t, s, want)
}

// testUpdateInvalid adds an invalid name or config beside a valid
// change: Update fails and stores neither.
func testUpdateInvalid(t *testing.T, s connectors.Updater) {
	tests := []struct {
		name    string
		change  func(map[string]connectors.Config)
		wantErr error
	}{
		{"reserved name", func(m map[string]connectors.Config) { m["__proto__"] = connectors.Config{} }, connectors.ErrInvalidName},
		{"empty name", func(m map[string]connectors.Config) { m[""] = connectors.Config{} }, connectors.ErrInvalidName},
		{"control character", func(m map[string]connectors.Config) { m["a\x00"] = connectors.Config{} }, connectors.ErrInvalidName},
		{"NaN", func(m map[string]connectors.Config) { m["a"] = connectors.Config{"x": math.NaN()} }, connectors.ErrInvalidConfig},
		{"nil in an array", func(m map[string]connectors.Config) { m["new"] = connectors.Config{"x": []any{nil}} }, connectors.ErrInvalidConfig},
		{"too deep", func(m map[string]connectors.Config) { m["new"] = nested(connectors.MaxDepth + 1) }, connectors.ErrInvalidConfig},
	}
	want := map[string]connectors.Config{"a": {"n": int64(1)}, "b": {"n": int64(2)}}
	for name, cfg := range want {
		mustPut(t, s, name, cfg)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Update(t.Context(), func(m map[string]connectors.Config) error {
				m["b"] = connectors.Config{"n": int64(20)}
				m["valid"] = connectors.Config{}
				tt.change(m)
				return nil
			})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Update: error %v, want one wrapping %v", err, tt.wantErr)
			}
			wantList(t, s, want)
		})
	}
}

// testUpdateConcurrent has several goroutines increment one counter at
// once, each with one Update: none of the increments may be lost.
func testUpdateConcurrent(t *testing.T, s connectors.Updater) {
	const updaters = 16
	mustPut(t, s, "counter", connectors.Config{"n": int64(0)})
	var wg sync.WaitGroup
	for range updaters {
		wg.Go(func() {
			err := s.Update(t.Context(), func(m map[string]connectors.Config) error {
				n, ok := m["counter"]["n"].(int64)
				if !ok {
					return fmt.Errorf("counter is %v, want an int64", m["counter"]["n"])
				}
				m["counter"] = connectors.Config{"n": n + 1}
				return nil
			})
			if err != nil {
				t.Errorf("Update: %v", err)
			}
		})
	}
	wg.Wait()
	wantGet(t, s, "counter", connectors.Config{"n": int64(updaters)})
}

func testUpdateCancelledContext(t *testing.T, s connectors.Updater) {
	kept := connectors.Config{"v": int64(1)}
	mustPut(t, s, "kept", kept)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.Update(ctx, func(m map[string]connectors.Config) error {
		m["kept"] = connectors.Config{"v": int64(2)}
		m["new"] = connectors.Config{}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a cancelled context: error %v, want one wrapping context.Canceled", err)
	}
	wantList(t, s, map[string]connectors.Config{"kept": kept})
}
