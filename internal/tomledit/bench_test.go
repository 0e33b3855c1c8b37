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
