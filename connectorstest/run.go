// This file holds Run, which sorts the checks by the interface whose
// promises they check, and the helpers the checks share.

package connectorstest

import (
	"reflect"
	"testing"
	"time"

	"github.com/connectorkit/connectors"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Run checks that the stores newStore returns keep the contract of
// [connectors.Store], and of [connectors.Updater], [connectors.Versioned],
// [connectors.Watcher] and [connectors.Leaser] where they implement them. Each check is a
// subtest of t and gets its own store from newStore, which must return a
// fresh, empty store each time and register its cleanup with t.Cleanup.
// See the package documentation for the list of checks.
func Run(t *testing.T, newStore func(t *testing.T) connectors.Store) {
	t.Helper()
	runGroup(t, "Store", newStore, storeChecks)
	runGroup(t, "Updater", newStore, updaterChecks)
	runGroup(t, "Versioned", newStore, versionedChecks)
	runGroup(t, "Watcher", newStore, watcherChecks)
	runGroup(t, "Leaser", newStore, leaserChecks)
}

// A check is one promise of the interface S, checked on a fresh store.
type check[S connectors.Store] struct {
	name string
	run  func(t *testing.T, s S)
}

// runGroup runs the checks of the interface S, named name, as subtests of
// one subtest, skipped when the store does not implement S.
func runGroup[S connectors.Store](t *testing.T, name string, newStore func(*testing.T) connectors.Store, checks []check[S]) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		if _, ok := newStore(t).(S); !ok {
			t.Skipf("the store does not implement connectors.%s", name)
		}
		for _, c := range checks {
			t.Run(c.name, func(t *testing.T) {
				c.run(t, freshStore[S](t, newStore))
			})
		}
	})
}

// freshStore returns a store from newStore, after checking that it is
// empty: a store with leftovers would fail checks for the wrong reason.
func freshStore[S connectors.Store](t *testing.T, newStore func(*testing.T) connectors.Store) S {
	t.Helper()
	s := newStore(t).(S)
	m, err := s.List(t.Context())
	if err != nil {
		t.Fatalf("List of a new store: %v", err)
	}
	if len(m) != 0 {
		t.Fatalf("newStore returned a store with %d connectors, want an empty one", len(m))
	}
	return s
}

// waitLimit bounds every wait for something a store must do soon: an
// event, the end of a range loop, a write that must not wait for a
// subscriber. It bounds failure, it measures nothing: a store that passes
// is waited on only as long as it takes.
const waitLimit = 5 * time.Second

// cmpDiff returns the differences between want and got as cmp.Diff does,
// (-want +got), or "" if there are none. Nil and empty maps and arrays are
// equal, as [connectors.EqualConfig] has them.
func cmpDiff(want, got any, opts ...cmp.Option) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return cmp.Diff(want, got, append(opts, cmpopts.EquateEmpty(), equalArrays)...)
}

// equalArrays has cmp take equal arrays as equal without looking inside:
// cmp compares the elements of arrays twice, so its time doubles with
// every level of arrays in arrays, and a config may nest 32 levels.
var equalArrays = cmp.FilterValues(func(x, y []any) bool { return reflect.DeepEqual(x, y) }, cmp.Ignore())

func mustPut(t *testing.T, s connectors.Store, name string, cfg connectors.Config) {
	t.Helper()
	if err := s.Put(t.Context(), name, cfg); err != nil {
		t.Fatalf("Put(%q): %v", name, err)
	}
}

func mustDelete(t *testing.T, s connectors.Store, name string) {
	t.Helper()
	if err := s.Delete(t.Context(), name); err != nil {
		t.Fatalf("Delete(%q): %v", name, err)
	}
}

func mustList(t *testing.T, s connectors.Store) map[string]connectors.Config {
	t.Helper()
	m, err := s.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return m
}

func mustGet(t *testing.T, s connectors.Store, name string) connectors.Config {
	t.Helper()
	cfg, err := s.Get(t.Context(), name)
	if err != nil {
		t.Fatalf("Get(%q): %v", name, err)
	}
	return cfg
}

// wantList reports whether List returns want.
func wantList(t *testing.T, s connectors.Store, want map[string]connectors.Config) {
	t.Helper()
	if diff := cmpDiff(want, mustList(t, s)); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

// wantGet reports whether Get(name) returns want.
func wantGet(t *testing.T, s connectors.Store, name string, want connectors.Config) {
	t.Helper()
	if diff := cmpDiff(want, mustGet(t, s, name)); diff != "" {
		t.Errorf("Get(%q) (-want +got):\n%s", name, diff)
	}
}

// sample returns a new config with values of every kind, nested in
// objects and arrays, for the checks that change what they hold.
func sample() connectors.Config {
	return connectors.Config{
		"botToken": "123456:ABC-DEF",
		"enabled":  true,
		"port":     int64(8443),
		"ratio":    0.25,
		"allow":    []any{"alice", "bob"},
		"accounts": []any{
			map[string]any{"id": "main", "scopes": []any{"read", "write"}},
		},
		"webhook": map[string]any{
			"url":     "https://example.com/hook",
			"headers": map[string]any{"x-key": "k"},
		},
	}
}

// scribble changes every object and array in v, at every depth, in
// place: each leaf becomes "scribbled" and each object gains a key.
func scribble(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if !scribbleInside(e) {
				v[k] = "scribbled"
			}
		}
		v["scribbled"] = true
	case []any:
		for i, e := range v {
			if !scribbleInside(e) {
				v[i] = "scribbled"
			}
		}
	}
}

// scribbleInside scribbles e if it is an object or an array, and reports
// whether it was.
func scribbleInside(e any) bool {
	switch e.(type) {
	case map[string]any, []any:
		scribble(e)
		return true
	}
	return false
}
