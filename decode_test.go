package connectors

import (
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// decodeStd is what decodeJSON must match: encoding/json with UseNumber,
// one value and then only white space.
func decodeStd(body string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the value")
	}
	return v, nil
}

// TestDecodeJSONMatchesEncodingJSON compares decodeJSON with encoding/json
// on 300,000 bodies made from JSON's pieces, well and badly put together:
// nesting, escapes of every kind (surrogate pairs, halves, bad hex),
// numbers right and wrong, literals, stray bytes. Both must refuse the
// same bodies and decode the rest to the same values. FuzzDecodeJSON
// explores further.
func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	strs := []string{"a", "é", "\t", `\u`, "d8", "dc", "00", "41", "ff", `\n`, `\"`, `\\`, `\/`, `\x`, `\ud83d\ude00`, `\uD800`, `\uDC00`}
	stray := []string{"{", "}", "[", "]", ",", ":", `"`, `\`, "0", "-", ".", "e", "x", " ", "\x01", "tru"}
	var value func(b *strings.Builder, depth int)
	str := func(b *strings.Builder) {
		b.WriteByte('"')
		for range r.IntN(6) {
			b.WriteString(strs[r.IntN(len(strs))])
		}
		if r.IntN(10) > 0 {
			b.WriteByte('"')
		}
	}
	value = func(b *strings.Builder, depth int) {
		if r.IntN(10) == 0 {
			b.WriteString(stray[r.IntN(len(stray))])
		}
		switch k := r.IntN(6); {
		case k == 0 && depth < 6:
			b.WriteString("{ ")
			for i := range r.IntN(4) {
				if i > 0 {
					b.WriteString(", ")
				}
				str(b)
				b.WriteString(":")
				value(b, depth+1)
			}
			b.WriteString("}")
		case k == 1 && depth < 6:
			b.WriteString("[")
			for i := range r.IntN(4) {
				if i > 0 {
					b.WriteString(",\n")
				}
				value(b, depth+1)
			}
			b.WriteString(" ]")
		case k == 2:
			str(b)
		case k == 3:
			for range r.IntN(5) + 1 {
				b.WriteString([]string{"-", "0", "1", "9", ".", "e", "E", "+"}[r.IntN(8)])
			}
		default:
			b.WriteString([]string{"true", "false", "null", "\t"}[r.IntN(4)])
		}
	}
	valid := 0
	for range 300_000 {
		var b strings.Builder
		value(&b, 0)
		body := b.String()
		if !utf8.ValidString(body) {
			continue
		}
		got, gotErr := decodeJSON([]byte(body))
		want, wantErr := decodeStd(body)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: decodeJSON error %v, encoding/json error %v", body, gotErr, wantErr)
		}
		if gotErr == nil {
			valid++
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("%q: decodeJSON gives %#v, encoding/json %#v", body, got, want)
			}
		}
	}
	if valid < 50_000 {
		t.Fatalf("only %d bodies were valid JSON; the test compares too few values", valid)
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	tests := []struct{ body, msg string }{
		{``, "invalid JSON: unexpected end of body"},
		{`{"a": [1, 2`, "invalid JSON: unexpected end of body"},
		{`{"a": tru}`, "invalid JSON at byte 10"},
		{`{"a": 01}`, "invalid JSON at byte 8"},
		{`{"a": "\q"}`, "invalid JSON at byte 9"},
		{`{"a": 1} {}`, "invalid JSON: data after the request object"},
		{strings.Repeat("[", 10001) + strings.Repeat("]", 10001), "invalid JSON at byte 10001"},
	}
	for _, tt := range tests {
		_, err := decodeJSON([]byte(tt.body))
		if err == nil || err.Error() != tt.msg {
			t.Errorf("decodeJSON(%.40q) error %v, want %q", tt.body, err, tt.msg)
		}
	}
	// As deep as encoding/json goes, and the same value.
	deep := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
	got, err := decodeJSON([]byte(deep))
	want, wantErr := decodeStd(deep)
	if err != nil || wantErr != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("10,000 levels: decodeJSON error %v, encoding/json error %v", err, wantErr)
	}
}
