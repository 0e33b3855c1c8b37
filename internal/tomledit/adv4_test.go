package tomledit

import (
	"bytes"
	"testing"
)

// adv4AddDelete adds connector name with cfg to src, deletes it again,
// and reports when the result is not src byte for byte.
func adv4AddDelete(t *testing.T, src, name string, cfg map[string]any) {
	t.Helper()
	mid := mustSet(t, []byte(src), "connectors", name, cfg)
	back := mustSet(t, mid, "connectors", name, nil)
	if !bytes.Equal(back, []byte(src)) {
		t.Errorf("adding then deleting %q does not give back the original bytes:\nsrc  %q\nmid  %q\nback %q", name, src, mid, back)
	}
}

// TestAdv4AddDeleteNoFinalNewline shows that adding a connector to a
// document whose last line has no line break, then deleting it, leaves a
// line break that was not there: the add puts one after the old last
// line (and a blank line before the new section), and the delete takes
// back the blank line only.
func TestAdv4AddDeleteNoFinalNewline(t *testing.T) {
	cfg := map[string]any{"k": int64(1)}
	for _, src := range []string{
		"x = 1",
		"# only a comment",
		"[connectors.a]\nx = 1",
		"[connectors]",
		"[connectors.a]\r\nx = 1",
	} {
		adv4AddDelete(t, src, "b", cfg)
	}
}

// TestAdv4AddDeleteSubTablesNoBlankAfter shows that adding a connector
// with a sub-table (or an array of tables) where a non-blank line
// follows the insertion point — the next section, or a comment line —
// and deleting it again leaves a blank line behind: insertSection puts
// no blank line before the new sections, but appendSection writes one
// between the connector's own sections, and remove of the last one does
// not take it back (it stood between a blank line and a header, not
// between blank lines).
func TestAdv4AddDeleteSubTablesNoBlankAfter(t *testing.T) {
	sub := map[string]any{"k": int64(1), "sub": map[string]any{"x": int64(1)}}
	arr := map[string]any{"acc": []any{map[string]any{"id": int64(1)}, map[string]any{"id": int64(2)}}}
	for _, src := range []string{
		"[connectors.a]\nx = 1\n[zhost]\nk = 1\n",
		"[connectors.a]\nx = 1\n# about zhost\n[zhost]\nk = 1\n",
		"[connectors]\na.x = 1\n[zhost]\n",
		"\ufeff[connectors.a]\r\nx = 1\r\n[z]\r\n",
	} {
		adv4AddDelete(t, src, "b", sub)
		adv4AddDelete(t, src, "b", arr)
	}
}

// TestAdv4SetTableAddDeleteNoBlankAfter shows that SetTable adding
// several connectors where a non-blank line follows the table's last
// section (sections written without blank lines between them), then
// removing them again (by SetTable or Set), leaves a blank line behind:
// merge separates the new sections by blank lines, insertSection adds
// none before the first, and remove takes back only those blank lines
// that stood between two blank lines.
func TestAdv4SetTableAddDeleteNoBlankAfter(t *testing.T) {
	src := []byte("[connectors.a]\nx = 1\n[zhost]\nk = 1\n")
	d, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	add := map[string]map[string]any{
		"n0": {"k": int64(0)},
		"n1": {"k": int64(1)},
	}
	mid, err := d.SetTable("connectors", add)
	if err != nil {
		t.Fatal(err)
	}
	back, err := mid.SetTable("connectors", map[string]map[string]any{"n0": nil, "n1": nil})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Bytes(), src) {
		t.Errorf("SetTable adding then removing does not give back the original bytes:\nsrc  %q\nmid  %q\nback %q", src, mid.Bytes(), back.Bytes())
	}
	cur := mid
	for _, name := range []string{"n0", "n1"} {
		if cur, err = cur.Set("connectors", name, nil); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(cur.Bytes(), src) {
		t.Errorf("SetTable adding then Set removing does not give back the original bytes:\nsrc  %q\nmid  %q\nback %q", src, mid.Bytes(), cur.Bytes())
	}
}

// TestAdv4RemoveAtStartOverlapsInsert shows that Set (and SetTable) fail
// with "overlapping changes", rather than fall back to rewriting the
// table, when a section at the very start of the document, followed by a
// blank line, is removed and new sections are inserted at its end in the
// same edit: remove extends the removal over the blank line after the
// section (so that the document does not start with a blank line), and
// merge inserts the new sections at the removed section's bodyEnd, inside
// that range, which apply refuses. The error is not ErrVerify, so Set
// does not try the whole-table rewrite.
func TestAdv4RemoveAtStartOverlapsInsert(t *testing.T) {
	// Set: a connector written as a sub-table only, replaced by one with
	// another sub-table.
	for _, src := range []string{
		"[connectors.a.s]\ny = 1\n\n[z]\n",
		"[connectors.a.s]\ny = 1\n\n",
	} {
		cfg := map[string]any{"t": map[string]any{"k": int64(1)}}
		if _, err := Set([]byte(src), "connectors", "a", cfg); err != nil {
			t.Errorf("Set(%q): %v", src, err)
		}
	}
	// SetTable: the first connector removed, another added.
	src := []byte("[connectors.a]\nx = 1\n\n[z]\n")
	d, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.SetTable("connectors", map[string]map[string]any{"a": nil, "b": {"k": int64(1)}}); err != nil {
		t.Errorf("SetTable on %q: %v", src, err)
	}
}
