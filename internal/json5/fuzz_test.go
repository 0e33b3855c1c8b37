package json5

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fuzzValue builds the value a fuzz case sets: kind 0 deletes.
func fuzzValue(kind uint8, s string, n int64) any {
	switch kind % 6 {
	case 1:
		return s
	case 2:
		return n
	case 3:
		return float64(n) / 8
	case 4:
		return n%2 == 0
	case 5:
		return map[string]any{"k": s, "list": []any{n, s, []any{}}, "o": map[string]any{s: true}}
	}
	return nil
}

// editedDocs returns the documents the edit tests start from: Milady's
// file, a strict JSON file with LF and CRLF line breaks, and those of
// setMemberTests.
func editedDocs() []string {
	docs := []string{milady, strictFile, strings.ReplaceAll(strictFile, "\n", "\r\n")}
	for _, tt := range setMemberTests {
		docs = append(docs, tt.src)
	}
	return docs
}

func addSeeds(f *testing.F) {
	docs := editedDocs()
	for _, tt := range decodeTests {
		docs = append(docs, tt.src)
	}
	for i, doc := range docs {
		for kind := range uint8(6) {
			f.Add([]byte(doc), "connectors", []string{"telegram", "discord", "a", "new"}[(i+int(kind))%4], kind, "v<&>\u2028", int64(i))
		}
		f.Add([]byte(doc), "a", "b", uint8(i), "", int64(-i))
	}
}

// FuzzSetMember checks SetMember's promises on any document and edit:
// the result parses, holds the new value with everything else as it
// was, stays strict JSON if it was, and differs from the input only
// inside the edited member's place.
func FuzzSetMember(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte, table, name string, kind uint8, s string, n int64) {
		// Strings in values are written as encoding/json writes them,
		// invalid UTF-8 as U+FFFD: give it valid ones to compare.
		value := fuzzValue(kind, strings.ToValidUTF8(s, "?"), n)
		if !utf8.ValidString(table) || !utf8.ValidString(name) {
			if _, err := SetMember(src, table, name, value); err == nil {
				t.Fatal("SetMember accepted a name that is not valid UTF-8")
			}
			return
		}
		before, err := Decode(src)
		out, setErr := SetMember(src, table, name, value)
		if err != nil {
			var se *SyntaxError
			if !errors.As(setErr, &se) {
				t.Fatalf("SetMember on a document that does not parse: err = %v, want a *SyntaxError", setErr)
			}
			return
		}
		tab, exists := before[table]
		_, isObject := tab.(map[string]any)
		if exists && !isObject {
			if !errors.Is(setErr, ErrNotObject) {
				t.Fatalf("SetMember on a table that is not an object: err = %v, want ErrNotObject", setErr)
			}
			return
		}
		if setErr != nil {
			t.Fatalf("SetMember: %v", setErr)
		}

		// (a) The result parses and (b) holds exactly the edit.
		after, err := Decode(out)
		if err != nil {
			t.Fatalf("the result does not parse: %v\n%q", err, out)
		}
		expect := normalize(before).(map[string]any)
		if value == nil {
			if exists {
				delete(expect[table].(map[string]any), name)
			}
		} else {
			if !exists {
				expect[table] = map[string]any{}
			}
			expect[table].(map[string]any)[name] = normalize(value)
		}
		if diff := cmp.Diff(expect, normalize(after), cmpopts.EquateNaNs()); diff != "" {
			t.Fatalf("result (-want +got):\n%s\nbefore %q\nafter %q", diff, src, out)
		}
		if json.Valid(src) && !json.Valid(out) {
			t.Fatalf("a strict JSON file is no longer strict:\nbefore %q\nafter %q", src, out)
		}

		// (c) Bytes outside the edited member's place are kept.
		lo, hi, same := editable(src, table, name, value == nil)
		if same {
			if !bytes.Equal(out, src) {
				t.Fatalf("an edit that changes nothing changed the file:\nbefore %q\nafter %q", src, out)
			}
			return
		}
		if !keeps(src, out, lo, hi) {
			t.Fatalf("bytes outside the member's place [%d,%d] changed:\nbefore %q\nafter %q", lo, hi, src, out)
		}
	})
}

// editable returns the range of src an edit of table.name may change,
// or same if it must change nothing. A nil top-level object allows any
// change: a new one is written.
func editable(src []byte, table, name string, del bool) (lo, hi int, same bool) {
	top, err := parse(src)
	if err != nil {
		panic(err)
	}
	if top == nil {
		return 0, len(src), del
	}
	t := lastMember(top, table)
	if t == nil {
		if del {
			return 0, 0, true
		}
		return after(top, len(top.members)), top.close, false
	}
	o := t.obj
	first, last := -1, -1
	for i, m := range o.members {
		if m.name == name {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	switch {
	case first < 0 && del:
		return 0, 0, true
	case first < 0:
		return after(o, len(o.members)), o.close, false
	case !del:
		return o.members[last].valStart, o.members[last].valEnd, false
	}
	hi = o.close
	if last+1 < len(o.members) {
		hi = o.members[last+1].keyStart
	}
	return after(o, first), hi, false
}

// after returns where the space before member i of o starts: after the
// value before it (its comma may go), or after the '{'.
func after(o *object, i int) int {
	if i == 0 {
		return o.open + 1
	}
	return o.members[i-1].valEnd
}

// keeps reports whether b is a with at most a[lo:hi] replaced: a[:lo]
// starts b and a[hi:] ends it, without overlapping.
func keeps(a, b []byte, lo, hi int) bool {
	tail := len(a) - hi
	return lo+tail <= len(b) && bytes.Equal(a[:lo], b[:lo]) && bytes.Equal(a[hi:], b[len(b)-tail:])
}

// FuzzDecode checks that Decode never panics, and that on strict JSON it
// agrees with encoding/json.
func FuzzDecode(f *testing.F) {
	for _, tt := range decodeTests {
		f.Add([]byte(tt.src))
	}
	for _, tt := range invalidTests {
		f.Add([]byte(tt.src))
	}
	for _, doc := range strictDocs {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		got, err := Decode(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 || se.Column < 1 || se.Offset > len(src) {
				t.Fatalf("Decode error %#v is not a *SyntaxError with a position", err)
			}
		}
		if !json.Valid(src) || !utf8.Valid(src) {
			return
		}
		var probe any
		if _ = json.Unmarshal(src, &probe); probe == nil {
			return
		}
		if _, ok := probe.(map[string]any); !ok {
			return // not an object at the top
		}
		dec := json.NewDecoder(bytes.NewReader(src))
		dec.UseNumber()
		var want map[string]any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if err != nil {
			t.Fatalf("Decode of strict JSON %q: %v", src, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("Decode(%q) (-encoding/json +json5):\n%s", src, diff)
		}
	})
}
