package tomledit

import (
	"bytes"
	"errors"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/BurntSushi/toml"
)

// FuzzSet sets a connector in arbitrary documents the decoder accepts.
// Set may refuse (an error), but whatever it returns must read back as
// the document with only that connector changed, and its input must
// stay as it was. So must the result of the local checks, which spare
// Set the decode of the whole result (see checkLocal).
func FuzzSet(f *testing.F) {
	seeds := []string{
		"",
		"name = \"agent\"",
		"[connectors.telegram]\nbotToken = \"x\" # c\n\n[agent]\nx = 1\n",
		"connectors = { telegram = { botToken = \"x\" } }\n",
		"connectors.telegram.botToken = \"x\"\nname = 1\n[other]\na = 1\n",
		"[connectors]\ntelegram = { botToken = \"x\" }\ndiscord.token = \"y\"\n",
		"[connectors.telegram.webhook]\nurl = 'u'\n[connectors]\ndiscord = {}\n[connectors.telegram]\na = [\n 1, # one\n 2,\n]\n",
		"[[connectors.telegram.accounts]]\nid = 1\n[connectors.telegram.accounts.opts]\nx = true\n[[connectors.telegram.accounts]]\nid = 2\n",
		"\ufeff# bom\r\n[connectors.telegram]\r\nbotToken = \"x\"\r\n",
		"s = \"\"\"\n[connectors.telegram]\n\"\"\"\n[connectors.\"team/bot\"]\nt = '''\n# x\n'''\n",
		"[channels.telegram]\nbotToken = \"old\"\n# c\n[connectors.telegram]\nbotToken = \"x\"\n",
		"connectors = { telegram = {\n  botToken = \"x\", # TOML 1.1\n} }\n",
	}
	if b, err := os.ReadFile("testdata/agent.toml"); err == nil {
		seeds = append(seeds, string(b))
	}
	suite, _ := filepath.Glob("testdata/toml-test/valid/*/*.toml")
	for _, path := range suite {
		if b, err := os.ReadFile(path); err == nil {
			seeds = append(seeds, string(b))
		}
	}
	for i, s := range seeds {
		f.Add([]byte(s), "telegram", uint64(i), uint8(i))
		f.Add([]byte(s), "", uint64(i), uint8(i)|0x40)
	}
	f.Fuzz(func(t *testing.T, src []byte, name string, seed uint64, op uint8) {
		var doc map[string]any
		if _, err := toml.Decode(string(src), &doc); err != nil {
			t.Skip()
		}
		table := "connectors"
		switch {
		case op&0x80 != 0:
			table = "channels"
		case op&0x40 != 0:
			// A table of the document, and one of its entries if name is
			// not one: most seeds have no connectors.
			for _, k := range slices.Sorted(maps.Keys(doc)) {
				if tab, ok := doc[k].(map[string]any); ok && len(tab) > 0 {
					table = k
					if _, ok := tab[name]; !ok {
						name = slices.Sorted(maps.Keys(tab))[int(seed%uint64(len(tab)))]
					}
					break
				}
			}
		}
		var cfg map[string]any
		r := rand.New(rand.NewPCG(seed, seed))
		switch op % 4 {
		case 1:
			// The entry with one change, as a dashboard makes: an edit
			// the check of values alone can judge.
			tab, _ := doc[table].(map[string]any)
			if old, ok := tab[name].(map[string]any); ok {
				cfg = mutate(r, old, 0)
				break
			}
			fallthrough
		case 2, 3:
			cfg = randomConfig(r, 0)
		}
		before := bytes.Clone(src)
		out, err := Set(src, table, name, cfg)
		if !bytes.Equal(src, before) {
			t.Fatal("Set changed its input")
		}
		if err != nil {
			if errors.Is(err, ErrVerify) {
				t.Fatalf("no edit found for %q: %v\n%s", name, err, src)
			}
			return
		}
		checkDoc(t, src, out, table, name, cfg)
		// The local check, where it accepts, must agree with a decode of
		// the whole result, and carry its value and expressions.
		if d, _ := setLocal(t, src, table, name, cfg); d != nil {
			checkDoc(t, src, d.Bytes(), table, name, cfg)
			checkCarried(t, d)
		}
	})
}
