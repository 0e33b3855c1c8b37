package connectors

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// TestFileStoreLocalKeyRevisionNotKeptAfterReread: a store whose read
// could not get the shared revision key (another holds the guard file's
// lock for more than a moment) keys its revision with its own key and
// tries again for the shared one later. A read of the same bytes again
// (the file touched, or read again within its racy window) must keep
// that mark: else the store keeps its own revision for good, and its
// ETags differ from every other store's on the same content.
func TestFileStoreLocalKeyRevisionNotKeptAfterReread(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeConfigFile(t, path, "[connectors.a]\ntoken = \"1\"\n", 0o600)
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	// Another holds the lock of the guard file, which holds no key yet.
	other := flock.New(path + ".lock")
	if err := other.Lock(); err != nil {
		t.Fatal(err)
	}
	a := openFileStore(t, path)
	defer a.Close()
	if _, err := a.State(ctx); err != nil {
		t.Fatal(err)
	}
	other.Unlock()
	// The same bytes again, with another time (touched, or a save of the
	// same content): the store reads them again.
	older := old.Add(-time.Minute)
	if err := os.Chtimes(path, older, older); err != nil {
		t.Fatal(err)
	}
	if _, err := a.State(ctx); err != nil {
		t.Fatal(err)
	}
	// Another store makes the shared key.
	b := openFileStore(t, path)
	defer b.Close()
	sb, err := b.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Past the once-a-second limit on tries for the shared key.
	time.Sleep(1100 * time.Millisecond)
	for range 2 {
		sa, err := a.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sa.Revision != sb.Revision {
			t.Errorf("two stores on one unchanged file give revisions %q and %q, more than a second after the shared key was made", sa.Revision, sb.Revision)
		}
	}
}
