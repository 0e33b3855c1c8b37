// This file holds a large, heavily commented host config file, and a test
// that the handler on a FileStore edits only its connectors' bytes.

package connectors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hostFileConnectors is the end of commentedHostFile: the connectors
// table, after the host's comment about it, with comments of its own and
// a commented-out connector after it.
const hostFileConnectors = `# =====================================================================
#  Connectors
#
#  Managed from the dashboard over /api/connectors. Edit by hand only
#  while the agent is stopped.
# =====================================================================

# Telegram: the main bot, from @BotFather.
[connectors.telegram]
enabled   = true
botToken  = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"   # rotate yearly
allowFrom = [ "@alice", "@bob" ]  # who may talk to it
parseMode = 'MarkdownV2'

# Its webhook; the secret is checked on every update.
[connectors.telegram.webhook]
url         = "https://bot.example.com/telegram"
secretToken = "wh-5f0c2d1e"
maxConnections = 40

[connectors.discord]
token         = "MTAxMjM0NTY3ODkw.GhIjKl.abcdefghijklmnop"
applicationId = "1100000000000000000"
intents       = 33_281   # guilds, messages, message content

[[connectors.discord.guilds]]
id       = "900000000000000000"
channels = ["general", "ops"]

# Slack, in socket mode.
[connectors.slack]
mode          = "socket"
botToken      = "xoxb-1-2-3"
appToken      = "xapp-1-A1-2-3"
signingSecret = "8f14e45fceea167a"

# [connectors.whatsapp]     (not yet: waiting for the business account)
# phoneNumber = "+15550100"
# token = "..."
`

// commentedHostFile returns a host config file of about 120 KB, the same
// on every call: comments of every kind, commented-out tables and keys,
// multi-line strings with lines that look like headers and comments,
// arrays of tables, inline tables and dates, in many tables of the host,
// and the connectors table of hostFileConnectors at the end.
func commentedHostFile() []byte {
	var b strings.Builder
	b.WriteString(`# =====================================================================
#  Agent configuration
#
#  Read at start-up and whenever it changes on disk. Keys that are
#  commented out show their default. Everything but the connectors at
#  the end is the host's own.
# =====================================================================

name    = "Milo"
version = 3   # schema version, do not change by hand
dataDir = './state'      # literal string: no escapes
# logLevel = "info"      # one of debug, info, warn, error

`)
	for i := 0; b.Len() < 120<<10-len(hostFileConnectors); i++ {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, `# ---------------------------------------------------------------------
#  Skill %d
#
#  A skill is loaded on demand. Its prompt is sent with every turn
#  that uses it, so keep it short: every token counts.
# ---------------------------------------------------------------------

[skills.s%d]
title    = "Skill number %d"   # shown in the dashboard
enabled  = %t
priority = 0x%02x        # higher runs first
weight   = %d.25
# timeout = "30s"        # the default
prompt = """
You are skill %d. Answer in one paragraph.
[connectors.telegram]
# This line is part of the prompt, not a comment.
"""

`, i, i, i, i%3 != 0, i%256, i%7, i)
		case 1:
			fmt.Fprintf(&b, `# Tools of group %d are tried in order; disable one with enabled = false.
[[toolGroups.g%d.tools]]
name    = "search-%d"
enabled = true
args    = ["--safe", "--region=eu"]  # passed as they are

[[toolGroups.g%d.tools]]
name    = 'calculator'
limits  = { perMinute = %d, burst = 10 }

# [[toolGroups.g%d.tools]]
# name = "shell"          # too dangerous on a shared host
# allow = ["ls", "cat"]

`, i, i, i, i, 10+i%50, i)
		case 2:
			fmt.Fprintf(&b, `[memory.m%d]
backend   = "sqlite"
path      = "memory-%d.db"
createdAt = 2024-05-%02dT09:30:00Z
window    = 1979-05-27         # a local date
quietFrom = 22:30:00            # a local time
# The words that end a conversation at once.
stopWords = [
  "goodbye",   # English
  "tschüss",   # German
  'adiós',     # Spanish, as a literal string
]

# [memory.m%d.vector]           (needs the vector extension)
# dimensions = 1536
# metric     = "cosine"

`, i, i, 1+i%28, i)
		case 3:
			fmt.Fprintf(&b, `# Model %d: a fallback is tried when the model before it fails.
[models.m%d]
provider    = "openai-compatible"
baseURL     = "http://localhost:%d/v1"
model       = "llama-3.1-8b"
temperature = 0.70       # keep the trailing zero
maxTokens   = 8_192
# apiKey = "${OPENAI_API_KEY}"   # uncomment for hosted providers
headers = { "X-Trace" = "on", "X-Tenant" = "t%d" }

[models.m%d.retry]
attempts = 3
backoff  = [0.5, 1.0, 2.0]   # seconds
literal  = '''
C:\agent\retry\%d.log
'''

`, i, i, 11000+i, i, i, i)
		default:
			fmt.Fprintf(&b, `# ---------------------------------------------------------------------
#  Schedule %d. Cron syntax; times are the host's local time.
#  An example that is not used:
#
#  [schedules.example]
#  trigger.cron = "0 9 * * 1-5"
# ---------------------------------------------------------------------
[schedules.s%d]
trigger.cron = "%d 9 * * 1-5"
trigger.task = "digest-%d"   # dotted keys
notify = [ { channel = "ops", level = "info" }, { channel = "me", level = "error" } ]

`, i, i, i%60, i)
		}
	}
	b.WriteString(hostFileConnectors)
	return []byte(b.String())
}

// TestCommentedHostFile drives a FileStore on commentedHostFile through
// the handler: a POST that adds a connector, a write-back of a GET with
// its redacted secrets (unchanged, then with one field changed), and
// DELETEs. Each must keep every byte before the connectors table and
// every byte outside the section of the connector it changes, and the
// file must read back as the connectors it should hold.
func TestCommentedHostFile(t *testing.T) {
	src := commentedHostFile()
	if len(src) < 115<<10 || len(src) > 130<<10 {
		t.Fatalf("commentedHostFile is %d bytes, want about 120 KB", len(src))
	}
	path := filepath.Join(t.TempDir(), "agent.toml")
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := NewFileStore(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(store, HandlerOptions{})
	host := src[:bytes.Index(src, []byte("# =====================================================================\n#  Connectors"))]

	do := func(method, target string, body any) map[string]any {
		t.Helper()
		var req *http.Request
		if body != nil {
			b, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			req = httptest.NewRequest(method, target, bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
		} else {
			req = httptest.NewRequest(method, target, nil)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s %s: status %d: %s", method, target, rec.Code, rec.Body)
		}
		var got map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	// step checks the file after a change of connector name: the host's
	// part is kept, and so is every byte outside name's section, which
	// is in the new file for a put and in the old one for a delete.
	step := func(before []byte, name string, deleted bool) []byte {
		t.Helper()
		after := readConfigFile(t, path)
		if !bytes.HasPrefix(after, host) {
			t.Fatalf("%s: the host's part changed", name)
		}
		changed := after
		if deleted {
			changed = before
		}
		lo, hi := sectionOf(t, changed, name)
		p, s := commonPrefix(before, after), commonSuffix(before, after)
		if p < lo || len(changed)-s > hi {
			t.Fatalf("%s: bytes outside its section changed (section %d-%d, changed from %d to %d of %d):\n%s",
				name, lo, hi, p, len(changed)-s, len(changed), changed[lo:])
		}
		return after
	}

	// A new connector: a section after the last connector's.
	discordGuild := map[string]any{"id": "1", "channels": []any{"bots"}}
	do(http.MethodPost, "/", map[string]any{"name": "team/bot", "config": map[string]any{
		"token":  "MTA-new-secret",
		"guilds": []any{discordGuild},
	}})
	file := step(src, "team/bot", false)
	if !bytes.Contains(file, []byte("\n[connectors.\"team/bot\"]\n")) {
		t.Fatalf("no section for the new connector:\n%s", file[len(host):])
	}

	// A write-back of what GET shows, secrets masked: nothing to write.
	tg := do(http.MethodGet, "/telegram", nil)["config"].(map[string]any)
	if tg["botToken"] != "****:****" {
		t.Fatalf("GET telegram: botToken %v, want it masked", tg["botToken"])
	}
	do(http.MethodPost, "/", map[string]any{"name": "telegram", "config": tg})
	if got := readConfigFile(t, path); !bytes.Equal(got, file) {
		t.Fatalf("a write-back of an unchanged config changed the file:\n%s", got[len(host):])
	}
	// The same with one field changed: the masks restore the secrets, and
	// only that field's value changes.
	tg["parseMode"] = "HTML"
	do(http.MethodPost, "/", map[string]any{"name": "telegram", "config": tg})
	want := bytes.Replace(file, []byte("parseMode = 'MarkdownV2'"), []byte("parseMode = \"HTML\""), 1)
	file = step(file, "telegram", false)
	if diff := cmp.Diff(string(want[len(host):]), string(file[len(host):])); diff != "" {
		t.Fatalf("write-back (-want +got):\n%s", diff)
	}

	// Deletes: the first connector (its comment goes, the host's comment
	// about the table stays), one with an array of tables, the new one.
	for _, name := range []string{"telegram", "discord", "team/bot"} {
		do(http.MethodDelete, "/"+strings.ReplaceAll(name, "/", "%2F"), nil)
		file = step(file, name, true)
	}
	wantEnd := "# =====================================================================\n\n# Slack, in socket mode.\n[connectors.slack]\n"
	if !bytes.Contains(file, []byte(wantEnd)) {
		t.Fatalf("deletes did not leave the comment of the connectors table and slack's:\n%s", file[len(host):])
	}

	// The file reads as the connectors it should hold.
	fresh, err := NewFileStore(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := fresh.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wantAll := map[string]Config{"slack": {
		"mode":          "socket",
		"botToken":      "xoxb-1-2-3",
		"appToken":      "xapp-1-A1-2-3",
		"signingSecret": "8f14e45fceea167a",
	}}
	if diff := cmp.Diff(wantAll, all); diff != "" {
		t.Fatalf("connectors after the edits (-want +got):\n%s", diff)
	}
}

// sectionOf returns the bytes of connector name's section in a TOML file:
// from the comment lines directly above its header, and the blank line
// above those, to the next header that is not under it, or the end. The
// header is the last line that reads as it: the host's part of
// commentedHostFile has lines like it in multi-line strings.
func sectionOf(t *testing.T, file []byte, name string) (lo, hi int) {
	t.Helper()
	key := name
	if strings.ContainsAny(name, "/ .") {
		key = `"` + name + `"`
	}
	header := []byte("\n[connectors." + key + "]\n")
	i := bytes.LastIndex(file, header)
	if i < 0 {
		t.Fatalf("no section %s in:\n%s", header, file)
	}
	lo = i + 1
	for lo > 0 {
		prev := bytes.LastIndexByte(file[:lo-1], '\n') + 1
		if line := file[prev:lo]; !bytes.HasPrefix(line, []byte("#")) && len(bytes.TrimSpace(line)) > 0 {
			break
		}
		blank := len(bytes.TrimSpace(file[prev:lo])) == 0
		lo = prev
		if blank {
			break
		}
	}
	hi = len(file)
	under := [][]byte{[]byte("[connectors." + key + "."), []byte("[[connectors." + key + ".")}
	for pos := i + len(header); pos < len(file); {
		end := bytes.IndexByte(file[pos:], '\n')
		if end < 0 {
			break
		}
		line := file[pos : pos+end+1]
		if bytes.HasPrefix(line, []byte("[")) && !bytes.HasPrefix(line, under[0]) && !bytes.HasPrefix(line, under[1]) {
			hi = pos
			break
		}
		pos += end + 1
	}
	return lo, hi
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// commonSuffix returns how many bytes a and b share at their ends, no
// more than the shorter of them holds after their common prefix.
func commonSuffix(a, b []byte) int {
	p := commonPrefix(a, b)
	n := 0
	for n < len(a)-p && n < len(b)-p && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}
