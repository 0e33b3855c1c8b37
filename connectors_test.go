// This file tests connector names and the config value model.

package connectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCheckName(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{name: "plain", in: "telegram", want: "telegram"},
		{name: "trimmed", in: "  telegram\t\r\n", want: "telegram"},
		{name: "trimmed unicode space", in: "\u00a0telegram\u3000", want: "telegram"},
		{name: "inner space kept", in: " my bot ", want: "my bot"},
		{name: "slash allowed", in: "team/telegram", want: "team/telegram"},
		{name: "url-ish characters allowed", in: "a?b#c%20d&e=f", want: "a?b#c%20d&e=f"},
		{name: "non-ASCII allowed", in: "télégram-日本語", want: "télégram-日本語"},
		{name: "emoji allowed", in: "bot🤖", want: "bot🤖"},
		{name: "dots inside allowed", in: "a..b", want: "a..b"},
		{name: "NFC: decomposed becomes precomposed", in: "cafe\u0301", want: "caf\u00e9"},
		{name: "NFC: precomposed kept", in: "caf\u00e9", want: "caf\u00e9"},
		{name: "exactly 128 bytes", in: strings.Repeat("a", 128), want: strings.Repeat("a", 128)},
		{name: "exactly 128 bytes multibyte", in: strings.Repeat("é", 64), want: strings.Repeat("é", 64)},
		{name: "128 bytes after trimming", in: "  " + strings.Repeat("b", 128) + "\n", want: strings.Repeat("b", 128)},
		{name: "reserved name inside a longer one", in: "__proto__x", want: "__proto__x"},

		{name: "empty", in: "", wantErr: true},
		{name: "white space only", in: " \t\r\n\u00a0", wantErr: true},
		{name: "129 bytes", in: strings.Repeat("a", 129), wantErr: true},
		{name: "129 bytes multibyte", in: strings.Repeat("é", 64) + "z", wantErr: true},
		{name: "invalid UTF-8", in: "bad\xffname", wantErr: true},
		{name: "truncated UTF-8", in: "bad\xc3", wantErr: true},
		{name: "surrogate half", in: "bad\xed\xa0\x80", wantErr: true},
		{name: "newline inside", in: "tele\ngram", wantErr: true},
		{name: "NUL inside", in: "tele\x00gram", wantErr: true},
		{name: "DEL inside", in: "tele\x7fgram", wantErr: true},
		{name: "NEL inside", in: "tele\u0085gram", wantErr: true},
		{name: "tab inside", in: "tele\tgram", wantErr: true},
		{name: "escape sequence", in: "\x1b[31mred", wantErr: true},
		{name: "reserved __proto__", in: "__proto__", wantErr: true},
		{name: "reserved constructor", in: "constructor", wantErr: true},
		{name: "reserved prototype", in: "prototype", wantErr: true},
		{name: "reserved $include", in: "$include", wantErr: true},
		{name: "reserved after trimming", in: " __proto__\n", wantErr: true},
		{name: "dot", in: ".", wantErr: true},
		{name: "dot dot", in: "..", wantErr: true},
		{name: "dot dot after trimming", in: " .. ", wantErr: true},
		{name: "zero-width space (Cf)", in: "telegram\u200b", wantErr: true},
		{name: "right-to-left override (Cf)", in: "\u202emargelet", wantErr: true},
		{name: "byte-order mark (Cf)", in: "\ufeffbom", wantErr: true},
		{name: "soft hyphen (Cf)", in: "tele\u00adgram", wantErr: true},
		{name: "129 bytes after NFC", in: strings.Repeat("a", 127) + "\u00e9", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckName(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidName) {
					t.Fatalf("CheckName(%q) = %q, %v; want an error wrapping ErrInvalidName", tt.in, got, err)
				}
				if got != "" {
					t.Errorf("CheckName(%q) returned name %q with its error", tt.in, got)
				}
				if trimmed := strings.TrimSpace(tt.in); trimmed != "" && strings.Contains(err.Error(), trimmed) {
					t.Errorf("CheckName(%q) error %q repeats the name", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("CheckName(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("CheckName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeNumber(t *testing.T) {
	tests := []struct {
		name    string
		in      json.Number
		want    any
		wantErr bool
	}{
		{name: "integer", in: "8080", want: int64(8080)},
		{name: "zero", in: "0", want: int64(0)},
		{name: "negative integer", in: "-12", want: int64(-12)},
		{name: "negative zero", in: "-0", want: int64(0)},
		{name: "fraction", in: "1.5", want: 1.5},
		{name: "negative fraction", in: "-0.5", want: -0.5},
		{name: "small fraction", in: "1e-3", want: 0.001},
		{name: "integral with point", in: "1.0", want: int64(1)},
		{name: "integral negative zero with point", in: "-0.0", want: int64(0)},
		{name: "integral exponent", in: "1e3", want: int64(1000)},
		{name: "integral upper exponent", in: "1E3", want: int64(1000)},
		{name: "integral fraction and exponent", in: "2.5e1", want: int64(25)},
		{name: "max int64", in: "9223372036854775807", want: int64(math.MaxInt64)},
		{name: "min int64", in: "-9223372036854775808", want: int64(math.MinInt64)},
		{name: "max int64 plus one", in: "9223372036854775808", wantErr: true},
		{name: "min int64 minus one", in: "-9223372036854775809", wantErr: true},
		{name: "huge integer", in: "123456789012345678901234567890", wantErr: true},
		{name: "integral float above int64", in: "1e19", wantErr: true},
		{name: "integral float at 2^63", in: "9.223372036854775808e18", wantErr: true},
		{name: "overflowing exponent", in: "1e400", wantErr: true},
		{name: "negative overflowing exponent", in: "-1e400", wantErr: true},
		{name: "huge fraction-free float", in: "1.5e300", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := normalizeConfig(Config{"port": tt.in}, "config")
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidConfig) {
					t.Fatalf("normalizeConfig(port: %s) = %#v, %v; want an error wrapping ErrInvalidConfig", tt.in, got, err)
				}
				if !strings.Contains(err.Error(), "config.port") {
					t.Errorf("error %q does not name config.port", err)
				}
				if strings.Contains(err.Error(), string(tt.in)) {
					t.Errorf("error %q repeats the value %s", err, tt.in)
				}
				return
			}
			if err != nil {
				t.Fatalf("normalizeConfig(port: %s) error: %v", tt.in, err)
			}
			if diff := cmp.Diff(Config{"port": tt.want}, got); diff != "" {
				t.Errorf("normalizeConfig(port: %s) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestNormalizeValue(t *testing.T) {
	when := time.Date(2024, 5, 6, 7, 8, 9, 500, time.UTC)
	tests := []struct {
		name    string
		in      any
		want    any
		wantErr bool
	}{
		{name: "string", in: "s", want: "s"},
		{name: "empty string", in: "", want: ""},
		{name: "bool", in: true, want: true},
		{name: "int64", in: int64(-7), want: int64(-7)},
		{name: "int", in: 8080, want: int64(8080)},
		{name: "int8", in: int8(-8), want: int64(-8)},
		{name: "int16", in: int16(16), want: int64(16)},
		{name: "int32", in: int32(-32), want: int64(-32)},
		{name: "uint8", in: uint8(255), want: int64(255)},
		{name: "uint16", in: uint16(65535), want: int64(65535)},
		{name: "uint32", in: uint32(math.MaxUint32), want: int64(math.MaxUint32)},
		{name: "uint", in: uint(9), want: int64(9)},
		{name: "uint64 max int64", in: uint64(math.MaxInt64), want: int64(math.MaxInt64)},
		{name: "uint64 above int64", in: uint64(math.MaxInt64) + 1, wantErr: true},
		{name: "uint above int64", in: uint(math.MaxUint64), wantErr: true},
		{name: "float64 fraction", in: 0.25, want: 0.25},
		{name: "float64 integral", in: 8080.0, want: int64(8080)},
		{name: "float64 min int64", in: -9223372036854775808.0, want: int64(math.MinInt64)},
		{name: "float64 2^63", in: 9223372036854775808.0, wantErr: true},
		{name: "float64 NaN", in: math.NaN(), wantErr: true},
		{name: "float64 +Inf", in: math.Inf(1), wantErr: true},
		{name: "float64 -Inf", in: math.Inf(-1), wantErr: true},
		{name: "float32 fraction", in: float32(1.5), want: 1.5},
		{name: "float32 integral", in: float32(2), want: int64(2)},
		{name: "float32 NaN", in: float32(math.NaN()), wantErr: true},
		{name: "time", in: when, want: "2024-05-06T07:08:09.0000005Z"},
		{
			name: "array of tables",
			in:   []map[string]any{{"token": "t", "port": 1}, {}},
			want: []any{map[string]any{"token": "t", "port": int64(1)}, map[string]any{}},
		},
		{name: "nested array", in: []any{[]any{1, "a"}, map[string]any{"x": uint8(3)}}, want: []any{[]any{int64(1), "a"}, map[string]any{"x": int64(3)}}},
		{name: "string slice", in: []string{"a"}, wantErr: true},
		{name: "string map", in: map[string]string{"a": "b"}, wantErr: true},
		{name: "struct", in: struct{ A int }{1}, wantErr: true},
		{name: "pointer", in: new(int), wantErr: true},
		{name: "complex", in: complex(1, 2), wantErr: true},
		{name: "byte slice", in: []byte("secret"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := normalizeConfig(Config{"v": tt.in}, "config")
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidConfig) {
					t.Fatalf("normalizeConfig(v: %#v) = %#v, %v; want an error wrapping ErrInvalidConfig", tt.in, got, err)
				}
				if !strings.Contains(err.Error(), "config.v") {
					t.Errorf("error %q does not name config.v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("normalizeConfig(v: %#v) error: %v", tt.in, err)
			}
			if diff := cmp.Diff(Config{"v": tt.want}, got); diff != "" {
				t.Errorf("normalizeConfig(v: %#v) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestNormalizeConfig(t *testing.T) {
	tests := []struct {
		name string
		in   Config
		want Config
	}{
		{name: "nil is empty", in: nil, want: Config{}},
		{name: "empty", in: Config{}, want: Config{}},
		{
			name: "reserved keys stripped at every depth",
			in: Config{
				"__proto__":   map[string]any{"polluted": true},
				"constructor": "x",
				"prototype":   int64(1),
				"$include":    "/etc/passwd",
				"token":       "t",
				"nested": map[string]any{
					"__proto__": map[string]any{"isAdmin": true},
					"$include":  "other.toml",
					"keep":      "k",
					"deeper":    map[string]any{"constructor": map[string]any{"prototype": "p"}, "ok": true},
				},
				"accounts": []any{
					map[string]any{"name": "a", "prototype": "p"},
					[]any{map[string]any{"$include": "x", "y": int64(2)}},
				},
			},
			want: Config{
				"token": "t",
				"nested": map[string]any{
					"keep":   "k",
					"deeper": map[string]any{"ok": true},
				},
				"accounts": []any{
					map[string]any{"name": "a"},
					[]any{map[string]any{"y": int64(2)}},
				},
			},
		},
		{
			name: "reserved names are only exact keys",
			in:   Config{"Constructor": "a", "__proto__x": "b", "$includes": "c"},
			want: Config{"Constructor": "a", "__proto__x": "b", "$includes": "c"},
		},
		{
			name: "nil members dropped at every depth",
			in: Config{
				"gone":   nil,
				"kept":   "",
				"nested": map[string]any{"gone": nil, "zero": int64(0), "inner": map[string]any{"gone": nil}},
				"list":   []any{map[string]any{"gone": nil, "f": false}},
			},
			want: Config{
				"kept":   "",
				"nested": map[string]any{"zero": int64(0), "inner": map[string]any{}},
				"list":   []any{map[string]any{"f": false}},
			},
		},
		{
			name: "Go numbers become int64 and float64",
			in:   Config{"port": 8443, "ratio": float32(0.5), "retries": uint8(3), "timeout": 30.0, "list": []any{1, 2.5}},
			want: Config{"port": int64(8443), "ratio": 0.5, "retries": int64(3), "timeout": int64(30), "list": []any{int64(1), 2.5}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := normalizeConfig(tt.in, "config")
			if err != nil {
				t.Fatalf("normalizeConfig error: %v", err)
			}
			if got == nil {
				t.Fatal("normalizeConfig returned a nil config")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("normalizeConfig mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalizeConfigErrors(t *testing.T) {
	const secret = "hunter2-s3cr3t"
	tests := []struct {
		name string
		in   Config
		path string // the location the error must name
	}{
		{
			name: "null in an array",
			in:   Config{"accounts": []any{map[string]any{"token": secret}, secret, nil}},
			path: "config.accounts[2]",
		},
		{
			name: "null in a nested array",
			in:   Config{"a": map[string]any{"b": []any{[]any{secret, nil}}}},
			path: "config.a.b[0][1]",
		},
		{
			name: "null at the start of an array",
			in:   Config{"list": []any{nil}},
			path: "config.list[0]",
		},
		{
			name: "number out of range in an array of objects",
			in: Config{"accounts": []any{
				map[string]any{"token": secret},
				map[string]any{"token": secret},
				map[string]any{"port": json.Number("1e400")},
			}},
			path: "config.accounts[2].port",
		},
		{
			name: "integer out of range",
			in:   Config{"limits": map[string]any{"max": json.Number("99999999999999999999")}},
			path: "config.limits.max",
		},
		{
			name: "unsupported type holding a secret",
			in:   Config{"auth": map[string]any{"tokens": []string{secret}}},
			path: "config.auth.tokens",
		},
		{
			name: "unsupported map holding a secret",
			in:   Config{"slack": map[string]string{"botToken": secret}},
			path: "config.slack",
		},
		{
			name: "byte slice holding a secret",
			in:   Config{"list": []any{"ok", []byte(secret)}},
			path: "config.list[1]",
		},
		{
			name: "not finite",
			in:   Config{"ratio": math.Inf(1)},
			path: "config.ratio",
		},
		{
			name: "array of tables",
			in:   Config{"accounts": []map[string]any{{"token": secret}, {"port": uint64(math.MaxUint64)}}},
			path: "config.accounts[1].port",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := normalizeConfig(tt.in, "config")
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("normalizeConfig = %#v, %v; want an error wrapping ErrInvalidConfig", got, err)
			}
			if got != nil {
				t.Errorf("normalizeConfig returned %#v with its error", got)
			}
			msg := err.Error()
			// The path must be named whole, not as a prefix of a longer one.
			if !strings.Contains(msg, tt.path+":") {
				t.Errorf("error %q does not name %s", msg, tt.path)
			}
			for _, v := range []string{secret, "1e400", "99999999999999999999", "18446744073709551615"} {
				if strings.Contains(msg, v) {
					t.Errorf("error %q repeats the value %q", msg, v)
				}
			}
		})
	}
}

// nestedConfig returns a config nesting levels levels deep: the config
// itself is level 1 and each object (or array, if arrays) inside it adds
// one, always under the key "k" or at index 0. The innermost container
// holds the string "leaf", or nothing if empty.
func nestedConfig(levels int, arrays, empty bool) Config {
	if levels == 1 {
		if empty {
			return Config{}
		}
		return Config{"k": "leaf"}
	}
	var v any
	switch {
	case arrays && empty:
		v = []any{}
	case arrays:
		v = []any{"leaf"}
	case empty:
		v = map[string]any{}
	default:
		v = map[string]any{"k": "leaf"}
	}
	for range levels - 2 {
		if arrays {
			v = []any{v}
		} else {
			v = map[string]any{"k": v}
		}
	}
	return Config{"k": v}
}

// depthOf measures a value's nesting as MaxDepth counts it.
func depthOf(v any) int {
	d := 0
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			d = max(d, depthOf(e))
		}
		return d + 1
	case []any:
		for _, e := range v {
			d = max(d, depthOf(e))
		}
		return d + 1
	}
	return 0
}

func TestNormalizeDepth(t *testing.T) {
	// Where the container one level too deep is found.
	tooDeepObject := "config" + strings.Repeat(".k", MaxDepth)
	tooDeepArray := "config.k" + strings.Repeat("[0]", MaxDepth-1)
	tests := []struct {
		name    string
		in      Config
		wantErr bool
		path    string
	}{
		{name: "objects at MaxDepth", in: nestedConfig(MaxDepth, false, false)},
		{name: "objects at MaxDepth+1", in: nestedConfig(MaxDepth+1, false, false), wantErr: true, path: tooDeepObject},
		{name: "empty object at MaxDepth", in: nestedConfig(MaxDepth, false, true)},
		{name: "empty object at MaxDepth+1", in: nestedConfig(MaxDepth+1, false, true), wantErr: true, path: tooDeepObject},
		{name: "arrays at MaxDepth", in: nestedConfig(MaxDepth, true, false)},
		{name: "arrays at MaxDepth+1", in: nestedConfig(MaxDepth+1, true, false), wantErr: true, path: tooDeepArray},
		{name: "empty array at MaxDepth", in: nestedConfig(MaxDepth, true, true)},
		{name: "empty array at MaxDepth+1", in: nestedConfig(MaxDepth+1, true, true), wantErr: true, path: tooDeepArray},
		{
			name: "array of objects at MaxDepth",
			in:   Config{"a": []any{map[string]any(nestedConfig(MaxDepth-2, false, false))}},
		},
		{
			name:    "array of objects at MaxDepth+1",
			in:      Config{"a": []any{map[string]any(nestedConfig(MaxDepth-1, false, false))}},
			wantErr: true,
			path:    "config.a[0]" + strings.Repeat(".k", MaxDepth-2),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantDepth := MaxDepth
			if tt.wantErr {
				wantDepth = MaxDepth + 1
			}
			if d := depthOf(map[string]any(tt.in)); d != wantDepth {
				t.Fatalf("test config nests %d levels, want %d", d, wantDepth)
			}
			got, err := normalizeConfig(tt.in, "config")
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("normalizeConfig error: %v", err)
				}
				// cmp.Diff takes exponential time on arrays this deep.
				if !reflect.DeepEqual(tt.in, got) {
					t.Errorf("normalizeConfig = %#v, want %#v", got, tt.in)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("normalizeConfig = %v; want an error wrapping ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), tt.path+":") {
				t.Errorf("error %q does not name %s", err, tt.path)
			}
		})
	}
}

func TestNormalizeConfigCopies(t *testing.T) {
	in := Config{
		"nested": map[string]any{"a": "b"},
		"list":   []any{"x", map[string]any{"c": int64(1)}},
	}
	out, err := normalizeConfig(in, "config")
	if err != nil {
		t.Fatal(err)
	}
	out["nested"].(map[string]any)["a"] = "changed"
	out["list"].([]any)[0] = "changed"
	out["list"].([]any)[1].(map[string]any)["c"] = "changed"
	out["added"] = true
	want := Config{
		"nested": map[string]any{"a": "b"},
		"list":   []any{"x", map[string]any{"c": int64(1)}},
	}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("changing normalizeConfig's result changed its input (-want +got):\n%s", diff)
	}
}

// TestNormalizeJSON runs the value model on a config as a JSON decoder
// with UseNumber returns it, the way the handler receives one.
func TestNormalizeJSON(t *testing.T) {
	const body = `{
		"port": 8080,
		"timeout": 30.0,
		"ratio": 1.5,
		"big": 9223372036854775807,
		"gone": null,
		"__proto__": {"isAdmin": true},
		"accounts": [{"name": "a", "token": "1:x", "extra": null}, {"name": "b", "weights": [1, 2.5, 1e2]}],
		"flags": {"enabled": true, "tags": []}
	}`
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.UseNumber()
	var in map[string]any
	if err := dec.Decode(&in); err != nil {
		t.Fatal(err)
	}
	got, err := normalizeConfig(in, "config")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		"port":    int64(8080),
		"timeout": int64(30),
		"ratio":   1.5,
		"big":     int64(math.MaxInt64),
		"accounts": []any{
			map[string]any{"name": "a", "token": "1:x"},
			map[string]any{"name": "b", "weights": []any{int64(1), 2.5, int64(100)}},
		},
		"flags": map[string]any{"enabled": true, "tags": []any{}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("normalizeConfig mismatch (-want +got):\n%s", diff)
	}
}
