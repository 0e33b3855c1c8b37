// This file edits one member of a top-level object in place: it works out
// the few byte ranges to replace and leaves the rest of the file alone.

package json5

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrNotObject is returned by SetMember when the top-level member to
// edit exists but is not an object.
var ErrNotObject = errors.New("json5: not an object")

// SetMember returns src with the member name of the top-level object
// table set to value; a nil value deletes the member. value is a
// map[string]any, []any, string, bool, int64 or float64, nested in any
// way (nil inside it is written as null). src is not modified.
//
// Only the bytes of the member change: the old value's bytes on a
// replace (the key stays as written); the member, its comma and, if it
// had lines of its own, those lines and the // comment lines directly
// above it on a delete; the new member's text on an insert. Every other
// byte of src is kept.
//
// A new member goes after the last member of table, at that member's
// indentation, keeping its choice of a trailing comma. A table that does
// not exist is added as the last member of the top-level object. A
// document with no top-level object (empty, or only comments) gets one.
// Deleting the last member of table leaves table as an empty object.
// Deleting a member that is not there returns src itself.
//
// New text is strict JSON with sorted keys: written on several lines in
// the file's indentation (two spaces, four, a tab: whatever the top-level
// members use) and line endings (CRLF if the file uses it), or on one
// line inside an object written on one line. Strings are escaped as
// encoding/json does, without HTML escaping (invalid UTF-8 becomes
// U+FFFD); floats are written in the shortest form that reads back as
// the same float, always with a '.' or an exponent.
//
// If a key appears more than once, the last one counts, as in Decode:
// a replace changes the last one and a delete removes them all.
//
// SetMember returns a *SyntaxError if src does not parse, an error
// wrapping ErrNotObject if table holds something other than an object,
// and an error for a table or name that is not valid UTF-8 or for a value
// it cannot write (a type outside the list above, a NaN or infinite
// float). It never returns a document that does not parse.
func SetMember(src []byte, table, name string, value any) ([]byte, error) {
	if !utf8.ValidString(table) || !utf8.ValidString(name) {
		return nil, errors.New("json5: a member name is not valid UTF-8")
	}
	if value == nil {
		return deleteMember(src, table, name)
	}
	top, err := parse(src)
	if err != nil {
		return nil, err
	}
	f := detectFormat(src, top)
	if top == nil {
		return newDocument(src, table, name, value, f)
	}
	var edits []edit
	t := lastMember(top, table)
	switch {
	case t == nil:
		edits, err = insertMember(src, top, table, map[string]any{name: value}, f)
	case t.obj == nil:
		return nil, notObject(src, table, t)
	default:
		if m := lastMember(t.obj, name); m != nil {
			edits, err = replaceValue(src, t.obj, m, value, f)
		} else {
			edits, err = insertMember(src, t.obj, name, value, f)
		}
	}
	if err != nil {
		return nil, err
	}
	out := apply(src, edits)
	if _, err := parse(out); err != nil {
		return nil, errBadEdit(err)
	}
	return out, nil
}

// errBadEdit reports a bug: an edit that broke the document. Checking
// costs a parse and spares a user's config file.
func errBadEdit(err error) error {
	return fmt.Errorf("json5: internal error: the edited document does not parse: %w", err)
}

// deleteMember deletes every member name of table, one at a time,
// parsing again after each: duplicates are rare and positions shift.
func deleteMember(src []byte, table, name string) ([]byte, error) {
	for edited := false; ; edited = true {
		top, err := parse(src)
		if err != nil {
			if edited {
				return nil, errBadEdit(err)
			}
			return nil, err
		}
		if top == nil {
			return src, nil
		}
		t := lastMember(top, table)
		if t == nil {
			return src, nil
		}
		if t.obj == nil {
			return nil, notObject(src, table, t)
		}
		i := len(t.obj.members) - 1
		for i >= 0 && t.obj.members[i].name != name {
			i--
		}
		if i < 0 {
			return src, nil
		}
		src = apply(src, deleteEdits(src, t.obj, i))
	}
}

func notObject(src []byte, table string, t *member) error {
	line, _ := position(src, t.valStart)
	return fmt.Errorf("%w: top-level member %q (line %d)", ErrNotObject, table, line)
}

// lastMember returns the last member of o called name, or nil.
func lastMember(o *object, name string) *member {
	for i := len(o.members) - 1; i >= 0; i-- {
		if o.members[i].name == name {
			return &o.members[i]
		}
	}
	return nil
}

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// apply returns a new slice holding src with edits made. The edits are
// in order and do not overlap.
func apply(src []byte, edits []edit) []byte {
	var out []byte
	at := 0
	for _, e := range edits {
		out = append(out, src[at:e.start]...)
		out = append(out, e.text...)
		at = e.end
	}
	return append(out, src[at:]...)
}

// format is how a file lays out its text.
type format struct {
	indent  string // one level
	newline string
}

// detectFormat takes the indentation unit from the first top-level
// member that starts its own line, and the line ending from the first
// line break.
func detectFormat(src []byte, top *object) format {
	f := format{indent: "  ", newline: "\n"}
	for i := range src {
		if src[i] == '\n' {
			if i > 0 && src[i-1] == '\r' {
				f.newline = "\r\n"
			}
			break
		}
	}
	if top != nil {
		for _, m := range top.members {
			if ind, first := lineIndent(src, m.keyStart); first && ind != "" {
				f.indent = ind
				break
			}
		}
	}
	return f
}

// newDocument adds a top-level object to a document that has none,
// keeping its comments.
func newDocument(src []byte, table, name string, value any, f format) ([]byte, error) {
	text, err := appendMember(nil, table, map[string]any{name: value}, f.indent, f, false)
	if err != nil {
		return nil, err
	}
	var out []byte
	if !blank(src, 0, len(src)) {
		out = append(out, src...)
		if breakBefore(src, len(src)) == 0 {
			out = append(out, f.newline...)
		}
	} else if hasPrefix(src, 0, "\ufeff") {
		out = append(out, "\ufeff"...) // a byte-order mark is kept, as elsewhere
	}
	out = append(out, "{"+f.newline+f.indent...)
	out = append(out, text...)
	out = append(out, f.newline+"}"+f.newline...)
	return out, nil
}

// replaceValue replaces the value of m, a member of o.
func replaceValue(src []byte, o *object, m *member, value any, f format) ([]edit, error) {
	ind, _ := lineIndent(src, m.keyStart)
	inline := !hasBreak(src[o.open:o.close])
	text, err := appendValue(nil, value, ind, f, inline, 0)
	if err != nil {
		return nil, err
	}
	return []edit{{m.valStart, m.valEnd, string(text)}}, nil
}

// insertMember adds key: value as the last member of o.
func insertMember(src []byte, o *object, key string, value any, f format) ([]edit, error) {
	if len(o.members) == 0 {
		// An empty object gets its member on a line of its own, one
		// level deeper than the line that opens the object.
		outer, _ := lineIndent(src, o.open)
		ind := outer + f.indent
		text, err := appendMember(nil, key, value, ind, f, false)
		if err != nil {
			return nil, err
		}
		// On the first line inside it, before any comment lines the
		// object holds: a comment directly above a member is the
		// member's, and goes when it is deleted.
		if p := firstBreak(src, o.open+1, o.close); p >= 0 {
			return []edit{{p, p, f.newline + ind + string(text)}}, nil
		}
		q := o.close
		for q > o.open+1 && (src[q-1] == ' ' || src[q-1] == '\t') {
			q--
		}
		return []edit{{q, o.close, f.newline + ind + string(text) + f.newline + outer}}, nil
	}

	last := &o.members[len(o.members)-1]
	if lastBreak(src, last.end(), o.close) < 0 {
		// The object closes on the line where its last member ends:
		// the new member goes on that line too.
		text, err := appendMember(nil, key, value, "", f, true)
		if err != nil {
			return nil, err
		}
		if last.comma >= 0 {
			return []edit{{last.end(), last.end(), " " + string(text) + ","}}, nil
		}
		return []edit{{last.valEnd, last.valEnd, ", " + string(text)}}, nil
	}

	// The new member goes on its own line after the last one, past any
	// comment on the last member's line, which belongs to it.
	ind, _ := lineIndent(src, last.keyStart)
	text, err := appendMember(nil, key, value, ind, f, false)
	if err != nil {
		return nil, err
	}
	line := f.newline + ind + string(text)
	p := lineRest(src, last.end())
	if q := skipHorizontal(src, p); breakAt(src, q) > 0 {
		p = q // past blanks that end the line, which stay on it
	}
	if last.comma >= 0 {
		return []edit{{p, p, line + ","}}, nil
	}
	return []edit{{last.valEnd, last.valEnd, ","}, {p, p, line}}, nil
}

// deleteEdits removes member i of o.
func deleteEdits(src []byte, o *object, i int) []edit {
	m := &o.members[i]
	var prev *member
	gap := o.open + 1 // where the space before m starts
	if i > 0 {
		prev = &o.members[i-1]
		gap = prev.end()
	}
	var start, end int
	if s, e, ok := ownLines(src, gap, m); ok {
		start, end = s, e
	} else if m.comma >= 0 {
		// Take the blanks after m, or before it if m ends its line or
		// the object, so that no line is left with trailing blanks and
		// "{a: 1, b: 2,}" loses " b: 2,".
		start, end = m.keyStart, skipHorizontal(src, m.end())
		if breakAt(src, end) > 0 || hasPrefix(src, end, "//") || end == o.close {
			end = m.end()
			for start > gap && (src[start-1] == ' ' || src[start-1] == '\t') {
				start--
			}
		}
	} else if prev != nil && blank(src, prev.comma+1, m.keyStart) {
		start, end = prev.comma, m.valEnd
	} else if prev != nil {
		// The last member, sharing a line, with comments before it: it
		// goes from the line break
		// before it, or else from the comments that follow the comma of
		// the member before on its line, which are that member's. The
		// comma goes below.
		start, end = lineRest(src, prev.comma+1), m.valEnd
		if p := lastBreak(src, prev.comma+1, m.keyStart); p >= 0 {
			start = skipHorizontal(src, p+breakAt(src, p))
			if q := skipHorizontal(src, end); breakAt(src, q) > 0 {
				// Nothing else on its line: the line goes whole.
				start, end = p+breakAt(src, p), q+breakAt(src, q)
			}
		}
	} else {
		start, end = m.keyStart, m.valEnd
	}
	if len(o.members) == 1 && blank(src, o.open+1, start) && blank(src, end, o.close) {
		return []edit{{o.open + 1, o.close, ""}}
	}
	// When the last member goes, the one before becomes the last. It
	// keeps a comma only if the deleted one had one, so that a strict
	// JSON file stays strict.
	if prev != nil && i == len(o.members)-1 && m.comma < 0 && start > prev.comma {
		return []edit{{prev.comma, prev.comma + 1, ""}, {start, end, ""}}
	}
	return []edit{{start, end, ""}}
}

// ownLines reports whether m has its lines to itself: nothing but
// indentation before its key, nothing but white space and comments after
// it on its last line. If so it returns the range of those lines, with
// the // comment lines directly above m. gap is where the white space
// and comments before m start.
func ownLines(src []byte, gap int, m *member) (start, end int, ok bool) {
	start = lineStart(src, m.keyStart)
	if !horizontal(src, start, m.keyStart) {
		return 0, 0, false
	}
	q := skipHorizontal(src, lineRest(src, m.end()))
	n := breakAt(src, q)
	if n == 0 {
		return 0, 0, false
	}
	for start > gap {
		above := start - breakBefore(src, start)
		ls := lineStart(src, above)
		c := skipHorizontal(src, ls)
		if ls < gap || c == above || !lineCommentAt(src, gap, c) {
			break
		}
		start = ls
	}
	return start, q + n, true
}

// lineCommentAt reports whether a // comment starts at offset at, where
// src[from:at] holds only white space and comments.
func lineCommentAt(src []byte, from, at int) bool {
	for i := from; i <= at; {
		switch {
		case hasPrefix(src, i, "//"):
			if i == at {
				return true
			}
			i = lineCommentEnd(src, i)
		case hasPrefix(src, i, "/*"):
			i = blockCommentEnd(src, i)
		default:
			_, size := utf8.DecodeRune(src[i:])
			i += size
		}
	}
	return false
}

// lineRest returns the end of the comments that follow offset i on its
// line, or i if there are none.
func lineRest(src []byte, i int) int {
	end := i
	for {
		i = skipHorizontal(src, i)
		if hasPrefix(src, i, "//") {
			return lineCommentEnd(src, i)
		}
		if !hasPrefix(src, i, "/*") {
			return end
		}
		e := blockCommentEnd(src, i)
		if hasBreak(src[i:e]) {
			return end
		}
		i, end = e, e
	}
}

// lastBreak returns the offset of the last line break in src[from:to],
// which holds only white space and comments, outside the comments; or -1.
func lastBreak(src []byte, from, to int) int {
	return lineBreak(src, from, to, true)
}

// firstBreak is lastBreak for the first line break.
func firstBreak(src []byte, from, to int) int {
	return lineBreak(src, from, to, false)
}

// lineBreak is lastBreak if last is set, else firstBreak.
func lineBreak(src []byte, from, to int, last bool) int {
	found := -1
	for i := from; i < to; {
		switch {
		case hasPrefix(src, i, "//"):
			i = lineCommentEnd(src, i)
		case hasPrefix(src, i, "/*"):
			i = blockCommentEnd(src, i)
		default:
			if n := breakAt(src, i); n > 0 {
				if found = i; !last {
					return found
				}
				i += n
				continue
			}
			_, size := utf8.DecodeRune(src[i:])
			i += size
		}
	}
	return found
}

// lineIndent returns the spaces and tabs that start the line holding
// offset p, and whether only they come before p on that line.
func lineIndent(src []byte, p int) (indent string, first bool) {
	ls := lineStart(src, p)
	i := ls
	for i < p && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	return string(src[ls:i]), horizontal(src, ls, p)
}

// lineStart returns the offset where the line holding offset p starts.
func lineStart(src []byte, p int) int {
	for i := p; i > 0; i-- {
		if breakBefore(src, i) > 0 {
			return i
		}
	}
	return 0
}

// breakAt returns the length of the line break at offset i, or 0.
func breakAt(src []byte, i int) int {
	switch {
	case hasPrefix(src, i, "\r\n"):
		return 2
	case hasPrefix(src, i, "\n"), hasPrefix(src, i, "\r"):
		return 1
	case hasPrefix(src, i, "\u2028"), hasPrefix(src, i, "\u2029"):
		return 3
	}
	return 0
}

// breakBefore returns the length of the line break that ends at offset
// i, or 0.
func breakBefore(src []byte, i int) int {
	switch {
	case i >= 2 && string(src[i-2:i]) == "\r\n":
		return 2
	case i >= 1 && (src[i-1] == '\n' || src[i-1] == '\r'):
		return 1
	case i >= 3 && (string(src[i-3:i]) == "\u2028" || string(src[i-3:i]) == "\u2029"):
		return 3
	}
	return 0
}

func hasBreak(b []byte) bool {
	for i := range b {
		if breakAt(b, i) > 0 {
			return true
		}
	}
	return false
}

func hasPrefix(src []byte, i int, s string) bool {
	return len(src)-i >= len(s) && string(src[i:i+len(s)]) == s
}

// skipHorizontal returns the offset after the white space other than
// line breaks at offset i.
func skipHorizontal(src []byte, i int) int {
	for i < len(src) {
		r, size := utf8.DecodeRune(src[i:])
		if !isSpace(r) || isLineTerminator(r) {
			break
		}
		i += size
	}
	return i
}

// horizontal reports whether src[from:to] is white space without line breaks.
func horizontal(src []byte, from, to int) bool {
	return skipHorizontal(src[:to], from) == to
}

// blank reports whether src[from:to] is white space, line breaks included.
func blank(src []byte, from, to int) bool {
	for i := from; i < to; {
		r, size := utf8.DecodeRune(src[i:to])
		if !isSpace(r) {
			return false
		}
		i += size
	}
	return true
}
