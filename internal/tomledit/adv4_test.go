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
