package json5

import (
	"bytes"
	"encoding/json"
	"testing"
)

// adv4AddDelete sets connectors.name to value in src, deletes it again,
// and reports when the result is not src byte for byte (or a strict JSON
// file stops being strict on the way).
func adv4AddDelete(t *testing.T, src, name string, value any) {
	t.Helper()
	mid, err := SetMember([]byte(src), "connectors", name, value)
	if err != nil {
		t.Fatalf("add %q to %q: %v", name, src, err)
	}
	back, err := SetMember(mid, "connectors", name, nil)
	if err != nil {
		t.Fatalf("delete %q from %q: %v", name, mid, err)
	}
	if json.Valid([]byte(src)) && (!json.Valid(mid) || !json.Valid(back)) {
		t.Errorf("a strict JSON file stops being strict:\nsrc  %q\nmid  %q\nback %q", src, mid, back)
	}
	if !bytes.Equal(back, []byte(src)) {
		t.Errorf("adding then deleting %q does not give back the original bytes:\nsrc  %q\nmid  %q\nback %q", name, src, mid, back)
	}
}

// TestAdv4AddDeleteMultiLineEmptyObject shows that an empty connectors
// object written over several lines ("connectors": {⏎  }) is collapsed
// to {} when the member added to it is deleted again: deleteEdits drops
// everything between the braces when the only member goes and only
// white space surrounds it, including the line break and indentation
// that were there before the add.
func TestAdv4AddDeleteMultiLineEmptyObject(t *testing.T) {
	for _, src := range []string{
		"{\n  \"connectors\": {\n  }\n}\n",
		"{\r\n  \"connectors\": {\r\n  }\r\n}\r\n",
		"{\"connectors\": {\n}}",
	} {
		adv4AddDelete(t, src, "new", int64(1))
	}
}

// TestAdv4AddDeleteOneLineBlockComment shows that adding a connector to
// an empty object that holds a block comment on one line, { /* note */ },
// then deleting it leaves the object split over two lines: the insert
// replaces the blanks before '}' with a line break and indentation, and
// the delete (not the only-member shortcut, as the comment is not blank)
// removes the member's own line only.
func TestAdv4AddDeleteOneLineBlockComment(t *testing.T) {
	adv4AddDelete(t, "{\n  \"connectors\": { /* note */ }\n}\n", "new", int64(1))
}

// TestAdv4AddDeleteOneLineTrailingComma shows that adding a connector to
// an object written on one line with a trailing comma, {"a": 1,}, then
// deleting it leaves a space before '}': the insert writes ` "new": 1,`
// after the comma, and the delete takes the member with its comma but not
// the blank before it (it takes the blanks after the member, of which
// there are none).
func TestAdv4AddDeleteOneLineTrailingComma(t *testing.T) {
	adv4AddDelete(t, "{\n  connectors: {a: 1,}\n}\n", "new", int64(1))
	adv4AddDelete(t, "{\n  \"connectors\": {\"a\": 1,}\n}\n", "new", "x")
}

// TestAdv4AddDeleteLineSeparator shows that in a JSON5 file whose lines
// end with U+2028 (a line terminator in JSON5), adding then deleting a
// connector does not give back the original bytes: detectFormat knows
// only "\n" and "\r\n", so the add writes "\n" breaks, and the delete of
// the member's own line takes the U+2028 after it rather than the "\n"
// the add put before it.
func TestAdv4AddDeleteLineSeparator(t *testing.T) {
	adv4AddDelete(t, "{\u2028  \"connectors\": {\u2028    \"a\": 1\u2028  }\u2028}", "new", int64(1))
	adv4AddDelete(t, "{\u2028  \"connectors\": {\u2028    // c\u2028  }\u2028}", "new", int64(1))
}

// TestAdv4AddDeleteTrailingBlanks shows that adding a connector after a
// last member whose line ends with blanks ("a": 1 ⏎), then deleting it,
// loses those blanks: insertMember puts the new line right after the
// last member (lineRest stops before the blanks), so the blanks end the
// new member's line, and the delete takes the new member's line whole,
// blanks included.
func TestAdv4AddDeleteTrailingBlanks(t *testing.T) {
	adv4AddDelete(t, "{\n  \"connectors\": {\n    \"a\": 1 \n  }\n}\n", "new", int64(1))
	adv4AddDelete(t, "{\n  \"connectors\": {\n    \"a\": 1,\t\n  }\n}\n", "new", int64(1))
}

// TestAdv4ReplaceOneLineObjectWithLineSeparatorInString shows that
// replacing a connector in an object written on one line writes the new
// value over several lines when another member's string holds a raw
// U+2028 (valid in strict JSON and in JSON5): replaceValue decides
// whether the object is on one line with hasBreak over all its bytes,
// strings included, while insertMember looks only between members (an
// added member is written on one line in the same file).
func TestAdv4ReplaceOneLineObjectWithLineSeparatorInString(t *testing.T) {
	src := "{\"connectors\": {\"a\": \"x\u2028\", \"b\": 1}}"
	out, err := SetMember([]byte(src), "connectors", "b", map[string]any{"k": int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	want := "{\"connectors\": {\"a\": \"x\u2028\", \"b\": {\"k\": 1}}}"
	if string(out) != want {
		t.Errorf("replace in a one-line object:\ngot  %q\nwant %q", out, want)
	}
}
