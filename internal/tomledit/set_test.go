package tomledit

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// TestSet pins the bytes Set writes for each shape a table can have in a
// document: adding, replacing and removing an entry.
func TestSet(t *testing.T) {
	tg := map[string]any{"botToken": "y"}
	tests := []struct {
		name  string
		src   string
		table string // "connectors" if empty
		entry string
		cfg   map[string]any
		want  string
	}{
		{
			name:  "add to an empty document",
			src:   "",
			entry: "telegram",
			cfg:   map[string]any{"botToken": "x"},
			want:  "[connectors.telegram]\nbotToken = \"x\"\n",
		},
		{
			name:  "add after a last line without a line break",
			src:   `name = "agent"`,
			entry: "telegram",
			cfg:   map[string]any{"botToken": "x"},
			want:  "name = \"agent\"\n\n[connectors.telegram]\nbotToken = \"x\"", // and still none at the end
		},
		{
			name: "add after the last section, before commented-out examples",
			src: `model = "large"

[connectors.telegram]
botToken = "a"

# [connectors.discord]
# token = ""
`,
			entry: "slack",
			cfg:   map[string]any{"token": "s"},
			want: `model = "large"

[connectors.telegram]
botToken = "a"

[connectors.slack]
token = "s"

# [connectors.discord]
# token = ""
`,
		},
		{
			// In the document's style: no blank lines between sections.
			name: "add before a table that follows without a blank line",
			src: `[connectors.telegram]
botToken = "a"
[agent]
name = "x"
`,
			entry: "slack",
			cfg:   map[string]any{"token": "s"},
			want: `[connectors.telegram]
botToken = "a"
[connectors.slack]
token = "s"
[agent]
name = "x"
`,
		},
		{
			name:  "add every kind of value",
			src:   "",
			entry: "team/bot",
			cfg: map[string]any{
				"s":          "q\"\\\n\t\x01é",
				"i":          int64(-8080),
				"f":          1.0,
				"g":          0.25,
				"big":        1e300,
				"b":          true,
				"list":       []any{"a", int64(1), 2.0, []any{}},
				"empty":      []any{},
				"with space": int64(1),
				"sub":        map[string]any{"k": "v", "deeper": map[string]any{}},
				"accounts":   []any{map[string]any{"id": "a"}, map[string]any{"id": "b", "opts": map[string]any{"x": false}}},
				"mixed":      []any{map[string]any{"id": "a"}, "b"},
			},
			want: `[connectors."team/bot"]
b = true
big = 1e+300
empty = []
f = 1.0
g = 0.25
i = -8080
list = ["a", 1, 2.0, []]
mixed = [{ id = "a" }, "b"]
s = "q\"\\\n\t\u0001é"
"with space" = 1

[[connectors."team/bot".accounts]]
id = "a"

[[connectors."team/bot".accounts]]
id = "b"

[connectors."team/bot".accounts.opts]
x = false

[connectors."team/bot".sub]
k = "v"

[connectors."team/bot".sub.deeper]
`,
		},
		{
			name: "replace keeps unchanged keys, their formats and comments",
			src: `# Telegram bot
[connectors.telegram]
botToken = 'literal' # from BotFather
# the port
port = 0x1F90
# allowed users
allowFrom = [ "a" ]
ratio = 1.5
`,
			entry: "telegram",
			cfg:   map[string]any{"botToken": "literal", "port": int64(8080), "allowFrom": []any{"a", "b"}, "mode": "polling"},
			want: `# Telegram bot
[connectors.telegram]
botToken = 'literal' # from BotFather
# the port
port = 0x1F90
# allowed users
allowFrom = ["a", "b"]
mode = "polling"
`,
		},
		{
			name: "replace removes a key with the comment lines above it",
			src: `[connectors.telegram]
botToken = "x"

# the port
# (default 8080)
port = 1
mode = "m"
`,
			entry: "telegram",
			cfg:   map[string]any{"botToken": "x", "mode": "m"},
			want: `[connectors.telegram]
botToken = "x"

mode = "m"
`,
		},
		{
			name: "replace a float with an integer and a string with a table",
			src: `[connectors.telegram]
ratio = 1.0 # kept as a float until changed
owner = "me"
`,
			entry: "telegram",
			cfg:   map[string]any{"ratio": int64(1), "owner": map[string]any{"id": "me"}},
			want: `[connectors.telegram]
ratio = 1 # kept as a float until changed
owner = { id = "me" }
`,
		},
		{
			name: "replace a sub-table elsewhere in the file",
			src: `[connectors.telegram]
botToken = "a"

[agent]
name = "x"

# webhook
[connectors.telegram.webhook]
url = "https://a" # public
`,
			entry: "telegram",
			cfg:   map[string]any{"botToken": "a", "webhook": map[string]any{"url": "https://b"}},
			want: `[connectors.telegram]
botToken = "a"

[agent]
name = "x"

# webhook
[connectors.telegram.webhook]
url = "https://b" # public
`,
		},
		{
			name: "replace removes a sub-table elsewhere in the file",
			src: `[connectors.telegram]
botToken = "a"

[agent]
name = "x"

# webhook
[connectors.telegram.webhook]
url = "https://a"
`,
			entry: "telegram",
			cfg:   map[string]any{"botToken": "a"},
			want: `[connectors.telegram]
botToken = "a"

[agent]
name = "x"
`,
		},
		{
			name: "replace adds a sub-table after the section",
			src: `[connectors.telegram]
botToken = "a"
[agent]
name = "x"
`,
			entry: "telegram",
			cfg:   map[string]any{"botToken": "a", "dm": true, "webhook": map[string]any{"url": "u"}},
			want: `[connectors.telegram]
botToken = "a"
dm = true
[connectors.telegram.webhook]
url = "u"
[agent]
name = "x"
`,
		},
		{
			// Element by element: the first, unchanged, keeps its bytes.
			name: "replace an array of tables",
			src: `[connectors.telegram]
botToken = "a"

[[connectors.telegram.accounts]]
id = "1" # first

[[connectors.telegram.accounts]]
id = "2"

[agent]
x = 1
`,
			entry: "telegram",
			cfg:   map[string]any{"botToken": "a", "accounts": []any{map[string]any{"id": "1"}, map[string]any{"id": "3"}}},
			want: `[connectors.telegram]
botToken = "a"

[[connectors.telegram.accounts]]
id = "1" # first

[[connectors.telegram.accounts]]
id = "3"

[agent]
x = 1
`,
		},
		{
			name: "replace an entry written as sub-tables only",
			src: `[connectors.telegram.webhook]
url = "u"

[agent]
x = 1
`,
			entry: "telegram",
			cfg:   map[string]any{"botToken": "t", "webhook": map[string]any{"url": "u"}},
			want: `[connectors.telegram]
botToken = "t"

[connectors.telegram.webhook]
url = "u"

[agent]
x = 1
`,
		},
		{
			name: "remove with the comment block above, not the example after a blank line",
			src: `model = "large"

# [connectors.discord]
# token = ""

# Telegram bot
# (from BotFather)
[connectors.telegram]
botToken = "a"

[connectors.telegram.webhook]
url = "u"

# Slack
[connectors.slack]
token = "s"
`,
			entry: "telegram",
			want: `model = "large"

# [connectors.discord]
# token = ""

# Slack
[connectors.slack]
token = "s"
`,
		},
		{
			name:  "remove the last section",
			src:   "a = 1\n\n[connectors.telegram]\nbotToken = \"a\"\n",
			entry: "telegram",
			want:  "a = 1\n",
		},
		{
			name:  "remove the first section",
			src:   "[connectors.telegram]\nbotToken = \"a\"\n\n[agent]\nx = 1\n",
			entry: "telegram",
			want:  "[agent]\nx = 1\n",
		},
		{
			name:  "remove an absent entry",
			src:   "# nothing\n[connectors.telegram]\nbotToken = \"a\"\n",
			entry: "discord",
			want:  "# nothing\n[connectors.telegram]\nbotToken = \"a\"\n",
		},
		{
			name:  "write back an unchanged entry",
			src:   "[connectors.telegram]\nbotToken = 'a'   # same\nport = 0o17\n",
			entry: "telegram",
			cfg:   map[string]any{"botToken": "a", "port": int64(15)},
			want:  "[connectors.telegram]\nbotToken = 'a'   # same\nport = 0o17\n",
		},
		{
			name:  "inline table at the top level: replace",
			src:   "connectors = { telegram = { botToken = \"x\" } } # all\n\n[agent]\nname = \"a\"\n",
			entry: "telegram",
			cfg:   tg,
			want:  "connectors = { telegram = { botToken = \"y\" } } # all\n\n[agent]\nname = \"a\"\n",
		},
		{
			name:  "inline table at the top level: add",
			src:   "connectors = {telegram = {botToken = \"x\"}}\n[agent]\nname = \"a\"\n",
			entry: "discord",
			cfg:   map[string]any{"token": "d"},
			want:  "connectors = { discord = { token = \"d\" }, telegram = { botToken = \"x\" } }\n[agent]\nname = \"a\"\n",
		},
		{
			name:  "inline table at the top level: remove",
			src:   "connectors = {telegram = {botToken = \"x\"}}\n[agent]\nname = \"a\"\n",
			entry: "telegram",
			want:  "connectors = {}\n[agent]\nname = \"a\"\n",
		},
		{
			name: "dotted keys at the top level: replace",
			src: `# connectors
connectors.telegram.botToken = "x"
connectors.telegram.port = 1 # port
model = "large"

[agent]
name = "a"
`,
			entry: "telegram",
			cfg:   map[string]any{"botToken": "y", "port": int64(1), "mode": "m"},
			want: `# connectors
connectors.telegram.botToken = "y"
connectors.telegram.port = 1 # port
connectors.telegram.mode = "m"
model = "large"

[agent]
name = "a"
`,
		},
		{
			name: "dotted keys at the top level: remove",
			src: `# connectors
connectors.telegram.botToken = "x"
connectors.discord.token = "d"
connectors.telegram.port = 1 # port
model = "large"
`,
			entry: "telegram",
			want: `connectors.discord.token = "d"
model = "large"
`,
		},
		{
			name:  "dotted keys at the top level: add",
			src:   "connectors.telegram.botToken = \"x\"\n\n[agent]\nname = \"a\"\n",
			entry: "slack",
			cfg:   map[string]any{"token": "s"},
			want:  "connectors.telegram.botToken = \"x\"\n\n[agent]\nname = \"a\"\n\n[connectors.slack]\ntoken = \"s\"\n",
		},
		{
			name: "inline entries under [connectors]: replace",
			src: `[connectors]
telegram = { botToken = "x" } # inline
discord = { token = "d" }

[agent]
name = "a"
`,
			entry: "telegram",
			cfg:   tg,
			want: `[connectors]
telegram = { botToken = "y" } # inline
discord = { token = "d" }

[agent]
name = "a"
`,
		},
		{
			name: "inline entries under [connectors]: add",
			src: `[connectors]
telegram = { botToken = "x" }

[agent]
name = "a"
`,
			entry: "slack",
			cfg:   map[string]any{"token": "s"},
			want: `[connectors]
telegram = { botToken = "x" }

[connectors.slack]
token = "s"

[agent]
name = "a"
`,
		},
		{
			name: "inline entries under [connectors]: remove",
			src: `[connectors]
# the bot
telegram = { botToken = "x" } # inline
discord = { token = "d" }
`,
			entry: "telegram",
			want: `[connectors]
discord = { token = "d" }
`,
		},
		{
			name: "dotted entries under [connectors]: replace",
			src: `[connectors]
telegram.botToken = "x"
telegram.webhook.url = "u"
discord.token = "d"
`,
			entry: "telegram",
			cfg:   map[string]any{"botToken": "x", "webhook": map[string]any{"url": "v", "secret": "s"}},
			want: `[connectors]
telegram.botToken = "x"
telegram.webhook.url = "v"
telegram.webhook.secret = "s"
discord.token = "d"
`,
		},
		{
			name: "dotted entries under [connectors]: remove",
			src: `[connectors]
telegram.botToken = "x"
discord.token = "d"
telegram.webhook.url = "u"
`,
			entry: "telegram",
			want: `[connectors]
discord.token = "d"
`,
		},
		{
			name: "dotted entry under [connectors] with a sub-table elsewhere",
			src: `[connectors]
telegram.botToken = "x"

[agent]
name = "a"

[connectors.telegram.webhook]
url = "u"
`,
			entry: "telegram",
			cfg:   map[string]any{"botToken": "x", "webhook": map[string]any{"url": "v"}},
			want: `[connectors]
telegram.botToken = "x"

[agent]
name = "a"

[connectors.telegram.webhook]
url = "v"
`,
		},
		{
			name: "tables in any order: replace",
			src: `[connectors.telegram.webhook]
url = "u"

[connectors]
discord = { token = "d" }

[agent]
name = "a"

[connectors.telegram]
botToken = "x"
`,
			entry: "telegram",
			cfg:   map[string]any{"botToken": "y", "webhook": map[string]any{"url": "u"}},
			want: `[connectors.telegram.webhook]
url = "u"

[connectors]
discord = { token = "d" }

[agent]
name = "a"

[connectors.telegram]
botToken = "y"
`,
		},
		{
			name: "tables in any order: add",
			src: `[connectors.telegram]
botToken = "x"

[connectors]
discord = { token = "d" }

[agent]
name = "a"
`,
			entry: "slack",
			cfg:   map[string]any{"token": "s"},
			want: `[connectors.telegram]
botToken = "x"

[connectors]
discord = { token = "d" }

[connectors.slack]
token = "s"

[agent]
name = "a"
`,
		},
		{
			name: "tables in any order: remove",
			src: `[connectors.telegram.webhook]
url = "u"

[connectors]
discord = { token = "d" }

[agent]
name = "a"

[connectors.telegram]
botToken = "x"
`,
			entry: "telegram",
			want: `[connectors]
discord = { token = "d" }

[agent]
name = "a"
`,
		},
		{
			name:  "CRLF: add",
			src:   crlf("# host\nname = \"a\"\n"),
			entry: "telegram",
			cfg:   map[string]any{"botToken": "x", "webhook": map[string]any{"url": "u"}},
			want:  crlf("# host\nname = \"a\"\n\n[connectors.telegram]\nbotToken = \"x\"\n\n[connectors.telegram.webhook]\nurl = \"u\"\n"),
		},
		{
			name:  "CRLF: replace",
			src:   crlf("[connectors.telegram]\nbotToken = \"x\" # t\n[agent]\nname = \"a\"\n"),
			entry: "telegram",
			cfg:   map[string]any{"botToken": "y", "dm": true},
			want:  crlf("[connectors.telegram]\nbotToken = \"y\" # t\ndm = true\n[agent]\nname = \"a\"\n"),
		},
		{
			name:  "CRLF: remove",
			src:   crlf("a = 1\n\n# bot\n[connectors.telegram]\nbotToken = \"x\"\n\n[agent]\nname = \"a\"\n"),
			entry: "telegram",
			want:  crlf("a = 1\n\n[agent]\nname = \"a\"\n"),
		},
		{
			name:  "byte-order mark: add",
			src:   "\ufeffname = \"a\"\n",
			entry: "telegram",
			cfg:   tg,
			want:  "\ufeffname = \"a\"\n\n[connectors.telegram]\nbotToken = \"y\"\n",
		},
		{
			name:  "byte-order mark: add to a document with nothing else",
			src:   "\ufeff",
			entry: "telegram",
			cfg:   tg,
			want:  "\ufeff[connectors.telegram]\nbotToken = \"y\"\n",
		},
		{
			name:  "byte-order mark: remove the first section",
			src:   "\ufeff# bot\n[connectors.telegram]\nbotToken = \"x\"\n\n[agent]\nname = \"a\"\n",
			entry: "telegram",
			want:  "\ufeff[agent]\nname = \"a\"\n",
		},
		{
			name: "multi-line strings that look like tables",
			src: `prompt = """
[connectors.fake]
token = "not a key"
"""
notes = '''
# [connectors.telegram]
'''
[connectors.telegram]
botToken = "x"
`,
			entry: "fake",
			cfg:   map[string]any{"token": "t"},
			want: `prompt = """
[connectors.fake]
token = "not a key"
"""
notes = '''
# [connectors.telegram]
'''
[connectors.telegram]
botToken = "x"

[connectors.fake]
token = "t"
`,
		},
		{
			name: "remove after a multi-line string whose last line looks like a comment",
			src: `notes = '''
# looks like a comment'''
[connectors.telegram]
botToken = "x"
[agent]
x = 1
`,
			entry: "telegram",
			want: `notes = '''
# looks like a comment'''
[agent]
x = 1
`,
		},
		{
			name: "multi-line strings inside the entry",
			src: `[connectors.telegram]
greeting = """
[connectors.other]
hello"""
botToken = "x"
`,
			entry: "telegram",
			cfg:   map[string]any{"greeting": "[connectors.other]\nhello", "botToken": "y"},
			want: `[connectors.telegram]
greeting = """
[connectors.other]
hello"""
botToken = "y"
`,
		},
		{
			name: "legacy channels table: remove",
			src: `# old layout
[channels.telegram]
botToken = "old"

[connectors.discord]
token = "d"
`,
			table: "channels",
			entry: "telegram",
			want: `[connectors.discord]
token = "d"
`,
		},
		{
			name: "legacy channels table is left alone by a connectors edit",
			src: `[channels.telegram]
botToken = "old" # keep

[connectors.telegram]
botToken = "x"
`,
			entry: "telegram",
			want: `[channels.telegram]
botToken = "old" # keep
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := tt.table
			if table == "" {
				table = "connectors"
			}
			got := mustSet(t, []byte(tt.src), table, tt.entry, tt.cfg)
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("Set (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSetErrors checks that Set refuses what it cannot do, and that its
// messages quote nothing from the document or the config, which hold
// secrets.
func TestSetErrors(t *testing.T) {
	const secret = "SECRET-123"
	tests := []struct {
		name string
		src  string
		cfg  map[string]any
		want string // in the message
	}{
		{"document does not parse", "a = 1\ntoken = \"" + secret + "\n", map[string]any{}, "line 2"},
		{"table is a value", "connectors = \"" + secret + "\"\n", map[string]any{}, "not a table"},
		{"table is an array of tables", "[[connectors]]\nx = \"" + secret + "\"\n", map[string]any{}, "not a table"},
		{"value outside the value model", "", map[string]any{"port": 8080}, "telegram.port: unsupported value of type int"},
		{"nil value", "", map[string]any{"a": []any{nil}}, "telegram.a[0]: unsupported value of type <nil>"},
		{"string not UTF-8", "", map[string]any{"token": secret + "\xff"}, "telegram.token: string is not valid UTF-8"},
		{"key not UTF-8", "", map[string]any{"\xff": secret}, "telegram: key is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Set([]byte(tt.src), "connectors", "telegram", tt.cfg)
			if err == nil {
				t.Fatalf("Set succeeded:\n%s", out)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q quotes the input", err)
			}
		})
	}
}

// TestCheckValues: the check of values alone accepts an edit that
// replaces values by texts that read alone as the values asked for, with
// the right value and positions carried, and declines every other edit.
func TestCheckValues(t *testing.T) {
	const src = "# c\n[connectors.a]\nx = 1 # one\ny = 'k'\n\n[connectors.a.sub]\nz = true\n[other]\nw = 0\n"
	cfg := map[string]any{"x": int64(2), "y": "k", "sub": map[string]any{"z": false}}
	at := func(s string) int { return strings.Index(src, s) }
	tests := []struct {
		name    string
		changes []change
		ok      bool
	}{
		{"two values", []change{{at("1 #"), at("1 #") + 1, []byte("2")}, {at("true"), at("true") + 4, []byte("false")}}, true},
		{"a wrong value", []change{{at("1 #"), at("1 #") + 1, []byte("3")}, {at("true"), at("true") + 4, []byte("false")}}, false},
		{"a string for a number", []change{{at("1 #"), at("1 #") + 1, []byte(`"2"`)}, {at("true"), at("true") + 4, []byte("false")}}, false},
		{"one change missing", []change{{at("1 #"), at("1 #") + 1, []byte("2")}}, false},
		{"more than a value", []change{{at("1 #"), at("1 #") + 1, []byte("2 z = 5")}, {at("true"), at("true") + 4, []byte("false")}}, false},
		{"a second line", []change{{at("1 #"), at("1 #") + 1, []byte("2\nq = 1")}, {at("true"), at("true") + 4, []byte("false")}}, false},
		{"not the whole value", []change{{at("1 #"), at("1 #"), []byte("2")}, {at("true"), at("true") + 4, []byte("false")}}, false},
		{"a key, not a value", []change{{at("x ="), at("x =") + 1, []byte("2")}, {at("true"), at("true") + 4, []byte("false")}}, false},
		{"outside the entry", []change{{at("0\n"), at("0\n") + 1, []byte("2")}}, false},
	}
	for _, tc := range tests {
		d, err := Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		j, err := newJob(d, "connectors", "a", cfg)
		if err != nil {
			t.Fatal(err)
		}
		ed := &editor{src: j.body, changes: tc.changes}
		out, err := ed.apply()
		if err != nil {
			t.Fatal(err)
		}
		got := j.checkValues(ed, out)
		if (got != nil) != tc.ok {
			t.Errorf("%s: checkValues accepted: %v, want %v", tc.name, got != nil, tc.ok)
			continue
		}
		if got != nil {
			checkCarried(t, got)
			checkDoc(t, []byte(src), got.Bytes(), "connectors", "a", cfg)
		}
	}
}

// TestAddThenRemoveGivesBackTheDocument: adding a connector and removing
// it again gives back the document byte for byte, also where it has no
// blank lines between sections, a comment under an empty [connectors]
// header, or a commented-out key at the end of the last connector: a new
// section gets a blank line before it only where one follows it, and
// remove takes back exactly that.
func TestAddThenRemoveGivesBackTheDocument(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{
			name: "sections without blank lines between them",
			src:  "[connectors.telegram]\nbotToken = \"x\"\n[agent]\nname = \"milo\"\n",
		},
		{
			name: "CRLF sections without blank lines between them",
			src:  "[connectors.telegram]\r\nbotToken = \"x\"\r\n[agent]\r\nname = \"milo\"\r\n",
		},
		{
			name: "a comment under an empty connectors header",
			src:  "[connectors]\n# added from the dashboard\n\n[agent]\nname = \"milo\"\n",
		},
		{
			name: "a commented-out key at the end of the last connector",
			src:  "[connectors.telegram]\nbotToken = \"x\"\n# port = 8443\n\n[agent]\nname = \"milo\"\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			added, err := Set([]byte(tt.src), "connectors", "slack", map[string]any{"botToken": "y"})
			if err != nil {
				t.Fatal(err)
			}
			back, err := Set(added, "connectors", "slack", nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.src, string(back)); diff != "" {
				t.Errorf("add then remove of slack (-before +after):\n%s\nin between:\n%s", diff, added)
			}
		})
	}
}

// TestChangeArrayOfTablesKeepsCommentsOfUnchangedElements: a change to an
// array of tables under a connector (a dashboard adding a Discord guild,
// or changing the second one) is made element by element, so the
// elements that did not change keep their comments, as the README
// promises for the keys of a replaced connector that still exist.
func TestChangeArrayOfTablesKeepsCommentsOfUnchangedElements(t *testing.T) {
	const src = `[connectors.discord]
token = "abc"

[[connectors.discord.guilds]] # the main server
id = "900000000000000000"
channels = ["general", "ops"]  # where the bot answers

[[connectors.discord.guilds]]
id = "900000000000000001"
`
	guild := func(id string, channels ...any) map[string]any {
		g := map[string]any{"id": id}
		if channels != nil {
			g["channels"] = channels
		}
		return g
	}
	tests := []struct {
		name   string
		guilds []any
	}{
		{"a guild added", []any{guild("900000000000000000", "general", "ops"), guild("900000000000000001"), guild("900000000000000002")}},
		{"the second guild changed", []any{guild("900000000000000000", "general", "ops"), guild("900000000000000009")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := map[string]any{"token": "abc", "guilds": tt.guilds}
			out, err := Set([]byte(src), "connectors", "discord", cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []string{"# the main server", "# where the bot answers"} {
				if !strings.Contains(string(out), c) {
					t.Errorf("the unchanged first guild lost its comment %q:\n%s", c, out)
				}
			}
		})
	}
}

// addThenRemove adds connector name with cfg to src, deletes it again,
// and reports when the result is not src byte for byte.
func addThenRemove(t *testing.T, src, name string, cfg map[string]any) {
	t.Helper()
	mid := mustSet(t, []byte(src), "connectors", name, cfg)
	back := mustSet(t, mid, "connectors", name, nil)
	if !bytes.Equal(back, []byte(src)) {
		t.Errorf("adding then deleting %q does not give back the original bytes:\nsrc  %q\nmid  %q\nback %q", name, src, mid, back)
	}
}

// TestAddThenRemoveWithoutFinalLineBreak: in a document that ends
// without a line break, a connector added and removed again gives back
// the bytes: the new section ends without one too, and its removal takes
// the line break before it.
func TestAddThenRemoveWithoutFinalLineBreak(t *testing.T) {
	cfg := map[string]any{"k": int64(1)}
	for _, src := range []string{
		"x = 1",
		"# only a comment",
		"[connectors.a]\nx = 1",
		"[connectors]",
		"[connectors.a]\r\nx = 1",
	} {
		addThenRemove(t, src, "b", cfg)
	}
}

// TestAddThenRemoveSubTablesInCompactDocument: in a document without
// blank lines between sections, a connector with sub-tables or arrays of
// tables goes in without blank lines between its sections either, so
// removing it gives back the bytes.
func TestAddThenRemoveSubTablesInCompactDocument(t *testing.T) {
	sub := map[string]any{"k": int64(1), "sub": map[string]any{"x": int64(1)}}
	arr := map[string]any{"acc": []any{map[string]any{"id": int64(1)}, map[string]any{"id": int64(2)}}}
	for _, src := range []string{
		"[connectors.a]\nx = 1\n[zhost]\nk = 1\n",
		"[connectors.a]\nx = 1\n# about zhost\n[zhost]\nk = 1\n",
		"[connectors]\na.x = 1\n[zhost]\n",
		"\ufeff[connectors.a]\r\nx = 1\r\n[z]\r\n",
	} {
		addThenRemove(t, src, "b", sub)
		addThenRemove(t, src, "b", arr)
	}
}

// TestSetTableAddThenRemoveInCompactDocument: the same for several
// connectors added by one SetTable, removed by SetTable or Set.
func TestSetTableAddThenRemoveInCompactDocument(t *testing.T) {
	src := []byte("[connectors.a]\nx = 1\n[zhost]\nk = 1\n")
	d, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	add := map[string]map[string]any{
		"n0": {"k": int64(0)},
		"n1": {"k": int64(1)},
	}
	mid, err := d.SetTable("connectors", add)
	if err != nil {
		t.Fatal(err)
	}
	back, err := mid.SetTable("connectors", map[string]map[string]any{"n0": nil, "n1": nil})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Bytes(), src) {
		t.Errorf("SetTable adding then removing does not give back the original bytes:\nsrc  %q\nmid  %q\nback %q", src, mid.Bytes(), back.Bytes())
	}
	cur := mid
	for _, name := range []string{"n0", "n1"} {
		if cur, err = cur.Set("connectors", name, nil); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(cur.Bytes(), src) {
		t.Errorf("SetTable adding then Set removing does not give back the original bytes:\nsrc  %q\nmid  %q\nback %q", src, mid.Bytes(), cur.Bytes())
	}
}

// TestSetFallsBackWhenChangesCollide: a precise edit whose changes
// collide (the removal of a section at the start of the document takes
// the blank line where a new section goes) falls back to writing the
// table again, rather than fail the write.
func TestSetFallsBackWhenChangesCollide(t *testing.T) {
	// Set: a connector written as a sub-table only, replaced by one with
	// another sub-table. Where another connector follows, the table
	// written again must take its section too: the precise edit read
	// the connector's sections alone.
	for _, src := range []string{
		"[connectors.a.s]\ny = 1\n\n[z]\n",
		"[connectors.a.s]\ny = 1\n\n",
		"[connectors.a.s]\ny = 1\n\n[connectors.b]\nk = 1\n",
	} {
		cfg := map[string]any{"t": map[string]any{"k": int64(1)}}
		if _, err := Set([]byte(src), "connectors", "a", cfg); err != nil {
			t.Errorf("Set(%q): %v", src, err)
		}
	}
	// SetTable: the first connector removed, another added.
	src := []byte("[connectors.a]\nx = 1\n\n[z]\n")
	d, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.SetTable("connectors", map[string]map[string]any{"a": nil, "b": {"k": int64(1)}}); err != nil {
		t.Errorf("SetTable on %q: %v", src, err)
	}
}
