package tomledit

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestDocChain: a chain of edits on Docs writes the same bytes as Set,
// and the value and expressions each Doc carries are those that a
// decode and a scan of its bytes give.
func TestDocChain(t *testing.T) {
	for _, src := range []string{
		"# host\n[model]\nname = \"local\"\n\n[connectors.a]\nv = 1 # one\n",
		"\ufeff# host\r\n[connectors]\r\n\r\n[connectors.a]\r\nv = 1\r\n\r\n[other]\r\nk = 'x'\r\n",
		"connectors.a.v = 1\n",
		"",
	} {
		edits := []struct {
			name string
			cfg  map[string]any
		}{
			{"b", map[string]any{"token": "x", "n": int64(2), "list": []any{map[string]any{"id": "p"}}}},
			{"a", map[string]any{"v": int64(3), "sub": map[string]any{"w": 1.5}}},
			{"a", nil},
			{"b", map[string]any{"token": "y"}},
			{"b", nil},
		}
		d, err := Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		plain := []byte(src)
		for _, e := range edits {
			if d, err = d.Set("connectors", e.name, e.cfg); err != nil {
				t.Fatal(err)
			}
			if plain, err = Set(plain, "connectors", e.name, e.cfg); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(d.Bytes(), plain) {
				t.Fatalf("Doc.Set wrote %q, Set %q", d.Bytes(), plain)
			}
			checkCarried(t, d)
		}
	}
}

// checkCarried checks that d's value and expressions are what a decode
// and a scan of its bytes give.
func checkCarried(t *testing.T, d *Doc) {
	t.Helper()
	want := decodeForTest(t, d.Bytes())
	if diff := cmp.Diff(want, d.Value(), cmpopts.EquateNaNs()); diff != "" {
		t.Fatalf("value carried for %q (-decoded +carried):\n%s", d.Bytes(), diff)
	}
	wantExprs, err := scan(bytes.TrimPrefix(d.Bytes(), bom))
	if err != nil {
		t.Fatal(err)
	}
	segs, err := d.segs()
	if err != nil {
		t.Fatal(err)
	}
	gotExprs := absolute(segs, 0, len(segs))
	if diff := cmp.Diff(wantExprs, gotExprs, cmp.AllowUnexported(expr{}), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("expressions carried for %q (-scanned +carried):\n%s", d.Bytes(), diff)
	}
}

// TestDocSetTable: the whole table set in one edit reads back as asked,
// keeps every byte before the table and of the entries it does not
// change (comments, quoting, number formats, dates, arrays of tables),
// and appends a table that was absent.
func TestDocSetTable(t *testing.T) {
	changes := map[string]map[string]any{
		"a": {"v": int64(2)},
		"b": {"token": "x", "nested": map[string]any{"f": 1.5}},
		"c": nil,
	}
	for _, tc := range []struct{ src, kept string }{
		{"# host\n[model]\nname = \"local\"\n\n[connectors.a]\nv = 1 # one\n\n[other]\nk = true\n", ""},
		{"# host\n[model]\nname = \"local\"\n", ""},
		{"[connectors.c]\nx = 1\n[[connectors.d.accounts]]\nid = 1\n[connectors.e]\nday = 1979-05-27\n",
			"[[connectors.d.accounts]]\nid = 1\n[connectors.e]\nday = 1979-05-27\n"},
		{"# Telegram\n[connectors.t]\ntoken = '1:A'  # kept\nport = 0x1F90\n\n[connectors.a]\nv = 1\n",
			"# Telegram\n[connectors.t]\ntoken = '1:A'  # kept\nport = 0x1F90\n"},
		{"", ""},
	} {
		src := tc.src
		d, err := Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		next, err := d.SetTable("connectors", changes)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		want := withChanges(d.Value(), "connectors", changes)
		got := decodeForTest(t, next.Bytes())
		if diff := cmp.Diff(normalize(want), normalize(got["connectors"])); diff != "" {
			t.Errorf("%q: connectors (-want +got):\n%s", src, diff)
		}
		checkCarried(t, next)
		if before, _, _ := bytes.Cut([]byte(src), []byte("[connectors")); !bytes.HasPrefix(next.Bytes(), before) {
			t.Errorf("%q: bytes before the table changed:\n%s", src, next.Bytes())
		}
		if !bytes.Contains(next.Bytes(), []byte(tc.kept)) {
			t.Errorf("%q: the bytes of the entries not changed, %q, changed:\n%s", src, tc.kept, next.Bytes())
		}
	}
}
