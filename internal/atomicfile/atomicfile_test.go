package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
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
			if err := WriteFile(target, []byte("x = 1\n"), 0o600, Options{}); err != nil {
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

// TestWriteFileStampsBelowLaterChanges: the file WriteFile puts in place
// is the one placing was told of, and its modification time is below the
// time the system gives a change made right after it, however soon, so
// that a reader comparing stats sees that change.
func TestWriteFileStampsBelowLaterChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	for i := range 20 {
		var placed fs.FileInfo
		var stamped bool
		err := WriteFile(path, []byte("x = 1\n"), 0o600, Options{Stamp: true, Placing: func(fi fs.FileInfo, s bool) error {
			placed, stamped = fi, s
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		if !stamped {
			if runtime.GOOS == "linux" {
				t.Fatal("the file's modification time was not set below the system's stamp")
			}
			t.Skip("this file system does not keep the time set")
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if !os.SameFile(fi, placed) || fi.Size() != placed.Size() || !fi.ModTime().Equal(placed.ModTime()) {
			t.Fatalf("write %d: the file in place is not the one placing was told of", i)
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.WriteAt([]byte("2"), 4)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		after, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if !after.ModTime().After(placed.ModTime()) {
			t.Fatalf("write %d: a change right after the write left the modification time at %v, not after %v", i, after.ModTime(), placed.ModTime())
		}
	}
}
