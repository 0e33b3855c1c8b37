package connectors

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFileStoreWritesFileItReadsThroughRelativeSymlinkInLinkedDir: a
// store on a path that is a relative symlink climbing out of its
// directory ("../shared/agent.toml"), in a directory that is itself
// reached through a symlink (a dotfiles layout, as GNU stow makes:
// ~/.config/agent -> ../dotfiles/agent), writes the file it reads: the one
// the system resolves the path to, with ".." taken in the link's real
// directory. A Put is seen by the next Get, changes that file, and makes
// no other file or directory.
func TestFileStoreWritesFileItReadsThroughRelativeSymlinkInLinkedDir(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "dotfiles", "shared", "agent.toml")
	for _, dir := range []string{filepath.Join(root, "dotfiles", "agent"), filepath.Dir(file), filepath.Join(root, "config")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	writeConfigFile(t, file, "[connectors.a]\ntoken = \"1\"\n", 0o600)
	// root/config/agent -> ../dotfiles/agent; in it, agent.toml ->
	// ../shared/agent.toml, which the system takes from root/dotfiles/agent.
	if err := os.Symlink(filepath.Join("..", "dotfiles", "agent"), filepath.Join(root, "config", "agent")); err != nil {
		t.Skipf("cannot make a symlink: %v", err)
	}
	if err := os.Symlink(filepath.Join("..", "shared", "agent.toml"), filepath.Join(root, "dotfiles", "agent", "agent.toml")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "config", "agent", "agent.toml")
	if got := string(readConfigFile(t, path)); got != "[connectors.a]\ntoken = \"1\"\n" {
		t.Fatalf("the path does not lead to the file the test made: %q", got)
	}
	s := openFileStore(t, path)
	defer s.Close()
	ctx := t.Context()
	if err := s.Put(ctx, "b", Config{"token": "2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "b"); err != nil {
		t.Errorf("Get after an acknowledged Put: %v", err)
	}
	if _, err := openFileStore(t, file).Get(ctx, "b"); err != nil {
		t.Errorf("the file the path resolves to does not hold the Put: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "config", "shared")); err == nil {
		t.Errorf("the Put made %s, a directory the path does not lead to", filepath.Join(root, "config", "shared"))
	}
}
