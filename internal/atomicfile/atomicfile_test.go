package atomicfile

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestRemoveTemps: the temporary files of the file, and only those, are
// removed, whatever characters its name holds: a name is never read as a
// pattern.
func TestRemoveTemps(t *testing.T) {
	for _, base := range []string{"agent.toml", "agent[prod].toml", "a*.toml", "a?.json", `a\b.toml`} {
		t.Run(base, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, base)
			if err := WriteFile(target, []byte("x = 1\n"), 0o600, nil); err != nil {
				t.Skipf("this file system takes no such name: %v", err)
			}
			mine, err := os.CreateTemp(dir, TempPattern(target))
			if err != nil {
				t.Fatal(err)
			}
			mine.Close()
			others := []string{
				"." + base + ".tmp-",           // no digits: not CreateTemp's
				"." + base + ".tmp-12x",        // not digits
				"." + base + ".tmp-1.tmp-2",    // a temporary file of base+".tmp-1"
				".abc.toml.tmp-123",            // another file's
				base + ".tmp-123",              // no leading dot
				"." + base + ".lock.tmp-12345", // the lock file's
			}
			for _, name := range others {
				if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			RemoveTemps(target)
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			want := append([]string{base}, others...)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("after RemoveTemps: %q, want %q (only %s removed)", got, want, filepath.Base(mine.Name()))
			}
		})
	}
}
