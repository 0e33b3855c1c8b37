package connectors

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFileStoreModel drives three FileStores on one file (TOML and JSON)
// with random puts, deletes and updates, names in the legacy channels
// table among them, and after every step compares what each store lists,
// and what a store opened afresh lists, with a plain map that had the
// same operations. CONNECTORS_STRESS multiplies the number of seeds.
func TestFileStoreModel(t *testing.T) {
	seeds := 3 * stressScale(t)
	for _, ext := range []string{".toml", ".json"} {
		for seed := range uint64(seeds) {
			t.Run(fmt.Sprint(ext, seed), func(t *testing.T) {
				testFileStoreModel(t, ext, seed)
			})
		}
	}
}

func testFileStoreModel(t *testing.T, ext string, seed uint64) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, 1))
	path := filepath.Join(t.TempDir(), "c"+ext)
	init := "title = \"agent\"\n[server]\nport = 8080\n[channels.legacy]\ntoken = \"L\"\n[channels.both]\nv = 1\n[connectors.both]\nv = 2\n"
	if ext == ".json" {
		init = `{"title":"agent","server":{"port":8080},"channels":{"legacy":{"token":"L"},"both":{"v":1}},"connectors":{"both":{"v":2}}}`
	}
	if err := os.WriteFile(path, []byte(init), 0o600); err != nil {
		t.Fatal(err)
	}
	stores := make([]*FileStore, 3)
	for i := range stores {
		stores[i], _ = NewFileStore(path, FileOptions{})
	}
	model := map[string]Config{"legacy": {"token": "L"}, "both": {"v": int64(2)}}
	names := []string{"legacy", "both", "a", "b", "c.d", "e f"}
	for step := range 300 {
		s := stores[r.IntN(len(stores))]
		name := names[r.IntN(len(names))]
		switch r.IntN(4) {
		case 0, 1:
			cfg := Config{"v": int64(r.IntN(3))}
			if r.IntN(2) == 0 {
				cfg["sub"] = map[string]any{"k": []any{int64(1), "x"}, "empty": map[string]any{}}
			}
			if r.IntN(3) == 0 {
				cfg["list"] = []any{map[string]any{"a": int64(1)}, map[string]any{"b": "c"}}
			}
			if err := s.Put(ctx, name, cfg); err != nil {
				t.Fatal(step, err)
			}
			model[name] = cloneConfig(cfg)
		case 2:
			if err := s.Delete(ctx, name); err != nil {
				t.Fatal(step, err)
			}
			delete(model, name)
		case 3:
			err := s.Update(ctx, func(m map[string]Config) error {
				if c, ok := m[name]; ok {
					c["n"] = int64(step)
				}
				return nil
			})
			if err != nil {
				t.Fatal(step, err)
			}
			if c, ok := model[name]; ok {
				c = cloneConfig(c)
				c["n"] = int64(step)
				model[name] = c
			}
		}
		for i, st := range stores {
			got, err := st.List(ctx)
			if err != nil {
				t.Fatal(step, err)
			}
			if d := cmp.Diff(model, got); d != "" {
				t.Fatalf("step %d store %d (-model +got):\n%s", step, i, d)
			}
		}
		if step%10 != 9 {
			continue // a new store's first read of a fresh file waits for it to settle
		}
		fresh, _ := NewFileStore(path, FileOptions{})
		got, err := fresh.List(ctx)
		if err != nil {
			t.Fatalf("step %d, a new store: %v", step, err)
		}
		if d := cmp.Diff(model, got); d != "" {
			t.Fatalf("step %d, a new store (-model +got):\n%s", step, d)
		}
	}
	doc, _, err := stores[0].load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(any(map[string]any{"port": int64(8080)}), normalizeHost(doc["server"])); diff != "" {
		t.Errorf("host table (-want +got):\n%s", diff)
	}
}

// normalizeHost gives host data one number type, whatever the format.
func normalizeHost(v any) any {
	n, err := normalize(v, 1, false)
	if err != nil {
		return v
	}
	return n
}
