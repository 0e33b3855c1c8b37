package tomledit

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSetTable: the whole table set in one edit reads back as asked, keeps
// every byte before the table, and appends a table that was absent.
func TestSetTable(t *testing.T) {
	next := map[string]any{
		"a": map[string]any{"v": int64(2)},
		"b": map[string]any{"token": "x", "nested": map[string]any{"f": 1.5}},
	}
	for _, src := range []string{
		"# host\n[model]\nname = \"local\"\n\n[connectors.a]\nv = 1 # one\n\n[other]\nk = true\n",
		"# host\n[model]\nname = \"local\"\n",
		"",
	} {
		out, outDoc, err := SetTable([]byte(src), nil, "connectors", next)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		got, err := decode(out)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(next, got["connectors"]); diff != "" {
			t.Errorf("%q: connectors (-want +got):\n%s", src, diff)
		}
		if diff := cmp.Diff(got, outDoc); diff != "" {
			t.Errorf("%q: returned document (-decoded +returned):\n%s", src, diff)
		}
		if before, _, _ := bytes.Cut([]byte(src), []byte("[connectors")); !bytes.HasPrefix(out, before) {
			t.Errorf("%q: bytes before the table changed:\n%s", src, out)
		}
	}
}
