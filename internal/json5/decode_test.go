package json5

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type num = json.Number

// The JSON5 specification's own example document.
const specExample = `{
  // comments
  unquoted: 'and you can quote me on that',
  singleQuotes: 'I can use "double quotes" here',
  lineBreaks: "Look, Mom! \
No \\n's!",
  hexadecimal: 0xdecaf,
  leadingDecimalPoint: .8675309, andTrailing: 8675309.,
  positiveSign: +1,
  trailingComma: 'in objects', andIn: ['arrays',],
  "backwardsCompatible": "with JSON",
}`

var decodeTests = []struct {
	name string
	src  string
	want map[string]any
}{
	{"empty document", "", map[string]any{}},
	{"white space only", " \t\r\n\v\f", map[string]any{}},
	{"comments only", "// a\n/* b */ // c", map[string]any{}},
	{"byte-order mark", "\ufeff{a: 1}", map[string]any{"a": num("1")}},
	{"spec example", specExample, map[string]any{
		"unquoted":            "and you can quote me on that",
		"singleQuotes":        `I can use "double quotes" here`,
		"lineBreaks":          `Look, Mom! No \n's!`,
		"hexadecimal":         num("912559"),
		"leadingDecimalPoint": num("0.8675309"),
		"andTrailing":         num("8675309"),
		"positiveSign":        num("1"),
		"trailingComma":       "in objects",
		"andIn":               []any{"arrays"},
		"backwardsCompatible": "with JSON",
	}},

	// The examples of the specification's sections.
	{"spec: objects", "{\n  image: {\n    width: 1920,\n    height: 1080,\n    'aspect-ratio': '16:9',\n  }\n}",
		map[string]any{"image": map[string]any{"width": num("1920"), "height": num("1080"), "aspect-ratio": "16:9"}}},
	{"spec: arrays", "{a: [\n  { name: 'Joe', age: 27 },\n  { name: 'Jane', age: 32 },\n]}",
		map[string]any{"a": []any{map[string]any{"name": "Joe", "age": num("27")}, map[string]any{"name": "Jane", "age": num("32")}}}},
	{"spec: strings", "{a: 'Lorem ipsum dolor sit amet, \\\nconsectetur adipiscing elit.', b: 'I can\\'t wait', c: '\\A\\C\\/\\D\\C'}",
		map[string]any{"a": "Lorem ipsum dolor sit amet, consectetur adipiscing elit.", "b": "I can't wait", "c": "AC/DC"}},
	{"spec: numbers", "{\n  integer: 123,\n  withFractionPart: 123.456,\n  onlyFractionPart: .456,\n  withExponent: 123e-456,\n}",
		map[string]any{"integer": num("123"), "withFractionPart": num("123.456"), "onlyFractionPart": num("0.456"), "withExponent": num("123e-456")}},
	{"spec: hexadecimal", "{\n  positiveHex: 0xdecaf,\n  negativeHex: -0xC0FFEE,\n}",
		map[string]any{"positiveHex": num("912559"), "negativeHex": num("-12648430")}},
	{"spec: non-finite", "{\n  positiveInfinity: Infinity,\n  negativeInfinity: -Infinity,\n  notANumber: NaN,\n}",
		map[string]any{"positiveInfinity": num("Infinity"), "negativeInfinity": num("-Infinity"), "notANumber": num("NaN")}},
	{"spec: comments", "/* This is a multi-line\n   comment. It can span many lines. */\n// This is a single-line comment.\n{}", map[string]any{}},

	// Keys.
	{"double-quoted key", `{"a b": 1}`, map[string]any{"a b": num("1")}},
	{"single-quoted key", `{'a"b': 1}`, map[string]any{`a"b`: num("1")}},
	{"identifier characters", `{$_a1: 1, _: 2, $: 3}`, map[string]any{"$_a1": num("1"), "_": num("2"), "$": num("3")}},
	{"reserved words as keys", `{while: 1, null: 2, true: 3, Infinity: 4}`,
		map[string]any{"while": num("1"), "null": num("2"), "true": num("3"), "Infinity": num("4")}},
	{"unicode identifier", `{ünicode: 1, ℵ: 2, 名前: 3}`, map[string]any{"ünicode": num("1"), "ℵ": num("2"), "名前": num("3")}},
	{"identifier parts", "{a\u0301b: 1, a\u200cb: 2, a٣: 3, a‿b: 4}", // Mn, ZWNJ, Nd, Pc
		map[string]any{"a\u0301b": num("1"), "a\u200cb": num("2"), "a٣": num("3"), "a‿b": num("4")}},
	{"letter number starts an identifier", `{Ⅻ: 1}`, map[string]any{"Ⅻ": num("1")}},
	{"escaped identifier", `{\u0061b\u0063: 1, \u005f: 2}`, map[string]any{"abc": num("1"), "_": num("2")}},
	{"duplicate key: last wins", `{a: 1, b: 2, a: 3}`, map[string]any{"a": num("3"), "b": num("2")}},
	{"duplicate key spelled differently", `{a: 1, "a": 2, \u0061: 3}`, map[string]any{"a": num("3")}},

	// Objects and arrays.
	{"nested", `{a: {b: [1, {c: []}, []], d: {}}}`,
		map[string]any{"a": map[string]any{"b": []any{num("1"), map[string]any{"c": []any{}}, []any{}}, "d": map[string]any{}}}},
	{"trailing commas", `{a: [1, 2,], b: {c: 3,},}`,
		map[string]any{"a": []any{num("1"), num("2")}, "b": map[string]any{"c": num("3")}}},
	{"literals", `{t: true, f: false, n: null, a: [null]}`,
		map[string]any{"t": true, "f": false, "n": nil, "a": []any{nil}}},

	// Strings.
	{"single quotes", `{a: 'I can\'t wait', b: "Let's"}`, map[string]any{"a": "I can't wait", "b": "Let's"}},
	{"character escapes", `{a: '\'\"\\\b\f\n\r\t\v\0'}`, map[string]any{"a": "'\"\\\b\f\n\r\t\v\x00"}},
	{"hex escape", `{a: '\x41\xe9\xFF'}`, map[string]any{"a": "Aéÿ"}},
	{"unicode escape", `{a: '\u00e9\u2603\uD83D\uDE00'}`, map[string]any{"a": "é☃😀"}},
	{"lone surrogates", `{a: '\uD800', b: '\uD800\u0041', c: '\uDC00x', d: '\uD800\uD83D\uDE00'}`,
		map[string]any{"a": "\ufffd", "b": "\ufffdA", "c": "\ufffdx", "d": "\ufffd😀"}},
	{"non-escape characters", `{a: '\a\c\ä\/\%'}`, map[string]any{"a": "acä/%"}},
	{"line continuations", "{a: 'x\\\ny\\\r\nz\\\rw\\\u2028v\\\u2029u'}", map[string]any{"a": "xyzwvu"}},
	{"raw separators and tab in a string", "{a: 'x\u2028y\u2029z\tw'}", map[string]any{"a": "x\u2028y\u2029z\tw"}},
	{"comment markers in a string", `{a: '// not /* a comment */'}`, map[string]any{"a": "// not /* a comment */"}},
	{"empty strings", `{'': '', "": ""}`, map[string]any{"": ""}},

	// Numbers.
	{"integers", `{a: 0, b: -0, c: 42, d: +42, e: -7, f: 123456789012345678901234567890}`,
		map[string]any{"a": num("0"), "b": num("-0"), "c": num("42"), "d": num("42"), "e": num("-7"), "f": num("123456789012345678901234567890")}},
	{"decimals", `{a: .5, b: -.5, c: 5., d: +1e3, e: 1E-2, f: 1.5e+3, g: 5.e2, h: 1.50, i: +.5e-1}`,
		map[string]any{"a": num("0.5"), "b": num("-0.5"), "c": num("5"), "d": num("1e3"), "e": num("1E-2"), "f": num("1.5e+3"), "g": num("5e2"), "h": num("1.50"), "i": num("0.5e-1")}},
	{"hexadecimal", `{a: 0x1F, b: 0XdecaF, c: -0x1f, d: +0x0, e: 0x7FFFFFFFFFFFFFFF, f: 0x10000000000000000}`,
		map[string]any{"a": num("31"), "b": num("912559"), "c": num("-31"), "d": num("0"), "e": num("9223372036854775807"), "f": num("18446744073709551616")}},
	{"non-finite", `{a: Infinity, b: +Infinity, c: -Infinity, d: NaN, e: -NaN, f: +NaN}`,
		map[string]any{"a": num("Infinity"), "b": num("Infinity"), "c": num("-Infinity"), "d": num("NaN"), "e": num("NaN"), "f": num("NaN")}},

	// White space and comments.
	{"unicode white space", "{\u00a0a\u2028:\u2029\ufeff1\u3000,\u1680b\u2003:\u202f2\u205f}", map[string]any{"a": num("1"), "b": num("2")}},
	{"comments everywhere", "/*0*/{/*a*/a/*b*/:/*c*/1/*d*/,/*e*/b:[/*f*/2/*g*/,/*h*/]//i\n}//j",
		map[string]any{"a": num("1"), "b": []any{num("2")}}},
	{"comment markers in comments", "{/* // * / */ a: 1 // /* \n}", map[string]any{"a": num("1")}},
	{"line comment ended by U+2028", "{// x\u2028a: 1}", map[string]any{"a": num("1")}},
}

func TestDecode(t *testing.T) {
	for _, tt := range decodeTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.src))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
		})
	}
}

// canary stands for a secret in the invalid documents below: no error
// message may repeat it.
const canary = "s3cr3t"

var invalidTests = []struct {
	name       string
	src        string
	line, col  int
	wantInText string // a word the message must hold
}{
	{"unterminated object", "{\n  a: 's3cr3t'", 2, 14, "expected ',' or '}'"},
	{"double comma", "{\n  a: 's3cr3t',,\n}", 2, 15, "object key"},
	{"lone comma", "{,} // s3cr3t", 1, 2, "object key"},
	{"array at top", "['s3cr3t']", 1, 1, "object"},
	{"string at top", "'s3cr3t'", 1, 1, "object"},
	{"two objects", "{a: 's3cr3t'}\n{}", 2, 1, "end of the document"},
	{"unquoted value", "{\n  token: s3cr3t\n}", 2, 10, "expected a value"},
	{"leading zero", "{a: 's3cr3t', b: 01}", 1, 18, "leading zero"},
	{"hex without digits", "{a: 's3cr3t', b: 0x}", 1, 20, "hexadecimal"},
	{"bad hex digit", "{a: 's3cr3t', b: 0x1G}", 1, 21, "expected ',' or '}'"},
	{"exponent without digits", "{a: 's3cr3t',\n b: 1e}", 2, 7, "exponent"},
	{"lone point", "{a: 's3cr3t', b: .}", 1, 18, "expected a value"},
	{"lone sign", "{a: 's3cr3t', b: +}", 1, 18, "expected a value"},
	{"two points", "{a: 's3cr3t', b: 1.2.3}", 1, 21, "expected ',' or '}'"},
	{"letters after Infinity", "{a: -Infinitys3cr3t}", 1, 14, "expected ',' or '}'"},
	{"digit escape", "{a: 's3cr3t\\1'}", 1, 12, "escape"},
	{"zero escape before digit", "{a: 's3cr3t\\01'}", 1, 12, "escape"},
	{"short hex escape", "{a: 's3cr3t\\x4'}", 1, 12, `\x`},
	{"short unicode escape", "{a: 's3cr3t\\u12'}", 1, 12, `\u`},
	{"braced unicode escape", "{a: 's3cr3t\\u{41}'}", 1, 12, `\u`},
	{"line break in string", "{a: 's3cr3t\nmore'}", 1, 12, "line break"},
	{"carriage return in string", "{a: 's3cr3t\rmore'}", 1, 12, "line break"},
	{"unterminated string", "{\n a: 's3cr3t", 2, 5, "unterminated string"},
	{"backslash at the end", "{a: 's3cr3t\\", 1, 12, "unterminated string"},
	{"mismatched quotes", "{a: 's3cr3t\"}", 1, 5, "unterminated string"},
	{"unterminated comment", "{a: 's3cr3t'} /* s3cr3t", 1, 15, "*/"},
	{"lone slash", "{a: 's3cr3t' / }", 1, 14, "expected ',' or '}'"},
	{"space in a key", "{a s3cr3t: 1}", 1, 4, "':'"},
	{"number as key", "{1: 's3cr3t'}", 1, 2, "object key"},
	{"hyphen in a key", "{s3cr3t-x: 1}", 1, 8, "':'"},
	{"escaped digit starts a key", "{\\u0031s3cr3t: 1}", 1, 2, "identifier"},
	{"escaped space in a key", "{s3cr3t\\u0020: 1}", 1, 8, "identifier"},
	{"hex escape in a key", "{s3cr3t\\x41: 1}", 1, 8, `\u`},
	{"misspelled literal", "{a: 's3cr3t', b: tru}", 1, 18, "expected a value"},
	{"undefined", "{a: 's3cr3t', b: undefined}", 1, 18, "expected a value"},
	{"missing comma", "{a: 's3cr3t' b: 2}", 1, 14, "expected ',' or '}'"},
	{"missing comma in array", "{a: ['s3cr3t' 2]}", 1, 15, "expected ',' or ']'"},
	{"missing colon", "{a 's3cr3t'}", 1, 4, "':'"},
	{"lone comma in array", "{a: [,'s3cr3t']}", 1, 6, "expected a value"},
	{"invalid UTF-8", "{a: 's3cr3t',\n b: '\xff'}", 2, 6, "UTF-8"},
	{"truncated UTF-8", "{a: 's3cr3t\xe2\x80'}", 1, 12, "UTF-8"},
	{"control character outside a string", "{a: 's3cr3t',\x00}", 1, 14, "object key"},
	{"zero-width space is not white space", "{a: 's3cr3t',\u200b}", 1, 14, "object key"},
	{"columns count characters", "{ä: 'é', 名: s3cr3t}", 1, 13, "expected a value"},
	{"CRLF counts as one line", "{\r\n a: 1,\r\n b: s3cr3t}", 3, 5, "expected a value"},
	{"U+2028 ends a line", "{\u2028 a: s3cr3t}", 2, 5, "expected a value"},
}

func TestDecodeInvalid(t *testing.T) {
	for _, tt := range invalidTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.src))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Decode error = %v, want a *SyntaxError", err)
			}
			if se.Line != tt.line || se.Column != tt.col {
				t.Errorf("error at line %d, column %d; want line %d, column %d (%v)", se.Line, se.Column, tt.line, tt.col, err)
			}
			msg := err.Error()
			if strings.Contains(msg, canary) {
				t.Errorf("error %q repeats the document's content", msg)
			}
			if !strings.Contains(msg, tt.wantInText) {
				t.Errorf("error %q does not say %q", msg, tt.wantInText)
			}
		})
	}
}

func TestDecodeDepth(t *testing.T) {
	tests := []struct {
		name    string
		depth   int // objects and arrays, the top-level object included
		wantErr bool
	}{
		{"at the limit", MaxDepth, false},
		{"past the limit", MaxDepth + 1, true},
		{"far past the limit", 200000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner := tt.depth - 1
			src := "{a:" + strings.Repeat("[", inner) + strings.Repeat("]", inner) + "}"
			_, err := Decode([]byte(src))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Decode of depth %d: err = %v, want error %v", tt.depth, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "nesting") {
				t.Errorf("error %q does not name the nesting", err)
			}
		})
	}
}
