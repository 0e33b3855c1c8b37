package json5

import (
	"strings"
	"testing"
)

// TestDeleteLastMemberKeepsCommentOfMemberBefore shows that deleting the
// last member of an object, when that member does not have its lines to
// itself (a block comment before its key, or the object's '}' after its
// value on the same line), removes everything from the comma of the
// member before it: the comment after that comma, which belongs to the
// member before (another connector), goes with it. Only the deleted
// member's bytes may change.
func TestDeleteLastMemberKeepsCommentOfMemberBefore(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{
			name: "closing brace on the deleted member's line",
			src: `{
  "connectors": {
    "telegram": {"botToken": "x"}, // main bot
    "discord": {"token": "y"}}
}
`,
		},
		{
			name: "block comment before the deleted member's key",
			src: `{
  connectors: {
    telegram: {botToken: 'x'}, // main bot
    /* spare */ discord: {token: 'y'}
  },
}
`,
		},
		{
			name: "block comment after the deleted member",
			src: `{
  connectors: {
    telegram: {botToken: 'x'}, // main bot
    discord: {token: 'y'} /* spare */ }
}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := SetMember([]byte(tt.src), "connectors", "discord", nil)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Decode(out)
			if err != nil {
				t.Fatalf("result does not parse: %v\n%s", err, out)
			}
			if _, ok := doc["connectors"].(map[string]any)["discord"]; ok {
				t.Fatalf("discord is still there:\n%s", out)
			}
			if !strings.Contains(string(out), "// main bot") {
				t.Errorf("deleting discord lost telegram's comment %q:\nbefore:\n%s\nafter:\n%s", "// main bot", tt.src, out)
			}
		})
	}
}

// TestSetMemberKeepsByteOrderMarkOfEmptyDocument shows that a document
// of only a byte-order mark (and white space), as an editor on Windows
// saves an empty file, loses its mark when SetMember gives it its
// top-level object: newDocument drops src whole when it is blank, and a
// BOM counts as white space. A document with a comment after the mark,
// or with an object, keeps it, as does the TOML editor.
func TestSetMemberKeepsByteOrderMarkOfEmptyDocument(t *testing.T) {
	for _, src := range []string{"\ufeff", "\ufeff\n", "\ufeff\r\n"} {
		out, err := SetMember([]byte(src), "connectors", "telegram", map[string]any{"botToken": "x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(out); err != nil {
			t.Fatalf("result does not parse: %v\n%q", err, out)
		}
		if !strings.HasPrefix(string(out), "\ufeff") {
			t.Errorf("SetMember(%q) = %q: the byte-order mark is gone", src, out)
		}
	}
}

// TestAddThenDeleteKeepsCommentInEmptyTable shows that a comment the host
// wrote inside an empty connectors object is lost when a connector is
// added and then deleted: insertMember puts the new member on the line
// after the comment, and deleteEdits then takes the comment for the
// member's own (a // comment directly above it) and, the member being
// the only one, empties the whole object. Two API writes that cancel out
// should give back the file as it was, or at least keep the host's
// comment.
func TestAddThenDeleteKeepsCommentInEmptyTable(t *testing.T) {
	for _, src := range []string{
		"{\n  \"connectors\": {\n    // Added from the dashboard.\n  }\n}\n",
		"{\n  connectors: {\n    // Added from the dashboard.\n  },\n  agent: {name: 'milo'},\n}\n",
	} {
		added, err := SetMember([]byte(src), "connectors", "slack", map[string]any{"botToken": "x"})
		if err != nil {
			t.Fatal(err)
		}
		back, err := SetMember(added, "connectors", "slack", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(back), "// Added from the dashboard.") {
			t.Errorf("add then delete of slack lost the host's comment:\nbefore:\n%s\nin between:\n%s\nafter:\n%s", src, added, back)
		}
	}
}
