// This file plans an edit as a list of byte-range replacements over the
// document, each confined to the expressions that define the value being
// changed (its "pieces"), and applies them.

package tomledit

import (
	"bytes"
	"errors"
	"maps"
	"slices"
)

// A change replaces src[start:end] with text; start == end inserts.
type change struct {
	start, end int
	text       []byte
}

// An editor collects the changes that set one value in a document.
type editor struct {
	src     []byte // without a byte-order mark
	crlf    bool   // the document breaks lines with CRLF
	changes []change
}

// pieces returns the expressions among from, in order, that define q or
// something under it: each header whose path starts with q (with its
// body), and each key/value outside those whose full path starts with q.
func pieces(from []*expr, q []string) []*expr {
	var ps []*expr
	for _, e := range from {
		if e.header && hasPrefix(e.table, q) ||
			!e.header && len(e.table) < len(q) && hasPrefix(e.path(), q) {
			ps = append(ps, e)
		}
	}
	return ps
}

func hasPrefix(path, q []string) bool {
	return len(path) >= len(q) && slices.Equal(path[:len(q)], q)
}

// set changes the value at q, defined by the pieces ps, from old to v, or
// removes it when v is nil. It reports false, having removed the pieces,
// when v must be written by the caller: a plain value where q was written
// as headers, which only the table around q can hold.
func (ed *editor) set(q []string, old, v any, ps []*expr) (bool, error) {
	if v == nil {
		for _, p := range ps {
			ed.remove(p)
		}
		return true, nil
	}
	if equal(old, v) {
		return true, nil
	}
	// q = <inline value>: replace the value's bytes, keep the key and any
	// comment after the value.
	for _, p := range ps {
		if !p.header && len(p.path()) == len(q) {
			text, err := appendValue(nil, v)
			if err != nil {
				return false, err
			}
			ed.replace(p.valStart, p.valEnd, text)
			for _, o := range ps {
				if o != p {
					ed.remove(o)
				}
			}
			return true, nil
		}
	}
	mark := len(ed.changes)
	ok, err := false, error(nil)
	oldMap, ok1 := old.(map[string]any)
	newMap, ok2 := v.(map[string]any)
	oldArray, newArray := elems(old), elems(v)
	switch {
	case ok1 && ok2:
		ok, err = ed.merge(q, oldMap, newMap, ps)
	case oldArray != nil && newArray != nil:
		ok, err = ed.mergeArray(q, oldArray, newArray, ps)
	}
	if ok || err != nil {
		return ok, err
	}
	ed.changes = ed.changes[:mark]
	return ed.rewrite(q, v, ps)
}

// mergeArray changes the array of tables at q, written as [[q]] sections,
// element by element, leaving the bytes of unchanged elements alone: it
// merges each changed element key by key, appends new elements after the
// last, and removes those gone from the end. It reports false when the
// array is not written that way or an element is not a table; the caller
// then discards its changes.
func (ed *editor) mergeArray(q []string, old, v []any, ps []*expr) (bool, error) {
	// Each element's pieces: its [[q]] header and the headers under it.
	var elems [][]*expr
	for _, p := range ps {
		if p.header && p.array && len(p.table) == len(q) {
			elems = append(elems, []*expr{p})
		} else if len(elems) == 0 || !p.header {
			return false, nil
		} else {
			elems[len(elems)-1] = append(elems[len(elems)-1], p)
		}
	}
	// An empty array has no sections to write it as.
	if len(elems) == 0 || len(elems) != len(old) || len(v) == 0 {
		return false, nil
	}
	var sections []byte
	for i, nv := range v {
		nm, ok := nv.(map[string]any)
		if !ok {
			return false, nil
		}
		if i >= len(old) {
			var err error
			sections = append(sections, '\n')
			if sections, err = appendTable(sections, q, nm, true); err != nil {
				return false, err
			}
			continue
		}
		if equal(old[i], nv) {
			continue
		}
		om, ok := old[i].(map[string]any)
		if !ok {
			return false, nil
		}
		if ok, err := ed.merge(q, om, nm, elems[i]); !ok || err != nil {
			return ok, err
		}
	}
	for _, e := range elems[min(len(v), len(elems)):] {
		for _, p := range e {
			ed.remove(p)
		}
	}
	if len(sections) > 0 {
		last := elems[len(elems)-1]
		ed.insertSection(last[len(last)-1].bodyEnd(), sections[1:])
	}
	return true, nil
}

// merge changes the table at q key by key, leaving the bytes of unchanged
// keys alone. New keys go into the [q] section if there is one, else after
// the dotted keys that define q. It reports false when it cannot place a
// key; the caller then discards its changes.
func (ed *editor) merge(q []string, old, v map[string]any, ps []*expr) (bool, error) {
	var anchor, lastKV, lastHeader *expr
	for _, p := range ps {
		switch {
		case p.header && len(p.table) == len(q): // [q], or [[q]] for an element
			anchor = p
			lastHeader = p
		case p.header:
			lastHeader = p
		default:
			lastKV = p
		}
	}
	// An empty table that is not a [q] section would vanish with its last
	// key. The top-level table may: an empty one reads as none.
	if anchor == nil && len(v) == 0 && len(q) > 1 {
		return false, nil
	}
	// The [q] section's own key/values define keys under q too.
	candidates := ps
	if anchor != nil {
		candidates = append(slices.Clone(ps), anchor.body...)
		slices.SortFunc(candidates, func(a, b *expr) int { return a.start - b.start })
	}
	keys := slices.Sorted(maps.Keys(union(old, v)))
	piecesOf := func(sub []string) []*expr { return pieces(candidates, sub) }
	if len(keys) > 4 {
		// Many keys (SetTable's): look each one's pieces up by key rather
		// than scan all of them for each.
		byKey := make(map[string][]*expr)
		for _, e := range candidates {
			if p := e.path(); len(p) > len(q) {
				byKey[p[len(q)]] = append(byKey[p[len(q)]], e)
			}
		}
		piecesOf = func(sub []string) []*expr { return pieces(byKey[sub[len(q)]], sub) }
	}
	var lines, sections []byte
	for _, k := range keys {
		ov, inOld := old[k]
		nv, inNew := v[k]
		if inOld && inNew && equal(ov, nv) {
			continue
		}
		sub := append(q[:len(q):len(q)], k)
		var err error
		placed := false
		if sp := piecesOf(sub); len(sp) > 0 {
			if placed, err = ed.set(sub, ov, nv, sp); err != nil {
				return false, err
			}
		}
		if placed || !inNew {
			continue
		}
		switch {
		case anchor != nil && isTableLike(nv):
			sections = append(sections, '\n')
			sections, err = appendSection(sections, sub, nv)
		case anchor != nil:
			lines, err = appendKeyValue(lines, []string{k}, nv)
		case lastKV != nil:
			lines, err = appendDotted(lines, sub[len(lastKV.table):], nv)
		case isTableLike(nv):
			sections = append(sections, '\n')
			sections, err = appendSection(sections, sub, nv)
		default:
			return false, nil // a plain value needs a [q] section
		}
		if err != nil {
			return false, err
		}
	}
	// Changes made above for sub-keys come first in the list, so at an
	// equal position they stay before these, as they must: a sub-table's
	// own new keys belong right after its last line, before the next
	// header.
	if len(lines) > 0 {
		at := lastKV
		if anchor != nil {
			at = anchor
		}
		end := at.end
		if at.header {
			end = at.bodyEnd()
		}
		ed.insert(end, lines)
	}
	if len(sections) > 0 {
		ed.insertSection(lastHeader.bodyEnd(), sections[1:])
	}
	return true, nil
}

// rewrite removes the pieces of q and writes v whole at the first of
// them: as sections where that is a header, as dotted key/values where it
// is a key/value. It reports false when v is a plain value and the first
// piece a header.
func (ed *editor) rewrite(q []string, v any, ps []*expr) (bool, error) {
	first := ps[0]
	for _, p := range ps[1:] {
		ed.remove(p)
	}
	if !first.header {
		text, err := appendDotted(nil, q[len(first.table):], v)
		if err != nil {
			return false, err
		}
		ed.replace(first.start, first.end, text)
		return true, nil
	}
	if !isTableLike(v) {
		ed.remove(first)
		return false, nil
	}
	text, err := appendSection(nil, q, v)
	if err != nil {
		return false, err
	}
	// The comment block above the header stays, as does what follows
	// the section.
	ed.replace(first.start, first.bodyEnd(), text)
	return true, nil
}

// remove removes piece p with the comment lines directly above it. For a
// section, it also removes one blank line around it when it stood between
// blank lines, so that removing what insertSection added gives back the
// bytes from before.
func (ed *editor) remove(p *expr) {
	src := ed.src
	start := p.start
	for start > p.prevEnd {
		ls := lineStart(src, start-1)
		if !isComment(src[ls:start]) {
			break
		}
		start = ls
	}
	end := p.end
	if p.header {
		end = p.bodyEnd()
		blankAfter := end == len(src) || isBlank(src[end:lineEnd(src, end)])
		switch {
		case start == 0 && end < len(src) && blankAfter:
			// The document would start with a blank line.
			end = lineEnd(src, end)
		case start > p.prevEnd && blankAfter:
			if ls := lineStart(src, start-1); isBlank(src[ls:start]) {
				start = ls
			}
		}
		if end == len(src) && start > 0 && src[end-1] != '\n' {
			// The document ends without a line break: so it does after.
			start--
			if start > 0 && src[start-1] == '\r' {
				start--
			}
		}
	}
	ed.replace(start, end, nil)
}

func (ed *editor) replace(start, end int, text []byte) {
	ed.changes = append(ed.changes, change{start, end, text})
}

// insert inserts lines at pos, the start of a line or the end of the
// document.
func (ed *editor) insert(pos int, lines []byte) {
	ed.replace(pos, pos, lines)
}

// insertSection inserts sections at pos, the start of a line or the end
// of the document. A blank line goes before them where a blank line
// follows (or at the end of the document), and none where a line that is
// not blank follows, as in a document written without blank lines
// between sections (then none between the sections either): remove then
// takes back exactly what was added.
func (ed *editor) insertSection(pos int, sections []byte) {
	var b []byte
	if n := len(ed.src); pos == n && n > 0 && ed.src[n-1] != '\n' {
		// Nor a line break after them, in a document that ends without
		// one (apply breaks its last line).
		sections = bytes.TrimSuffix(sections, []byte("\n"))
	}
	if pos > 0 && (pos == len(ed.src) || isBlank(ed.src[pos:lineEnd(ed.src, pos)])) {
		b = append(b, '\n')
	} else if pos > 0 {
		// Nor between them: remove takes back a blank line only where
		// the section stood between two. (Written values hold no line
		// breaks; a string's are escaped.)
		sections = bytes.ReplaceAll(sections, []byte("\n\n"), []byte("\n"))
	}
	b = append(b, sections...)
	ed.insert(pos, b)
}

// apply returns the document with the changes made. Only removals may
// overlap; two changes at one position are applied in the order they
// were made.
func (ed *editor) apply() ([]byte, error) {
	cs := slices.Clone(ed.changes)
	slices.SortStableFunc(cs, func(a, b change) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return a.end - b.end
	})
	eol := []byte("\n")
	if ed.crlf {
		eol = []byte("\r\n")
	}
	// The pieces of the result, joined at the end: a join allocates
	// the result once, without clearing it first.
	parts := make([][]byte, 0, 2*len(cs)+2)
	var last []byte // the last piece that is not empty
	add := func(b []byte) {
		if len(b) > 0 {
			parts, last = append(parts, b), b
		}
	}
	pos := 0
	for _, c := range cs {
		if c.start < pos {
			// Two removals may share the blank line between them.
			if len(c.text) > 0 {
				return nil, errors.New("overlapping changes")
			}
			c.start = pos
			c.end = max(c.end, pos)
		}
		add(ed.src[pos:c.start])
		// A document may end without a line break; text added after its
		// last line starts on a new one.
		if len(c.text) > 0 && c.start == len(ed.src) && len(last) > 0 && last[len(last)-1] != '\n' {
			add(eol)
		}
		if ed.crlf {
			add(bytes.ReplaceAll(c.text, []byte("\n"), eol))
		} else {
			add(c.text)
		}
		pos = c.end
	}
	add(ed.src[pos:])
	return bytes.Join(parts, nil), nil
}

func union(a, b map[string]any) map[string]any {
	u := maps.Clone(a)
	if u == nil {
		u = make(map[string]any)
	}
	maps.Copy(u, b)
	return u
}
