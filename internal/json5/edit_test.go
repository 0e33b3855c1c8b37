package json5

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// milady is a config file as Milady writes it and people then edit it:
// comments, unquoted keys, single quotes, trailing commas.
const milady = `// Milady agent configuration
{
  agent: {
    name: 'Milady',
    model: "claude-sonnet", // the default model
  },
  /* Messaging connectors */
  connectors: {
    // Telegram bot
    telegram: {
      botToken: '123:ABC',
      allowedChats: [ -100123, ],
    },
    discord: {
      token: 'xyz', // bot token
      guilds: ['1', '2',],
    },
  },
  plugins: ['a', 'b',],
}
`

// strictFile is a file as JSON.stringify(config, null, 2) writes it.
const strictFile = `{
  "name": "agent",
  "connectors": {
    "telegram": {
      "botToken": "123:ABC"
    },
    "discord": {
      "token": "xyz"
    }
  }
}
`

var setMemberTests = []struct {
	name       string
	src        string
	table, key string
	value      any
	want       string
}{
	// The Milady file.
	{
		name: "milady: replace a connector", src: milady, table: "connectors", key: "telegram",
		value: map[string]any{"botToken": "456:DEF", "dmPolicy": "open"},
		want: strings.Replace(milady, `{
      botToken: '123:ABC',
      allowedChats: [ -100123, ],
    }`, `{
      "botToken": "456:DEF",
      "dmPolicy": "open"
    }`, 1),
	},
	{
		name: "milady: insert keeps the trailing comma", src: milady, table: "connectors", key: "slack",
		value: map[string]any{"appToken": "xapp", "channels": []any{"general", "random"}},
		want: strings.Replace(milady, `      guilds: ['1', '2',],
    },
`, `      guilds: ['1', '2',],
    },
    "slack": {
      "appToken": "xapp",
      "channels": [
        "general",
        "random"
      ]
    },
`, 1),
	},
	{
		name: "milady: delete the first member with its comment line", src: milady, table: "connectors", key: "telegram",
		want: strings.Replace(milady, `    // Telegram bot
    telegram: {
      botToken: '123:ABC',
      allowedChats: [ -100123, ],
    },
`, "", 1),
	},
	{
		name: "milady: delete the last member", src: milady, table: "connectors", key: "discord",
		want: strings.Replace(milady, `    discord: {
      token: 'xyz', // bot token
      guilds: ['1', '2',],
    },
`, "", 1),
	},
	{
		name: "milady: a new table goes last", src: milady, table: "channels", key: "x",
		value: map[string]any{"on": true},
		want: strings.Replace(milady, `  plugins: ['a', 'b',],
`, `  plugins: ['a', 'b',],
  "channels": {
    "x": {
      "on": true
    }
  },
`, 1),
	},
	{
		name: "milady: delete from a missing table", src: milady, table: "channels", key: "telegram",
		want: milady,
	},
	{
		name: "milady: delete a missing member", src: milady, table: "connectors", key: "slack",
		want: milady,
	},

	// A strict JSON file.
	{
		name: "strict: replace", src: strictFile, table: "connectors", key: "telegram",
		value: map[string]any{"botToken": "456:DEF"},
		want:  strings.Replace(strictFile, `"123:ABC"`, `"456:DEF"`, 1),
	},
	{
		name: "strict: insert adds the comma", src: strictFile, table: "connectors", key: "slack",
		value: map[string]any{"appToken": "xapp"},
		want: strings.Replace(strictFile, `      "token": "xyz"
    }
`, `      "token": "xyz"
    },
    "slack": {
      "appToken": "xapp"
    }
`, 1),
	},
	{
		name: "strict: delete the first member", src: strictFile, table: "connectors", key: "telegram",
		want: strings.Replace(strictFile, `    "telegram": {
      "botToken": "123:ABC"
    },
`, "", 1),
	},
	{
		name: "strict: delete the last member drops the comma before it", src: strictFile, table: "connectors", key: "discord",
		want: `{
  "name": "agent",
  "connectors": {
    "telegram": {
      "botToken": "123:ABC"
    }
  }
}
`,
	},
	{
		name: "strict: delete the only member leaves an empty table",
		src:  "{\n  \"connectors\": {\n    \"a\": {\n      \"x\": 1\n    }\n  },\n  \"b\": 2\n}\n", table: "connectors", key: "a",
		want: "{\n  \"connectors\": {},\n  \"b\": 2\n}\n",
	},
	{
		name: "strict: delete a middle member",
		src:  "{\n  \"connectors\": {\n    \"a\": 1,\n    \"b\": 2,\n    \"c\": 3\n  }\n}", table: "connectors", key: "b",
		want: "{\n  \"connectors\": {\n    \"a\": 1,\n    \"c\": 3\n  }\n}",
	},
	{
		name: "strict: missing table",
		src:  "{\n  \"name\": \"agent\"\n}\n", table: "connectors", key: "telegram", value: map[string]any{"botToken": "x"},
		want: "{\n  \"name\": \"agent\",\n  \"connectors\": {\n    \"telegram\": {\n      \"botToken\": \"x\"\n    }\n  }\n}\n",
	},
	{
		name: "strict: empty table",
		src:  "{\n  \"connectors\": {}\n}\n", table: "connectors", key: "telegram", value: map[string]any{"botToken": "x"},
		want: "{\n  \"connectors\": {\n    \"telegram\": {\n      \"botToken\": \"x\"\n    }\n  }\n}\n",
	},
	{
		name: "strict: empty top-level object",
		src:  "{}", table: "connectors", key: "a", value: "x",
		want: "{\n  \"connectors\": {\n    \"a\": \"x\"\n  }\n}",
	},

	// Layout.
	{
		name: "CRLF",
		src:  "{\r\n  \"connectors\": {\r\n    \"a\": 1\r\n  }\r\n}\r\n", table: "connectors", key: "b", value: map[string]any{"x": []any{int64(1)}},
		want: "{\r\n  \"connectors\": {\r\n    \"a\": 1,\r\n    \"b\": {\r\n      \"x\": [\r\n        1\r\n      ]\r\n    }\r\n  }\r\n}\r\n",
	},
	{
		name: "CRLF delete",
		src:  "{\r\n  \"connectors\": {\r\n    \"a\": 1,\r\n    \"b\": 2\r\n  }\r\n}\r\n", table: "connectors", key: "a",
		want: "{\r\n  \"connectors\": {\r\n    \"b\": 2\r\n  }\r\n}\r\n",
	},
	{
		name: "tabs",
		src:  "{\n\t\"connectors\": {\n\t\t\"a\": 1\n\t}\n}\n", table: "connectors", key: "b", value: map[string]any{"x": int64(2)},
		want: "{\n\t\"connectors\": {\n\t\t\"a\": 1,\n\t\t\"b\": {\n\t\t\t\"x\": 2\n\t\t}\n\t}\n}\n",
	},
	{
		name: "four spaces, missing table",
		src:  "{\n    \"a\": 1\n}", table: "connectors", key: "b", value: map[string]any{"x": int64(2)},
		want: "{\n    \"a\": 1,\n    \"connectors\": {\n        \"b\": {\n            \"x\": 2\n        }\n    }\n}",
	},
	{
		name: "four spaces, empty table",
		src:  "{\n    \"connectors\": {\n    }\n}", table: "connectors", key: "b", value: int64(1),
		want: "{\n    \"connectors\": {\n        \"b\": 1\n    }\n}",
	},
	{
		// Before the comment, which would otherwise go with the member
		// as the comment directly above it.
		name: "empty table holding a comment",
		src:  "{\n  connectors: {\n    // none yet\n  },\n}", table: "connectors", key: "b", value: int64(1),
		want: "{\n  connectors: {\n    \"b\": 1\n    // none yet\n  },\n}",
	},
	{
		name: "empty table with a comment on one line",
		src:  "{\n  connectors: { /* none */ },\n}", table: "connectors", key: "b", value: int64(1),
		want: "{\n  connectors: { /* none */\n    \"b\": 1\n  },\n}",
	},
	{
		name: "insert after a line comment",
		src:  "{\n  connectors: {\n    a: 1 // one\n  }\n}", table: "connectors", key: "b", value: int64(2),
		want: "{\n  connectors: {\n    a: 1, // one\n    \"b\": 2\n  }\n}",
	},
	{
		name: "one-line object stays on one line",
		src:  `{"connectors": {"a": {"x": 1}}}`, table: "connectors", key: "b", value: map[string]any{"y": []any{int64(1), "z"}},
		want: `{"connectors": {"a": {"x": 1}, "b": {"y": [1, "z"]}}}`,
	},
	{
		name: "one-line object with a trailing comma",
		src:  `{connectors: {a: 1,}}`, table: "connectors", key: "b", value: int64(2),
		want: `{connectors: {a: 1, "b": 2,}}`,
	},
	{
		name: "one-line replace",
		src:  `{"connectors": {"a": {"x": 1}, "b": 2}}`, table: "connectors", key: "a", value: map[string]any{"y": map[string]any{"z": true}},
		want: `{"connectors": {"a": {"y": {"z": true}}, "b": 2}}`,
	},
	{
		name: "one-line missing table",
		src:  `{"a":1}`, table: "connectors", key: "b", value: int64(2),
		want: `{"a":1, "connectors": {"b": 2}}`,
	},
	{
		name: "one-line delete first",
		src:  `{connectors: {a: 1, b: 2, c: 3}}`, table: "connectors", key: "a",
		want: `{connectors: {b: 2, c: 3}}`,
	},
	{
		name: "one-line delete middle",
		src:  `{connectors: {a: 1, b: 2, c: 3}}`, table: "connectors", key: "b",
		want: `{connectors: {a: 1, c: 3}}`,
	},
	{
		name: "one-line delete last",
		src:  `{connectors: {a: 1, b: 2, c: 3}}`, table: "connectors", key: "c",
		want: `{connectors: {a: 1, b: 2}}`,
	},
	{
		name: "one-line delete only",
		src:  `{connectors: { a: 1 }}`, table: "connectors", key: "a",
		want: `{connectors: {}}`,
	},
	{
		name: "replace keeps the key as written",
		src:  "{\n  'connectors': {\n    \\u0061: 'old', // note\n  },\n}", table: "connectors", key: "a", value: "new",
		want: "{\n  'connectors': {\n    \\u0061: \"new\", // note\n  },\n}",
	},
	{
		name: "replace a nested value keeps its indentation",
		src:  "{\n  connectors: {\n    a: {x: 1},\n  },\n}", table: "connectors", key: "a", value: map[string]any{"x": map[string]any{"y": int64(2)}},
		want: "{\n  connectors: {\n    a: {\n      \"x\": {\n        \"y\": 2\n      }\n    },\n  },\n}",
	},

	// Deleting.
	{
		name: "delete takes the line's comment and the comment lines above",
		src:  "{\n  connectors: {\n    a: 1,\n    // about b\n    // more about b\n    b: 2, // b\n    c: 3,\n  },\n}", table: "connectors", key: "b",
		want: "{\n  connectors: {\n    a: 1,\n    c: 3,\n  },\n}",
	},
	{
		name: "delete leaves a comment set apart by a blank line",
		src:  "{\n  connectors: {\n    // section\n\n    b: 2,\n    c: 3,\n  },\n}", table: "connectors", key: "b",
		want: "{\n  connectors: {\n    // section\n\n    c: 3,\n  },\n}",
	},
	{
		name: "delete leaves a comment on the line before's member",
		src:  "{\n  connectors: {\n    a: 1, // about a\n    b: 2,\n  },\n}", table: "connectors", key: "b",
		want: "{\n  connectors: {\n    a: 1, // about a\n  },\n}",
	},
	{
		name: "delete leaves a // inside a block comment",
		src:  "{\n  connectors: {\n    /* x\n    // y */\n    b: 2,\n    c: 3,\n  },\n}", table: "connectors", key: "b",
		want: "{\n  connectors: {\n    /* x\n    // y */\n    c: 3,\n  },\n}",
	},
	{
		name: "delete the only member keeps a comment",
		src:  "{\n  connectors: {\n    /* keep */\n    a: 1,\n  },\n}", table: "connectors", key: "a",
		want: "{\n  connectors: {\n    /* keep */\n  },\n}",
	},
	{
		name: "delete the only member with its comment line",
		src:  "{\n  connectors: {\n    // a\n    a: 1,\n  },\n}", table: "connectors", key: "a",
		want: "{\n  connectors: {},\n}",
	},
	{
		name: "delete a member sharing its line",
		src:  "{\n  connectors: {\n    a: 1, b: 2,\n    c: 3\n  }\n}", table: "connectors", key: "a",
		want: "{\n  connectors: {\n    b: 2,\n    c: 3\n  }\n}",
	},
	{
		name: "delete a member ending a line it shares",
		src:  "{\n  connectors: {\n    a: 1, b: 2, // b\n    c: 3\n  }\n}", table: "connectors", key: "b",
		want: "{\n  connectors: {\n    a: 1, // b\n    c: 3\n  }\n}",
	},
	{
		name: "delete the last member before a closing brace on its line",
		src:  "{\n  connectors: {\n    a: 1,\n    b: 2 }\n}", table: "connectors", key: "b",
		want: "{\n  connectors: {\n    a: 1 }\n}",
	},
	{
		name: "delete removes every duplicate",
		src:  "{\n  connectors: {\n    a: 1,\n    b: 2,\n    a: 3\n  }\n}", table: "connectors", key: "a",
		want: "{\n  connectors: {\n    b: 2\n  }\n}",
	},
	{
		name: "replace changes the last duplicate",
		src:  "{connectors: {a: 1, a: 2}}", table: "connectors", key: "a", value: int64(3),
		want: "{connectors: {a: 1, a: 3}}",
	},
	{
		name: "the last duplicate table counts",
		src:  "{connectors: {a: 1}, connectors: {b: 2}}", table: "connectors", key: "c", value: int64(3),
		want: "{connectors: {a: 1}, connectors: {b: 2, \"c\": 3}}",
	},

	// Documents without a top-level object.
	{
		name: "empty file", src: "", table: "connectors", key: "telegram", value: map[string]any{"botToken": "x"},
		want: "{\n  \"connectors\": {\n    \"telegram\": {\n      \"botToken\": \"x\"\n    }\n  }\n}\n",
	},
	{
		name: "white space only", src: " \n\n", table: "connectors", key: "a", value: int64(1),
		want: "{\n  \"connectors\": {\n    \"a\": 1\n  }\n}\n",
	},
	{
		name: "comments only", src: "// settings\n/* none yet */", table: "connectors", key: "a", value: int64(1),
		want: "// settings\n/* none yet */\n{\n  \"connectors\": {\n    \"a\": 1\n  }\n}\n",
	},
	{
		name: "delete from an empty file", src: "", table: "connectors", key: "a",
		want: "",
	},

	// Values.
	{
		name: "every kind of value", src: "{}", table: "t", key: "v",
		value: map[string]any{
			"s": "<a> & \"b\" \u2028 é \x01", "i": int64(-42), "big": int64(math.MaxInt64),
			"f": 1.5, "whole": 100.0, "huge": 1e21, "tiny": 1e-7,
			"b": true, "n": nil, "empty": map[string]any{}, "none": []any{},
			"list": []any{int64(1), "two", []any{false}},
		},
		want: `{
  "t": {
    "v": {
      "b": true,
      "big": 9223372036854775807,
      "empty": {},
      "f": 1.5,
      "huge": 1e+21,
      "i": -42,
      "list": [
        1,
        "two",
        [
          false
        ]
      ],
      "n": null,
      "none": [],
      "s": "<a> & \"b\" \u2028 é \u0001",
      "tiny": 1e-7,
      "whole": 100.0
    }
  }
}`,
	},
}

func TestSetMember(t *testing.T) {
	for _, tt := range setMemberTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SetMember([]byte(tt.src), tt.table, tt.key, tt.value)
			if err != nil {
				t.Fatalf("SetMember: %v", err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("SetMember (-want +got):\n%s", diff)
			}
			if json.Valid([]byte(tt.src)) && !json.Valid(got) {
				t.Errorf("the file was strict JSON and is no longer:\n%s", got)
			}
			// The edit did what it says, whatever the layout.
			doc, err := Decode(got)
			if err != nil {
				t.Fatalf("Decode of the result: %v", err)
			}
			tab, _ := doc[tt.table].(map[string]any)
			v, ok := tab[tt.key]
			if tt.value == nil {
				if ok {
					t.Errorf("member still there after a delete")
				}
			} else if diff := cmp.Diff(normalize(tt.value), normalize(v)); diff != "" {
				t.Errorf("member after the edit (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetMemberCRLFOnly(t *testing.T) {
	src := []byte(strings.ReplaceAll(milady, "\n", "\r\n"))
	got, err := SetMember(src, "connectors", "slack", map[string]any{"a": []any{"b"}, "c": map[string]any{"d": int64(1)}})
	if err != nil {
		t.Fatal(err)
	}
	if bare := bytes.Count(got, []byte("\n")) - bytes.Count(got, []byte("\r\n")); bare != 0 {
		t.Errorf("%d bare line feeds in a CRLF file:\n%q", bare, got)
	}
}

func TestSetMemberDeleteAbsentReturnsSrc(t *testing.T) {
	src := []byte(milady)
	got, err := SetMember(src, "connectors", "slack", nil)
	if err != nil {
		t.Fatal(err)
	}
	if &got[0] != &src[0] || len(got) != len(src) {
		t.Errorf("SetMember returned a new slice for a delete that changed nothing")
	}
}

func TestSetMemberDoesNotModifySrc(t *testing.T) {
	src := []byte(milady)
	for _, v := range []any{nil, "x"} {
		if _, err := SetMember(src, "connectors", "telegram", v); err != nil {
			t.Fatal(err)
		}
		if string(src) != milady {
			t.Fatalf("SetMember(%v) changed its input", v)
		}
	}
}

func TestSetMemberErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		value   any
		wantIs  error
		wantMsg string
	}{
		{"table is an array", "{connectors: []}", "x", ErrNotObject, "line 1"},
		{"table is a string, delete", "{\n connectors: 's3cr3t'}", nil, ErrNotObject, "line 2"},
		{"table is null", "{connectors: null}", "x", ErrNotObject, "connectors"},
		{"last duplicate is not an object", "{connectors: {}, connectors: 1}", "x", ErrNotObject, "connectors"},
		{"document does not parse", "{a: s3cr3t}", "x", nil, "line 1, column 5"},
		{"document does not parse, delete", "{a: s3cr3t,", nil, nil, "line 1"},
		{"unsupported type", "{}", 42, nil, "type int"},
		{"unsupported nested type", "{}", map[string]any{"a": []string{"s3cr3t"}}, nil, "type []string"},
		{"NaN", "{}", math.NaN(), nil, "NaN"},
		{"infinity", "{}", []any{math.Inf(1)}, nil, "infinite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SetMember([]byte(tt.src), "connectors", "a", tt.value)
			if err == nil {
				t.Fatalf("SetMember = %q, want an error", got)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), canary) {
				t.Errorf("error %q repeats the document's content", err)
			}
		})
	}
}

// normalize turns decoded numbers and written numbers into one form, so
// that a value set as int64(1) or 1.5 compares equal to what Decode reads
// back ("1", "1.5").
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = normalize(e)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = normalize(e)
		}
		return a
	case int64:
		return float64(v)
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return float64(i)
		}
		f, err := v.Float64()
		if err != nil && !math.IsInf(f, 0) {
			return "invalid number " + string(v)
		}
		return f
	}
	return v
}

// TestDeleteLastMemberKeepsCommentOfMemberBefore: deleting the last member
// of an object, also when it does not have its lines to itself (a block
// comment before its key, or the object's '}' after its value on its
// line), changes only its own bytes and the comma before it: the comment
// after that comma belongs to the member before (another connector) and
// stays.
func TestDeleteLastMemberKeepsCommentOfMemberBefore(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{
			name: "closing brace on the deleted member's line",
			src: `{
  "connectors": {
    "telegram": {"botToken": "x"}, // main bot
    "discord": {"token": "y"}}
}
`,
		},
		{
			name: "block comment before the deleted member's key",
			src: `{
  connectors: {
    telegram: {botToken: 'x'}, // main bot
    /* spare */ discord: {token: 'y'}
  },
}
`,
		},
		{
			name: "block comment after the deleted member",
			src: `{
  connectors: {
    telegram: {botToken: 'x'}, // main bot
    discord: {token: 'y'} /* spare */ }
}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := SetMember([]byte(tt.src), "connectors", "discord", nil)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Decode(out)
			if err != nil {
				t.Fatalf("result does not parse: %v\n%s", err, out)
			}
			if _, ok := doc["connectors"].(map[string]any)["discord"]; ok {
				t.Fatalf("discord is still there:\n%s", out)
			}
			if !strings.Contains(string(out), "// main bot") {
				t.Errorf("deleting discord lost telegram's comment %q:\nbefore:\n%s\nafter:\n%s", "// main bot", tt.src, out)
			}
		})
	}
}

// TestSetMemberKeepsByteOrderMarkOfEmptyDocument: a document of only a
// byte-order mark (and white space), as an editor on Windows saves an
// empty file, keeps its mark when SetMember gives it its top-level
// object, as a document with more in it does, and as the TOML editor
// does.
func TestSetMemberKeepsByteOrderMarkOfEmptyDocument(t *testing.T) {
	for _, src := range []string{"\ufeff", "\ufeff\n", "\ufeff\r\n"} {
		out, err := SetMember([]byte(src), "connectors", "telegram", map[string]any{"botToken": "x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(out); err != nil {
			t.Fatalf("result does not parse: %v\n%q", err, out)
		}
		if !strings.HasPrefix(string(out), "\ufeff") {
			t.Errorf("SetMember(%q) = %q: the byte-order mark is gone", src, out)
		}
	}
}

// TestAddThenDeleteKeepsCommentInEmptyTable: a comment the host wrote
// inside an empty connectors object survives a connector added and then
// deleted. The new member goes above the comment: below it, the delete
// would take the comment directly above the member for the member's own.
func TestAddThenDeleteKeepsCommentInEmptyTable(t *testing.T) {
	for _, src := range []string{
		"{\n  \"connectors\": {\n    // Added from the dashboard.\n  }\n}\n",
		"{\n  connectors: {\n    // Added from the dashboard.\n  },\n  agent: {name: 'milo'},\n}\n",
	} {
		added, err := SetMember([]byte(src), "connectors", "slack", map[string]any{"botToken": "x"})
		if err != nil {
			t.Fatal(err)
		}
		back, err := SetMember(added, "connectors", "slack", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(back), "// Added from the dashboard.") {
			t.Errorf("add then delete of slack lost the host's comment:\nbefore:\n%s\nin between:\n%s\nafter:\n%s", src, added, back)
		}
	}
}

// addThenDelete sets connectors.name to value in src, deletes it again,
// and reports when the result is not src byte for byte (or a strict JSON
// file stops being strict on the way).
func addThenDelete(t *testing.T, src, name string, value any) {
	t.Helper()
	mid, err := SetMember([]byte(src), "connectors", name, value)
	if err != nil {
		t.Fatalf("add %q to %q: %v", name, src, err)
	}
	back, err := SetMember(mid, "connectors", name, nil)
	if err != nil {
		t.Fatalf("delete %q from %q: %v", name, mid, err)
	}
	if json.Valid([]byte(src)) && (!json.Valid(mid) || !json.Valid(back)) {
		t.Errorf("a strict JSON file stops being strict:\nsrc  %q\nmid  %q\nback %q", src, mid, back)
	}
	if !bytes.Equal(back, []byte(src)) {
		t.Errorf("adding then deleting %q does not give back the original bytes:\nsrc  %q\nmid  %q\nback %q", name, src, mid, back)
	}
}

// TestAddThenDeleteInOneLineObjectWithTrailingComma: a connector added to
// an object on one line with a trailing comma ({"a": 1,}) and deleted
// again gives back the bytes: the delete takes the blank before it.
func TestAddThenDeleteInOneLineObjectWithTrailingComma(t *testing.T) {
	addThenDelete(t, "{\n  connectors: {a: 1,}\n}\n", "new", int64(1))
	addThenDelete(t, "{\n  \"connectors\": {\"a\": 1,}\n}\n", "new", "x")
}

// TestAddThenDeleteKeepsTrailingBlanks: blanks that end the line of the
// last member stay on it when a member is added after it and deleted.
func TestAddThenDeleteKeepsTrailingBlanks(t *testing.T) {
	addThenDelete(t, "{\n  \"connectors\": {\n    \"a\": 1 \n  }\n}\n", "new", int64(1))
	addThenDelete(t, "{\n  \"connectors\": {\n    \"a\": 1,\t\n  }\n}\n", "new", int64(1))
}
