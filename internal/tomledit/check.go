// This file holds the local checks of a precise edit: proofs that the
// edited document reads as it should from a decode of the edited lines
// alone (checkLocal), or of the new values alone (checkValues), so that
// an edit of one entry costs what the entry, or the change, does, not
// what the whole document does.

package tomledit

import (
	"bytes"
	"maps"
	"slices"
)

// checkLocal returns the Doc of out, the result of the precise edit ed,
// if it can show that out decodes to the expected document by decoding
// only the lines the edit wrote; otherwise nil, and the caller decodes
// out whole.
//
// The argument: the old document was valid and its value is known.
// Its table is written as standard sections only (a bare [table]
// header at most), so nothing but the entry's own sections defines
// anything under table.name, and the entry's sections with their
// key/values are one run of expressions. The edit changes bytes within
// that run's lines, and comment and blank lines around it, only. The
// new lines start with a header, end with a line break, and are
// followed by a header or the end of the document, so that no
// key/value changes tables across their edges; they decode alone to
// exactly {table: {name: cfg}} (or to nothing, for a removal); and the
// tables they open all lie under table.name, which nothing else in the
// document defines. So the document outside them keeps its meaning,
// the new lines mean the new entry, and the two cannot collide: out
// decodes to the old document with only the entry changed.
//
// The positions come from the parser that scan uses; the decode of the
// lines, from the decoder the document is read with. FuzzSet and the
// model test hold this check to a decode of the whole result.
func (j *job) checkLocal(ed *editor, out []byte) *Doc {
	for _, p := range j.ps {
		if !p.header || len(p.table) == 1 && len(p.body) > 0 {
			return nil // dotted keys, an inline table or entries under [table]
		}
	}
	// The entry's run of expressions is exprs[i:k]; lo and hi are the
	// bytes the edit may touch: those of the run, and around it, up to
	// the expressions before and after.
	q := []string{j.table, j.name}
	exprs := j.exprs
	i := 0
	for i < len(exprs) && !(exprs[i].header && hasPrefix(exprs[i].table, q)) {
		i++
	}
	k := i
	if i == len(exprs) {
		// A new entry: no run, and i is where its section goes.
		if len(ed.changes) != 1 {
			return nil
		}
		pos := ed.changes[0].start
		i = 0
		for i < len(exprs) && exprs[i].start < pos {
			i++
		}
		k = i
	} else {
		for k < len(exprs) && (!exprs[k].header || hasPrefix(exprs[k].table, q)) {
			k++
		}
		for _, e := range exprs[k:] {
			if e.header && hasPrefix(e.table, q) {
				return nil // the entry's sections are not one run
			}
		}
	}
	minLo, maxHi := 0, len(j.body)
	if i > 0 {
		minLo = exprs[i-1].end
	}
	if k < len(exprs) {
		if !exprs[k].header {
			return nil
		}
		maxHi = exprs[k].start
	}
	lo, hi := maxHi, minLo
	if i < k {
		lo, hi = exprs[i].start, exprs[k-1].end
	}
	for _, c := range ed.changes {
		lo, hi = min(lo, c.start), max(hi, c.end)
	}
	// At the end of a document whose last line has no line break, the
	// edit adds one to that line: lo must be a line start.
	if lo < minLo || hi > maxHi || lo > hi || lo > 0 && j.body[lo-1] != '\n' ||
		hi < len(j.body) && hi > 0 && j.body[hi-1] != '\n' {
		return nil
	}
	// The editor changes nothing outside lo and hi; say so rather than
	// rely on it, as the argument rests on it.
	delta := len(out) - len(j.body)
	if !bytes.Equal(out[:lo], j.body[:lo]) || !bytes.Equal(out[hi+delta:], j.body[hi:]) {
		return nil
	}
	lines := out[lo : hi+delta]
	if hi < len(j.body) && len(lines) > 0 && lines[len(lines)-1] != '\n' {
		return nil
	}
	linesExprs, err := scan(lines)
	if err != nil || len(linesExprs) > 0 && !linesExprs[0].header {
		return nil
	}
	for _, e := range linesExprs {
		if e.header && !hasPrefix(e.table, q) {
			return nil
		}
	}
	got, err := decode(lines)
	if err != nil {
		return nil
	}
	value := maps.Clone(j.d.value)
	if j.cfg == nil {
		if len(got) != 0 {
			return nil
		}
		if len(j.next) == 0 && !bareHeader(j.ps) {
			delete(value, j.table) // nothing defines it any more
		} else {
			value[j.table] = j.next
		}
	} else {
		t, ok := got[j.table].(map[string]any)
		if len(got) != 1 || !ok || len(t) != 1 || !equal(t[j.name], j.cfg) {
			return nil
		}
		// The decoder's own value, as a decode of the whole would give.
		j.next[j.name] = t[j.name]
		value[j.table] = j.next
	}
	if j.hasBOM {
		out = append(bom[:len(bom):len(bom)], out...)
	}
	return newDoc(out, value, spliceExprs(exprs, i, k, linesExprs, lo, delta))
}

// bareHeader reports whether the pieces of a table include its own
// [table] header.
func bareHeader(ps []*expr) bool {
	for _, p := range ps {
		if len(p.table) == 1 {
			return true
		}
	}
	return false
}

// spliceExprs returns the expressions of the document in which the
// expressions exprs[i:k] were replaced by lines at lo, changing its
// length by delta: those before as they are, those of lines (scanned
// alone, starting with a header) moved to lo, and those after, which
// start with a header, copied and moved by delta. exprs is not changed.
func spliceExprs(exprs []*expr, i, k int, lines []*expr, lo, delta int) []*expr {
	out := make([]*expr, 0, i+len(lines)+len(exprs)-k)
	out = append(out, exprs[:i]...)
	prevEnd := 0
	if i > 0 {
		prevEnd = exprs[i-1].end
	}
	for _, e := range lines {
		e.start += lo
		e.end += lo
		e.prevEnd = prevEnd
		if !e.header {
			e.valStart += lo
			e.valEnd += lo
		}
		prevEnd = e.end
		out = append(out, e)
	}
	after := make([]expr, len(exprs)-k)
	for n, e := range exprs[k:] {
		c := &after[n]
		*c = *e
		c.start += delta
		c.end += delta
		c.prevEnd = prevEnd
		if !c.header {
			c.valStart += delta
			c.valEnd += delta
		}
		prevEnd = c.end
		out = append(out, c)
	}
	rebody(out, len(out)-len(after))
	return out
}

// checkValues returns the Doc of out, the result of the precise edit ed,
// if every change of ed replaced the value of one of the entry's
// key/values with a value on one line, and each new value reads alone as
// the one it should; otherwise nil, and the caller checks otherwise.
// It is the common edit (a dashboard changes a field or two) made cheap:
// the decode is of the new values alone, not of the entry's lines.
//
// The argument: the parser put each replaced range exactly around a
// key/value's value, so what comes after it on the line is blanks, a
// comment or the line break. A text that decodes alone as "v = text" to
// one key is one whole value, and stays so before those bytes; so the
// key/value now means the key with the text's value, and nothing else in
// the document changes meaning. The entry then is the old one with those
// values replaced, which must equal the config asked for.
func (j *job) checkValues(ed *editor, out []byte) *Doc {
	if j.cfg == nil || len(ed.changes) == 0 {
		return nil
	}
	cs := slices.SortedFunc(slices.Values(ed.changes), func(a, b change) int { return a.start - b.start })
	entry, _ := j.old[j.name].(map[string]any)
	got := clonePath(entry) // the entry as the document now reads
	at := make([]int, len(cs))
	for n, c := range cs {
		// The expression the change starts in: the last to start at or
		// before it.
		i, _ := slices.BinarySearchFunc(j.exprs, c.start+1, func(e *expr, pos int) int { return e.start - pos })
		if i--; i < 0 || bytes.IndexByte(c.text, '\n') >= 0 {
			return nil
		}
		e := j.exprs[i]
		if e.header || e.valStart != c.start || e.valEnd != c.end {
			return nil
		}
		path := e.path()
		if len(path) < 3 || !hasPrefix(path, []string{j.table, j.name}) {
			return nil
		}
		v, err := decode(append([]byte("v = "), c.text...))
		if err != nil || len(v) != 1 || v["v"] == nil || !setPath(got, path[2:], v["v"]) {
			return nil
		}
		at[n] = i
	}
	if !equal(got, j.cfg) {
		return nil
	}
	// Outside the changes, out is the document as it was; say so rather
	// than rely on it, as the argument rests on it.
	pos, delta := 0, 0
	for _, c := range cs {
		if !bytes.Equal(out[pos+delta:c.start+delta], j.body[pos:c.start]) ||
			!bytes.Equal(out[c.start+delta:c.start+delta+len(c.text)], c.text) {
			return nil
		}
		pos, delta = c.end, delta+len(c.text)-(c.end-c.start)
	}
	if !bytes.Equal(out[pos+delta:], j.body[pos:]) {
		return nil
	}
	value := maps.Clone(j.d.value)
	j.next[j.name] = got
	value[j.table] = j.next
	if j.hasBOM {
		out = append(bom[:len(bom):len(bom)], out...)
	}
	return newDoc(out, value, movedExprs(j.exprs, at, cs))
}

// clonePath returns a copy of m in which every table is a copy too, so
// that setPath can change it; arrays and other values are shared.
func clonePath(m map[string]any) map[string]any {
	c := maps.Clone(m)
	for k, v := range c {
		if t, ok := v.(map[string]any); ok {
			c[k] = clonePath(t)
		}
	}
	return c
}

// setPath sets the value at path under m, reporting false if a table on
// the way is missing or a value is not there to replace.
func setPath(m map[string]any, path []string, v any) bool {
	for _, k := range path[:len(path)-1] {
		t, ok := m[k].(map[string]any)
		if !ok {
			return false
		}
		m = t
	}
	k := path[len(path)-1]
	if _, ok := m[k]; !ok {
		return false
	}
	m[k] = v
	return true
}

// movedExprs returns the expressions of the document after the changes
// cs, sorted, replaced the values of exprs[at[n]]: those before the
// section of the first as they are, and from its header on copies with
// their positions moved (a header's body pointing at the copies). exprs
// is not changed.
func movedExprs(exprs []*expr, at []int, cs []change) []*expr {
	first := at[0]
	for first > 0 && !exprs[first].header {
		first--
	}
	out := make([]*expr, 0, len(exprs))
	out = append(out, exprs[:first]...)
	copies := make([]expr, len(exprs)-first)
	delta, n := 0, 0
	for x, e := range exprs[first:] {
		c := &copies[x]
		*c = *e
		if x > 0 {
			c.prevEnd = copies[x-1].end
		}
		c.start += delta
		if !c.header {
			c.valStart += delta
			if n < len(at) && at[n] == first+x {
				delta += len(cs[n].text) - (cs[n].end - cs[n].start)
				n++
			}
			c.valEnd += delta
		}
		c.end += delta
		out = append(out, c)
	}
	rebody(out, first)
	return out
}

// rebody points the body of each header in out[from:], a copy whose body
// still holds the old key/values, at the key/values after it in out,
// which are their copies at the same places.
func rebody(out []*expr, from int) {
	for x := from; x < len(out); x++ {
		if c := out[x]; c.header {
			c.body = out[x+1 : x+1+len(c.body) : x+1+len(c.body)]
		}
	}
}
