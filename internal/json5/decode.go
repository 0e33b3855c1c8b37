// This file holds the parser. It builds Go values for Decode and, for the
// top-level object and the objects directly under it, remembers where
// each member sits so that SetMember can splice new text in.

package json5

import (
	"encoding/json"
	"fmt"
	"math/big"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is how deeply arrays and objects may nest. Deeper documents
// are an error rather than a risk to the stack.
const MaxDepth = 10000

// Decode parses a JSON5 document whose top-level value is an object. A
// document that holds only white space and comments decodes as an empty
// map. A UTF-8 byte-order mark at the start is white space, as in JSON5.
//
// Values are map[string]any, []any, string, bool, nil (for null) and
// json.Number. A number's text is canonical decimal: a decimal integer as
// written less any '+' ("42", "-7"); a hexadecimal integer converted
// exactly to decimal, at any size ("0x1F" is "31"); any other number as
// text that strconv.ParseFloat accepts (".5" is "0.5", "5." is "5",
// "+1e3" is "1e3"); and "Infinity", "-Infinity" and "NaN" for those.
// Judging a number's range is left to the caller.
//
// A key that appears twice in one object takes its last value, as in
// JSON.parse. The returned map is new and belongs to the caller.
//
// Decode returns a *SyntaxError for invalid JSON5, invalid UTF-8, a
// top-level value that is not an object, or nesting deeper than MaxDepth.
func Decode(src []byte) (map[string]any, error) {
	top, err := parse(src)
	if err != nil {
		return nil, err
	}
	if top == nil {
		return map[string]any{}, nil
	}
	return top.value, nil
}

// SyntaxError reports where and why a document does not parse. Its
// message names what was expected, never what was found: the document
// may hold secrets.
type SyntaxError struct {
	Line   int // 1-based
	Column int // 1-based, in characters
	Offset int // in bytes from the start of the document
	msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("json5: line %d, column %d: %s", e.Line, e.Column, e.msg)
}

// object is a parsed object with the positions of its members.
type object struct {
	open, close int // offsets of '{' and '}'
	members     []member
	value       map[string]any
}

// member is one "key: value" of an object, by byte offsets in the source.
type member struct {
	name     string
	keyStart int
	valStart int
	valEnd   int
	comma    int     // offset of the comma after the member, or -1
	obj      *object // the value's positions, if it is an object that was recorded
}

// end is where the member ends: after its comma if it has one.
func (m *member) end() int {
	if m.comma >= 0 {
		return m.comma + 1
	}
	return m.valEnd
}

// recordDepth is the deepest level whose objects keep positions: the
// top-level object (1) and the objects that are its members' values (2).
const recordDepth = 2

type parser struct {
	src []byte
	pos int
}

// parse parses a whole document. It returns nil, nil for a document
// without a top-level value.
func parse(src []byte) (*object, error) {
	p := &parser{src: src}
	if err := p.checkUTF8(); err != nil {
		return nil, err
	}
	if err := p.skipSpace(); err != nil {
		return nil, err
	}
	if p.pos == len(src) {
		return nil, nil
	}
	if src[p.pos] != '{' {
		return nil, p.errorf(p.pos, "expected an object as the top-level value")
	}
	top, err := p.object(1)
	if err != nil {
		return nil, err
	}
	if err := p.skipSpace(); err != nil {
		return nil, err
	}
	if p.pos != len(src) {
		return nil, p.errorf(p.pos, "expected the end of the document after the top-level object")
	}
	return top, nil
}

// errorf returns a *SyntaxError at byte offset off.
func (p *parser) errorf(off int, format string, args ...any) error {
	line, col := position(p.src, off)
	return &SyntaxError{Line: line, Column: col, Offset: off, msg: fmt.Sprintf(format, args...)}
}

// position returns the line and column of byte offset off, both 1-based.
// Lines end as JSON5 says: LF, CR, CRLF, U+2028 or U+2029.
func position(src []byte, off int) (line, col int) {
	line, col = 1, 1
	for i := 0; i < off; {
		r, size := utf8.DecodeRune(src[i:])
		i += size
		switch {
		case r == '\r' && i < len(src) && src[i] == '\n':
			// Counted at the '\n'.
		case isLineTerminator(r):
			line, col = line+1, 1
		default:
			col++
		}
	}
	return line, col
}

// checkUTF8 finds the first invalid UTF-8 sequence, if any, up front, so
// that the scanner can decode runes without checking.
func (p *parser) checkUTF8() error {
	if utf8.Valid(p.src) {
		return nil
	}
	for i := 0; i < len(p.src); {
		r, size := utf8.DecodeRune(p.src[i:])
		if r == utf8.RuneError && size == 1 {
			return p.errorf(i, "invalid UTF-8")
		}
		i += size
	}
	return nil
}

func isLineTerminator(r rune) bool {
	return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029'
}

// isSpace reports whether r is JSON5 white space, line terminators
// included.
func isSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', '\u00a0', '\u2028', '\u2029', '\ufeff':
		return true
	}
	return r > utf8.RuneSelf && unicode.Is(unicode.Zs, r)
}

// skipSpace skips white space and comments.
func (p *parser) skipSpace() error {
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '/' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '/':
			p.pos = lineCommentEnd(p.src, p.pos)
		case c == '/' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '*':
			end := blockCommentEnd(p.src, p.pos)
			if end < 0 {
				return p.errorf(p.pos, "unterminated comment: expected */")
			}
			p.pos = end
		case c < utf8.RuneSelf:
			if !isSpace(rune(c)) {
				return nil
			}
			p.pos++
		default:
			r, size := utf8.DecodeRune(p.src[p.pos:])
			if !isSpace(r) {
				return nil
			}
			p.pos += size
		}
	}
	return nil
}

// lineCommentEnd returns the offset of the line terminator (or the end of
// src) that ends the // comment starting at i.
func lineCommentEnd(src []byte, i int) int {
	for i < len(src) {
		r, size := utf8.DecodeRune(src[i:])
		if isLineTerminator(r) {
			return i
		}
		i += size
	}
	return i
}

// blockCommentEnd returns the offset just after the */ that ends the
// comment starting at i, or -1 if there is none.
func blockCommentEnd(src []byte, i int) int {
	for j := i + 2; j+1 < len(src); j++ {
		if src[j] == '*' && src[j+1] == '/' {
			return j + 2
		}
	}
	return -1
}

func (p *parser) value(depth int) (any, error) {
	if p.pos == len(p.src) {
		return nil, p.errorf(p.pos, "unexpected end of document: expected a value")
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		o, err := p.object(depth)
		if err != nil {
			return nil, err
		}
		return o.value, nil
	case c == '[':
		return p.array(depth)
	case c == '"' || c == '\'':
		return p.string()
	case c == '+' || c == '-' || c == '.' || c == 'I' || c == 'N' || isDigit(c):
		return p.number()
	case p.literal("true"):
		return true, nil
	case p.literal("false"):
		return false, nil
	case p.literal("null"):
		return nil, nil
	}
	return nil, p.errorf(p.pos, "expected a value")
}

// literal consumes word if the input continues with it.
func (p *parser) literal(word string) bool {
	if len(p.src)-p.pos < len(word) || string(p.src[p.pos:p.pos+len(word)]) != word {
		return false
	}
	p.pos += len(word)
	return true
}

// object parses the object at p.pos, which is '{'. Objects at depth
// recordDepth or less keep the positions of their members.
func (p *parser) object(depth int) (*object, error) {
	if depth > MaxDepth {
		return nil, p.errorf(p.pos, "nesting deeper than %d", MaxDepth)
	}
	o := &object{open: p.pos, value: map[string]any{}}
	p.pos++
	for {
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos < len(p.src) && p.src[p.pos] == '}' {
			break
		}
		m := member{keyStart: p.pos, comma: -1}
		var err error
		if m.name, err = p.key(); err != nil {
			return nil, err
		}
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos == len(p.src) || p.src[p.pos] != ':' {
			return nil, p.errorf(p.pos, "expected ':' after an object key")
		}
		p.pos++
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		m.valStart = p.pos
		var v any
		if depth+1 <= recordDepth && p.pos < len(p.src) && p.src[p.pos] == '{' {
			if m.obj, err = p.object(depth + 1); err != nil {
				return nil, err
			}
			v = m.obj.value
		} else if v, err = p.value(depth + 1); err != nil {
			return nil, err
		}
		m.valEnd = p.pos
		o.value[m.name] = v
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos < len(p.src) && p.src[p.pos] == ',' {
			m.comma = p.pos
			p.pos++
		} else if p.pos == len(p.src) || p.src[p.pos] != '}' {
			return nil, p.errorf(p.pos, "expected ',' or '}' after an object member")
		}
		if depth <= recordDepth {
			o.members = append(o.members, m)
		}
	}
	o.close = p.pos
	p.pos++
	return o, nil
}

func (p *parser) array(depth int) ([]any, error) {
	if depth > MaxDepth {
		return nil, p.errorf(p.pos, "nesting deeper than %d", MaxDepth)
	}
	a := []any{}
	p.pos++
	for {
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos < len(p.src) && p.src[p.pos] == ']' {
			p.pos++
			return a, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos < len(p.src) && p.src[p.pos] == ',' {
			p.pos++
		} else if p.pos == len(p.src) || p.src[p.pos] != ']' {
			return nil, p.errorf(p.pos, "expected ',' or ']' after an array element")
		}
	}
}

// key parses an object key: a string or an ECMAScript 5 IdentifierName.
func (p *parser) key() (string, error) {
	if p.pos == len(p.src) {
		return "", p.errorf(p.pos, "unexpected end of document: expected an object key or '}'")
	}
	if c := p.src[p.pos]; c == '"' || c == '\'' {
		return p.string()
	}
	var name []byte
	for p.pos < len(p.src) {
		start := p.pos
		r, size := utf8.DecodeRune(p.src[p.pos:])
		escaped := r == '\\'
		if escaped {
			// Only \uXXXX escapes are allowed, and only for characters
			// that could be written unescaped.
			if !p.literal(`\u`) {
				return "", p.errorf(start, "expected \\u after a backslash in an identifier")
			}
			var ok bool
			if r, ok = p.hex(4); !ok {
				return "", p.errorf(start, "expected four hexadecimal digits after \\u")
			}
		} else {
			p.pos += size
		}
		if !isIDStart(r) && (len(name) == 0 || !isIDPart(r)) {
			switch {
			case escaped:
				return "", p.errorf(start, "escape for a character not allowed in an identifier")
			case len(name) == 0:
				return "", p.errorf(start, "expected an object key or '}'")
			}
			p.pos = start // the identifier ended before r
			break
		}
		name = utf8.AppendRune(name, r)
	}
	return string(name), nil
}

func isIDStart(r rune) bool {
	return r == '$' || r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r)
}

func isIDPart(r rune) bool {
	return isIDStart(r) || r == '\u200c' || r == '\u200d' ||
		unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc)
}

// string parses a single- or double-quoted string at p.pos.
func (p *parser) string() (string, error) {
	quote := p.src[p.pos]
	start := p.pos
	p.pos++
	var s []byte
	for {
		// Copy the run of plain bytes in one go.
		i := p.pos
		for i < len(p.src) && p.src[i] != quote && p.src[i] != '\\' && p.src[i] != '\n' && p.src[i] != '\r' {
			i++
		}
		s = append(s, p.src[p.pos:i]...)
		p.pos = i
		if p.pos == len(p.src) {
			return "", p.errorf(start, "unterminated string: expected a closing quote")
		}
		switch p.src[p.pos] {
		case quote:
			p.pos++
			return string(s), nil
		case '\n', '\r':
			return "", p.errorf(p.pos, "line break in a string: expected a closing quote or an escape")
		}
		var err error
		if s, err = p.escape(s); err != nil {
			return "", err
		}
	}
}

// escape appends what the escape sequence at p.pos, a backslash, stands for.
func (p *parser) escape(s []byte) ([]byte, error) {
	start := p.pos
	p.pos++
	if p.pos == len(p.src) {
		return nil, p.errorf(start, "unterminated string: expected a closing quote")
	}
	c := p.src[p.pos]
	p.pos++
	switch c {
	case 'b':
		return append(s, '\b'), nil
	case 'f':
		return append(s, '\f'), nil
	case 'n':
		return append(s, '\n'), nil
	case 'r':
		return append(s, '\r'), nil
	case 't':
		return append(s, '\t'), nil
	case 'v':
		return append(s, '\v'), nil
	case '0':
		if p.pos < len(p.src) && isDigit(p.src[p.pos]) {
			return nil, p.errorf(start, "invalid escape: \\0 followed by a digit")
		}
		return append(s, 0), nil
	case '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return nil, p.errorf(start, "invalid escape: a digit other than \\0")
	case 'x':
		r, ok := p.hex(2)
		if !ok {
			return nil, p.errorf(start, "expected two hexadecimal digits after \\x")
		}
		return utf8.AppendRune(s, r), nil
	case 'u':
		r, ok := p.hex(4)
		if !ok {
			return nil, p.errorf(start, "expected four hexadecimal digits after \\u")
		}
		if utf16.IsSurrogate(r) {
			// A high surrogate escape followed by a low one is one
			// character; any other surrogate cannot be held in a Go
			// string and becomes U+FFFD, as in encoding/json.
			save := p.pos
			if p.literal(`\u`) {
				if r2, ok := p.hex(4); ok {
					if c := utf16.DecodeRune(r, r2); c != utf8.RuneError {
						return utf8.AppendRune(s, c), nil
					}
				}
			}
			p.pos = save
			r = utf8.RuneError
		}
		return utf8.AppendRune(s, r), nil
	case '\r':
		// A line continuation: the backslash and the line break vanish.
		if p.pos < len(p.src) && p.src[p.pos] == '\n' {
			p.pos++
		}
		return s, nil
	case '\n':
		return s, nil
	}
	// Any other character stands for itself (\' \" \\ \a ...), and a
	// U+2028 or U+2029 after the backslash is a line continuation.
	p.pos--
	r, size := utf8.DecodeRune(p.src[p.pos:])
	p.pos += size
	if r == '\u2028' || r == '\u2029' {
		return s, nil
	}
	return utf8.AppendRune(s, r), nil
}

// hex consumes n hexadecimal digits and returns their value.
func (p *parser) hex(n int) (rune, bool) {
	if len(p.src)-p.pos < n {
		return 0, false
	}
	var r rune
	for _, c := range p.src[p.pos : p.pos+n] {
		d, ok := hexDigit(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	p.pos += n
	return r, true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number parses a number at p.pos and returns its canonical text.
func (p *parser) number() (json.Number, error) {
	start := p.pos
	var neg bool
	if c := p.src[p.pos]; c == '+' || c == '-' {
		neg = c == '-'
		p.pos++
	}
	sign := ""
	if neg {
		sign = "-"
	}
	switch {
	case p.literal("Infinity"):
		return json.Number(sign + "Infinity"), nil
	case p.literal("NaN"):
		return "NaN", nil
	case p.literal("0x") || p.literal("0X"):
		digits := p.pos
		for p.pos < len(p.src) {
			if _, ok := hexDigit(p.src[p.pos]); !ok {
				break
			}
			p.pos++
		}
		n, ok := new(big.Int).SetString(string(p.src[digits:p.pos]), 16)
		if !ok {
			return "", p.errorf(p.pos, "expected a hexadecimal digit")
		}
		return json.Number(sign + n.String()), nil
	}

	intStart := p.pos
	p.digits()
	intPart := p.src[intStart:p.pos]
	if len(intPart) > 1 && intPart[0] == '0' {
		return "", p.errorf(intStart, "invalid number: leading zero")
	}
	var frac []byte
	dot := p.pos < len(p.src) && p.src[p.pos] == '.'
	if dot {
		p.pos++
		fracStart := p.pos
		p.digits()
		frac = p.src[fracStart:p.pos]
	}
	if len(intPart) == 0 && len(frac) == 0 {
		return "", p.errorf(start, "expected a value")
	}
	expStart := p.pos
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
			p.pos++
		}
		if !p.digits() {
			return "", p.errorf(p.pos, "expected a digit in the exponent")
		}
	}
	// Spell the number the way Go and JSON both read it: no '+', a
	// digit before the point, and no point without digits after it.
	text := sign
	if len(intPart) == 0 {
		text += "0"
	}
	text += string(intPart)
	if len(frac) > 0 {
		text += "." + string(frac)
	}
	text += string(p.src[expStart:p.pos])
	return json.Number(text), nil
}

// digits consumes decimal digits and reports whether there was one.
func (p *parser) digits() bool {
	start := p.pos
	for p.pos < len(p.src) && isDigit(p.src[p.pos]) {
		p.pos++
	}
	return p.pos > start
}
