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
