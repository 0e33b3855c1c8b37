// This file writes values as TOML text: standard sections with headers,
// dotted key/value lines, and inline values. It writes "\n" line breaks;
// the caller converts them to the document's own.

package tomledit

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendSection appends v, a table or an array of tables, as standard
// sections at path: a [path] header (a [[path]] header for each element
// of an array), the plain values, then each sub-table after a blank line.
func appendSection(b []byte, path []string, v any) ([]byte, error) {
	if m, ok := v.(map[string]any); ok {
		return appendTable(b, path, m, false)
	}
	var err error
	for i, m := range tables(v) {
		if i > 0 {
			b = append(b, '\n')
		}
		if b, err = appendTable(b, path, m, true); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func appendTable(b []byte, path []string, m map[string]any, array bool) ([]byte, error) {
	if array {
		b = append(b, "[["...)
		b = appendPath(b, path)
		b = append(b, "]]\n"...)
	} else {
		b = append(b, '[')
		b = appendPath(b, path)
		b = append(b, "]\n"...)
	}
	keys := slices.Sorted(maps.Keys(m))
	var err error
	// Plain values first: in TOML they belong to the table above the
	// first sub-table header.
	for _, k := range keys {
		if !isTableLike(m[k]) {
			if b, err = appendKeyValue(b, []string{k}, m[k]); err != nil {
				return nil, err
			}
		}
	}
	for _, k := range keys {
		if isTableLike(m[k]) {
			b = append(b, '\n')
			if b, err = appendSection(b, append(path[:len(path):len(path)], k), m[k]); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

// appendDotted appends v at key as key/value lines: a non-empty table as
// one line per leaf with a dotted key (a.b.c = 1), anything else as one
// inline value.
func appendDotted(b []byte, key []string, v any) ([]byte, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return appendKeyValue(b, key, v)
	}
	var err error
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if b, err = appendDotted(b, append(key[:len(key):len(key)], k), m[k]); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// appendKeyValue appends the line key = v.
func appendKeyValue(b []byte, key []string, v any) ([]byte, error) {
	b = appendPath(b, key)
	b = append(b, " = "...)
	b, err := appendValue(b, v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// isTableLike reports whether v is written as a table or an array of
// tables rather than as a value: a table, or a non-empty array of tables
// only.
func isTableLike(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		return true
	case []map[string]any:
		return len(v) > 0
	case []any:
		for _, e := range v {
			if _, ok := e.(map[string]any); !ok {
				return false
			}
		}
		return len(v) > 0
	}
	return false
}

// tables returns the elements of an array of tables. The TOML decoder
// gives []map[string]any for [[array]] sections; the value model has
// []any.
func tables(v any) []map[string]any {
	switch v := v.(type) {
	case []map[string]any:
		return v
	case []any:
		ms := make([]map[string]any, len(v))
		for i, e := range v {
			ms[i], _ = e.(map[string]any)
		}
		return ms
	}
	return nil
}

// appendValue appends v as an inline TOML value on one line. Besides the
// value model it writes the date and time values of the TOML decoder,
// which a host's table can hold.
func appendValue(b []byte, v any) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case string:
		return appendString(b, v)
	case bool:
		return strconv.AppendBool(b, v), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case float64:
		return appendFloat(b, v), nil
	case time.Time:
		return append(b, formatTime(v)...), nil
	case []map[string]any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		if len(v) == 0 {
			return append(b, "{}"...), nil
		}
		b = append(b, "{ "...)
		for i, k := range slices.Sorted(maps.Keys(v)) {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendKey(b, k)
			b = append(b, " = "...)
			if b, err = appendValue(b, v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, " }"...), nil
	}
	return nil, fmt.Errorf("cannot write a value of type %T", v)
}

// appendFloat appends f so that it reads back as a float: 1.0, not 1.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	n := len(b)
	b = strconv.AppendFloat(b, f, 'g', -1, 64)
	if !slices.ContainsFunc(b[n:], func(c byte) bool { return c == '.' || c == 'e' }) {
		b = append(b, ".0"...)
	}
	return b
}

// formatTime returns t in the TOML form the decoder read it from: the
// decoder marks local date-times, dates and times by the name of their
// location.
func formatTime(t time.Time) string {
	switch t.Location().String() {
	case "datetime-local":
		return t.Format("2006-01-02T15:04:05.999999999")
	case "date-local":
		return t.Format("2006-01-02")
	case "time-local":
		return t.Format("15:04:05.999999999")
	}
	return t.Format(time.RFC3339Nano)
}

// appendPath appends a dotted key, each part bare when TOML allows it.
func appendPath(b []byte, path []string) []byte {
	for i, k := range path {
		if i > 0 {
			b = append(b, '.')
		}
		b = appendKey(b, k)
	}
	return b
}

// appendKey appends k bare when TOML allows it, quoted otherwise. k is
// valid UTF-8 (validate checks it).
func appendKey(b []byte, k string) []byte {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			b, _ = appendString(b, k)
			return b
		}
	}
	if k == "" {
		return append(b, `""`...)
	}
	return append(b, k...)
}

// appendString appends s as a TOML basic string: one line, with escapes
// for quotes, backslashes and control characters.
func appendString(b []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, errors.New("a string is not valid UTF-8")
	}
	const hex = "0123456789ABCDEF"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\b':
			b = append(b, `\b`...)
		case '\t':
			b = append(b, `\t`...)
		case '\n':
			b = append(b, `\n`...)
		case '\f':
			b = append(b, `\f`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			if c < 0x20 || c == 0x7f {
				b = append(b, `\u00`...)
				b = append(b, hex[c>>4], hex[c&0xf])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"'), nil
}

// validate returns an error naming the first place in v, a config, that
// holds something outside the value model or that TOML cannot hold.
func validate(v any, at string) error {
	switch v := v.(type) {
	case string:
		if !utf8.ValidString(v) {
			return fmt.Errorf("%s: string is not valid UTF-8", at)
		}
	case bool, int64, float64:
	case []any:
		for i, e := range v {
			if err := validate(e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, e := range v {
			if !utf8.ValidString(k) {
				return fmt.Errorf("%s: key is not valid UTF-8", at)
			}
			if err := validate(e, at+"."+k); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("%s: unsupported value of type %T", at, v)
	}
	return nil
}
