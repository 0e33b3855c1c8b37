// This file holds the Store conformance suite, run against MemoryStore and
// FileStore in both formats, and the tests of what only FileStore does.

package connectors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"
)

func TestMemoryStore(t *testing.T) {
	testStore(t, func(t *testing.T) Store { return new(MemoryStore) })
}

func TestFileStoreTOML(t *testing.T) {
	testStore(t, func(t *testing.T) Store {
		return openFileStore(t, filepath.Join(t.TempDir(), "config.toml"))
	})
}

func TestFileStoreJSON(t *testing.T) {
	testStore(t, func(t *testing.T) Store {
		return openFileStore(t, filepath.Join(t.TempDir(), "config.json"))
	})
}

// testStore checks that the stores returned by open, each new and empty,
// keep the Store and Updater contracts. Every check that reads back what
// was written reads it from the store and from reopenStore of it, so that a
// FileStore is also checked against a fresh FileStore on the same file.
func testStore(t *testing.T, open func(t *testing.T) Store) {
	t.Run("EmptyList", func(t *testing.T) {
		s := open(t)
		got, err := s.List(t.Context())
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if got == nil {
			t.Fatal("List of an empty store returned a nil map, want an empty non-nil map")
		}
		if len(got) != 0 {
			t.Errorf("List of an empty store = %v, want an empty map", got)
		}
	})

	t.Run("PutGetList", func(t *testing.T) {
		s := open(t)
		putConfig(t, s, "telegram", Config{"botToken": "123456:ABC-DEF", "enabled": true})
		putConfig(t, s, "discord", Config{"token": "MTAx.abc.def"})
		want := map[string]Config{
			"telegram": {"botToken": "123456:ABC-DEF", "enabled": true},
			"discord":  {"token": "MTAx.abc.def"},
		}
		for _, s := range []Store{s, reopenStore(t, s)} {
			checkStoreList(t, s, want)
			checkStoreGet(t, s, "telegram", want["telegram"])
			checkStoreGet(t, s, "discord", want["discord"])
		}
	})

	t.Run("PutReplacesWholeConfig", func(t *testing.T) {
		s := open(t)
		putConfig(t, s, "telegram", Config{"botToken": "old", "dmPolicy": "open", "groups": Config{"a": true}})
		putConfig(t, s, "telegram", Config{"botToken": "new"})
		for _, s := range []Store{s, reopenStore(t, s)} {
			checkStoreList(t, s, map[string]Config{"telegram": {"botToken": "new"}})
		}
	})

	t.Run("PutNilConfig", func(t *testing.T) {
		s := open(t)
		putConfig(t, s, "telegram", nil)
		for _, s := range []Store{s, reopenStore(t, s)} {
			checkStoreList(t, s, map[string]Config{"telegram": {}})
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		putConfig(t, s, "telegram", Config{"botToken": "t"})
		putConfig(t, s, "discord", Config{"token": "d"})
		if err := s.Delete(t.Context(), "telegram"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		for _, s := range []Store{s, reopenStore(t, s)} {
			checkStoreList(t, s, map[string]Config{"discord": {"token": "d"}})
			if _, err := s.Get(t.Context(), "telegram"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get after Delete: err = %v, want ErrNotFound", err)
			}
		}
	})

	t.Run("DeleteAbsent", func(t *testing.T) {
		s := open(t)
		if err := s.Delete(t.Context(), "telegram"); err != nil {
			t.Errorf("Delete of an absent name in an empty store: %v, want nil", err)
		}
		putConfig(t, s, "discord", Config{"token": "d"})
		if err := s.Delete(t.Context(), "telegram"); err != nil {
			t.Errorf("Delete of an absent name: %v, want nil", err)
		}
		checkStoreList(t, s, map[string]Config{"discord": {"token": "d"}})
	})

	t.Run("GetAbsent", func(t *testing.T) {
		s := open(t)
		putConfig(t, s, "discord", Config{"token": "d"})
		got, err := s.Get(t.Context(), "telegram")
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("Get of an absent name: err = %v, want one wrapping ErrNotFound", err)
		}
		if got != nil {
			t.Errorf("Get of an absent name returned %v, want nil", got)
		}
	})

	t.Run("InvalidNames", func(t *testing.T) {
		tests := []struct {
			name    string
			connKey string
		}{
			{"empty", ""},
			{"spaces only", "   "},
			{"white space only", "\t\n\r "},
			{"__proto__", "__proto__"},
			{"constructor", "constructor"},
			{"prototype", "prototype"},
			{"$include", "$include"},
			{"reserved with padding", "  __proto__ "},
			{"NUL", "tele\x00gram"},
			{"escape", "tele\x1bgram"},
			{"newline inside", "tele\ngram"},
			{"DEL", "tele\x7fgram"},
			{"C1 control", "tele\u0085gram"},
			{"129 bytes", strings.Repeat("a", MaxNameBytes+1)},
			{"129 bytes multibyte", strings.Repeat("电", 43)},
			{"129 bytes after trimming", " " + strings.Repeat("a", MaxNameBytes+1) + " "},
			{"invalid UTF-8", "tele\xffgram"},
			{"truncated UTF-8", "电"[:2]},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := open(t)
				putConfig(t, s, "telegram", Config{"botToken": "t"})
				ctx := t.Context()

				_, getErr := s.Get(ctx, tt.connKey)
				putErr := s.Put(ctx, tt.connKey, Config{"botToken": "x"})
				delErr := s.Delete(ctx, tt.connKey)
				for _, c := range []struct {
					op  string
					err error
				}{{"Get", getErr}, {"Put", putErr}, {"Delete", delErr}} {
					if !errors.Is(c.err, ErrInvalidName) {
						t.Errorf("%s(%q): err = %v, want one wrapping ErrInvalidName", c.op, tt.connKey, c.err)
						continue
					}
					// The error must not repeat the name.
					if n := strings.TrimSpace(tt.connKey); n != "" && strings.Contains(c.err.Error(), n) {
						t.Errorf("%s(%q): error %q repeats the name", c.op, tt.connKey, c.err)
					}
				}
				checkStoreList(t, reopenStore(t, s), map[string]Config{"telegram": {"botToken": "t"}})
			})
		}
	})

	t.Run("NamesRoundTrip", func(t *testing.T) {
		tests := []struct {
			name    string
			connKey string
		}{
			{"slash", "team a/bot"},
			{"slashes", "a/b/c"},
			{"space", "my bot"},
			{"Chinese", "电报"},
			{"accents and emoji", "bötê 🚀"},
			{"dot", "tele.gram"},
			{"quote and backslash", `say "hi" \ bye`},
			{"brackets and equals", "[x]=y #z"},
			{"128 bytes", strings.Repeat("a", MaxNameBytes)},
			{"128 bytes multibyte", strings.Repeat("电", 42) + "ab"},
			{"digits", "12345"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := open(t)
				cfg := Config{"token": "abc"}
				putConfig(t, s, tt.connKey, cfg)
				for _, s := range []Store{s, reopenStore(t, s)} {
					checkStoreList(t, s, map[string]Config{tt.connKey: cfg})
					checkStoreGet(t, s, tt.connKey, cfg)
				}
				if err := s.Delete(t.Context(), tt.connKey); err != nil {
					t.Fatalf("Delete: %v", err)
				}
				checkStoreList(t, reopenStore(t, s), map[string]Config{})
			})
		}
	})

	t.Run("NameTrimmed", func(t *testing.T) {
		s := open(t)
		putConfig(t, s, " telegram ", Config{"botToken": "t"})
		want := Config{"botToken": "t"}
		for _, s := range []Store{s, reopenStore(t, s)} {
			checkStoreList(t, s, map[string]Config{"telegram": want})
			checkStoreGet(t, s, "telegram", want)
			checkStoreGet(t, s, "\ttelegram\n", want)
		}
		if err := s.Delete(t.Context(), "  telegram"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		checkStoreList(t, reopenStore(t, s), map[string]Config{})
	})

	t.Run("ReturnedConfigsAreCopies", func(t *testing.T) {
		s := open(t)
		putConfig(t, s, "telegram", storeSample())

		got, err := s.Get(t.Context(), "telegram")
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		mutateStoreSample(got)
		checkStoreGet(t, s, "telegram", storeSampleNormalized())

		list, err := s.List(t.Context())
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		mutateStoreSample(list["telegram"])
		list["discord"] = Config{"token": "d"}
		checkStoreList(t, s, map[string]Config{"telegram": storeSampleNormalized()})
	})

	t.Run("PutCopiesConfig", func(t *testing.T) {
		s := open(t)
		cfg := storeSample()
		putConfig(t, s, "telegram", cfg)
		mutateStoreSample(cfg)
		checkStoreGet(t, s, "telegram", storeSampleNormalized())
	})

	t.Run("Values", func(t *testing.T) {
		when := time.Date(2024, 1, 2, 3, 4, 5, 6, time.FixedZone("", -8*3600))
		tests := []struct {
			name string
			cfg  Config
			want Config
		}{
			{"int stays an integer", Config{"port": 8080}, Config{"port": int64(8080)}},
			{"float", Config{"ratio": 1.5}, Config{"ratio": 1.5}},
			{"small float", Config{"eps": 1e-7}, Config{"eps": 1e-7}},
			{"negative float", Config{"t": -273.15}, Config{"t": -273.15}},
			{"integral float becomes int64", Config{"port": 8080.0}, Config{"port": int64(8080)}},
			{"negative zero becomes 0", Config{"z": math.Copysign(0, -1)}, Config{"z": int64(0)}},
			{"float32", Config{"f": float32(0.5), "g": float32(3)}, Config{"f": 0.5, "g": int64(3)}},
			{"Go integer types", Config{
				"int": 1, "int8": int8(-2), "int16": int16(3), "int32": int32(-4), "int64": int64(5),
				"uint": uint(6), "uint8": uint8(7), "uint16": uint16(8), "uint32": uint32(math.MaxUint32), "uint64": uint64(10),
			}, Config{
				"int": int64(1), "int8": int64(-2), "int16": int64(3), "int32": int64(-4), "int64": int64(5),
				"uint": int64(6), "uint8": int64(7), "uint16": int64(8), "uint32": int64(math.MaxUint32), "uint64": int64(10),
			}},
			{"int64 limits", Config{"max": int64(math.MaxInt64), "min": int64(math.MinInt64), "umax": uint64(math.MaxInt64)},
				Config{"max": int64(math.MaxInt64), "min": int64(math.MinInt64), "umax": int64(math.MaxInt64)}},
			{"JSON numbers", Config{"i": json.Number("42"), "f": json.Number("1.5"), "one": json.Number("1.0"), "exp": json.Number("1e3"), "neg": json.Number("-7")},
				Config{"i": int64(42), "f": 1.5, "one": int64(1), "exp": int64(1000), "neg": int64(-7)}},
			{"time becomes text", Config{"at": when}, Config{"at": "2024-01-02T03:04:05.000000006-08:00"}},
			{"bools and strings", Config{"on": true, "off": false, "s": "x", "empty": ""},
				Config{"on": true, "off": false, "s": "x", "empty": ""}},
			{"nil members dropped", Config{"a": nil, "b": "kept", "nested": Config{"c": nil, "d": 1}},
				Config{"b": "kept", "nested": Config{"d": int64(1)}}},
			{"reserved keys stripped", Config{
				"__proto__": Config{"polluted": true}, "constructor": "x", "prototype": 1, "$include": "other.toml", "ok": 1,
				"nested":   Config{"__proto__": Config{"isAdmin": true}, "$include": "/etc/passwd", "keep": "yes"},
				"accounts": []any{Config{"constructor": Config{"prototype": 1}, "id": 1}},
			}, Config{
				"ok":       int64(1),
				"nested":   Config{"keep": "yes"},
				"accounts": []any{Config{"id": int64(1)}},
			}},
			{"arrays of objects", Config{"accounts": []any{
				Config{"id": "a", "token": "t1", "groups": []any{Config{"id": 1}, Config{"id": 2}}},
				Config{"id": "b", "token": "t2"},
			}}, Config{"accounts": []any{
				Config{"id": "a", "token": "t1", "groups": []any{Config{"id": int64(1)}, Config{"id": int64(2)}}},
				Config{"id": "b", "token": "t2"},
			}}},
			{"typed array of objects", Config{"accounts": []map[string]any{{"id": 1}, {"id": 2}}},
				Config{"accounts": []any{Config{"id": int64(1)}, Config{"id": int64(2)}}}},
			{"empty object", Config{"groups": Config{}, "nested": Config{"empty": Config{}}},
				Config{"groups": Config{}, "nested": Config{"empty": Config{}}}},
			{"empty arrays", Config{"allowFrom": []any{}, "nested": []any{[]any{}}},
				Config{"allowFrom": []any{}, "nested": []any{[]any{}}}},
			{"mixed array", Config{"mixed": []any{1, "two", true, 2.5, []any{3}}},
				Config{"mixed": []any{int64(1), "two", true, 2.5, []any{int64(3)}}}},
			{"mixed array with an object", Config{"mixed": []any{1, Config{"k": "v"}}},
				Config{"mixed": []any{int64(1), Config{"k": "v"}}}},
			{"arrays of arrays", Config{"matrix": []any{[]any{1, 2}, []any{3}, []any{"a", []any{true}}}},
				Config{"matrix": []any{[]any{int64(1), int64(2)}, []any{int64(3)}, []any{"a", []any{true}}}}},
			{"empty string key", Config{"": "empty key", "nested": Config{"": 1}},
				Config{"": "empty key", "nested": Config{"": int64(1)}}},
			{"odd keys", Config{"a.b": 1, "with space": 2, `q"uote`: 3, "new\nline": 4, "电报": 5, "[x]": 6, "1": 7},
				Config{"a.b": int64(1), "with space": int64(2), `q"uote`: int64(3), "new\nline": int64(4), "电报": int64(5), "[x]": int64(6), "1": int64(7)}},
			{"unicode strings", Config{"greeting": "你好, мир 🚀", "rtl": "שלום", "zwj": "👩‍💻"},
				Config{"greeting": "你好, мир 🚀", "rtl": "שלום", "zwj": "👩‍💻"}},
			{"escapes in strings", Config{"s": "tab\tnl\ncr\r\nquote\" back\\ nul\x00 del\x7f \u2028 '''"},
				Config{"s": "tab\tnl\ncr\r\nquote\" back\\ nul\x00 del\x7f \u2028 '''"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := open(t)
				putConfig(t, s, "conn", tt.cfg)
				for _, s := range []Store{s, reopenStore(t, s)} {
					checkStoreGet(t, s, "conn", tt.want)
					checkStoreList(t, s, map[string]Config{"conn": tt.want})
				}
			})
		}
	})

	t.Run("InvalidConfigs", func(t *testing.T) {
		tests := []struct {
			name string
			cfg  Config
		}{
			{"uint64 above MaxInt64", Config{"n": uint64(math.MaxInt64) + 1}},
			{"uint64 max", Config{"n": uint64(math.MaxUint64)}},
			{"uint max", Config{"n": uint(math.MaxUint)}},
			{"NaN", Config{"n": math.NaN()}},
			{"+Inf", Config{"n": math.Inf(1)}},
			{"-Inf", Config{"n": math.Inf(-1)}},
			{"float32 NaN", Config{"n": float32(math.NaN())}},
			{"integral float out of int64", Config{"n": 1e20}},
			{"JSON integer out of int64", Config{"n": json.Number("12345678901234567890")}},
			{"JSON number out of float64", Config{"n": json.Number("1e400")}},
			{"nil in array", Config{"allowFrom": []any{"SECRET-a", nil}}},
			{"nil in nested array", Config{"a": Config{"b": []any{[]any{nil}}}}},
			{"NaN deep in an array of objects", Config{"accounts": []any{Config{}, Config{}, Config{"port": math.NaN()}}}},
			{"unsupported slice type", Config{"allowFrom": []string{"SECRET-a"}}},
			{"unsupported map type", Config{"headers": map[string]string{"X": "SECRET-a"}}},
			{"unsupported struct", Config{"s": struct{ A string }{"SECRET-a"}}},
			{"pointer", Config{"p": new(int)}},
			{"maps nested deeper than MaxDepth", nestedMaps(MaxDepth + 1)},
			{"arrays nested deeper than MaxDepth", nestedArrays(MaxDepth + 1)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := open(t)
				putConfig(t, s, "conn", Config{"old": "value"})
				err := s.Put(t.Context(), "conn", tt.cfg)
				if !errors.Is(err, ErrInvalidConfig) {
					t.Fatalf("Put: err = %v, want one wrapping ErrInvalidConfig", err)
				}
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("Put: error %q echoes a value", err)
				}
				err = s.Put(t.Context(), "other", tt.cfg)
				if !errors.Is(err, ErrInvalidConfig) {
					t.Errorf("Put of a new name: err = %v, want one wrapping ErrInvalidConfig", err)
				}
				checkStoreList(t, reopenStore(t, s), map[string]Config{"conn": {"old": "value"}})
			})
		}
	})

	t.Run("MaxDepth", func(t *testing.T) {
		tests := []struct {
			name string
			cfg  Config
		}{
			{"maps", nestedMaps(MaxDepth)},
			{"arrays", nestedArrays(MaxDepth)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := open(t)
				putConfig(t, s, "deep", tt.cfg)
				got, err := reopenStore(t, s).Get(t.Context(), "deep")
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				// Not cmp.Diff: it compares nested slices in time
				// exponential in their depth.
				if !reflect.DeepEqual(tt.cfg, got) {
					t.Errorf("Get = %v, want %v", got, tt.cfg)
				}
			})
		}
	})

	// A string that is not UTF-8 cannot be written as JSON or TOML text.
	// A store may refuse it (ErrInvalidConfig) or keep it, but it must not
	// accept it and then hand back something else or nothing at all.
	t.Run("InvalidUTF8InConfig", func(t *testing.T) {
		tests := []struct {
			name string
			cfg  Config
		}{
			{"value", Config{"token": "abc\xffdef"}},
			{"key", Config{"k\xff": "v"}},
			{"nested value", Config{"accounts": []any{Config{"id": "\xc3"}}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := open(t)
				putConfig(t, s, "telegram", Config{"botToken": "t"})
				err := s.Put(t.Context(), "conn", tt.cfg)
				if err != nil {
					if !errors.Is(err, ErrInvalidConfig) {
						t.Fatalf("Put: err = %v, want nil or one wrapping ErrInvalidConfig", err)
					}
					checkStoreList(t, reopenStore(t, s), map[string]Config{"telegram": {"botToken": "t"}})
					return
				}
				checkStoreList(t, reopenStore(t, s), map[string]Config{"telegram": {"botToken": "t"}, "conn": tt.cfg})
			})
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		s := open(t)
		putConfig(t, s, "telegram", Config{"botToken": "t"})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.List(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("List: err = %v, want context.Canceled", err)
		}
		if _, err := s.Get(ctx, "telegram"); !errors.Is(err, context.Canceled) {
			t.Errorf("Get: err = %v, want context.Canceled", err)
		}
		if err := s.Put(ctx, "discord", Config{"token": "d"}); !errors.Is(err, context.Canceled) {
			t.Errorf("Put: err = %v, want context.Canceled", err)
		}
		if err := s.Delete(ctx, "telegram"); !errors.Is(err, context.Canceled) {
			t.Errorf("Delete: err = %v, want context.Canceled", err)
		}
		checkStoreList(t, reopenStore(t, s), map[string]Config{"telegram": {"botToken": "t"}})
	})

	t.Run("Update", func(t *testing.T) {
		errStop := errors.New("stop")
		seed := func() map[string]Config {
			return map[string]Config{
				"telegram": {"botToken": "t", "groups": Config{"a": true}, "allowFrom": []any{"x"}},
				"discord":  {"token": "d"},
			}
		}
		tests := []struct {
			name    string
			fn      func(m map[string]Config) error
			want    map[string]Config // after Update
			wantErr error             // nil: success
		}{
			{
				name: "changes are stored and normalized",
				fn: func(m map[string]Config) error {
					m["slack"] = Config{"port": 8080, "ratio": 2.0, "drop": nil, "__proto__": 1}
					delete(m, "discord")
					m["telegram"]["groups"].(Config)["b"] = false
					return nil
				},
				want: map[string]Config{
					"telegram": {"botToken": "t", "groups": Config{"a": true, "b": false}, "allowFrom": []any{"x"}},
					"slack":    {"port": int64(8080), "ratio": int64(2)},
				},
			},
			{
				name: "no change",
				fn:   func(m map[string]Config) error { return nil },
				want: seed(),
			},
			{
				name: "fn error leaves the store unchanged",
				fn: func(m map[string]Config) error {
					m["slack"] = Config{"token": "s"}
					delete(m, "discord")
					m["telegram"]["botToken"] = "changed"
					m["telegram"]["groups"].(Config)["a"] = false
					m["telegram"]["allowFrom"].([]any)[0] = "y"
					return fmt.Errorf("wrapped: %w", errStop)
				},
				want:    seed(),
				wantErr: errStop,
			},
			{
				name:    "empty name",
				fn:      func(m map[string]Config) error { m[""] = Config{}; return nil },
				want:    seed(),
				wantErr: ErrInvalidName,
			},
			{
				name: "two spellings of one name",
				fn: func(m map[string]Config) error {
					m["slack"] = Config{"token": "s"}
					m[" slack "] = Config{"token": "t"}
					return nil
				},
				want:    seed(),
				wantErr: ErrInvalidName,
			},
			{
				name:    "reserved name",
				fn:      func(m map[string]Config) error { m["__proto__"] = Config{}; return nil },
				want:    seed(),
				wantErr: ErrInvalidName,
			},
			{
				name:    "control character in name",
				fn:      func(m map[string]Config) error { m["a\x00b"] = Config{}; return nil },
				want:    seed(),
				wantErr: ErrInvalidName,
			},
			{
				name: "invalid config",
				fn: func(m map[string]Config) error {
					m["slack"] = Config{"token": "s"}
					m["telegram"]["port"] = math.Inf(1)
					return nil
				},
				want:    seed(),
				wantErr: ErrInvalidConfig,
			},
			{
				name: "too deep config",
				fn: func(m map[string]Config) error {
					m["deep"] = nestedMaps(MaxDepth + 1)
					return nil
				},
				want:    seed(),
				wantErr: ErrInvalidConfig,
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := open(t)
				u, ok := s.(Updater)
				if !ok {
					t.Fatalf("%T does not implement Updater", s)
				}
				for name, cfg := range seed() {
					putConfig(t, s, name, cfg)
				}
				var seen map[string]Config
				err := u.Update(t.Context(), func(m map[string]Config) error {
					seen = cloneAll(m)
					return tt.fn(m)
				})
				if tt.wantErr == nil && err != nil {
					t.Fatalf("Update: %v", err)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Update: err = %v, want one wrapping %v", err, tt.wantErr)
				}
				if diff := cmp.Diff(seed(), seen); diff != "" {
					t.Errorf("Update gave fn (-want +got):\n%s", diff)
				}
				checkStoreList(t, s, tt.want)
				checkStoreList(t, reopenStore(t, s), tt.want)
			})
		}
	})

	t.Run("ConcurrentPut", func(t *testing.T) {
		const goroutines, puts = 8, 50
		s := open(t)
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range puts {
					name := fmt.Sprintf("conn-%d-%d", g, i)
					if err := s.Put(t.Context(), name, Config{"g": g, "i": i}); err != nil {
						t.Errorf("Put(%q): %v", name, err)
						return
					}
					if _, err := s.Get(t.Context(), name); err != nil {
						t.Errorf("Get(%q) after Put: %v", name, err)
						return
					}
				}
			})
		}
		wg.Wait()
		want := make(map[string]Config)
		for g := range goroutines {
			for i := range puts {
				want[fmt.Sprintf("conn-%d-%d", g, i)] = Config{"g": int64(g), "i": int64(i)}
			}
		}
		checkStoreList(t, s, want)
		checkStoreList(t, reopenStore(t, s), want)
	})
}

// reopen returns a store that reads what s wrote afresh: a new FileStore on
// the same file, or s itself for stores that keep nothing outside memory.
func reopenStore(t *testing.T, s Store) Store {
	t.Helper()
	if fs, ok := s.(*FileStore); ok {
		return openFileStore(t, fs.Path())
	}
	return s
}

func openFileStore(t *testing.T, path string) *FileStore {
	t.Helper()
	s, err := NewFileStore(path, FileOptions{})
	if err != nil {
		t.Fatalf("NewFileStore(%q, FileOptions{}): %v", path, err)
	}
	return s
}

func putConfig(t *testing.T, s Store, name string, cfg Config) {
	t.Helper()
	if err := s.Put(t.Context(), name, cfg); err != nil {
		t.Fatalf("Put(%q): %v", name, err)
	}
}

func checkStoreList(t *testing.T, s Store, want map[string]Config) {
	t.Helper()
	got, err := s.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

func checkStoreGet(t *testing.T, s Store, name string, want Config) {
	t.Helper()
	got, err := s.Get(t.Context(), name)
	if err != nil {
		t.Fatalf("Get(%q): %v", name, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get(%q) (-want +got):\n%s", name, diff)
	}
}

// storeSample returns a config with a nested object and an array, in the
// value model except for its Go int, so Put has to convert it.
func storeSample() Config {
	return Config{
		"botToken":  "123456:ABC-DEF",
		"port":      8080,
		"groups":    Config{"main": Config{"requireMention": true}},
		"allowFrom": []any{"alice", Config{"id": "bob"}},
	}
}

// storeSampleNormalized is storeSample as a store returns it.
func storeSampleNormalized() Config {
	return Config{
		"botToken":  "123456:ABC-DEF",
		"port":      int64(8080),
		"groups":    Config{"main": Config{"requireMention": true}},
		"allowFrom": []any{"alice", Config{"id": "bob"}},
	}
}

// mutateStoreSample changes cfg, shaped like storeSample, at every level.
func mutateStoreSample(cfg Config) {
	cfg["botToken"] = "changed"
	cfg["added"] = true
	cfg["groups"].(Config)["main"].(Config)["requireMention"] = false
	cfg["groups"].(Config)["other"] = Config{}
	allow := cfg["allowFrom"].([]any)
	allow[0] = "mallory"
	allow[1].(Config)["id"] = "eve"
}

// nestedMaps returns a config that nests levels objects, itself included.
func nestedMaps(levels int) Config {
	cfg := Config{"leaf": "x"}
	for range levels - 1 {
		cfg = Config{"a": cfg}
	}
	return cfg
}

// nestedArrays returns a config that nests levels-1 arrays inside itself.
func nestedArrays(levels int) Config {
	var v any = "x"
	for range levels - 1 {
		v = []any{v}
	}
	return Config{"a": v}
}

// FileStore specifics.

func TestNewFileStore(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		wantErr bool
	}{
		{"toml", "config.toml", false},
		{"json", "config.json", false},
		{"upper-case extension", "CONFIG.TOML", false},
		{"yaml", "config.yaml", true},
		{"yml", "config.yml", true},
		{"no extension", "config", true},
		{"toml not last", "config.toml.bak", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "missing")
			path := filepath.Join(dir, tt.file)
			s, err := NewFileStore(path, FileOptions{})
			if tt.wantErr {
				if err == nil {
					t.Fatalf("NewFileStore(%q, FileOptions{}) = %v, nil; want an error", path, s)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewFileStore(%q, FileOptions{}): %v", path, err)
			}
			if s.Path() != path {
				t.Errorf("Path() = %q, want %q", s.Path(), path)
			}
			if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("NewFileStore touched the disk: Lstat(%q) err = %v, want not exist", dir, err)
			}
		})
	}
}

// A missing file is an empty store. Reading it, or a write that changes
// nothing, creates nothing: no file, no directory, no lock.
func TestFileStoreMissingFile(t *testing.T) {
	for _, ext := range []string{".toml", ".json"} {
		t.Run(ext, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "conf")
			path := filepath.Join(dir, "config"+ext)
			s := openFileStore(t, path)
			ctx := t.Context()

			checkStoreList(t, s, map[string]Config{})
			if _, err := s.Get(ctx, "telegram"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get: err = %v, want ErrNotFound", err)
			}
			if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("reads created %s: Lstat err = %v", dir, err)
			}

			if err := s.Delete(ctx, "telegram"); err != nil {
				t.Errorf("Delete: %v", err)
			}
			if err := s.Update(ctx, func(map[string]Config) error { return nil }); err != nil {
				t.Errorf("Update with no change: %v", err)
			}
			if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("writes that changed nothing created %s: Lstat err = %v", dir, err)
			}
			checkStoreList(t, s, map[string]Config{})
		})
	}
}

func TestFileStorePermissions(t *testing.T) {
	for _, ext := range []string{".toml", ".json"} {
		t.Run(ext+"/new file and directories", func(t *testing.T) {
			root := t.TempDir()
			path := filepath.Join(root, "a", "b", "config"+ext)
			putConfig(t, openFileStore(t, path), "telegram", Config{"botToken": "t"})
			checkFileMode(t, path, 0o600)
			checkFileMode(t, filepath.Join(root, "a"), fs.ModeDir|0o700)
			checkFileMode(t, filepath.Join(root, "a", "b"), fs.ModeDir|0o700)
		})
		t.Run(ext+"/existing mode kept", func(t *testing.T) {
			for _, mode := range []fs.FileMode{0o644, 0o640, 0o600} {
				path := filepath.Join(t.TempDir(), "config"+ext)
				writeConfigFile(t, path, "", mode)
				s := openFileStore(t, path)
				putConfig(t, s, "telegram", Config{"botToken": "t"})
				checkFileMode(t, path, mode)
				if err := s.Delete(t.Context(), "telegram"); err != nil {
					t.Fatalf("Delete: %v", err)
				}
				checkFileMode(t, path, mode)
			}
		})
	}
}

// Everything in the file outside "connectors" belongs to the host and is
// kept as data by every write.
func TestFileStoreKeepsHostData(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content string
	}{
		{
			name: "toml",
			file: "config.toml",
			content: `title = "my agent"
port = 8080
ratio = 1.0
big = 9223372036854775807
negative = -1
enabled = true
started = 1979-05-27T07:32:00-08:00
utc = 1979-05-27T07:32:00.999999Z
localDatetime = 1979-05-27T07:32:00
localDate = 1979-05-27
localTime = 07:32:00
list = [1, 2, 3]
mixed = [1, "two", 3.5, [4]]
points = [{x = 1}, {x = 2}]
"quoted key" = "v"

[server]
host = "localhost"
[server.tls]
cert = "a.pem"
[server.empty]

[[plugins]]
name = "one"
[[plugins]]
name = "two"
[plugins.opts]
level = 3

[connectors.discord]
token = "MTAx.abc.def"
`,
		},
		{
			name: "json",
			file: "config.json",
			content: `{
  "title": "my agent",
  "ratio": 1.0,
  "big": 12345678901234567890,
  "exp": 1e3,
  "negZero": -0.0,
  "precise": 0.1000000000000000055511151231257827,
  "enabled": true,
  "nothing": null,
  "html": "<a href=\"x\">&</a>",
  "list": [1, "two", null, {"three": 3}],
  "server": {"host": "localhost", "tls": {"cert": "a.pem"}, "__proto__": {"x": 1}},
  "empty": {},
  "connectors": {"discord": {"token": "MTAx.abc.def"}}
}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			writeConfigFile(t, path, tt.content, 0o600)
			host := decodeConfigFile(t, path)
			delete(host, "connectors")
			s := openFileStore(t, path)
			discord := Config{"token": "MTAx.abc.def"}

			putConfig(t, s, "telegram", Config{"botToken": "123456:ABC-DEF"})
			checkHostData(t, path, host)
			checkStoreList(t, s, map[string]Config{"discord": discord, "telegram": {"botToken": "123456:ABC-DEF"}})

			if err := s.Delete(t.Context(), "telegram"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			checkHostData(t, path, host)
			checkStoreList(t, s, map[string]Config{"discord": discord})

			if err := s.Delete(t.Context(), "discord"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			checkHostData(t, path, host)
			checkStoreList(t, s, map[string]Config{})
		})
	}
}

// checkHostData checks that the file at path, less its connectors table,
// decodes to want.
func checkHostData(t *testing.T, path string, want map[string]any) {
	t.Helper()
	got := decodeConfigFile(t, path)
	delete(got, "connectors")
	// A TOML datetime's kind (offset, local date-time, local date, local
	// time) lives in its Location: compare it too, not only the instant.
	sameTime := cmp.Comparer(func(a, b time.Time) bool {
		return a.Equal(b) && a.Location().String() == b.Location().String()
	})
	if diff := cmp.Diff(want, got, sameTime); diff != "" {
		t.Errorf("host data in %s after a write (-want +got):\n%s", filepath.Base(path), diff)
	}
}

func TestFileStoreLegacyChannels(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content string
	}{
		{
			name: "toml",
			file: "config.toml",
			content: `[connectors.telegram]
botToken = "new"

[channels.telegram]
botToken = "old"
[channels.discord]
token = "d"
[channels.slack]
botToken = "s"
accounts = [{id = 1}]
`,
		},
		{
			name: "json",
			file: "config.json",
			content: `{
  "connectors": {"telegram": {"botToken": "new"}},
  "channels": {
    "telegram": {"botToken": "old"},
    "discord": {"token": "d"},
    "slack": {"botToken": "s", "accounts": [{"id": 1}]}
  }
}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			writeConfigFile(t, path, tt.content, 0o600)
			s := openFileStore(t, path)
			ctx := t.Context()
			slack := Config{"botToken": "s", "accounts": []any{Config{"id": int64(1)}}}
			channels := fileTable(t, decodeConfigFile(t, path), "channels")

			// Listed merged; "connectors" wins a name in both.
			checkStoreList(t, s, map[string]Config{
				"telegram": {"botToken": "new"},
				"discord":  {"token": "d"},
				"slack":    slack,
			})
			checkStoreGet(t, s, "discord", Config{"token": "d"})
			checkStoreGet(t, s, "telegram", Config{"botToken": "new"})

			// A write keeps everything in channels.
			putConfig(t, s, "whatsapp", Config{"authDir": "/data/wa"})
			if diff := cmp.Diff(channels, fileTable(t, decodeConfigFile(t, path), "channels")); diff != "" {
				t.Errorf("channels after Put of another name (-want +got):\n%s", diff)
			}
			putConfig(t, s, "slack", Config{"botToken": "s2"})
			if diff := cmp.Diff(channels, fileTable(t, decodeConfigFile(t, path), "channels")); diff != "" {
				t.Errorf("channels after Put of a channels name (-want +got):\n%s", diff)
			}
			checkStoreList(t, s, map[string]Config{
				"telegram": {"botToken": "new"},
				"discord":  {"token": "d"},
				"slack":    {"botToken": "s2"},
				"whatsapp": {"authDir": "/data/wa"},
			})

			// Delete removes a name from both tables, so the old
			// channels entry does not show through.
			for _, name := range []string{"telegram", "discord", "slack"} {
				if err := s.Delete(ctx, name); err != nil {
					t.Fatalf("Delete(%q): %v", name, err)
				}
				if _, err := s.Get(ctx, name); !errors.Is(err, ErrNotFound) {
					t.Errorf("Get(%q) after Delete: err = %v, want ErrNotFound", name, err)
				}
				doc := decodeConfigFile(t, path)
				for _, table := range []string{"connectors", "channels"} {
					if _, ok := fileTable(t, doc, table)[name]; ok {
						t.Errorf("after Delete(%q) the file still has %s.%s", name, table, name)
					}
				}
			}
			checkStoreList(t, openFileStore(t, path), map[string]Config{"whatsapp": {"authDir": "/data/wa"}})
		})
	}
}

// A file that does not parse, or whose connectors or channels table does
// not hold connectors, is an error for every call and is never rewritten.
// No error repeats what the file holds.
func TestFileStoreInvalidFile(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content string
	}{
		{"toml syntax", "config.toml", "[connectors.telegram]\nbotToken = \"SECRET-1\n"},
		{"toml duplicate key", "config.toml", "[connectors.telegram]\nbotToken = \"SECRET-1\"\nbotToken = \"SECRET-2\"\n"},
		{"toml duplicate table", "config.toml", "[connectors.telegram]\na = \"SECRET-1\"\n[connectors.telegram]\nb = 1\n"},
		{"toml invalid UTF-8", "config.toml", "[connectors.telegram]\nbotToken = \"SECRET-\xff\"\n"},
		{"toml connectors not a table", "config.toml", "connectors = \"SECRET-1\"\n"},
		{"toml connectors an array of tables", "config.toml", "[[connectors]]\ntoken = \"SECRET-1\"\n"},
		{"toml entry not a table", "config.toml", "[connectors]\ntelegram = \"SECRET-1\"\n"},
		{"toml channels entry not a table", "config.toml", "[channels]\ntelegram = [\"SECRET-1\"]\n"},
		{"toml channels not a table", "config.toml", "channels = 1\n"},
		{"toml reserved connector name", "config.toml", "[connectors.__proto__]\ntoken = \"SECRET-1\"\n"},
		{"toml padded connector name", "config.toml", "[connectors.\" telegram\"]\ntoken = \"SECRET-1\"\n"},
		{"json syntax", "config.json", "{\n  \"connectors\": {\n    \"telegram\": {\"botToken\": \"SECRET-1\" \"x\"}\n  }\n}\n"},
		{"json truncated", "config.json", "{\"connectors\": {\"telegram\": {\"botToken\": \"SECRET-1\""},
		{"json array", "config.json", "[\"SECRET-1\"]"},
		{"json null", "config.json", "null"},
		{"json string", "config.json", "\"SECRET-1\""},
		{"json trailing data", "config.json", "{\"connectors\": {}} \"SECRET-1\""},
		{"json trailing brace", "config.json", "{\"connectors\": {}}\n}"},
		{"json trailing bracket", "config.json", "{\"connectors\": {}}]"},
		{"json connectors not an object", "config.json", `{"connectors": ["SECRET-1"]}`},
		{"json connectors null", "config.json", `{"connectors": null}`},
		{"json entry not an object", "config.json", `{"connectors": {"telegram": "SECRET-1"}}`},
		{"json channels entry not an object", "config.json", `{"channels": {"telegram": ["SECRET-1"]}}`},
		{"json connector name too long", "config.json", `{"connectors": {"` + strings.Repeat("x", MaxNameBytes+1) + `": {}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			writeConfigFile(t, path, tt.content, 0o600)
			s := openFileStore(t, path)
			ctx := t.Context()

			_, listErr := s.List(ctx)
			_, getErr := s.Get(ctx, "telegram")
			putErr := s.Put(ctx, "discord", Config{"token": "d"})
			delErr := s.Delete(ctx, "telegram")
			updErr := s.Update(ctx, func(m map[string]Config) error {
				m["discord"] = Config{"token": "d"}
				return nil
			})
			for _, c := range []struct {
				op  string
				err error
			}{{"List", listErr}, {"Get", getErr}, {"Put", putErr}, {"Delete", delErr}, {"Update", updErr}} {
				if !errors.Is(c.err, ErrInvalidFile) {
					t.Errorf("%s: err = %v, want one wrapping ErrInvalidFile", c.op, c.err)
				} else if strings.Contains(c.err.Error(), "SECRET") {
					t.Errorf("%s: error %q repeats the file's content", c.op, c.err)
				}
			}
			if got := readConfigFile(t, path); !bytes.Equal(got, []byte(tt.content)) {
				t.Errorf("file changed by refused writes:\n got %q\nwant %q", got, tt.content)
			}
		})
	}
}

// A syntax error says on which line it is, and never quotes the line: the
// file holds secrets.
func TestFileStoreParseErrorHidesContent(t *testing.T) {
	const secret = "sk-live-9f8e7d6c5b4a"
	tests := []struct {
		name     string
		file     string
		content  string
		wantLine string
	}{
		{
			name:     "toml bare value",
			file:     "config.toml",
			content:  "title = \"agent\"\n[connectors.telegram]\nbotToken = " + secret + "\nport = 1\n",
			wantLine: "line 3",
		},
		{
			name:     "toml unterminated string",
			file:     "config.toml",
			content:  "title = \"agent\"\n\n[connectors.telegram]\nbotToken = \"" + secret + "\nport = 1\n",
			wantLine: "line 4",
		},
		{
			name:     "toml duplicate key",
			file:     "config.toml",
			content:  "[connectors.telegram]\n\"" + secret + "\" = 1\n\"" + secret + "\" = 2\n",
			wantLine: "line 3",
		},
		{
			name:     "json missing comma",
			file:     "config.json",
			content:  "{\n  \"connectors\": {\n    \"telegram\": {\n      \"botToken\": \"" + secret + "\" \"port\": 1\n    }\n  }\n}\n",
			wantLine: "line 4",
		},
		{
			name:     "json bare value",
			file:     "config.json",
			content:  "{\n  \"connectors\": {\n    \"telegram\": {\n\n      \"botToken\": " + secret + "\n    }\n  }\n}\n",
			wantLine: "line 5",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			writeConfigFile(t, path, tt.content, 0o600)
			_, err := openFileStore(t, path).List(t.Context())
			if !errors.Is(err, ErrInvalidFile) {
				t.Fatalf("List: err = %v, want one wrapping ErrInvalidFile", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantLine) {
				t.Errorf("error %q does not say %q", msg, tt.wantLine)
			}
			for _, leak := range []string{secret, "sk-live", "9f8e7d"} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q quotes the file (%q)", msg, leak)
				}
			}
		})
	}
}

// Writes that change no connector leave the file alone (a rewrite would
// drop the host's comments and formatting).
func TestFileStoreSkipsNoopWrites(t *testing.T) {
	const content = "# the host's comment\n[connectors.telegram]\nbotToken = \"t\" # inline\nport = 8080\n"
	tests := []struct {
		name string
		op   func(ctx context.Context, s *FileStore) error
	}{
		{"Delete of an absent name", func(ctx context.Context, s *FileStore) error {
			return s.Delete(ctx, "discord")
		}},
		{"Put of the same config", func(ctx context.Context, s *FileStore) error {
			return s.Put(ctx, "telegram", Config{"botToken": "t", "port": 8080.0})
		}},
		{"Update with no change", func(ctx context.Context, s *FileStore) error {
			return s.Update(ctx, func(m map[string]Config) error {
				m["telegram"]["port"] = 8080
				return nil
			})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			writeConfigFile(t, path, content, 0o600)
			if err := tt.op(t.Context(), openFileStore(t, path)); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if got := string(readConfigFile(t, path)); got != content {
				t.Errorf("file rewritten by a write that changed nothing:\n got %q\nwant %q", got, content)
			}
		})
	}
}

// Writes replace the file through a temporary file in its directory, and
// leave none behind.
func TestFileStoreNoTempFiles(t *testing.T) {
	for _, ext := range []string{".toml", ".json"} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config"+ext)
			s := openFileStore(t, path)
			for i := range 5 {
				putConfig(t, s, fmt.Sprintf("conn%d", i), Config{"i": i})
			}
			if err := s.Delete(t.Context(), "conn0"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				// The guard file of the write lock stays, by design.
				if e.Name() != "config"+ext+".lock" {
					names = append(names, e.Name())
				}
			}
			if diff := cmp.Diff([]string{"config" + ext}, names); diff != "" {
				t.Errorf("files in the directory (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFileStoreFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real", "config.toml")
	if err := os.Mkdir(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	writeConfigFile(t, target, "title = \"agent\"\n", 0o640)
	link := filepath.Join(dir, "config.toml")
	if err := os.Symlink(filepath.Join("real", "config.toml"), link); err != nil {
		t.Skipf("cannot make a symlink: %v", err)
	}

	putConfig(t, openFileStore(t, link), "telegram", Config{"botToken": "t"})

	fi, err := os.Lstat(link)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("%s is no longer a symlink: mode %v", link, fi.Mode())
	}
	if dest, err := os.Readlink(link); err != nil || dest != filepath.Join("real", "config.toml") {
		t.Errorf("Readlink = %q, %v; want %q", dest, err, filepath.Join("real", "config.toml"))
	}
	checkFileMode(t, target, 0o640)
	checkStoreList(t, openFileStore(t, target), map[string]Config{"telegram": {"botToken": "t"}})
	if got := decodeConfigFile(t, target)["title"]; got != "agent" {
		t.Errorf("target's title = %v, want %q", got, "agent")
	}
}

// TestFileStoreWritesFileItReadsThroughRelativeSymlinkInLinkedDir: a
// store on a path that reaches its file through symlinks and ".." writes
// the file it reads, the one the system resolves the path to: after a
// symlinked directory, ".." names the parent of the directory the link
// leads to, not the one the path names before it. A Put is seen by the
// next Get, changes that file, and makes no file where a lexical reading
// of the path would put it.
func TestFileStoreWritesFileItReadsThroughRelativeSymlinkInLinkedDir(t *testing.T) {
	for _, tt := range []struct {
		name  string
		dirs  []string
		links [][2]string // name, target
		path  string      // what the store opens
		file  string      // where the system takes it
		decoy string      // where a lexical reading takes it
	}{{
		// A dotfiles layout, as GNU stow makes it.
		name:  "link in a linked directory",
		dirs:  []string{"dotfiles/agent", "dotfiles/shared", "config"},
		links: [][2]string{{"config/agent", "../dotfiles/agent"}, {"dotfiles/agent/agent.toml", "../shared/agent.toml"}},
		path:  "config/agent/agent.toml",
		file:  "dotfiles/shared/agent.toml",
		decoy: "config/shared",
	}, {
		name:  "link through a linked directory of its own",
		dirs:  []string{"a/deep/real", "b"},
		links: [][2]string{{"b/sub", "../a/deep/real"}, {"b/agent.toml", "sub/../x.toml"}},
		path:  "b/agent.toml",
		file:  "a/deep/x.toml",
		decoy: "b/x.toml",
	}, {
		name:  "path through a linked directory",
		dirs:  []string{"a/deep/real", "c"},
		links: [][2]string{{"c/link", "../a/deep/real"}},
		path:  "c/link/../agent.toml",
		file:  "a/deep/agent.toml",
		decoy: "c/agent.toml",
	}} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			at := func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
			for _, dir := range tt.dirs {
				if err := os.MkdirAll(at(dir), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			writeConfigFile(t, at(tt.file), "[connectors.a]\ntoken = \"1\"\n", 0o600)
			for _, l := range tt.links {
				if err := os.Symlink(filepath.FromSlash(l[1]), at(l[0])); err != nil {
					t.Skipf("cannot make a symlink: %v", err)
				}
			}
			// Not filepath.Join, which would clean ".." away.
			path := root + string(filepath.Separator) + filepath.FromSlash(tt.path)
			if got := string(readConfigFile(t, path)); got != "[connectors.a]\ntoken = \"1\"\n" {
				t.Fatalf("the path does not lead to the file the test made: %q", got)
			}
			s := openFileStore(t, path)
			defer s.Close()
			ctx := t.Context()
			if err := s.Put(ctx, "b", Config{"token": "2"}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, "b"); err != nil {
				t.Errorf("Get after an acknowledged Put: %v", err)
			}
			if _, err := openFileStore(t, at(tt.file)).Get(ctx, "b"); err != nil {
				t.Errorf("the file the path resolves to does not hold the Put: %v", err)
			}
			if _, err := os.Lstat(at(tt.decoy)); err == nil {
				t.Errorf("the Put made %s, where the path does not lead", tt.decoy)
			}
		})
	}
}

func TestFileStoreRefusesDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	s := openFileStore(t, path)
	if _, err := s.List(t.Context()); err == nil {
		t.Error("List of a directory: err = nil, want an error")
	}
	if err := s.Put(t.Context(), "telegram", Config{"botToken": "t"}); err == nil {
		t.Error("Put to a directory: err = nil, want an error")
	}
	if fi, err := os.Lstat(path); err != nil || !fi.IsDir() {
		t.Errorf("%s is no longer a directory: %v, %v", path, fi, err)
	}
}

// The file holds the real secrets, readable by people: redaction is only
// for responses.
func TestFileStoreWritesReadableFile(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string
		not  []string
	}{
		{
			name: "toml",
			file: "config.toml",
			want: []string{"[connectors.telegram]\n", "botToken = \"123456:ABC-DEF\"\n", "port = 8080\n", "ratio = 1.5\n"},
			not:  []string{"8080.0", "****"},
		},
		{
			name: "json",
			file: "config.json",
			want: []string{`"connectors": {`, `"telegram": {`, `"botToken": "123456:ABC-DEF"`, `"port": 8080`, `"ratio": 1.5`, `"url": "https://x.test/?a=1&b=<2>"`},
			not:  []string{"8080.0", "****", `\u0026`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			putConfig(t, openFileStore(t, path), "telegram", Config{
				"botToken": "123456:ABC-DEF",
				"port":     8080.0,
				"ratio":    1.5,
				"url":      "https://x.test/?a=1&b=<2>",
			})
			got := string(readConfigFile(t, path))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("file does not contain %q:\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("file contains %q:\n%s", n, got)
				}
			}
		})
	}
}

// Each write re-reads the file, so two stores on one file (one process
// after another) see and keep each other's connectors.
func TestFileStoreReopen(t *testing.T) {
	for _, ext := range []string{".toml", ".json"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config"+ext)
			first := openFileStore(t, path)
			putConfig(t, first, "telegram", storeSample())

			second := openFileStore(t, path)
			checkStoreList(t, second, map[string]Config{"telegram": storeSampleNormalized()})
			putConfig(t, second, "discord", Config{"token": "d", "ratio": 0.25})

			putConfig(t, first, "slack", Config{"port": uint16(3000)})
			want := map[string]Config{
				"telegram": storeSampleNormalized(),
				"discord":  {"token": "d", "ratio": 0.25},
				"slack":    {"port": int64(3000)},
			}
			checkStoreList(t, second, want)
			checkStoreList(t, openFileStore(t, path), want)
		})
	}
}

func writeConfigFile(t *testing.T, path, content string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	// WriteFile's mode is filtered by the umask.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func readConfigFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// decodeConfigFile decodes the TOML or JSON file at path as the host would,
// with JSON numbers kept as written and TOML arrays of tables as []any.
func decodeConfigFile(t *testing.T, path string) map[string]any {
	t.Helper()
	data := readConfigFile(t, path)
	doc := make(map[string]any)
	switch filepath.Ext(path) {
	case ".toml":
		if _, err := toml.Decode(string(data), &doc); err != nil {
			t.Fatalf("decode %s: %v", path, err)
		}
		doc = arraysOfTables(doc).(map[string]any)
	case ".json":
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("decode %s: %v", path, err)
		}
	default:
		t.Fatalf("decodeConfigFile: unknown format %s", path)
	}
	return doc
}

// arraysOfTables returns v with every []map[string]any turned into the
// []any of maps it stands for: the TOML decoder returns [[t]] as the first
// and t = [{...}] as the second, and a rewrite may change one spelling
// into the other without changing the data.
func arraysOfTables(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = arraysOfTables(e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = arraysOfTables(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = arraysOfTables(e)
		}
		return out
	default:
		return v
	}
}

// fileTable returns doc's top-level table name, or nil if there is none.
func fileTable(t *testing.T, doc map[string]any, name string) map[string]any {
	t.Helper()
	v, ok := doc[name]
	if !ok {
		return nil
	}
	table, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is a %T, want a table", name, v)
	}
	return table
}

func checkFileMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (fs.ModeType | fs.ModePerm); got != want {
		t.Errorf("mode of %s = %v, want %v", filepath.Base(path), got, want)
	}
}

// TestFileStoreRevisionKeySharedThroughGuardFile: every store on a file
// agrees on its revision, through the key in the guard file; a guard file
// removed takes its key with it, and the stores agree again once the file
// has changed (a guard file made again can come back under the same
// inode number, so a write reads the key every time).
func TestFileStoreRevisionKeySharedThroughGuardFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	a, b := openFileStore(t, path), openFileStore(t, path)
	ctx := t.Context()
	agree := func(step string) {
		t.Helper()
		sa := stateOf(t, a)
		sb := stateOf(t, b)
		if sa.Revision != sb.Revision {
			t.Errorf("%s: the stores give revisions %q and %q for one file", step, sa.Revision, sb.Revision)
		}
	}
	putConfig(t, a, "a", Config{"token": "1"})
	agree("after the first write")
	if err := os.Remove(path + ".lock"); err != nil {
		t.Fatal(err)
	}
	putConfig(t, b, "b", Config{"token": "2"})
	agree("after a write under a new guard file")
	putConfig(t, a, "c", Config{"token": "3"})
	agree("after a write by the store that read the old key")
	if fresh, err := openFileStore(t, path).State(ctx); err != nil {
		t.Fatal(err)
	} else if now, _ := a.State(ctx); fresh.Revision != now.Revision {
		t.Errorf("a store opened after the writes gives revision %q, the others %q", fresh.Revision, now.Revision)
	}
}

// TestFileStoreReaderKeyNotStuckBehindOwnWriter: a store whose first read
// of a host-written file (no guard file yet) meets a write of the same
// store that changes nothing (a DELETE of an absent name) still ends with
// the shared revision key: the read, which cannot take the lock the write
// holds, keys the revision with the store's own key only until the write
// reads the file under its lock and gets the shared key. Its ETags then
// match every other server's on the file.
func TestFileStoreReaderKeyNotStuckBehindOwnWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	// Just saved by the host: the first read waits for it to settle,
	// holding s.mu.
	writeConfigFile(t, path, "[agent]\nname = \"x\"\n\n[connectors.tg]\nbotToken = \"1234\"\n", 0o600)
	a := openFileStore(t, path)
	ctx := t.Context()
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := a.State(ctx); err != nil {
			t.Error(err)
		}
	})
	time.Sleep(20 * time.Millisecond) // the read is settling
	wg.Go(func() {
		if err := a.Delete(ctx, "absent"); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()

	time.Sleep(200 * time.Millisecond)
	b := openFileStore(t, path) // another server, or this one restarted
	sb := stateOf(t, b)
	sa := stateOf(t, a)
	if sa.Revision != sb.Revision {
		t.Errorf("one unchanged file: revision %q from the store that read it beside its own write, %q from another store", sa.Revision, sb.Revision)
	}
	tag := do(t, NewHandler(b, HandlerOptions{}), "GET", "/", "", nil).Header().Get("ETag")
	rec := do(t, NewHandler(a, HandlerOptions{}), "POST", "/", `{"name":"n","config":{}}`, map[string]string{"If-Match": tag})
	if rec.Code != http.StatusOK {
		t.Errorf("POST with If-Match of the current ETag from another server on the file: %d %s, want 200", rec.Code, rec.Body)
	}
}

// TestFileStoreFirstNoopWriteUsesSharedKey: a store whose first operation
// is a write that changes nothing gets the shared revision key at once:
// the read it makes under the guard file's lock takes the key through the
// write's own descriptor, rather than wait for the lock it holds itself.
func TestFileStoreFirstNoopWriteUsesSharedKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, "[agent]\nname = \"x\"\n\n[connectors.tg]\nbotToken = \"1234\"\n", 0o600)
	old := time.Now().Add(-time.Hour) // saved long ago: no settling
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	a := NewHandler(openFileStore(t, path), HandlerOptions{})
	start := time.Now()
	if rec := do(t, a, "DELETE", "/absent", "", nil); rec.Code != http.StatusOK {
		t.Fatalf("DELETE of an absent name: %d %s", rec.Code, rec.Body)
	}
	if d := time.Since(start); d > 40*time.Millisecond {
		t.Errorf("a DELETE that changes nothing took %v", d)
	}
	tagA := do(t, a, "GET", "/", "", nil).Header().Get("ETag")
	b := NewHandler(openFileStore(t, path), HandlerOptions{}) // another server, or a restart
	tagB := do(t, b, "GET", "/", "", nil).Header().Get("ETag")
	if tagA != tagB {
		t.Errorf("one unchanged file: ETag %s from the server whose first request was a DELETE that changed nothing, %s from another", tagA, tagB)
	}
	rec := do(t, a, "POST", "/", `{"name":"n","config":{}}`, map[string]string{"If-Match": tagB})
	if rec.Code != http.StatusOK {
		t.Errorf("POST with the current ETag from another server on the file: %d %s, want 200", rec.Code, rec.Body)
	}
}

// stateOf returns s's state, failing the test if it has none.
func stateOf(t *testing.T, s *FileStore) State {
	t.Helper()
	st, err := s.State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st
}
