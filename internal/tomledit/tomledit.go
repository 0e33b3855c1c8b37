// This file holds Set and Doc: decode, plan the edit, apply it, and check
// the result against the document the caller asked for.

package tomledit

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
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
// may be left out. Set checks this (see the package doc), and returns
// [ErrVerify] rather than anything else. It is an error for src not to
// parse, or for table to be something other than a table.
func Set(src []byte, table, name string, cfg map[string]any) ([]byte, error) {
	d, err := Parse(src)
	if err != nil {
		return nil, fmt.Errorf("tomledit: %w", err)
	}
	next, err := d.Set(table, name, cfg)
	if err != nil {
		return nil, err
	}
	return next.src, nil
}

// A Doc is a TOML document ready to be edited: its bytes, the document
// they decode to, and where their expressions are. Each edit returns a
// new Doc that carries what the edit learned, so that a chain of edits
// decodes and parses the file once, not once per edit. A Doc is never
// changed once made; it is safe for concurrent use.
type Doc struct {
	src   []byte
	value map[string]any
	// segs returns the expressions of src without its byte-order mark,
	// in segments: found by the edit that made the Doc, or by a scan
	// when first needed.
	segs func() ([]segment, error)
}

// Parse decodes src and returns its Doc. The Doc keeps src, which the
// caller must not change. Its error gives a line number only: the
// decoder's message can quote the document, which holds secrets.
func Parse(src []byte) (*Doc, error) {
	value, err := decode(src)
	if err != nil {
		return nil, err
	}
	return newDoc(src, value, nil), nil
}

// newDoc returns the Doc of src, which decodes to value and has the
// expressions segs; nil: scan src for them when they are needed.
func newDoc(src []byte, value map[string]any, segs []segment) *Doc {
	d := &Doc{src: src, value: value}
	if segs != nil {
		d.segs = func() ([]segment, error) { return segs, nil }
	} else {
		d.segs = sync.OnceValues(func() ([]segment, error) {
			exprs, err := scan(bytes.TrimPrefix(src, bom))
			return segments(exprs), err
		})
	}
	return d
}

// Bytes returns the document's bytes, which the caller must not change.
func (d *Doc) Bytes() []byte { return d.src }

// Value returns what the document decodes to, as github.com/BurntSushi/toml
// decodes it. It is shared: the caller must not change it.
func (d *Doc) Value() map[string]any { return d.value }

// Set returns the document with the entry name of the top-level table
// table set to cfg, or removed when cfg is nil, as the function [Set]
// does; d itself when nothing changes. The new Doc's value may share
// cfg, which the caller must then leave as it is.
func (d *Doc) Set(table, name string, cfg map[string]any) (*Doc, error) {
	j, err := newJob(d, table, name, cfg)
	if err != nil {
		return nil, err
	}
	if j == nil {
		return d, nil
	}
	// First the precise edit; if it does not read back as it should,
	// rewrite the whole table in place, which needs all its pieces, not
	// the entry's alone.
	next, err := j.try(j.precise, true)
	if errors.Is(err, ErrVerify) {
		if j.all(); len(j.ps) > 0 {
			next, err = j.try(j.whole, false)
		}
	}
	if err != nil {
		if !errors.Is(err, ErrVerify) {
			err = fmt.Errorf("tomledit: %w", err)
		}
		return nil, err
	}
	return next, nil
}

// SetTable returns the document with the entries of changes set in its
// top-level table (a nil config removes the entry), in one edit and one
// check however many change, where a Set for each would edit and check
// the document once for each. Like Set, it changes only the bytes of the
// entries it changes, placing new ones after the table's last section
// (or in a new table at the end), and falls back to writing the whole
// table again, as the decoder read it, only where the table's shape
// leaves no other way. The configs are as for Set.
func (d *Doc) SetTable(table string, changes map[string]map[string]any) (*Doc, error) {
	j := &job{d: d, table: table}
	if t, ok := d.value[table]; ok {
		if j.old, ok = t.(map[string]any); !ok {
			return nil, fmt.Errorf("tomledit: %s is not a table", table)
		}
	}
	j.next = maps.Clone(j.old)
	if j.next == nil {
		j.next = make(map[string]any)
	}
	// The changed entries alone, before and after, for the merge.
	old, next := make(map[string]any), make(map[string]any)
	for name, cfg := range changes {
		if !utf8.ValidString(name) {
			return nil, errors.New("tomledit: entry name is not valid UTF-8")
		}
		if v, ok := j.old[name]; ok {
			old[name] = v
		}
		if cfg == nil {
			delete(j.next, name)
			continue
		}
		if err := validate(cfg, table+"."+name); err != nil {
			return nil, fmt.Errorf("tomledit: %w", err)
		}
		j.next[name], next[name] = cfg, cfg
	}
	if err := j.scan(false); err != nil {
		return nil, err
	}
	q := []string{table}
	res, err := j.try(func(ed *editor) error {
		switch {
		case len(j.ps) == 0:
			text, err := appendSection(nil, q, j.next)
			if err != nil {
				return err
			}
			ed.insertSection(len(j.body), text)
			return nil
		case inline(j.ps):
			_, err := ed.set(q, j.old, j.next, j.ps)
			return err
		}
		ok, err := ed.merge(q, old, next, j.ps)
		if err == nil && !ok {
			ed.changes = ed.changes[:0]
			_, err = ed.rewrite(q, j.next, j.ps)
		}
		return err
	}, false)
	if errors.Is(err, ErrVerify) && len(j.ps) > 0 {
		res, err = j.try(j.whole, false)
	}
	if err != nil && !errors.Is(err, ErrVerify) {
		err = fmt.Errorf("tomledit: %w", err)
	}
	return res, err
}

// A job is one edit of a Doc, with what each way of making it needs.
type job struct {
	d           *Doc
	table, name string
	cfg         map[string]any
	present     bool           // name is in the table
	old, next   map[string]any // the table before and after

	body   []byte // the document without its byte-order mark
	hasBOM bool
	crlf   bool      // the document breaks lines with CRLF
	segs   []segment // the document's expressions
	// The edit reads and changes the expressions of segs[i:k] only:
	// where local is set (see findEntry), the entry's own sections, else
	// all of them.
	i, k  int
	local bool
	exprs []*expr // those of segs[i:k], where they are in the document
	ps    []*expr // the pieces of the table among exprs
	bare  bool    // the table has a [table] header of its own
	// appendAt is where a new entry's section goes: after the table's
	// last section, or at the end of the document.
	appendAt int
}

// newJob returns the job of d.Set(table, name, cfg), or nil if there is
// nothing to do.
func newJob(d *Doc, table, name string, cfg map[string]any) (*job, error) {
	if !utf8.ValidString(table) || !utf8.ValidString(name) {
		return nil, errors.New("tomledit: table or entry name is not valid UTF-8")
	}
	if cfg != nil {
		if err := validate(cfg, name); err != nil {
			return nil, fmt.Errorf("tomledit: %w", err)
		}
	}
	j := &job{d: d, table: table, name: name, cfg: cfg}
	if t, ok := d.value[table]; ok {
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
	if err := j.scan(true); err != nil {
		return nil, err
	}
	return j, nil
}

// scan finds the expressions of j's document and the pieces of its
// table: of the entry only, if entry is set and findEntry allows it.
func (j *job) scan(entry bool) error {
	j.body, j.hasBOM = bytes.CutPrefix(j.d.src, bom)
	segs, err := j.d.segs()
	if err != nil {
		return fmt.Errorf("tomledit: %w", err)
	}
	i := bytes.IndexByte(j.body, '\n')
	j.crlf = i > 0 && j.body[i-1] == '\r'
	j.segs = segs
	if entry && j.findEntry() {
		j.exprs = absolute(segs, j.i, j.k)
		j.ps = pieces(j.exprs, []string{j.table})
		return nil
	}
	j.all()
	return nil
}

// all makes every expression of the document the edit's to read and
// change.
func (j *job) all() {
	j.i, j.k, j.local = 0, len(j.segs), false
	j.exprs = absolute(j.segs, 0, len(j.segs))
	j.ps = pieces(j.exprs, []string{j.table})
	j.bare = bareHeader(j.ps)
	j.appendAt = len(j.body)
	for _, p := range j.ps {
		if p.header {
			j.appendAt = p.bodyEnd()
		}
	}
}

// findEntry reports whether the table is written as standard sections
// only, with at most a bare [table] header with nothing under it, and
// the entry's sections are one run of segments; if so it sets j.i and
// j.k to that run (both to where a new entry's section goes, for an
// absent entry), local, and bare and appendAt as all would. The precise
// edit of such an entry needs its pieces alone: nothing else in the
// document defines anything under table.name.
func (j *job) findEntry() bool {
	segs := j.segs
	for _, e := range segs[0].exprs {
		if e.key[0] == j.table {
			return false // table = ..., or table.name... = ...
		}
	}
	i, k, last := 0, 0, 0
	for x := 1; x < len(segs); x++ {
		h := segs[x].exprs[0]
		switch {
		case h.table[0] != j.table:
			continue
		case len(h.table) == 1:
			if h.array || len(segs[x].exprs) > 1 {
				return false
			}
			j.bare = true
		case h.table[1] == j.name:
			if k != 0 && k != x {
				return false // not one run
			}
			if k == 0 {
				i = x
			}
			k = x + 1
		}
		last = x
	}
	j.appendAt = len(j.body)
	if last > 0 {
		j.appendAt = segs[last].end()
	}
	if k == 0 {
		i = len(segs)
		if last > 0 {
			i = last + 1
		}
		k = i
	}
	j.i, j.k, j.local = i, k, true
	return true
}

// try makes the edit that plan plans and checks that the result reads
// back as it should: by the local check (see check.go) if local is set
// and the edit is one it can judge, else by decoding the whole result.
func (j *job) try(plan func(ed *editor) error, local bool) (*Doc, error) {
	ed := &editor{src: j.body, crlf: j.crlf}
	if err := plan(ed); err != nil {
		return nil, err
	}
	out, err := ed.apply()
	if err != nil {
		// A plan whose changes collide (a removal that takes the blank
		// line an insertion goes before) cannot be made: the caller
		// tries the next way, as for an edit that reads back wrong.
		return nil, ErrVerify
	}
	if local {
		if d := j.checkValues(ed, out); d != nil {
			return d, nil
		}
		if d := j.checkLocal(ed, out); d != nil {
			return d, nil
		}
	}
	if j.hasBOM {
		out = append(slices.Clip(bom), out...)
	}
	want := maps.Clone(j.d.value)
	want[j.table] = j.next
	got, ok := verify(out, want, j.table)
	if !ok {
		return nil, ErrVerify
	}
	return newDoc(out, got, nil), nil
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
		ed.insertSection(j.appendAt, text)
		return nil
	}
	q := []string{j.table}
	if inline(j.ps) {
		// table = { ... }: the whole value is written again.
		_, err := ed.set(q, j.old, j.next, j.ps)
		return err
	}
	// Only the entry differs between the table before and after: merge
	// it alone, as set would after comparing every other entry, which
	// costs what the whole table does.
	old, next := map[string]any{j.name: j.old[j.name]}, map[string]any{}
	if j.cfg != nil {
		next[j.name] = j.cfg
	}
	ok, err := ed.merge(q, old, next, j.ps)
	if err == nil && !ok {
		ed.changes = ed.changes[:0]
		_, err = ed.rewrite(q, j.next, j.ps)
	}
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
			return nil, fmt.Errorf("TOML syntax error at line %d", perr.Position.Line)
		}
		return nil, errors.New("TOML syntax error")
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
