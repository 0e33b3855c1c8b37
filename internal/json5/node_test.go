package json5

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// nodeScript parses each base64 document of a JSON array on stdin with
// the json5 npm package and prints one JSON line per document: the value
// with numbers as {"n": text}, or the error's line and column; and
// whether JSON.parse reads the document too.
const nodeScript = `
const JSON5 = require('json5');
const docs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const conv = v => {
  if (typeof v === 'number') return {n: Object.is(v, -0) ? '-0' : String(v)};
  if (Array.isArray(v)) return v.map(conv);
  if (v !== null && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = conv(v[k]);
    return o;
  }
  return v;
};
for (const d of docs) {
  const text = Buffer.from(d, 'base64').toString('utf8');
  let strict = true;
  try { JSON.parse(text); } catch (e) { strict = false; }
  try {
    const v = JSON5.parse(text);
    process.stdout.write(JSON.stringify({ok: true, object: v !== null && typeof v === 'object' && !Array.isArray(v), v: conv(v), strict}) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ok: false, line: e.lineNumber, col: e.columnNumber, strict}) + '\n');
  }
}
`

// nodeResult is what the json5 npm package made of one document.
type nodeResult struct {
	OK, Object bool // parsed, to an object
	V          any  // the value, numbers as {"n": text}
	Line, Col  int  // where it stopped, if not OK
	Strict     bool // JSON.parse reads the document too
}

// parseWithNode parses docs with the json5 npm package, the reference
// implementation of JSON5, and with JSON.parse. It needs node on the PATH
// and the package where node finds it (Debian's node-json5 package puts
// it in /usr/share/nodejs, which NODE_PATH then names; or
// npm install --prefix "$dir" json5 and NODE_PATH="$dir/node_modules").
// Without them the test is skipped, but fails when CI is set: CI installs
// them.
func parseWithNode(t *testing.T, docs []string) []nodeResult {
	t.Helper()
	if err := exec.Command("node", "-e", "require('json5')").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node with the json5 package is needed with CI set: %v", err)
		}
		t.Skipf("node with the json5 package, to compare with, is not here: %v", err)
	}
	var in []string
	for _, d := range docs {
		in = append(in, base64.StdEncoding.EncodeToString([]byte(d)))
	}
	stdin, _ := json.Marshal(in)
	cmd := exec.Command("node", "-e", nodeScript)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer // json5 warns about raw U+2028 there
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(docs) {
		t.Fatalf("node answered %d documents of %d", len(lines), len(docs))
	}
	results := make([]nodeResult, len(docs))
	for i, line := range lines {
		if err := json.Unmarshal([]byte(line), &results[i]); err != nil {
			t.Fatal(err)
		}
	}
	return results
}

// TestAgainstNode compares Decode with the json5 npm package on the
// documents of the other tests and on generated JSON5: the same values
// where it accepts a document, a refusal where it refuses one.
func TestAgainstNode(t *testing.T) {
	var docs []string
	for _, tt := range decodeTests {
		docs = append(docs, tt.src)
	}
	for _, tt := range invalidTests {
		docs = append(docs, tt.src)
	}
	docs = append(docs, strictDocs...)
	docs = append(docs, generatedJSON5(rand.New(rand.NewPCG(3, 4)), 2000)...)

	for i, node := range parseWithNode(t, docs) {
		doc := docs[i]
		got, err := Decode([]byte(doc))
		switch {
		case !utf8.ValidString(doc):
			// node reads invalid UTF-8 as U+FFFD; Decode refuses it.
		case node.OK && !node.Object:
			if err == nil {
				t.Errorf("%q: Decode accepted a top-level value that is not an object", doc)
			}
		case node.OK && err != nil:
			t.Errorf("%q: json5 accepts, Decode: %v", doc, err)
		case node.OK:
			if diff := cmp.Diff(fromNode(node.V), normalize(got), cmpopts.EquateNaNs()); diff != "" {
				t.Errorf("%q (-json5 +Decode):\n%s", doc, diff)
			}
		case err == nil:
			if blank(stripComments(doc), 0, len(stripComments(doc))) {
				break // an empty document: json5 refuses it, Decode reads {}
			}
			t.Errorf("%q: json5 refuses, Decode accepts", doc)
		default:
			// Both refuse. Decode points at the start of the bad
			// construct, json5 at the character it stopped on, and
			// json5 does not count U+2028 as a line break: shown, not
			// judged.
			se := err.(*SyntaxError)
			if se.Line != node.Line || se.Column != node.Col {
				t.Logf("%q: error at %d:%d, json5 says %d:%d", doc, se.Line, se.Column, node.Line, node.Col)
			}
		}
	}
}

// TestEditsAgainstNode holds SetMember to the json5 npm package: every
// document that a series of edits makes, from the documents of the other
// tests and generated JSON5, parses with the package to exactly what the
// edits should leave, and one that was strict JSON is still read by
// JSON.parse.
func TestEditsAgainstNode(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	srcs := append(editedDocs(), strictDocs...)
	srcs = append(srcs, generatedJSON5(r, 300)...)

	type edited struct {
		src, out string
		want     map[string]any
	}
	var docs []edited
	names := []string{"telegram", "discord", "a", "new one", "é", "'q'", `"d"`, "\u2028", "Infinity"}
	for _, src := range srcs {
		before, err := Decode([]byte(src))
		if err != nil {
			continue
		}
		if tab, ok := before["connectors"]; ok {
			if _, ok := tab.(map[string]any); !ok {
				continue // not a table of connectors: SetMember refuses it
			}
		}
		want := normalize(before).(map[string]any)
		out := []byte(src)
		for range 1 + r.IntN(4) {
			name := names[r.IntN(len(names))]
			v := genValue5(r, 0)
			if r.IntN(4) == 0 {
				v = nil // a delete
			}
			if out, err = SetMember(out, "connectors", name, v); err != nil {
				t.Fatalf("SetMember(%q, %v): %v\non %q", name, v, err, src)
			}
			tab, _ := want["connectors"].(map[string]any)
			if v == nil {
				delete(tab, name)
				continue
			}
			if tab == nil {
				tab = map[string]any{}
				want["connectors"] = tab
			}
			tab[name] = normalize(v)
		}
		docs = append(docs, edited{src, string(out), want})
	}

	outs := make([]string, len(docs))
	for i, d := range docs {
		outs[i] = d.out
	}
	for i, node := range parseWithNode(t, outs) {
		d := docs[i]
		if !node.OK || !node.Object {
			t.Errorf("json5 cannot parse the edited document (line %d, column %d):\nbefore %q\nafter %q", node.Line, node.Col, d.src, d.out)
			continue
		}
		if diff := cmp.Diff(d.want, fromNode(node.V), cmpopts.EquateNaNs()); diff != "" {
			t.Errorf("json5 reads the edited document as (-want +json5):\n%s\nbefore %q\nafter %q", diff, d.src, d.out)
		}
		if json.Valid([]byte(d.src)) && !node.Strict {
			t.Errorf("JSON.parse refuses a strict JSON document after edits:\nbefore %q\nafter %q", d.src, d.out)
		}
	}
}

// genValue5 returns a config value for an edit: strings that need
// escaping or that JSON5 reads specially, numbers, booleans, and objects
// and arrays of them.
func genValue5(r *rand.Rand, depth int) any {
	n := 6
	if depth > 2 {
		n = 4
	}
	switch r.IntN(n) {
	case 0:
		return r.IntN(2) == 0
	case 1:
		return r.Int64() - r.Int64()
	case 2:
		return []float64{0.5, -1e300, 3.25, 1e-7}[r.IntN(4)]
	case 3:
		var b strings.Builder
		for range r.IntN(5) {
			b.WriteString([]string{"a", " ", "é", "😀", "\u2028", "\u2029", "\t", "'", `"`, `\`, "\n", "\x00", "</script>", "${X}", "/*", "//"}[r.IntN(16)])
		}
		return b.String()
	case 4:
		m := map[string]any{}
		for range r.IntN(4) {
			m[[]string{"botToken", "a b", "'k'", "é", "", "Infinity", "__x"}[r.IntN(7)]] = genValue5(r, depth+1)
		}
		return m
	default:
		a := []any{}
		for range r.IntN(4) {
			a = append(a, genValue5(r, depth+1))
		}
		return a
	}
}

// fromNode turns the script's {"n": text} numbers into float64.
func fromNode(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if n, ok := v["n"].(string); ok && len(v) == 1 {
			f, _ := strconv.ParseFloat(n, 64)
			return f
		}
		m := map[string]any{}
		for k, e := range v {
			m[k] = fromNode(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = fromNode(e)
		}
	}
	return v
}

func stripComments(doc string) []byte {
	p := &parser{src: []byte(doc)}
	var out []byte
	for p.pos < len(p.src) {
		start := p.pos
		if p.skipSpace() != nil {
			return []byte(doc)
		}
		if p.pos == start {
			out = append(out, p.src[p.pos])
			p.pos++
		}
	}
	return out
}

// generatedJSON5 returns n JSON5 documents made by genJSON5Object.
func generatedJSON5(r *rand.Rand, n int) []string {
	docs := make([]string, n)
	for i := range docs {
		var b strings.Builder
		genJSON5Object(&b, r, 0)
		docs[i] = b.String()
	}
	return docs
}

// genJSON5Object writes a JSON5 object using the syntax JSON does not
// have.
func genJSON5Object(b *strings.Builder, r *rand.Rand, depth int) {
	b.WriteByte('{')
	n := r.IntN(5)
	for i := range n {
		genJSON5Space(b, r)
		switch r.IntN(4) {
		case 0:
			b.WriteString([]string{"a", "$b", "_c1", "ünï", "\\u0061x", "null", "Infinity", "a\u0301"}[r.IntN(8)])
		default:
			genJSON5String(b, r)
		}
		genJSON5Space(b, r)
		b.WriteByte(':')
		genJSON5Space(b, r)
		genJSON5Value(b, r, depth+1)
		genJSON5Space(b, r)
		if i < n-1 || r.IntN(2) == 0 {
			b.WriteByte(',')
		}
	}
	genJSON5Space(b, r)
	b.WriteByte('}')
}

func genJSON5Value(b *strings.Builder, r *rand.Rand, depth int) {
	n := 6
	if depth > 4 {
		n = 4
	}
	switch r.IntN(n) {
	case 0:
		b.WriteString([]string{"true", "false", "null", "Infinity", "-Infinity", "+Infinity", "NaN", "-NaN"}[r.IntN(8)])
	case 1:
		b.WriteString([]string{"", "+", "-"}[r.IntN(3)])
		switch r.IntN(4) {
		case 0:
			fmt.Fprintf(b, "0x%X", r.Uint64())
		case 1:
			fmt.Fprintf(b, ".%d", r.IntN(1000))
		case 2:
			fmt.Fprintf(b, "%d.", r.IntN(1000))
		default:
			fmt.Fprintf(b, "%d.%de%+d", r.IntN(1000), r.IntN(1000), r.IntN(40)-20)
		}
	case 2, 3:
		genJSON5String(b, r)
	case 4:
		genJSON5Object(b, r, depth)
	case 5:
		b.WriteByte('[')
		for range r.IntN(4) {
			genJSON5Space(b, r)
			genJSON5Value(b, r, depth+1)
			b.WriteByte(',')
		}
		b.WriteByte(']')
	}
}

var json5Pieces = []string{
	"a", " ", "é", "😀", "\u2028", "\t", `\'`, `\"`, `\\`, `\v`, `\0`, `\x41`, `\u00e9`,
	`\ud83d\ude00`, `\ud800`, "\\\n", "\\\r\n", "\\\u2029", `\q`, "\x01",
}

func genJSON5String(b *strings.Builder, r *rand.Rand) {
	q := []string{"'", `"`}[r.IntN(2)]
	b.WriteString(q)
	for range r.IntN(6) {
		b.WriteString(json5Pieces[r.IntN(len(json5Pieces))])
	}
	b.WriteString(q)
}

func genJSON5Space(b *strings.Builder, r *rand.Rand) {
	for range r.IntN(3) {
		b.WriteString([]string{" ", "\n", "\r\n", "\u00a0", "\ufeff", "\u2028", "\u3000", "\v", "// c\n", "/* c\n*/"}[r.IntN(10)])
	}
}
