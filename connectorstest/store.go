// This file checks the promises of connectors.Store.

package connectorstest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/connectorkit/connectors"
)

var storeChecks = []check[connectors.Store]{
	{"EmptyList", testEmptyList},
	{"RoundTrip", testRoundTrip},
	{"Names", testNames},
	{"Conversions", testConversions},
	{"NilMembersDropped", testNilMembersDropped},
	{"ReservedKeysStripped", testReservedKeysStripped},
	{"PutReplaces", testPutReplaces},
	{"PutCopiesConfig", testPutCopiesConfig},
	{"ReturnsCopies", testReturnsCopies},
	{"GetNotFound", testGetNotFound},
	{"InvalidNames", testInvalidNames},
	{"CanonicalNames", testCanonicalNames},
	{"InvalidConfigs", testInvalidConfigs},
	{"Delete", testDelete},
	{"ConcurrentWriters", testConcurrentWriters},
	{"CancelledContext", testCancelledContext},
}

func testEmptyList(t *testing.T, s connectors.Store) {
	m, err := s.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if m == nil || len(m) != 0 {
		t.Errorf("List of an empty store = %#v, want an empty, non-nil map", m)
	}
}

// nested returns a config whose objects nest levels deep, the config
// itself being level 1, as connectors.MaxDepth counts.
func nested(levels int) connectors.Config {
	m := map[string]any{"leaf": "bottom"}
	for range levels - 1 {
		m = map[string]any{"in": m}
	}
	return m
}

// nestedArrays returns a config holding arrays nested so that the
// deepest is at the given level, the config being level 1.
func nestedArrays(levels int) connectors.Config {
	a := []any{"bottom"}
	for range levels - 2 {
		a = []any{a}
	}
	return connectors.Config{"in": a}
}

// nestedMixed returns a config nesting levels deep in arrays and
// objects by turns, the config being level 1.
func nestedMixed(levels int) connectors.Config {
	var v any = "bottom"
	for level := levels; level > 1; level-- {
		if level%2 == 0 {
			v = []any{v}
		} else {
			v = map[string]any{"in": v}
		}
	}
	return connectors.Config{"in": v}
}

// testRoundTrip stores configs with every kind of value under names of
// their own, and reads each back as it was.
func testRoundTrip(t *testing.T, s connectors.Store) {
	tests := []struct {
		name string
		cfg  connectors.Config
	}{
		{"strings", connectors.Config{
			"token":   "123456:ABC-DEF",
			"unicode": "héllo, 世界 🚀",
			"escapes": "quote \" backslash \\ newline \n tab \t",
			"empty":   "",
		}},
		{"booleans", connectors.Config{"on": true, "off": false}},
		{"integers", connectors.Config{
			"port": int64(8080),
			"zero": int64(0),
			"neg":  int64(-1),
			"min":  int64(math.MinInt64),
			"max":  int64(math.MaxInt64),
		}},
		{"floats", connectors.Config{
			"half":  0.5,
			"neg":   -2.25,
			"pi":    math.Pi,
			"small": 1e-10,
			"tenth": 0.1,
		}},
		{"arrays", connectors.Config{
			"strings": []any{"a", "b"},
			"mixed":   []any{"s", int64(1), 1.5, true},
			"nested":  []any{[]any{int64(1), int64(2)}, []any{"x"}},
			"objects": []any{
				map[string]any{"id": "a", "ports": []any{int64(1), int64(2)}},
				map[string]any{"id": "b", "on": false},
			},
			"empty": []any{},
		}},
		{"objects", connectors.Config{
			"webhook": map[string]any{
				"url":  "https://example.com",
				"auth": map[string]any{"user": "u", "retry": int64(3)},
			},
			"empty": map[string]any{},
		}},
		{"keys", connectors.Config{
			"with space":  "1",
			"dotted.key":  "2",
			"quote\"key":  "3",
			"ключ":        "4",
			"[bracketed]": "5",
		}},
		{"deepest objects", nested(connectors.MaxDepth)},
		{"deepest arrays", nestedArrays(connectors.MaxDepth)},
		{"deepest arrays and objects", nestedMixed(connectors.MaxDepth)},
		{"sample", sample()},
		{"empty config", connectors.Config{}},
	}
	for _, tt := range tests {
		mustPut(t, s, tt.name, tt.cfg)
	}
	want := make(map[string]connectors.Config)
	for _, tt := range tests {
		want[tt.name] = tt.cfg
		t.Run(tt.name, func(t *testing.T) {
			wantGet(t, s, tt.name, tt.cfg)
		})
	}
	wantList(t, s, want)
}

// testNames stores connectors under names the rules allow but which a
// store might mangle, and reads them back by the same names.
func testNames(t *testing.T, s connectors.Store) {
	names := []string{
		"telegram",
		"my/bot",
		"a.b",
		"with space inside",
		"Ünïcödé 名前",
		`quote"back\slash`,
		"[section]",
		"...",
		strings.Repeat("n", connectors.MaxNameBytes),
		strings.Repeat("é", connectors.MaxNameBytes/2), // two bytes each
	}
	want := make(map[string]connectors.Config)
	for i, name := range names {
		cfg := connectors.Config{"n": int64(i)}
		mustPut(t, s, name, cfg)
		want[name] = cfg
	}
	for _, name := range names {
		wantGet(t, s, name, want[name])
	}
	wantList(t, s, want)
}

// testConversions puts Go numbers of other types, which the store must
// hold as int64 or float64.
func testConversions(t *testing.T, s connectors.Store) {
	mustPut(t, s, "numbers", connectors.Config{
		"int":      7,
		"int8":     int8(-8),
		"int16":    int16(16),
		"int32":    int32(-32),
		"uint":     uint(1),
		"uint8":    uint8(8),
		"uint16":   uint16(16),
		"uint32":   uint32(math.MaxUint32),
		"uint64":   uint64(math.MaxInt64),
		"float32":  float32(2),
		"fraction": float32(0.5),
		"integral": 3.0,
		"nested":   map[string]any{"n": 1, "a": []any{int32(2), float32(4)}},
	})
	wantGet(t, s, "numbers", connectors.Config{
		"int":      int64(7),
		"int8":     int64(-8),
		"int16":    int64(16),
		"int32":    int64(-32),
		"uint":     int64(1),
		"uint8":    int64(8),
		"uint16":   int64(16),
		"uint32":   int64(math.MaxUint32),
		"uint64":   int64(math.MaxInt64),
		"float32":  int64(2),
		"fraction": 0.5,
		"integral": int64(3),
		"nested":   map[string]any{"n": int64(1), "a": []any{int64(2), int64(4)}},
	})
}

func testNilMembersDropped(t *testing.T, s connectors.Store) {
	mustPut(t, s, "sparse", connectors.Config{
		"kept":   "v",
		"absent": nil,
		"inner":  map[string]any{"absent": nil, "kept": true},
		"list":   []any{map[string]any{"absent": nil, "id": "a"}},
	})
	wantGet(t, s, "sparse", connectors.Config{
		"kept":  "v",
		"inner": map[string]any{"kept": true},
		"list":  []any{map[string]any{"id": "a"}},
	})
}

func testReservedKeysStripped(t *testing.T, s connectors.Store) {
	reserved := func() map[string]any {
		return map[string]any{
			"__proto__":   map[string]any{"admin": true},
			"constructor": "c",
			"prototype":   "p",
			"$include":    "/etc/passwd",
		}
	}
	cfg := reserved()
	cfg["kept"] = "v"
	inner := reserved()
	inner["kept"] = int64(1)
	element := reserved()
	element["id"] = "a"
	cfg["inner"] = inner
	cfg["list"] = []any{element}
	mustPut(t, s, "reserved", cfg)
	wantGet(t, s, "reserved", connectors.Config{
		"kept":  "v",
		"inner": map[string]any{"kept": int64(1)},
		"list":  []any{map[string]any{"id": "a"}},
	})
}

func testPutReplaces(t *testing.T, s connectors.Store) {
	mustPut(t, s, "bot", connectors.Config{"old": "gone", "shared": "1", "nested": map[string]any{"a": "gone", "b": "1"}})
	want := connectors.Config{"shared": "2", "new": true, "nested": map[string]any{"b": "2"}}
	mustPut(t, s, "bot", want)
	wantGet(t, s, "bot", want)
	wantList(t, s, map[string]connectors.Config{"bot": want})
}

// testPutCopiesConfig changes the config passed to Put, at every depth,
// after Put returns.
func testPutCopiesConfig(t *testing.T, s connectors.Store) {
	cfg := sample()
	mustPut(t, s, "bot", cfg)
	scribble(cfg)
	wantGet(t, s, "bot", sample())
}

// testReturnsCopies changes what Get and List return, at every depth.
func testReturnsCopies(t *testing.T, s connectors.Store) {
	mustPut(t, s, "bot", sample())
	mustPut(t, s, "other", connectors.Config{"n": int64(1)})
	want := map[string]connectors.Config{"bot": sample(), "other": {"n": int64(1)}}

	scribble(mustGet(t, s, "bot"))
	wantList(t, s, want)

	m := mustList(t, s)
	for _, cfg := range m {
		scribble(cfg)
	}
	delete(m, "other")
	m["added"] = connectors.Config{}
	wantList(t, s, want)
	wantGet(t, s, "bot", sample())
}

func testGetNotFound(t *testing.T, s connectors.Store) {
	if _, err := s.Get(t.Context(), "missing"); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("Get of an absent name: error %v, want one wrapping ErrNotFound", err)
	}
	mustPut(t, s, "gone", connectors.Config{})
	mustDelete(t, s, "gone")
	if _, err := s.Get(t.Context(), "gone"); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("Get of a deleted name: error %v, want one wrapping ErrNotFound", err)
	}
}

// testInvalidNames tries every method with names the rules refuse, and
// checks that nothing was stored.
func testInvalidNames(t *testing.T, s connectors.Store) {
	tests := []struct {
		name    string
		invalid string
	}{
		{"empty", ""},
		{"spaces", "  "},
		{"dot", "."},
		{"dot dot", ".."},
		{"dot dot padded", " .. "},
		{"__proto__", "__proto__"},
		{"constructor", "constructor"},
		{"prototype", "prototype"},
		{"$include", "$include"},
		{"NUL", "a\x00b"},
		{"newline", "a\nb"},
		{"zero-width space", "a\u200bb"},
		{"byte-order mark", "\ufeffname"},
		{"too long", strings.Repeat("n", connectors.MaxNameBytes+1)},
		{"too long in bytes", strings.Repeat("é", connectors.MaxNameBytes/2+1)},
		{"invalid UTF-8", "bad\xff\xfe"},
	}
	ctx := t.Context()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Get(ctx, tt.invalid); !errors.Is(err, connectors.ErrInvalidName) {
				t.Errorf("Get: error %v, want one wrapping ErrInvalidName", err)
			}
			if err := s.Put(ctx, tt.invalid, connectors.Config{"k": "v"}); !errors.Is(err, connectors.ErrInvalidName) {
				t.Errorf("Put: error %v, want one wrapping ErrInvalidName", err)
			}
			if err := s.Delete(ctx, tt.invalid); !errors.Is(err, connectors.ErrInvalidName) {
				t.Errorf("Delete: error %v, want one wrapping ErrInvalidName", err)
			}
		})
	}
	wantList(t, s, map[string]connectors.Config{})
}

// testCanonicalNames checks that a name is trimmed and normalized to NFC,
// so that the spellings of one name reach one connector.
func testCanonicalNames(t *testing.T, s connectors.Store) {
	const (
		composed   = "caf\u00e9"  // é as one code point
		decomposed = "cafe\u0301" // e and a combining acute accent
	)
	mustPut(t, s, " "+decomposed+"\t", connectors.Config{"v": int64(1)})
	wantGet(t, s, composed, connectors.Config{"v": int64(1)})
	wantGet(t, s, decomposed, connectors.Config{"v": int64(1)})
	wantList(t, s, map[string]connectors.Config{composed: {"v": int64(1)}})

	mustPut(t, s, composed, connectors.Config{"v": int64(2)})
	wantList(t, s, map[string]connectors.Config{composed: {"v": int64(2)}})

	mustDelete(t, s, "  "+decomposed)
	wantList(t, s, map[string]connectors.Config{})
}

// testInvalidConfigs puts configs outside the value model, over a
// connector that exists and under a new name, and checks that both are
// refused and leave the store as it was.
func testInvalidConfigs(t *testing.T, s connectors.Store) {
	tests := []struct {
		name string
		cfg  connectors.Config
	}{
		{"NaN", connectors.Config{"x": math.NaN()}},
		{"+Inf", connectors.Config{"x": math.Inf(1)}},
		{"-Inf", connectors.Config{"x": math.Inf(-1)}},
		{"float32 NaN", connectors.Config{"x": float32(math.NaN())}},
		{"uint64 beyond int64", connectors.Config{"x": uint64(math.MaxInt64) + 1}},
		{"integral float beyond int64", connectors.Config{"x": 1e19}},
		{"nil in an array", connectors.Config{"x": []any{"a", nil}}},
		{"deep nil in an array", connectors.Config{"x": map[string]any{"y": []any{[]any{nil}}}}},
		{"struct", connectors.Config{"x": struct{ A int }{1}}},
		{"chan", connectors.Config{"x": make(chan int)}},
		{"func", connectors.Config{"x": func() {}}},
		{"invalid UTF-8 string", connectors.Config{"x": "bad\xff"}},
		{"invalid UTF-8 key", connectors.Config{"bad\xff": "x"}},
		{"objects too deep", nested(connectors.MaxDepth + 1)},
		{"arrays too deep", nestedArrays(connectors.MaxDepth + 1)},
		{"bad value deep inside", connectors.Config{"a": []any{map[string]any{"b": math.NaN()}}}},
	}
	kept := connectors.Config{"kept": true}
	mustPut(t, s, "existing", kept)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range []string{"existing", "new"} {
				if err := s.Put(t.Context(), name, tt.cfg); !errors.Is(err, connectors.ErrInvalidConfig) {
					t.Errorf("Put(%q): error %v, want one wrapping ErrInvalidConfig", name, err)
				}
			}
			wantList(t, s, map[string]connectors.Config{"existing": kept})
		})
	}
}

func testDelete(t *testing.T, s connectors.Store) {
	mustPut(t, s, "a", connectors.Config{"n": int64(1)})
	mustPut(t, s, "b", connectors.Config{"n": int64(2)})
	mustDelete(t, s, "a")
	wantList(t, s, map[string]connectors.Config{"b": {"n": int64(2)}})
	if _, err := s.Get(t.Context(), "a"); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("Get of a deleted name: error %v, want one wrapping ErrNotFound", err)
	}
	// Deleting what is not there is not an error, and changes nothing.
	mustDelete(t, s, "a")
	mustDelete(t, s, "never")
	wantList(t, s, map[string]connectors.Config{"b": {"n": int64(2)}})
}

// testConcurrentWriters has several writers put and delete names of
// their own at once, each reading back its own writes, and checks that
// the store ends with exactly what they left.
func testConcurrentWriters(t *testing.T, s connectors.Store) {
	const writers, puts = 8, 25
	name := func(w, i int) string { return fmt.Sprintf("writer%d-%d", w, i) }
	config := func(w, i int) connectors.Config {
		return connectors.Config{"writer": int64(w), "seq": int64(i)}
	}
	ctx := t.Context()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range puts {
				if err := s.Put(ctx, name(w, i), config(w, i)); err != nil {
					t.Errorf("Put(%q): %v", name(w, i), err)
					return
				}
				if got, err := s.Get(ctx, name(w, i)); err != nil {
					t.Errorf("Get(%q) after its Put: %v", name(w, i), err)
				} else if !connectors.EqualConfig(got, config(w, i)) {
					t.Errorf("Get(%q) after its Put = %v, want %v", name(w, i), got, config(w, i))
				}
				// Every third name is deleted by its writer.
				if i%3 == 2 {
					if err := s.Delete(ctx, name(w, i-1)); err != nil {
						t.Errorf("Delete(%q): %v", name(w, i-1), err)
					}
				}
			}
		})
	}
	wg.Wait()
	want := make(map[string]connectors.Config)
	for w := range writers {
		for i := range puts {
			if i%3 != 1 {
				want[name(w, i)] = config(w, i)
			}
		}
	}
	wantList(t, s, want)
}

// testCancelledContext writes with a context that is already cancelled:
// every write fails with an error wrapping context.Canceled and stores
// nothing.
func testCancelledContext(t *testing.T, s connectors.Store) {
	kept := connectors.Config{"v": int64(1)}
	mustPut(t, s, "kept", kept)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	writes := []struct {
		name  string
		write func() error
	}{
		{"Put new", func() error { return s.Put(ctx, "new", connectors.Config{"v": int64(1)}) }},
		{"Put over", func() error { return s.Put(ctx, "kept", connectors.Config{"v": int64(2)}) }},
		{"Delete", func() error { return s.Delete(ctx, "kept") }},
	}
	for _, w := range writes {
		if err := w.write(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: error %v, want one wrapping context.Canceled", w.name, err)
		}
	}
	wantList(t, s, map[string]connectors.Config{"kept": kept})
}
