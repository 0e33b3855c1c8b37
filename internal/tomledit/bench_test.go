package tomledit

import (
	"fmt"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// bigHostFile returns a commented host file of about size bytes with n
// connector sections at its end.
func bigHostFile(size, n int) []byte {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "# Settings of part %d of the agent.\n# They are read at start-up.\n[part%d]\nname = \"part %d\"  # shown in logs\nlimit = 0x%x\nratio = %d.5\ntags = [\"a\", 'b', \"\"\"c\"\"\"]\n\n", i, i, i, i, i)
	}
	for i := range n {
		fmt.Fprintf(&b, "# Connector %d\n[connectors.c%d]\nbotToken = \"%d:secret\"\nallowFrom = [\"alice\", \"bob\"]\n\n[connectors.c%d.webhook]\nurl = \"https://example.com/%d\"\n\n", i, i, i, i, i)
	}
	return []byte(b.String())
}

// BenchmarkSet measures Set on a 120 KB host file beside its floor, one
// decode of the same file; Set decodes it twice (before and to verify)
// and parses it once for positions.
func BenchmarkSet(b *testing.B) {
	src := bigHostFile(120<<10, 20)
	cfg := map[string]any{"botToken": "7:changed", "allowFrom": []any{"alice", "bob"}, "webhook": map[string]any{"url": "https://example.com/7"}}
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			var doc map[string]any
			if _, err := toml.Decode(string(src), &doc); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, bc := range []struct {
		name, entry string
		cfg         map[string]any
	}{
		{"replace", "c7", cfg},
		{"add", "new", cfg},
		{"remove", "c7", nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if _, err := Set(src, "connectors", bc.entry, bc.cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDocSet measures the edit a FileStore makes for a POST: a
// chain of Doc.Set calls, each changing one field of one connector by a
// few bytes, on a file of 100 connectors of three sections each, with
// the connector first, in the middle and last in the file. The three
// should cost about the same: an edit moves the sections after the
// change by their offset alone, not expression by expression.
func BenchmarkDocSet(b *testing.B) {
	const n = 100
	var file strings.Builder
	file.WriteString("[agent]\nmodel = \"sonnet\"\n\n")
	for i := range n {
		fmt.Fprintf(&file, "[connectors.c%03d]\nenabled = true\nbotToken = \"%d:AAHsecret\"\nallowFrom = [\"@alice\", \"@bob\"]\nparseMode = \"MarkdownV2\"\n\n", i, i)
		fmt.Fprintf(&file, "[connectors.c%03d.webhook]\nurl = \"https://bot.example.com/%d\"\nsecretToken = \"wh-secret\"\nmaxConnections = 40\n\n", i, i)
		fmt.Fprintf(&file, "[connectors.c%03d.streaming]\nenabled = true\nchunkChars = 800\n\n", i)
	}
	for _, at := range []int{0, n / 2, n - 1} {
		b.Run(fmt.Sprintf("at=%d", at), func(b *testing.B) {
			d, err := Parse([]byte(file.String()))
			if err != nil {
				b.Fatal(err)
			}
			name := fmt.Sprintf("c%03d", at)
			var cfgs [2]map[string]any
			for i, mode := range []string{"HTML", "MarkdownV2"} {
				cfgs[i] = map[string]any{
					"enabled": true, "botToken": fmt.Sprintf("%d:AAHsecret", at),
					"allowFrom": []any{"@alice", "@bob"}, "parseMode": mode,
					"webhook":   map[string]any{"url": fmt.Sprintf("https://bot.example.com/%d", at), "secretToken": "wh-secret", "maxConnections": int64(40)},
					"streaming": map[string]any{"enabled": true, "chunkChars": int64(800)},
				}
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if d, err = d.Set("connectors", name, cfgs[i%2]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
