// This file writes new values as strict JSON, laid out to match the file
// they go into.

package json5

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
)

// appendMember appends "key": value. ind is the indentation of the line
// the member starts on; inline writes objects and arrays on one line.
func appendMember(b []byte, key string, value any, ind string, f format, inline bool) ([]byte, error) {
	b = appendString(b, key)
	b = append(b, ": "...)
	return appendValue(b, value, ind, f, inline, 0)
}

// appendValue appends value as JSON. depth guards against a value that
// contains itself.
func appendValue(b []byte, value any, ind string, f format, inline bool, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("json5: value nested deeper than %d", MaxDepth)
	}
	inner := ind + f.indent
	open, sep, close := "", ", ", ""
	if !inline {
		open, sep, close = f.newline+inner, ","+f.newline+inner, f.newline+ind
	}
	var err error
	switch v := value.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case string:
		return appendString(b, v), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case float64:
		return appendFloat(b, v)
	case []any:
		if len(v) == 0 {
			return append(b, "[]"...), nil
		}
		b = append(b, '[')
		b = append(b, open...)
		for i, e := range v {
			if i > 0 {
				b = append(b, sep...)
			}
			if b, err = appendValue(b, e, inner, f, inline, depth+1); err != nil {
				return nil, err
			}
		}
		b = append(b, close...)
		return append(b, ']'), nil
	case map[string]any:
		if len(v) == 0 {
			return append(b, "{}"...), nil
		}
		b = append(b, '{')
		b = append(b, open...)
		for i, k := range slices.Sorted(maps.Keys(v)) {
			if i > 0 {
				b = append(b, sep...)
			}
			b = appendString(b, k)
			b = append(b, ": "...)
			if b, err = appendValue(b, v[k], inner, f, inline, depth+1); err != nil {
				return nil, err
			}
		}
		b = append(b, close...)
		return append(b, '}'), nil
	}
	return nil, fmt.Errorf("json5: cannot write a value of type %T", value)
}

// appendString appends s quoted as encoding/json quotes it, without
// escaping <, > and &: a config file is not HTML.
func appendString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// appendFloat appends f in the shortest form that reads back as f, with
// a '.' or an exponent so that it reads as a float in any language.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("json5: cannot write a NaN or infinite number")
	}
	text, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	b = append(b, text...)
	if !bytes.ContainsAny(text, ".eE") {
		b = append(b, ".0"...)
	}
	return b, nil
}
