package tomledit

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAddThenRemoveGivesBackTheDocument shows that adding a connector and
// removing it again leaves a blank line behind where the document had
// none: insertSection writes a blank line before the new section and one
// after it, and remove takes back only one of them. remove's own comment
// promises that "removing what insertSection added gives back the bytes
// from before", and the README that blank lines outside the connectors
// that changed stay byte for byte; a POST and a DELETE of one connector
// change the host's layout in a file written without blank lines between
// sections, or with a comment under an empty [connectors] header.
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

// TestChangeArrayOfTablesKeepsCommentsOfUnchangedElements shows that a
// change to an array of tables under a connector (a dashboard adding a
// Discord guild, or changing the second one) writes the whole array
// again and drops the comments of the elements that did not change: set
// merges maps key by key but rewrites any other value whole. The README
// promises that "a replaced TOML connector keeps the comments on its
// keys that still exist"; the first guild's keys still exist, with the
// same values.
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
