package tomledit

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSetDoc: a chain of edits that passes each result's document to the
// next call writes the same bytes as Set, and each document it returns
// is the one its bytes decode to.
func TestSetDoc(t *testing.T) {
	src := []byte("# host\n[model]\nname = \"local\"\n\n[connectors.a]\nv = 1 # one\n")
	edits := []struct {
		name string
		cfg  map[string]any
	}{
		{"b", map[string]any{"token": "x", "n": int64(2)}},
		{"a", map[string]any{"v": int64(3)}},
		{"a", nil},
		{"b", nil},
	}
	var doc map[string]any
	plain := src
	for _, e := range edits {
		out, outDoc, err := SetDoc(src, doc, "connectors", e.name, e.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if plain, err = Set(plain, "connectors", e.name, e.cfg); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, plain) {
			t.Fatalf("SetDoc wrote %q, Set %q", out, plain)
		}
		want, err := decode(out)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, outDoc); diff != "" {
			t.Fatalf("document returned for %q (-decoded +returned):\n%s", out, diff)
		}
		src, doc = out, outDoc
	}
}
