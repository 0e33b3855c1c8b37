// This file decodes request bodies. A POST is on the path of every config
// change, and encoding/json, which scans its input twice through a state
// machine called per byte, spent more time on a 300-byte body than the
// rest of the handler. This decoder reads the same grammar in one pass
// into the same values as encoding/json with UseNumber; FuzzDecodeJSON
// holds it to that.

package connectors

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONNesting is how deep decodeJSON follows arrays and objects, as
// encoding/json does; configs are limited far below it (MaxDepth).
const maxJSONNesting = 10000

// A jsonError is a syntax error at a byte of the input, or its
// unexpected end. Its message names no content, only a position.
type jsonError struct {
	offset int // of the offending byte, counted from 1
	end    bool
}

func (e *jsonError) Error() string {
	if e.end {
		return "invalid JSON: unexpected end of body"
	}
	return "invalid JSON at byte " + strconv.Itoa(e.offset)
}

// errDataAfter is decodeJSON's error for data after the value.
var errDataAfter = errors.New("invalid JSON: data after the request object")

// decodeJSON decodes data, which must be valid UTF-8 and hold one JSON
// value with nothing after it but white space, into the values
// encoding/json decodes into an any with UseNumber: map[string]any,
// []any, string, json.Number, bool and nil. A key given twice keeps its
// last value.
func decodeJSON(data []byte) (any, error) {
	d := decoder{data: data}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if d.skipSpace(); d.i < len(d.data) {
		return nil, errDataAfter
	}
	return v, nil
}

type decoder struct {
	data []byte
	i    int // the next byte to read
}

func (d *decoder) fail() error {
	if d.i >= len(d.data) {
		return &jsonError{end: true}
	}
	return &jsonError{offset: d.i + 1}
}

func (d *decoder) skipSpace() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// value decodes the value at d.i, after white space, at the given depth
// of nesting.
func (d *decoder) value(depth int) (any, error) {
	d.skipSpace()
	if d.i >= len(d.data) {
		return nil, d.fail()
	}
	switch c := d.data[d.i]; {
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		return d.string()
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	}
	return nil, d.fail()
}

func (d *decoder) literal(word string) error {
	for k := 0; k < len(word); k++ {
		if d.i >= len(d.data) || d.data[d.i] != word[k] {
			return d.fail()
		}
		d.i++
	}
	return nil
}

func (d *decoder) object(depth int) (any, error) {
	if depth > maxJSONNesting {
		return nil, d.fail()
	}
	d.i++ // '{'
	m := make(map[string]any)
	d.skipSpace()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		return m, nil
	}
	for {
		d.skipSpace()
		if d.i >= len(d.data) || d.data[d.i] != '"' {
			return nil, d.fail()
		}
		k, err := d.string()
		if err != nil {
			return nil, err
		}
		if d.skipSpace(); d.i >= len(d.data) || d.data[d.i] != ':' {
			return nil, d.fail()
		}
		d.i++
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		m[k] = v
		if d.skipSpace(); d.i >= len(d.data) {
			return nil, d.fail()
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return m, nil
		default:
			return nil, d.fail()
		}
	}
}

func (d *decoder) array(depth int) (any, error) {
	if depth > maxJSONNesting {
		return nil, d.fail()
	}
	d.i++ // '['
	a := []any{}
	d.skipSpace()
	if d.i < len(d.data) && d.data[d.i] == ']' {
		d.i++
		return a, nil
	}
	for {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		if d.skipSpace(); d.i >= len(d.data) {
			return nil, d.fail()
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return a, nil
		default:
			return nil, d.fail()
		}
	}
}

// number reads a number as JSON spells it: -?(0|[1-9][0-9]*)(.[0-9]+)?
// ([eE][+-]?[0-9]+)?.
func (d *decoder) number() (any, error) {
	start := d.i
	if d.data[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.data) && d.data[d.i] == '0':
		d.i++
	case d.digits() == 0:
		return nil, d.fail()
	}
	if d.i < len(d.data) && d.data[d.i] == '.' {
		d.i++
		if d.digits() == 0 {
			return nil, d.fail()
		}
	}
	if d.i < len(d.data) && (d.data[d.i] == 'e' || d.data[d.i] == 'E') {
		d.i++
		if d.i < len(d.data) && (d.data[d.i] == '+' || d.data[d.i] == '-') {
			d.i++
		}
		if d.digits() == 0 {
			return nil, d.fail()
		}
	}
	return json.Number(d.data[start:d.i]), nil
}

func (d *decoder) digits() int {
	start := d.i
	for d.i < len(d.data) && '0' <= d.data[d.i] && d.data[d.i] <= '9' {
		d.i++
	}
	return d.i - start
}

// string reads a string, d.i at its opening quote. Escapes decode as
// encoding/json decodes them, a \u escape of half a surrogate pair that
// has no other half to U+FFFD.
func (d *decoder) string() (string, error) {
	d.i++ // '"'
	start := d.i
	for d.i < len(d.data) {
		switch c := d.data[d.i]; {
		case c == '"':
			s := string(d.data[start:d.i])
			d.i++
			return s, nil
		case c == '\\':
			return d.escaped(start)
		case c < ' ':
			return "", d.fail()
		}
		d.i++
	}
	return "", d.fail()
}

// escaped reads the rest of a string that holds an escape, from start
// (after the opening quote); d.i is at the first backslash.
func (d *decoder) escaped(start int) (string, error) {
	b := append(make([]byte, 0, d.i-start+16), d.data[start:d.i]...)
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			d.i++
			return string(b), nil
		case c < ' ':
			return "", d.fail()
		case c != '\\':
			b = append(b, c)
			d.i++
			continue
		}
		if d.i++; d.i >= len(d.data) {
			return "", d.fail()
		}
		switch d.data[d.i] {
		case '"', '\\', '/':
			b = append(b, d.data[d.i])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			d.i++
			r, ok := d.hex4()
			if !ok {
				return "", d.fail()
			}
			if utf16.IsSurrogate(r) {
				// The other half must follow as an escape of its own.
				next := d.i
				if next+1 < len(d.data) && d.data[next] == '\\' && d.data[next+1] == 'u' {
					d.i += 2
					r2, ok := d.hex4()
					if !ok {
						return "", d.fail()
					}
					if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
						b = utf8.AppendRune(b, pair)
						continue
					}
					d.i = next // not a pair: that escape stands alone
				}
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return "", d.fail()
		}
		d.i++
	}
	return "", d.fail()
}

// hex4 reads the four hex digits of a \u escape.
func (d *decoder) hex4() (rune, bool) {
	if d.i+4 > len(d.data) {
		d.i = len(d.data)
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.i : d.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r, true
}
