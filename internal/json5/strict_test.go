package json5

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// JSON is JSON5, and for strict JSON a number's canonical text is the
// number as written, so Decode must give exactly what encoding/json gives
// with UseNumber.

var strictDocs = []string{
	`{}`,
	` { } `,
	`{"a":1}`,
	"{\"a\" :\t[ 1 , 2.5 , -0 , -0.0 , 1e5 , 1E+5 , 1.5e-300 , 123456789012345678901234567890 ]\r\n}",
	`{"s":"\"\\\/\b\f\n\r\t\u0000\u001f\u00e9\u2028\ud83d\ude00"}`,
	`{"lone":"\ud800","pair-broken":"\ud800\u0041","low":"\udc00"}`,
	`{"nested":{"a":{"b":{"c":[[[]],{}]}}},"t":true,"f":false,"n":null}`,
	`{"dup":1,"dup":{"x":2}}`,
	`{"":"","é":"ü","<>&":"<>&"}`,
	"{\"raw\":\"\u2028\u2029\u00a0\"}",
}

func TestDecodeMatchesEncodingJSON(t *testing.T) {
	docs := strictDocs
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		var b strings.Builder
		genObject(&b, r, 0)
		docs = append(docs, b.String())
	}
	for i, doc := range docs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if !json.Valid([]byte(doc)) {
				t.Fatalf("test document is not JSON: %q", doc)
			}
			dec := json.NewDecoder(strings.NewReader(doc))
			dec.UseNumber()
			var want map[string]any
			if err := dec.Decode(&want); err != nil {
				t.Fatal(err)
			}
			got, err := Decode([]byte(doc))
			if err != nil {
				t.Fatalf("Decode(%q): %v", doc, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Decode(%q) (-encoding/json +json5):\n%s", doc, diff)
			}
		})
	}
}

// The generator writes strict JSON text directly, so that it covers
// spellings encoding/json never writes: exponents, escapes, white space.

func genSpace(b *strings.Builder, r *rand.Rand) {
	for range r.IntN(3) {
		b.WriteByte(" \t\r\n"[r.IntN(4)])
	}
}

func genObject(b *strings.Builder, r *rand.Rand, depth int) {
	b.WriteByte('{')
	for i := range r.IntN(5) {
		if i > 0 {
			b.WriteByte(',')
		}
		genSpace(b, r)
		genString(b, r)
		genSpace(b, r)
		b.WriteByte(':')
		genSpace(b, r)
		genValue(b, r, depth+1)
		genSpace(b, r)
	}
	b.WriteByte('}')
}

func genValue(b *strings.Builder, r *rand.Rand, depth int) {
	n := 7
	if depth > 4 {
		n = 5 // no more nesting
	}
	switch r.IntN(n) {
	case 0:
		b.WriteString([]string{"true", "false", "null"}[r.IntN(3)])
	case 1, 2:
		genNumber(b, r)
	case 3, 4:
		genString(b, r)
	case 5:
		genObject(b, r, depth)
	case 6:
		b.WriteByte('[')
		for i := range r.IntN(4) {
			if i > 0 {
				b.WriteByte(',')
			}
			genSpace(b, r)
			genValue(b, r, depth+1)
			genSpace(b, r)
		}
		b.WriteByte(']')
	}
}

func genNumber(b *strings.Builder, r *rand.Rand) {
	if r.IntN(2) == 0 {
		b.WriteByte('-')
	}
	if r.IntN(4) == 0 {
		b.WriteByte('0')
	} else {
		fmt.Fprint(b, r.Uint64N(1<<uint(r.IntN(64)))+1)
	}
	if r.IntN(2) == 0 {
		fmt.Fprintf(b, ".%0*d", r.IntN(5)+1, r.IntN(1000))
	}
	if r.IntN(3) == 0 {
		b.WriteString([]string{"e", "E", "e+", "e-", "E-"}[r.IntN(5)])
		fmt.Fprint(b, r.IntN(400))
	}
}

var genPieces = []string{
	"a", "key", "Z", " ", "é", "名", "😀", "\u2028", "<", "&", "'",
	`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u0000`, `\u00E9`, `\ud83d\ude00`, `\ud800`, `\uDC00`,
}

func genString(b *strings.Builder, r *rand.Rand) {
	b.WriteByte('"')
	for range r.IntN(6) {
		b.WriteString(genPieces[r.IntN(len(genPieces))])
	}
	b.WriteByte('"')
}

func TestGeneratedDocumentsVary(t *testing.T) {
	// Guards the generator: a bug that made every document "{}" would
	// leave the differential test above proving nothing.
	r := rand.New(rand.NewPCG(1, 2))
	var empty, deep int
	for range 300 {
		var b strings.Builder
		genObject(&b, r, 0)
		if b.String() == "{}" {
			empty++
		}
		if bytes.Count([]byte(b.String()), []byte("{")) > 3 {
			deep++
		}
	}
	if empty > 150 || deep < 10 {
		t.Errorf("generator: %d of 300 documents empty, %d nested; want variety", empty, deep)
	}
}
