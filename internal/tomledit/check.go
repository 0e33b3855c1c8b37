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
	if !j.local {
		return nil // dotted keys, an inline table, entries under [table], or not one run
	}
	// The entry's sections are the segments segs[i:k] (none, for a new
	// entry); lo and hi are the bytes the edit may touch: those of the
	// run, and around it, up to the expressions before and after.
	q := []string{j.table, j.name}
	segs, i, k := j.segs, j.i, j.k
	if i == k && (len(ed.changes) != 1 || ed.changes[0].start != j.appendAt) {
		return nil // a new entry: one section, where it goes
	}
	minLo, maxHi := segs[i-1].end(), len(j.body)
	if k < len(segs) {
		maxHi = segs[k].start()
	}
	lo, hi := maxHi, minLo
	if i < k {
		lo, hi = segs[i].start(), segs[k-1].end()
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
		if len(j.next) == 0 && !j.bare {
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
	with := segments(linesExprs)[1:] // lines start with a header
	for x := range with {
		with[x].base = lo
	}
	return newDoc(out, value, splice(segs, i, k, with, delta))
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
	with := segments(moveValues(j.exprs, at, cs))
	if j.i > 0 {
		with = with[1:] // the run starts with a header
	}
	return newDoc(out, value, splice(j.segs, j.i, j.k, with, delta))
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

// moveValues moves the expressions exprs, the job's own copies, to
// where they are in the document after the changes cs, sorted, replaced
// the values of exprs[at[n]], and returns them.
func moveValues(exprs []*expr, at []int, cs []change) []*expr {
	delta, n := 0, 0
	for x, e := range exprs {
		e.start += delta
		if !e.header {
			e.valStart += delta
			if n < len(at) && at[n] == x {
				delta += len(cs[n].text) - (cs[n].end - cs[n].start)
				n++
			}
			e.valEnd += delta
		}
		e.end += delta
	}
	return exprs
}
