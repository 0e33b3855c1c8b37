package connectors

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"
)

// randomTOMLConfig returns a config in the value model with awkward keys and
// strings, nested objects, arrays of objects, mixed and nested arrays.
func randomTOMLConfig(r *rand.Rand, depth int) map[string]any {
	// No empty key: the TOML decoder (BurntSushi/toml v1.6.0) loses
	// array elements around tables with an empty key, whoever wrote the
	// file, so a TOML FileStore refuses them (TestTOMLRefusesEmptyKeys).
	keys := []string{"a", "botToken", "with space", "dot.ted", `quo"te`, "back\\slash", "电报", "tab\tkey", "x-y_z", "1"}
	strs := []string{"", "plain", "123456:ABC-DEF", `"quoted"`, "back\\slash", "new\nline", "tab\t", "\x01\x1f\x7f", "émoji 🤖", "${ENV}", "'single'", "[table]", "a = b"}
	m := make(map[string]any)
	for range r.IntN(5) {
		m[keys[r.IntN(len(keys))]] = randomTOMLValue(r, depth, strs)
	}
	return m
}

func randomTOMLValue(r *rand.Rand, depth int, strs []string) any {
	n := 6
	if depth >= 4 {
		n = 4 // leaves only
	}
	switch r.IntN(n) {
	case 0:
		return strs[r.IntN(len(strs))]
	case 1:
		return r.IntN(2) == 0
	case 2:
		return []int64{0, -1, 8080, 1<<63 - 1, -1 << 63}[r.IntN(5)]
	case 3:
		return []float64{0.5, -2.25, 1e-7, 1234567.5, 3.14159}[r.IntN(5)]
	case 4:
		return randomTOMLConfig(r, depth+1)
	default:
		a := make([]any, r.IntN(4))
		allMaps := r.IntN(2) == 0
		for i := range a {
			if allMaps {
				a[i] = randomTOMLConfig(r, depth+1)
			} else {
				a[i] = randomTOMLValue(r, depth+1, strs)
			}
		}
		return a
	}
}

// TestAppendSection checks the section writer against the TOML decoder:
// what it writes decodes to exactly the config it was given.
func TestAppendSection(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := range 2000 {
		cfg := randomTOMLConfig(r, 0)
		name := []string{"telegram", "team/bot", "e f", "电报", `q"uote`}[i%5]
		text, ok := appendSection(nil, "connectors."+string(appendKey(nil, name)), cfg, true)
		if !ok {
			t.Fatalf("config %d: not written", i)
		}
		var doc map[string]any
		if _, err := toml.Decode(string(text), &doc); err != nil {
			t.Fatalf("config %d does not decode: %v\n%s", i, err, text)
		}
		got, err := normalizeConfig(doc["connectors"].(map[string]any)[name].(map[string]any), "config")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(cfg, got); diff != "" {
			t.Fatalf("config %d round trip (-want +got):\n%s\n%s", i, diff, text)
		}
	}
}

func TestAppendSectionFallsBack(t *testing.T) {
	_, ok := appendSection(nil, "connectors.x", map[string]any{"when": struct{}{}}, true)
	if ok {
		t.Fatal("a value outside the value model was written")
	}
}

func TestAppendSectionReadable(t *testing.T) {
	cfg := map[string]any{
		"botToken": "1:A", "port": int64(8443), "ratio": 0.5, "enabled": true,
		"allowFrom": []any{"@a", "@b"},
		"webhook":   map[string]any{"url": "https://x", "maxConnections": int64(40)},
		"accounts":  []any{map[string]any{"name": "main"}, map[string]any{"name": "alt"}},
	}
	text, _ := appendSection(nil, `connectors."team/bot"`, cfg, true)
	want := strings.Join([]string{
		`[connectors."team/bot"]`,
		`allowFrom = ["@a", "@b"]`,
		`botToken = "1:A"`,
		`enabled = true`,
		`port = 8443`,
		`ratio = 0.5`,
		``,
		`[[connectors."team/bot".accounts]]`,
		`name = "main"`,
		``,
		`[[connectors."team/bot".accounts]]`,
		`name = "alt"`,
		``,
		`[connectors."team/bot".webhook]`,
		`maxConnections = 40`,
		`url = "https://x"`,
		``,
	}, "\n")
	if diff := cmp.Diff(want, string(text)); diff != "" {
		t.Errorf("section (-want +got):\n%s", diff)
	}
}

// TestTOMLRefusesEmptyKeys: the TOML decoder loses data under empty keys,
// so a TOML FileStore refuses to write one, and a JSON one keeps it.
func TestTOMLRefusesEmptyKeys(t *testing.T) {
	for _, cfg := range []Config{
		{"": "x"},
		{"k": []any{int64(1), map[string]any{"": int64(1)}, int64(2)}},
		{"a": map[string]any{"b": []any{[]any{map[string]any{"": true}}, "x"}}},
	} {
		toml, json := newTestFileStore(t), newTestJSONStore(t)
		if err := toml.Put(t.Context(), "x", cfg); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), `""`) {
			t.Errorf("TOML Put(%v) = %v, want ErrInvalidConfig naming the key", cfg, err)
		}
		if got, _ := toml.List(t.Context()); len(got) != 0 {
			t.Errorf("refused Put stored %v", got)
		}
		if err := json.Put(t.Context(), "x", cfg); err != nil {
			t.Fatalf("JSON Put: %v", err)
		}
		reopened, _ := NewFileStore(json.Path())
		got, err := reopened.Get(t.Context(), "x")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(cfg, got); diff != "" {
			t.Errorf("JSON round trip (-want +got):\n%s", diff)
		}
	}
}

// TestAppendSectionKeepsFloats: a float from a hand-written file stays a
// float when its connector's section is written again.
func TestAppendSectionKeepsFloats(t *testing.T) {
	text, _ := appendSection(nil, "connectors.x", map[string]any{"f": 1.0, "z": math.Copysign(0, -1), "g": 1e300}, true)
	var doc map[string]any
	if _, err := toml.Decode(string(text), &doc); err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	for k, v := range doc["connectors"].(map[string]any)["x"].(map[string]any) {
		if _, ok := v.(float64); !ok {
			t.Errorf("%s = %v (%T), want a float:\n%s", k, v, v, text)
		}
	}
}

func newTestJSONStore(t *testing.T) *FileStore {
	t.Helper()
	s, err := NewFileStore(filepath.Join(t.TempDir(), "agent.json"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
