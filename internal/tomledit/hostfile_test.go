package tomledit

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHostFile edits the connectors of a long, commented host file and
// checks that the host's part, everything before the connectors, keeps
// every byte through an add, a replace, a write-back and removals.
func TestHostFile(t *testing.T) {
	src, err := os.ReadFile("testdata/agent.toml")
	if err != nil {
		t.Fatal(err)
	}
	// The host's part ends with the line before the blank line above the
	// telegram section's comment.
	cut := bytes.Index(src, []byte("\n\n# Telegram bot"))
	if cut < 0 {
		t.Fatal("testdata/agent.toml: no telegram section")
	}
	host := src[:cut+1]
	keepsHost := func(t *testing.T, out []byte) {
		t.Helper()
		if !bytes.HasPrefix(out, host) {
			n := 0
			for n < len(out) && n < len(host) && out[n] == host[n] {
				n++
			}
			t.Fatalf("host part changed at byte %d:\n%s", n, out)
		}
	}
	telegram := decodeForTest(t, src)["connectors"].(map[string]any)["telegram"].(map[string]any)
	discord := map[string]any{"token": "MTA:xyz", "guildId": int64(42)}

	// Add: a section at the end, after a blank line.
	added := mustSet(t, src, "connectors", "discord", discord)
	keepsHost(t, added)
	wantAdded := string(src) + "\n[connectors.discord]\nguildId = 42\ntoken = \"MTA:xyz\"\n"
	if diff := cmp.Diff(wantAdded, string(added)); diff != "" {
		t.Errorf("add (-want +got):\n%s", diff)
	}

	// Replace: one value changed, one key added, the sub-table kept.
	changed := map[string]any{
		"botToken":  "654321:XYZ",
		"allowFrom": telegram["allowFrom"],
		"dmPolicy":  "pairing",
		"groups":    []any{"team"},
		"webhook":   telegram["webhook"],
	}
	replaced := mustSet(t, added, "connectors", "telegram", changed)
	keepsHost(t, replaced)
	wantReplaced := strings.Replace(wantAdded, `botToken  = "123456:ABC-DEF"   # secret`, `botToken  = "654321:XYZ"   # secret`, 1)
	wantReplaced = strings.Replace(wantReplaced, "dmPolicy  = \"pairing\"\n", "dmPolicy  = \"pairing\"\ngroups = [\"team\"]\n", 1)
	if diff := cmp.Diff(wantReplaced, string(replaced)); diff != "" {
		t.Errorf("replace (-want +got):\n%s", diff)
	}

	// Write-back: the config as read gives the same bytes.
	read := decodeForTest(t, replaced)["connectors"].(map[string]any)["telegram"].(map[string]any)
	same := mustSet(t, replaced, "connectors", "telegram", normalize(read).(map[string]any))
	if !bytes.Equal(same, replaced) {
		t.Errorf("write-back changed the file:\n%s", same)
	}

	// Remove what was added: the bytes from before.
	removed := mustSet(t, replaced, "connectors", "discord", nil)
	if diff := cmp.Diff(strings.TrimSuffix(wantReplaced, "\n[connectors.discord]\nguildId = 42\ntoken = \"MTA:xyz\"\n"), string(removed)); diff != "" {
		t.Errorf("remove discord (-want +got):\n%s", diff)
	}

	// Remove the last connector: the host's part is all that is left,
	// with the commented-out example above.
	empty := mustSet(t, removed, "connectors", "telegram", nil)
	if diff := cmp.Diff(string(host), string(empty)); diff != "" {
		t.Errorf("remove telegram (-want +got):\n%s", diff)
	}

	// And back.
	again := mustSet(t, empty, "connectors", "telegram", normalize(telegram).(map[string]any))
	keepsHost(t, again)
}
