package tomledit

import (
	"bytes"
	"maps"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// mustSet calls Set and checks its result against the decoder: it must
// read back as src's document with only table.name changed, and the Doc
// of the same edit must carry that document's value and expressions.
func mustSet(t *testing.T, src []byte, table, name string, cfg map[string]any) []byte {
	t.Helper()
	before := bytes.Clone(src)
	out, err := Set(src, table, name, cfg)
	if err != nil {
		t.Fatalf("Set(%q, %q): %v\nsrc:\n%s", table, name, err, src)
	}
	if !bytes.Equal(src, before) {
		t.Fatalf("Set(%q, %q) changed its input", table, name)
	}
	checkDoc(t, src, out, table, name, cfg)
	d, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	next, err := d.Set(table, name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkCarried(t, next)
	return out
}

// setLocal makes the precise edit of Set and returns its result if a
// local check (checkValues, else checkLocal) accepts it, nil if both
// decline (or Set has nothing to do); values reports whether checkValues
// accepted it. It lets a test hold the local checks to a decode of the
// whole result, which Set skips when one accepts.
func setLocal(t *testing.T, src []byte, table, name string, cfg map[string]any) (d *Doc, values bool) {
	t.Helper()
	d, err := Parse(src)
	if err != nil {
		return nil, false
	}
	j, err := newJob(d, table, name, cfg)
	if err != nil || j == nil {
		return nil, false
	}
	ed := &editor{src: j.body, crlf: j.crlf}
	if err := j.precise(ed); err != nil {
		return nil, false
	}
	out, err := ed.apply()
	if err != nil {
		return nil, false
	}
	if d := j.checkValues(ed, out); d != nil {
		return d, true
	}
	return j.checkLocal(ed, out), false
}

// checkDoc checks that out decodes to src's document with table.name set
// to cfg (removed if nil).
func checkDoc(t *testing.T, src, out []byte, table, name string, cfg map[string]any) {
	t.Helper()
	want := decodeForTest(t, src)
	tab, _ := want[table].(map[string]any)
	tab = maps.Clone(tab)
	if tab == nil {
		tab = make(map[string]any)
	}
	if cfg == nil {
		delete(tab, name)
	} else {
		tab[name] = cfg
	}
	want[table] = tab
	got := decodeForTest(t, out)
	for _, d := range []map[string]any{want, got} {
		if t, ok := d[table].(map[string]any); ok && len(t) == 0 {
			delete(d, table) // an empty table may go
		}
	}
	if diff := cmp.Diff(normalize(want), normalize(got), cmpopts.EquateNaNs()); diff != "" {
		t.Fatalf("Set(%q, %q): document (-want +got):\n%s\nsrc:\n%s\nout:\n%s", table, name, diff, src, out)
	}
}

func decodeForTest(t *testing.T, src []byte) map[string]any {
	t.Helper()
	doc := make(map[string]any)
	if _, err := toml.Decode(string(src), &doc); err != nil {
		t.Fatalf("does not decode: %v\n%s", err, src)
	}
	return doc
}

// normalize returns v with arrays of tables as []any, the way the value
// model has them.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = normalize(e)
		}
		return m
	case []map[string]any:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = normalize(e)
		}
		return a
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = normalize(e)
		}
		return a
	}
	return v
}

// withChanges returns the table of value with changes made to its entries
// (a nil config removes one), as a new map.
func withChanges(value map[string]any, table string, changes map[string]map[string]any) map[string]any {
	t, _ := value[table].(map[string]any)
	t = maps.Clone(t)
	if t == nil {
		t = make(map[string]any)
	}
	for name, cfg := range changes {
		if cfg == nil {
			delete(t, name)
		} else {
			t[name] = cfg
		}
	}
	return t
}
