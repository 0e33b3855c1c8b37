// This file writes a connector's section of a TOML file. The connector's
// config is in the closed value model, so a small writer does what the
// general, reflection-driven encoder does at a tenth of the cost; a
// config with anything else (a TOML date from a hand edit) falls back to
// the general encoder.

package connectors

import (
	"bytes"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"
)

// appendSection appends the TOML of the table at path (its header
// already quoted, such as `connectors."team/bot"`) holding cfg. It reports
// false, having appended nothing useful, if cfg holds a value outside the
// value model.
func appendSection(b []byte, path string, cfg map[string]any, header bool) ([]byte, bool) {
	if header {
		b = append(b, '[')
		b = append(b, path...)
		b = append(b, "]\n"...)
	}
	keys := slices.Sorted(maps.Keys(cfg))
	var ok bool
	// Plain values first: in TOML they belong to the table above the
	// first sub-table header.
	for _, k := range keys {
		if isTableLike(cfg[k]) {
			continue
		}
		b = appendKey(b, k)
		b = append(b, " = "...)
		if b, ok = appendInline(b, cfg[k]); !ok {
			return b, false
		}
		b = append(b, '\n')
	}
	for _, k := range keys {
		v := cfg[k]
		if !isTableLike(v) {
			continue
		}
		sub := path + "." + string(appendKey(nil, k))
		switch v := v.(type) {
		case map[string]any:
			b = append(b, '\n')
			if b, ok = appendSection(b, sub, v, true); !ok {
				return b, false
			}
		case []any:
			for _, e := range v {
				b = append(b, "\n[["...)
				b = append(b, sub...)
				b = append(b, "]]\n"...)
				if b, ok = appendSection(b, sub, e.(map[string]any), false); !ok {
					return b, false
				}
			}
		}
	}
	return b, true
}

// isTableLike reports whether v is written as a table or an array of
// tables rather than as a value: an object, or a non-empty array of
// objects only.
func isTableLike(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		return true
	case []any:
		if len(v) == 0 {
			return false
		}
		for _, e := range v {
			if _, ok := e.(map[string]any); !ok {
				return false
			}
		}
		return true
	}
	return false
}

// appendInline appends v as a TOML value on one line.
func appendInline(b []byte, v any) ([]byte, bool) {
	var ok bool
	switch v := v.(type) {
	case string:
		return appendString(b, v), true
	case bool:
		return strconv.AppendBool(b, v), true
	case int64:
		return strconv.AppendInt(b, v, 10), true
	case float64:
		// Floats in the value model are not integral, but a hand-written
		// 1.0 in a connector nobody changed is a float in the parsed
		// file: keep it one.
		n := len(b)
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
		if !bytes.ContainsAny(b[n:], ".en") { // "e" also covers "inf"
			b = append(b, ".0"...)
		}
		return b, true
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			if b, ok = appendInline(b, e); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case map[string]any:
		b = append(b, '{')
		for i, k := range slices.Sorted(maps.Keys(v)) {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendKey(b, k)
			b = append(b, " = "...)
			if b, ok = appendInline(b, v[k]); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	}
	return b, false
}

// emptyKeyPath returns the path of the first empty key in v, if any. The
// TOML decoder (BurntSushi/toml v1.6.0) files the type of a value under
// the key "" on the key around it, and then drops elements of arrays
// that hold such tables, whoever wrote the file; a FileStore on TOML
// refuses such keys rather than lose data when the file is read again.
func emptyKeyPath(v any) (*pathError, bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if k == "" {
				return problem("an empty key cannot be kept in a TOML file").at(`.""`), true
			}
			if p, ok := emptyKeyPath(e); ok {
				return p.at("." + k), true
			}
		}
	case []any:
		for i, e := range v {
			if p, ok := emptyKeyPath(e); ok {
				return p.atIndex(i), true
			}
		}
	}
	return nil, false
}

// appendKey appends k bare when TOML allows it, quoted otherwise.
func appendKey(b []byte, k string) []byte {
	if k == "" {
		return append(b, `""`...)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return appendString(b, k)
		}
	}
	return append(b, k...)
}

// appendString appends s as a TOML basic string. s is valid UTF-8 (the
// value model requires it).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			_, n := utf8.DecodeRuneInString(s[i:])
			b = append(b, s[i:i+n]...)
			i += n
			continue
		}
		switch c {
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
		i++
	}
	return append(b, '"')
}
