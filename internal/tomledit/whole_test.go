package tomledit

import (
	"bytes"
	"testing"
)

// TestWholeTable checks the edit Set falls back to when the precise one
// does not read back as it should: the whole table written again at the
// place of its first piece. Every shape must give the expected document
// and keep the bytes before the table.
func TestWholeTable(t *testing.T) {
	srcs := []struct{ name, src string }{
		{"sections", "# host\nname = \"a\"\n\n# bot\n[connectors.telegram]\nbotToken = \"x\" # c\n\n[agent]\nx = 1\n\n[connectors.telegram.webhook]\nurl = \"u\"\n\n[connectors.discord]\ntoken = \"d\"\n"},
		{"inline table at the top level", "n = 1\nconnectors = { telegram = { botToken = \"x\" }, discord = { token = \"d\" } }\n[agent]\nx = 1\n"},
		{"dotted keys at the top level", "n = 1\nconnectors.telegram.botToken = \"x\"\nconnectors.discord.token = \"d\"\nm = 2\n[agent]\nx = 1\n"},
		{"entries under [connectors]", "n = 1\n[connectors]\ntelegram = { botToken = \"x\" }\ndiscord.token = \"d\"\n[agent]\nx = 1\n"},
		{"tables in any order", "[connectors.telegram.webhook]\nurl = \"u\"\n\n[connectors]\ndiscord = { token = \"d\" }\n\n[agent]\nname = \"a\"\n\n[connectors.telegram]\nbotToken = \"x\"\n"},
		{"arrays of tables", "[[connectors.telegram.accounts]]\nid = 1\n[connectors.telegram.accounts.opts]\nx = true\n[[connectors.telegram.accounts]]\nid = 2\n[connectors.discord]\ntoken = 'd'\n"},
		{"values of every type", "[connectors.telegram]\nbotToken = \"x\"\n[connectors.discord]\nday = 1979-05-27\nat = 07:32:00.5\nts = 1979-05-27T07:32:00-08:00\nutc = 1979-05-27T07:32:00Z\nlocal = 1979-05-27T07:32:00.999999\nr = nan\ni = -inf\nf = 1.0\nx = 0xff\n"},
		{"CRLF and a byte-order mark", "\ufeff# host\r\n[connectors.telegram]\r\nbotToken = \"x\"\r\n\r\n[connectors.discord]\r\ntoken = \"d\"\r\n"},
	}
	ops := []struct {
		name, entry string
		cfg         map[string]any
	}{
		{"replace", "telegram", map[string]any{"botToken": "y", "webhook": map[string]any{"url": "v"}, "accounts": []any{map[string]any{"id": int64(3)}}}},
		{"add", "slack", map[string]any{"token": "s"}},
		{"remove", "telegram", nil},
		{"remove all", "discord", nil},
	}
	for _, s := range srcs {
		for _, op := range ops {
			t.Run(s.name+"/"+op.name, func(t *testing.T) {
				src := []byte(s.src)
				if op.name == "remove all" {
					var err error
					if src, err = Set(src, "connectors", "telegram", nil); err != nil {
						t.Fatal(err)
					}
				}
				d, err := Parse(src)
				if err != nil {
					t.Fatal(err)
				}
				j, err := newJob(d, "connectors", op.entry, op.cfg)
				if err != nil || j == nil {
					t.Fatalf("newJob: %v, %v", j, err)
				}
				j.all() // the whole table's pieces, not the entry's
				next, err := j.try(j.whole, false)
				if err != nil {
					t.Fatalf("whole table: %v\n%s", err, src)
				}
				out := next.Bytes()
				checkDoc(t, src, out, "connectors", op.entry, op.cfg)
				before := src[:len(src)-len(j.body)+j.ps[0].start]
				if !bytes.HasPrefix(out, before) {
					t.Errorf("the bytes before the table changed:\n%s\n=>\n%s", src, out)
				}
				if bytes.Contains(src, []byte("\r\n")) && bytes.Count(out, []byte("\n")) != bytes.Count(out, []byte("\r\n")) {
					t.Errorf("line breaks not all CRLF:\n%q", out)
				}
			})
		}
	}
}
