// This file finds the top-level structure of a TOML document: its table
// headers and key/value lines, each with the byte range of the lines it
// covers. Everything between them is comments and blank lines.

package tomledit

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/pelletier/go-toml/v2/unstable"
)

// An expr is one top-level expression of the document: a table header,
// an array-of-tables header, or a key/value pair. It covers whole lines:
// a value may span several (a multi-line string or array).
type expr struct {
	header bool     // [table] or [[array]]
	array  bool     // [[array]]
	table  []string // a header's path; for a key/value, the path of the header above it
	key    []string // a key/value's key, dotted parts decoded
	start  int      // start of its first line
	end    int      // end of its last line, after the line break if there is one
	// prevEnd is the end of the expression before (0 for the first): the
	// bytes between prevEnd and start are blank lines and comments only.
	prevEnd int
	// valStart and valEnd are the bytes of a key/value's value.
	valStart, valEnd int
	// body holds a header's key/value pairs, up to the next header.
	body []*expr
}

// path returns the full path that a key/value sets or a header opens.
func (e *expr) path() []string {
	if e.header {
		return e.table
	}
	return append(e.table[:len(e.table):len(e.table)], e.key...)
}

// bodyEnd returns where a header's section ends: after its last
// key/value, or after the header line if it has none. Comments and blank
// lines after the last key/value are not part of it.
func (e *expr) bodyEnd() int {
	if len(e.body) > 0 {
		return e.body[len(e.body)-1].end
	}
	return e.end
}

// scan returns the top-level expressions of src, in order. src has no
// byte-order mark.
func scan(src []byte) ([]*expr, error) {
	var p unstable.Parser
	p.Reset(src)
	var exprs []*expr
	var table []string
	var header *expr
	prevEnd := 0
	for p.NextExpression() {
		n := p.Expression()
		e := &expr{prevEnd: prevEnd}
		var first, last unstable.Range
		it := n.Key()
		for i := 0; it.Next(); i++ {
			k := it.Node()
			if i == 0 {
				first = k.Raw
			}
			last = k.Raw
			e.key = append(e.key, string(k.Data))
		}
		e.start = lineStart(src, int(first.Offset))
		switch n.Kind {
		case unstable.Table, unstable.ArrayTable:
			e.header, e.array = true, n.Kind == unstable.ArrayTable
			e.table, e.key = e.key, nil
			e.end = lineEnd(src, int(last.Offset+last.Length))
			table, header = e.table, e
		case unstable.KeyValue:
			e.table = table
			// The value starts after the '=' that follows the key.
			// Array and inline-table nodes carry no full range, but the
			// key/value's range ends where its value does.
			i := int(last.Offset + last.Length)
			i += bytes.IndexByte(src[i:], '=') + 1
			for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
				i++
			}
			e.valStart, e.valEnd = i, int(n.Raw.Offset+n.Raw.Length)
			e.end = lineEnd(src, e.valEnd)
			if header != nil {
				header.body = append(header.body, e)
			}
		default:
			return nil, fmt.Errorf("unexpected %s at top level", n.Kind)
		}
		exprs = append(exprs, e)
		prevEnd = e.end
	}
	if err := p.Error(); err != nil {
		// The parser's message can quote the document, which holds
		// secrets: say only where it failed.
		var perr *unstable.ParserError
		if errors.As(err, &perr) && len(perr.Highlight) > 0 {
			off := min(cap(src)-cap(perr.Highlight), len(src))
			return nil, fmt.Errorf("syntax error at line %d", 1+bytes.Count(src[:off], []byte("\n")))
		}
		return nil, errors.New("syntax error")
	}
	return exprs, nil
}

// lineStart returns the start of the line that holds src[i].
func lineStart(src []byte, i int) int {
	return bytes.LastIndexByte(src[:i], '\n') + 1
}

// lineEnd returns the end of the line that holds src[i]: after its line
// break, or the end of src.
func lineEnd(src []byte, i int) int {
	if j := bytes.IndexByte(src[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(src)
}

// isBlank reports whether line holds only white space.
func isBlank(line []byte) bool {
	return len(bytes.Trim(line, " \t\r\n")) == 0
}

// isComment reports whether line is a comment line.
func isComment(line []byte) bool {
	line = bytes.TrimLeft(line, " \t")
	return len(line) > 0 && line[0] == '#'
}

// A segment is a run of expressions as a Doc keeps them: a header and the
// key/values under it, or, for a document's first segment, the top-level
// key/values before any header (perhaps none). Their positions are
// relative to base: an expression's start in the document is base plus
// its start. An edit replaces the segments it changes and moves those
// after by their base alone, so that it costs what the edited segments
// do, not what the document does; the expressions themselves are shared
// between Docs and never changed. Their prevEnd and body are not kept
// up to date (a segment moves without its expressions): absolute sets
// them.
type segment struct {
	base  int
	exprs []*expr
}

// start returns where the segment starts in the document; its first
// expression's line. Not for an empty segment.
func (s segment) start() int { return s.base + s.exprs[0].start }

// end returns where the segment's last expression ends in the document;
// base for an empty segment (the first, at 0).
func (s segment) end() int {
	if len(s.exprs) == 0 {
		return s.base
	}
	return s.base + s.exprs[len(s.exprs)-1].end
}

// segments splits exprs, in document order, into segments at base 0:
// first the key/values before any header (perhaps none), then one segment
// per header.
func segments(exprs []*expr) []segment {
	segs := make([]segment, 1, 1+len(exprs)/4)
	from := 0
	for i, e := range exprs {
		if e.header {
			segs[len(segs)-1].exprs = exprs[from:i:i]
			segs = append(segs, segment{})
			from = i
		}
	}
	segs[len(segs)-1].exprs = exprs[from:len(exprs):len(exprs)]
	return segs
}

// absolute returns the expressions of segs[i:k] as scan would give them
// for the whole document: copies, with their positions in the document,
// each prevEnd and each header's body set.
func absolute(segs []segment, i, k int) []*expr {
	n := 0
	for _, s := range segs[i:k] {
		n += len(s.exprs)
	}
	copies := make([]expr, n)
	out := make([]*expr, n)
	prevEnd := 0
	if i > 0 {
		prevEnd = segs[i-1].end()
	}
	x := 0
	for _, s := range segs[i:k] {
		var header *expr
		for _, e := range s.exprs {
			c := &copies[x]
			*c = *e
			c.start += s.base
			c.end += s.base
			if c.header {
				header = c
				c.body = nil
			} else {
				c.valStart += s.base
				c.valEnd += s.base
			}
			c.prevEnd = prevEnd
			prevEnd = c.end
			out[x] = c
			x++
		}
		if header != nil {
			header.body = out[x-len(s.exprs)+1 : x : x]
		}
	}
	return out
}

// splice returns segs with segs[i:k] replaced by with, and the segments
// after moved by delta. segs is not changed.
func splice(segs []segment, i, k int, with []segment, delta int) []segment {
	out := make([]segment, 0, len(segs)-(k-i)+len(with))
	out = append(out, segs[:i]...)
	out = append(out, with...)
	for _, s := range segs[k:] {
		s.base += delta
		out = append(out, s)
	}
	return out
}
