package connectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileStoreSeesOtherStoreWriteUnderReusedInodeInSameTick: a store
// sees, and its next write keeps, a write another store made just after
// its own, also when the file system gave the other store's file the
// inode number of the store's file (ext4 reuses a freed one at once, so
// two writes of the other store bring it back) and the same size, and
// the system stamped the other write within the same tick of its coarse
// clock as the store's own. Without multigrain timestamps (Linux before
// 6.13) a write is stamped with the clock's time at its last tick (every
// 4 ms at HZ=250, and three writes take about 1 ms here), and
// atomicfile.WriteFile sets every file it writes one nanosecond below
// that stamp, so the other store's file then has exactly the store's
// stat; the test gives it that time with Chtimes, as the existing
// same-tick tests do. The store trusts a stat equal to the one it wrote
// as "stamped", without comparing the bytes within the racy window: it
// reports its own write and its next write puts it back over the other
// store's, which is lost.
func TestFileStoreSeesOtherStoreWriteUnderReusedInodeInSameTick(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "agent.toml")
	a := openFileStore(t, path)
	defer a.Close()
	b := openFileStore(t, path)
	defer b.Close()
	for i := 0; ; i++ {
		if i == 10 {
			t.Skip("the file system never gave the other store's file the inode number of the store's")
		}
		if err := a.Put(ctx, "a", Config{"token": "from-a"}); err != nil {
			t.Fatal(err)
		}
		mine, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Put(ctx, "a", Config{"token": "from-1"}); err != nil {
			t.Fatal(err)
		}
		if err := b.Put(ctx, "a", Config{"token": "from-b"}); err != nil {
			t.Fatal(err)
		}
		theirs, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if !os.SameFile(mine, theirs) || mine.Size() != theirs.Size() {
			continue
		}
		// The time the system gives the other store's file when its
		// writes fall in the tick of the store's.
		if err := os.Chtimes(path, mine.ModTime(), mine.ModTime()); err != nil {
			t.Fatal(err)
		}
		break
	}
	got, err := a.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if got["token"] != "from-b" {
		t.Errorf("Get after another store's write in the same tick, under the same inode number: token %v, want from-b", got["token"])
	}
	if err := a.Put(ctx, "x", Config{"token": "x"}); err != nil {
		t.Fatal(err)
	}
	if data := string(readConfigFile(t, path)); !strings.Contains(data, "from-b") {
		t.Errorf("a Put after another store's write in the same tick, under the same inode number, wrote that write over:\n%s", data)
	}
}
