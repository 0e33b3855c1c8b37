package tomledit

import (
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
