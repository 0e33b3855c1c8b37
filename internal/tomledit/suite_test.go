package tomledit

import (
	"bytes"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestTOMLTestSuite edits the valid documents of the TOML test suite,
// which use every form of the language: for each of their top-level
// tables it removes, replaces and adds an entry. Every document the
// decoder accepts must be read by the position parser too, and every
// edit must read back as expected.
func TestTOMLTestSuite(t *testing.T) {
	var files []string
	err := filepath.WalkDir("testdata/toml-test/valid", func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".toml") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 200 {
		t.Fatalf("found %d documents in testdata/toml-test, want the whole suite", len(files))
	}
	cfg := map[string]any{"botToken": "x", "nested": map[string]any{"n": int64(1)}}
	edits := 0
	for _, path := range files {
		t.Run(strings.TrimPrefix(path, "testdata/toml-test/"), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if _, err := toml.Decode(string(src), &doc); err != nil {
				t.Skip("the decoder refuses it")
			}
			if _, err := scan(bytes.TrimPrefix(src, bom)); err != nil {
				t.Fatalf("the decoder reads it, the position parser does not: %v", err)
			}
			for _, table := range slices.Sorted(maps.Keys(doc)) {
				tab, ok := doc[table].(map[string]any)
				if !ok {
					continue
				}
				for _, name := range slices.Sorted(maps.Keys(tab)) {
					mustSet(t, src, table, name, nil)
					mustSet(t, src, table, name, cfg)
				}
				mustSet(t, src, table, "new entry", cfg)
				edits += 2*len(tab) + 1
			}
		})
	}
	t.Logf("%d documents, %d edits", len(files), edits)
}
