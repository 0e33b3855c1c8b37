// This file checks the promises of connectors.Versioned.

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

var versionedChecks = []check[connectors.Versioned]{
	{"RevisionFormat", testRevisionFormat},
	{"RevisionStableOnReads", testRevisionStableOnReads},
	{"RevisionChangesOnWrite", testRevisionChangesOnWrite},
	{"RevisionUnchangedOnNoop", testRevisionUnchangedOnNoop},
	{"EditReturnsState", testEditReturnsState},
	{"EditError", testEditError},
	{"EditInvalid", testEditInvalid},
	{"EditOnOneRevision", testEditOnOneRevision},
	{"EditConcurrent", testEditConcurrent},
	{"StateMatchesList", testStateMatchesList},
	{"CancelledContext", testEditCancelledContext},
}

func mustState(t *testing.T, s connectors.Versioned) connectors.State {
	t.Helper()
	st, err := s.State(t.Context())
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	return st
}

// mustEdit calls Edit with a function that returns changes.
func mustEdit(t *testing.T, s connectors.Versioned, changes map[string]connectors.Config) connectors.State {
	t.Helper()
	st, err := s.Edit(t.Context(), func(connectors.State) (map[string]connectors.Config, error) {
		return changes, nil
	})
	if err != nil {
		t.Fatalf("Edit: %v", err)
	}
	return st
}

// checkRevision reports a revision that is not a non-empty string of
// printable ASCII.
func checkRevision(t *testing.T, rev string) {
	t.Helper()
	if rev == "" {
		t.Errorf("Revision is empty")
	}
	for i := range len(rev) {
		if rev[i] < ' ' || rev[i] > '~' {
			t.Errorf("Revision %q has a byte that is not printable ASCII", rev)
			return
		}
	}
}

func testRevisionFormat(t *testing.T, s connectors.Versioned) {
	checkRevision(t, mustState(t, s).Revision)
	mustPut(t, s, "a", sample())
	checkRevision(t, mustState(t, s).Revision)
	mustDelete(t, s, "a")
	checkRevision(t, mustState(t, s).Revision)
}

// testRevisionStableOnReads reads in every way and checks the revision
// did not move.
func testRevisionStableOnReads(t *testing.T, s connectors.Versioned) {
	mustPut(t, s, "a", sample())
	before := mustState(t, s).Revision
	mustList(t, s)
	mustGet(t, s, "a")
	// Reads that fail are reads too.
	s.Get(t.Context(), "missing")
	s.Get(t.Context(), "")
	mustState(t, s)
	if after := mustState(t, s).Revision; after != before {
		t.Errorf("Revision went from %q to %q over reads only", before, after)
	}
}

// writeStep is one write of a sequence, which the Versioned and Watcher
// checks make through every method the store has.
type writeStep struct {
	name  string
	write func(t *testing.T) // fails t if the write fails
}

// testRevisionChangesOnWrite makes a change with every write method and
// checks that each moves the revision.
func testRevisionChangesOnWrite(t *testing.T, s connectors.Versioned) {
	steps := []writeStep{
		{"Put of a new name", func(t *testing.T) { mustPut(t, s, "a", connectors.Config{"v": int64(1)}) }},
		{"Put of another name", func(t *testing.T) { mustPut(t, s, "b", connectors.Config{"v": int64(1)}) }},
		{"Put of a new config", func(t *testing.T) { mustPut(t, s, "a", connectors.Config{"v": int64(2)}) }},
		{"Put of a nested change", func(t *testing.T) {
			mustPut(t, s, "a", connectors.Config{"v": int64(2), "in": map[string]any{"x": []any{"y"}}})
		}},
		{"Delete", func(t *testing.T) { mustDelete(t, s, "b") }},
		{"Edit", func(t *testing.T) { mustEdit(t, s, map[string]connectors.Config{"c": {}, "a": nil}) }},
	}
	if u, ok := s.(connectors.Updater); ok {
		steps = append(steps, writeStep{"Update", func(t *testing.T) {
			if err := u.Update(t.Context(), func(m map[string]connectors.Config) error {
				m["d"] = connectors.Config{"v": true}
				return nil
			}); err != nil {
				t.Fatalf("Update: %v", err)
			}
		}})
	}
	rev := mustState(t, s).Revision
	for _, step := range steps {
		step.write(t)
		next := mustState(t, s).Revision
		if next == rev {
			t.Errorf("%s: Revision stayed %q", step.name, rev)
		}
		rev = next
	}
}

// testRevisionUnchangedOnNoop makes writes that change nothing, through
// every write method, and checks that none moves the revision.
func testRevisionUnchangedOnNoop(t *testing.T, s connectors.Versioned) {
	mustPut(t, s, "a", sample())
	mustPut(t, s, "n", connectors.Config{"n": int64(1)})
	steps := []writeStep{
		{"Put of an equal config", func(t *testing.T) { mustPut(t, s, "a", sample()) }},
		{"Put of a config equal once converted", func(t *testing.T) {
			mustPut(t, s, "n", connectors.Config{"n": 1, "absent": nil, "__proto__": "x"})
		}},
		{"Put under another spelling of the name", func(t *testing.T) { mustPut(t, s, " n ", connectors.Config{"n": int64(1)}) }},
		{"Delete of an absent name", func(t *testing.T) { mustDelete(t, s, "absent") }},
		{"Edit of nothing", func(t *testing.T) { mustEdit(t, s, nil) }},
		{"Edit of an equal config", func(t *testing.T) { mustEdit(t, s, map[string]connectors.Config{"a": sample()}) }},
		{"Edit removing an absent name", func(t *testing.T) { mustEdit(t, s, map[string]connectors.Config{"absent": nil}) }},
	}
	if u, ok := s.(connectors.Updater); ok {
		steps = append(steps, writeStep{"Update changing nothing", func(t *testing.T) {
			if err := u.Update(t.Context(), func(m map[string]connectors.Config) error {
				m["a"] = sample()
				return nil
			}); err != nil {
				t.Fatalf("Update: %v", err)
			}
		}})
	}
	rev := mustState(t, s).Revision
	for _, step := range steps {
		step.write(t)
		if next := mustState(t, s).Revision; next != rev {
			t.Errorf("%s: Revision went from %q to %q", step.name, rev, next)
		}
	}
}

func testEditReturnsState(t *testing.T, s connectors.Versioned) {
	mustPut(t, s, "a", connectors.Config{"v": int64(1)})
	before := mustState(t, s)
	st := mustEdit(t, s, map[string]connectors.Config{"b": {"v": 2}, "a": nil})
	if st.Revision == before.Revision {
		t.Errorf("Edit returned the revision before the change, %q", st.Revision)
	}
	if now := mustState(t, s).Revision; st.Revision != now {
		t.Errorf("Edit returned revision %q, State then returned %q", st.Revision, now)
	}
	want := map[string]connectors.Config{"b": {"v": int64(2)}}
	if diff := cmpDiff(want, st.Connectors); diff != "" {
		t.Errorf("Edit returned connectors (-want +got):\n%s", diff)
	}
	wantList(t, s, want)

	// A change of nothing returns the current state.
	if st2 := mustEdit(t, s, map[string]connectors.Config{"b": {"v": int64(2)}}); st2.Revision != st.Revision {
		t.Errorf("Edit that changed nothing returned revision %q, want the current %q", st2.Revision, st.Revision)
	}
}

func testEditError(t *testing.T, s connectors.Versioned) {
	mustPut(t, s, "a", connectors.Config{"v": int64(1)})
	before := mustState(t, s).Revision
	_, err := s.Edit(t.Context(), func(connectors.State) (map[string]connectors.Config, error) {
		return map[string]connectors.Config{"a": nil, "b": {}}, errRefused
	})
	// Identity, not errors.Is: Edit promises to return fn's error as it is.
	if err != errRefused {
		t.Errorf("Edit: error %v, want the function's error as it is", err)
	}
	if after := mustState(t, s).Revision; after != before {
		t.Errorf("Revision went from %q to %q over a refused Edit", before, after)
	}
	wantList(t, s, map[string]connectors.Config{"a": {"v": int64(1)}})
}

// testEditInvalid returns an invalid name or config beside a valid change:
// Edit fails and stores neither.
func testEditInvalid(t *testing.T, s connectors.Versioned) {
	tests := []struct {
		name    string
		changes map[string]connectors.Config
		wantErr error
	}{
		{"reserved name", map[string]connectors.Config{"ok": {}, "__proto__": {}}, connectors.ErrInvalidName},
		{"empty name", map[string]connectors.Config{"ok": {}, "": {}}, connectors.ErrInvalidName},
		{"removal of an invalid name", map[string]connectors.Config{"ok": {}, "..": nil}, connectors.ErrInvalidName},
		{"NaN", map[string]connectors.Config{"ok": {}, "a": {"x": math.NaN()}}, connectors.ErrInvalidConfig},
		{"unsupported type", map[string]connectors.Config{"ok": {}, "a": {"x": struct{}{}}}, connectors.ErrInvalidConfig},
		{"too deep", map[string]connectors.Config{"ok": {}, "a": nested(connectors.MaxDepth + 1)}, connectors.ErrInvalidConfig},
	}
	mustPut(t, s, "a", connectors.Config{"v": int64(1)})
	before := mustState(t, s).Revision
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Edit(t.Context(), func(connectors.State) (map[string]connectors.Config, error) {
				return tt.changes, nil
			})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Edit: error %v, want one wrapping %v", err, tt.wantErr)
			}
			if after := mustState(t, s).Revision; after != before {
				t.Errorf("Revision went from %q to %q over a refused Edit", before, after)
			}
			wantList(t, s, map[string]connectors.Config{"a": {"v": int64(1)}})
		})
	}
}

var errStale = errors.New("connectorstest: stale revision")

// ifMatch returns an Edit function that, like an If-Match request,
// refuses with errStale unless the store is still at revision rev, and
// otherwise adds one to the counter.
func ifMatch(rev string) func(connectors.State) (map[string]connectors.Config, error) {
	return func(cur connectors.State) (map[string]connectors.Config, error) {
		if cur.Revision != rev {
			return nil, errStale
		}
		n, ok := cur.Connectors["counter"]["n"].(int64)
		if !ok {
			return nil, fmt.Errorf("counter is %v, want an int64", cur.Connectors["counter"]["n"])
		}
		return map[string]connectors.Config{"counter": {"n": n + 1}}, nil
	}
}

// testEditOnOneRevision has several goroutines read the same revision and
// then all edit at once, each only if the store is still at that
// revision: exactly one may succeed.
func testEditOnOneRevision(t *testing.T, s connectors.Versioned) {
	const editors = 8
	mustPut(t, s, "counter", connectors.Config{"n": int64(0)})
	var (
		read, done sync.WaitGroup
		start      = make(chan struct{})
		errs       = make([]error, editors)
	)
	read.Add(editors)
	for i := range editors {
		done.Go(func() {
			st, err := s.State(t.Context())
			read.Done()
			if err != nil {
				errs[i] = err
				return
			}
			<-start
			_, errs[i] = s.Edit(t.Context(), ifMatch(st.Revision))
		})
	}
	read.Wait()
	close(start)
	done.Wait()
	succeeded := 0
	for _, err := range errs {
		switch {
		case err == nil:
			succeeded++
		case !errors.Is(err, errStale):
			t.Errorf("Edit: %v", err)
		}
	}
	if succeeded != 1 {
		t.Errorf("%d of %d edits made on one revision succeeded, want 1", succeeded, editors)
	}
	wantGet(t, s, "counter", connectors.Config{"n": int64(1)})
}

// testEditConcurrent has several goroutines each make a number of
// increments, each an Edit that requires the revision the goroutine last
// read, retrying when it is stale: no two may succeed from one revision,
// and no increment may be lost.
func testEditConcurrent(t *testing.T, s connectors.Versioned) {
	const editors, increments, maxAttempts = 4, 5, 1000
	mustPut(t, s, "counter", connectors.Config{"n": int64(0)})
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		from = make(map[string]int) // revision an edit succeeded from: how many did
	)
	for range editors {
		wg.Go(func() {
			for done, attempts := 0, 0; done < increments; attempts++ {
				if attempts == maxAttempts {
					t.Errorf("%d edits failed as stale; is Edit's function given the current state?", maxAttempts)
					return
				}
				st, err := s.State(t.Context())
				if err != nil {
					t.Errorf("State: %v", err)
					return
				}
				_, err = s.Edit(t.Context(), ifMatch(st.Revision))
				if errors.Is(err, errStale) {
					continue
				}
				if err != nil {
					t.Errorf("Edit: %v", err)
					return
				}
				done++
				mu.Lock()
				from[st.Revision]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for rev, n := range from {
		if n > 1 {
			t.Errorf("%d edits succeeded from revision %q, want at most 1", n, rev)
		}
	}
	wantGet(t, s, "counter", connectors.Config{"n": int64(editors * increments)})
}

func testStateMatchesList(t *testing.T, s connectors.Versioned) {
	if st := mustState(t, s); len(st.Connectors) != 0 {
		t.Errorf("State of an empty store holds %d connectors", len(st.Connectors))
	}
	mustPut(t, s, "a", sample())
	mustPut(t, s, "b", connectors.Config{"n": 1, "f": float32(0.5)})
	mustPut(t, s, "c", connectors.Config{})
	mustPut(t, s, "d", connectors.Config{})
	mustDelete(t, s, "d")
	if diff := cmpDiff(mustList(t, s), mustState(t, s).Connectors); diff != "" {
		t.Errorf("State's connectors differ from List's (-List +State):\n%s", diff)
	}
}

func testEditCancelledContext(t *testing.T, s connectors.Versioned) {
	kept := connectors.Config{"v": int64(1)}
	mustPut(t, s, "kept", kept)
	before := mustState(t, s).Revision
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Edit(ctx, func(connectors.State) (map[string]connectors.Config, error) {
		return map[string]connectors.Config{"kept": {"v": int64(2)}, "new": {}}, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Edit with a cancelled context: error %v, want context.Canceled", err)
	}
	if after := mustState(t, s).Revision; after != before {
		t.Errorf("Revision went from %q to %q over a cancelled Edit", before, after)
	}
	wantList(t, s, map[string]connectors.Config{"kept": kept})
}
