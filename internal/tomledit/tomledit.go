// This file holds Set: decode, plan the edit, apply it, and check the
// result against the document the caller asked for.

package tomledit

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// ErrVerify is returned by Set when no edit it can make reads back as
// the expected document. Like every error of Set, it says nothing about
// the document's contents, which may hold secrets.
var ErrVerify = errors.New("tomledit: the edited document does not read back as expected")

var bom = []byte("\xef\xbb\xbf")

// Set returns src with the entry name of the top-level table table set to
// cfg, or removed when cfg is nil. src is not modified.
//
// cfg holds only string, bool, int64, float64, []any and map[string]any
// values; any other type, an invalid UTF-8 string or a nil inside it is
// an error naming where it is, as is a name that is not valid UTF-8.
// Removing an absent name, or setting a name to the config it already
// has, returns src itself.
//
// The result decodes (with github.com/BurntSushi/toml) to exactly the
// document of src with only table.name changed; if table becomes empty it
// may be left out. Set checks this by decoding the result, and returns
// [ErrVerify] rather than anything else. It is an error for src not to
// parse, or for table to be something other than a table.
func Set(src []byte, table, name string, cfg map[string]any) ([]byte, error) {
	out, _, err := SetDoc(src, nil, table, name, cfg)
	return out, err
}

// SetDoc is Set for a caller that keeps the decoded document of the file
// it edits: doc is src's document as BurntSushi/toml decodes it (nil: Set
// decodes it), and outDoc is the result's, from Set's own check, to pass
// with the result to the next call. Neither is modified by SetDoc or
// should be by the caller.
func SetDoc(src []byte, doc map[string]any, table, name string, cfg map[string]any) (out []byte, outDoc map[string]any, err error) {
	j, err := newJob(src, doc, table, name, cfg)
	if err != nil {
		return nil, nil, err
	}
	if j == nil {
		return src, doc, nil
	}
	// First the precise edit; if it does not read back as it should,
	// rewrite the whole table in place.
	out, outDoc, err = j.try(j.precise)
	if errors.Is(err, ErrVerify) && len(j.ps) > 0 {
		out, outDoc, err = j.try(j.whole)
	}
	if err != nil {
		if !errors.Is(err, ErrVerify) {
			err = fmt.Errorf("tomledit: %w", err)
		}
		return nil, nil, err
	}
	return out, outDoc, nil
}

// A job is one call of Set, with what each way of making its edit needs.
type job struct {
	table, name string
	cfg         map[string]any
	present     bool           // name is in the table
	old, next   map[string]any // the table before and after
	want        map[string]any // the document after

	body   []byte // src without its byte-order mark
	hasBOM bool
	crlf   bool    // the document breaks lines with CRLF
	ps     []*expr // the pieces of the table
}

// newJob returns the job of SetDoc(src, doc, table, name, cfg), or nil if
// there is nothing to do.
func newJob(src []byte, doc map[string]any, table, name string, cfg map[string]any) (*job, error) {
	if !utf8.ValidString(table) || !utf8.ValidString(name) {
		return nil, errors.New("tomledit: table or entry name is not valid UTF-8")
	}
	if cfg != nil {
		if err := validate(cfg, name); err != nil {
			return nil, fmt.Errorf("tomledit: %w", err)
		}
	}
	if doc == nil {
		var err error
		if doc, err = decode(src); err != nil {
			return nil, err
		}
	}
	j := &job{table: table, name: name, cfg: cfg}
	if t, ok := doc[table]; ok {
		if j.old, ok = t.(map[string]any); !ok {
			return nil, fmt.Errorf("tomledit: %s is not a table", table)
		}
	}
	prev, present := j.old[name]
	if cfg == nil && !present || cfg != nil && present && equal(prev, cfg) {
		return nil, nil
	}
	j.present = present
	j.next = maps.Clone(j.old)
	if j.next == nil {
		j.next = make(map[string]any)
	}
	if cfg == nil {
		delete(j.next, name)
	} else {
		j.next[name] = cfg
	}
	j.want = maps.Clone(doc)
	j.want[table] = j.next
	if err := j.scan(src); err != nil {
		return nil, err
	}
	return j, nil
}

// scan finds the pieces of j's table in src.
func (j *job) scan(src []byte) error {
	j.body, j.hasBOM = bytes.CutPrefix(src, bom)
	exprs, err := scan(j.body)
	if err != nil {
		return fmt.Errorf("tomledit: %w", err)
	}
	i := bytes.IndexByte(j.body, '\n')
	j.crlf = i > 0 && j.body[i-1] == '\r'
	j.ps = pieces(exprs, []string{j.table})
	return nil
}

// SetTable returns src with the whole top-level table set to next, in one
// edit and one check however many entries change, where a Set per entry
// would decode the document once for each. The table is written again as
// standard sections where its first piece stood, so comments inside it
// are lost, or appended at the end if it is absent; every byte outside it
// stays. doc and outDoc are as for SetDoc; next is not modified.
func SetTable(src []byte, doc map[string]any, table string, next map[string]any) (out []byte, outDoc map[string]any, err error) {
	if doc == nil {
		if doc, err = decode(src); err != nil {
			return nil, nil, err
		}
	}
	if t, ok := doc[table]; ok {
		if _, ok := t.(map[string]any); !ok {
			return nil, nil, fmt.Errorf("tomledit: %s is not a table", table)
		}
	}
	if err := validate(next, table); err != nil {
		return nil, nil, fmt.Errorf("tomledit: %w", err)
	}
	j := &job{table: table, next: next, want: maps.Clone(doc)}
	j.want[table] = next
	if err := j.scan(src); err != nil {
		return nil, nil, err
	}
	return j.try(func(ed *editor) error {
		if len(j.ps) > 0 {
			return j.whole(ed)
		}
		text, err := appendSection(nil, []string{table}, next)
		if err != nil {
			return err
		}
		ed.insertSection(len(j.body), text)
		return nil
	})
}

// try makes the edit that plan plans and checks that the result reads
// back as it should.
func (j *job) try(plan func(ed *editor) error) ([]byte, map[string]any, error) {
	ed := &editor{src: j.body, crlf: j.crlf}
	if err := plan(ed); err != nil {
		return nil, nil, err
	}
	out, err := ed.apply()
	if err != nil {
		return nil, nil, err
	}
	if j.hasBOM {
		out = append(slices.Clip(bom), out...)
	}
	got, ok := verify(out, j.want, j.table)
	if !ok {
		return nil, nil, ErrVerify
	}
	return out, got, nil
}

// precise plans the edit that changes only the entry's pieces.
func (j *job) precise(ed *editor) error {
	if !j.present && !inline(j.ps) {
		// A new entry: a [table.name] section after the table's last
		// section, or at the end.
		text, err := appendSection(nil, []string{j.table, j.name}, j.cfg)
		if err != nil {
			return err
		}
		pos := len(j.body)
		for _, p := range j.ps {
			if p.header {
				pos = p.bodyEnd()
			}
		}
		ed.insertSection(pos, text)
		return nil
	}
	_, err := ed.set([]string{j.table}, j.old, j.next, j.ps)
	return err
}

// whole plans the edit that writes the whole table again at the place of
// its first piece.
func (j *job) whole(ed *editor) error {
	_, err := ed.rewrite([]string{j.table}, j.next, j.ps)
	return err
}

// inline reports whether the table is written as one inline value
// (table = { ... }), which a new section cannot extend.
func inline(ps []*expr) bool {
	for _, p := range ps {
		if !p.header && len(p.path()) == 1 {
			return true
		}
	}
	return false
}

// decode decodes a TOML document. Its errors give a line number only:
// the decoder's message can quote the document, which holds secrets.
func decode(src []byte) (map[string]any, error) {
	doc := make(map[string]any)
	if _, err := toml.Decode(string(src), &doc); err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, fmt.Errorf("tomledit: TOML syntax error at line %d", perr.Position.Line)
		}
		return nil, errors.New("tomledit: TOML syntax error")
	}
	return doc, nil
}

// verify reports whether out decodes to want, where an empty table is
// the same as none, and returns out's document.
func verify(out []byte, want map[string]any, table string) (map[string]any, bool) {
	got, err := decode(out)
	if err != nil {
		return nil, false
	}
	g, w := got, want
	if emptyTable(g[table]) && emptyTable(w[table]) {
		g, w = maps.Clone(g), maps.Clone(w)
		delete(g, table)
		delete(w, table)
	}
	return got, equal(g, w)
}

func emptyTable(v any) bool {
	m, ok := v.(map[string]any)
	return v == nil || ok && len(m) == 0
}

// equal reports whether two decoded values are the same TOML value. NaN
// equals NaN; an array of tables equals the same tables in a []any.
func equal(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, av := range a {
			bv, ok := b[k]
			if !ok || !equal(av, bv) {
				return false
			}
		}
		return true
	case []any, []map[string]any:
		as, bs := elems(a), elems(b)
		if as == nil || bs == nil || len(as) != len(bs) {
			return false
		}
		for i := range as {
			if !equal(as[i], bs[i]) {
				return false
			}
		}
		return true
	case float64:
		b, ok := b.(float64)
		return ok && (a == b || math.IsNaN(a) && math.IsNaN(b))
	case time.Time:
		b, ok := b.(time.Time)
		return ok && formatTime(a) == formatTime(b)
	case string, bool, int64:
		return a == b
	}
	return false
}

// elems returns the elements of an array as []any, or nil if v is not an
// array.
func elems(v any) []any {
	switch v := v.(type) {
	case []any:
		if v == nil {
			return []any{}
		}
		return v
	case []map[string]any:
		es := make([]any, len(v))
		for i, m := range v {
			es[i] = m
		}
		return es
	}
	return nil
}
