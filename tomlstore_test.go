// This file holds tests of FileStore on TOML files: writes of many
// connectors at once, and the comments a delete takes with it.

package connectors

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFileStoreManyChangesKeepsOtherBytes: an Update of more connectors
// than are edited one by one leaves the bytes of the connectors it does
// not change as they were (comments, quoting, number formats, values that
// only the TOML decoder makes: an array of tables, a local date), and
// reads them back so.
func TestFileStoreManyChangesKeepsOtherBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	kept := "# Telegram: from @BotFather\n[connectors.telegram]\nbotToken = '123:ABC'  # keep this comment\nport = 0x1F90\n\n" +
		"[[connectors.x.accounts]]\nid = 1\n\n[connectors.y]\nday = 1979-05-27\n"
	host := "# host\n[model]\nname = 'm'\n\n"
	writeConfigFile(t, path, host+kept+"\n[connectors.old]\nv = 1\n", 0o600)
	s := openFileStore(t, path)
	err := s.Update(t.Context(), func(m map[string]Config) error {
		delete(m, "old")
		for i := range manyChanges + 1 {
			m[fmt.Sprintf("c%02d", i)] = Config{"i": int64(i)}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	data := string(readConfigFile(t, path))
	if !strings.HasPrefix(data, host+kept+"\n[connectors.c00]\ni = 0\n") || strings.Contains(data, "old") || !strings.Contains(data, "[connectors.c16]\ni = 16\n") {
		t.Errorf("file after the update:\n%s", data)
	}
	got, err := openFileStore(t, path).Get(t.Context(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Config{"accounts": []any{map[string]any{"id": int64(1)}}}, got); diff != "" {
		t.Errorf("x after the update (-want +got):\n%s", diff)
	}
}

// TestFileStoreDeleteTakesItsComment: a delete takes the comment lines
// directly above the connector's header, and no comment separated from
// it by a blank line, such as the file's own header comment above the
// first connector.
func TestFileStoreDeleteTakesItsComment(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{
			name: "file comment, blank line, first connector",
			src:  "# Agent config, edited by hand.\n\n[connectors.a]\nv = 1\n\n[connectors.b]\nv = 2\n",
			want: "# Agent config, edited by hand.\n\n[connectors.b]\nv = 2\n",
		},
		{
			name: "file comment, blank line, the connector's own comment",
			src:  "# Agent config, edited by hand.\n\n# The first bot.\n[connectors.a]\nv = 1\n\n[connectors.b]\nv = 2\n",
			want: "# Agent config, edited by hand.\n\n[connectors.b]\nv = 2\n",
		},
		{
			name: "file comment, blank line, the only connector",
			src:  "# Agent config, edited by hand.\n\n[connectors.a]\nv = 1\n",
			want: "# Agent config, edited by hand.\n",
		},
		{
			name: "a comment directly above is the connector's",
			src:  "# The first bot.\n[connectors.a]\nv = 1\n\n[connectors.b]\nv = 2\n",
			want: "[connectors.b]\nv = 2\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "agent.toml")
			writeConfigFile(t, path, tt.src, 0o600)
			if err := openFileStore(t, path).Delete(t.Context(), "a"); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(readConfigFile(t, path))); diff != "" {
				t.Errorf("file after the delete (-want +got):\n%s", diff)
			}
		})
	}
}
