package connectors

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// TestETagDoesNotRevealWeakSecret shows that a FileStore's ETag is an
// oracle for its secrets. The tag is an unkeyed digest of the whole file
// (revision in filestore.go), and a file the store created holds nothing
// but what the API shows redacted, the secrets and the layout the
// library writes. So a client that may only ever see redacted configs
// can take the ETag of any response, try each candidate for a weak
// secret (here a BlueBubbles password of four digits) in a file laid out
// the same way, and find the one whose digest matches. revision's own
// comment says the digest "cannot be matched against guesses of the
// secrets alone"; that holds only while the file has a part the client
// cannot guess.
func TestETagDoesNotRevealWeakSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "connectors.toml")
	store, err := NewFileStore(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h := NewHandler(store, HandlerOptions{})
	const secret = "4821"
	rec := serveAPI(t, h, http.MethodPost, "/", "application/json",
		`{"name":"bluebubbles","config":{"serverUrl":"http://192.168.1.20:1234","password":"`+secret+`"}}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	tag := rec.Header().Get("Etag")

	// What the client saw: the redacted config and the tag.
	var seen struct{ Connectors map[string]Config }
	if err := json.Unmarshal(rec.Body.Bytes(), &seen); err != nil {
		t.Fatal(err)
	}
	for pin := range 10000 {
		guess := fmt.Sprintf("%04d", pin)
		cfg := CloneConfig(seen.Connectors["bluebubbles"])
		cfg["password"] = guess
		data, _, err := tomlCodec{}.set(nil, nil, "connectors", "bluebubbles", cfg)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data) // the digest the revision was
		if etag(base64.RawURLEncoding.EncodeToString(sum[:18])) == tag {
			t.Fatalf("the ETag %s of a redacted response gives away the password: %q (stored %q)", tag, guess, secret)
		}
	}
}

// TestFileStoreRevisionKeySharedThroughGuardFile: every store on a file
// agrees on its revision once a store has written it, through the key
// the first write puts in the guard file; a guard file removed takes its
// key with it, and the stores agree again after the next write.
func TestFileStoreRevisionKeySharedThroughGuardFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.toml")
	a, b := openFileStore(t, path), openFileStore(t, path)
	ctx := t.Context()
	agree := func(step string) {
		t.Helper()
		sa, err := a.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sb, err := b.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sa.Revision != sb.Revision {
			t.Errorf("%s: the stores give revisions %q and %q for one file", step, sa.Revision, sb.Revision)
		}
	}
	putConfig(t, a, "a", Config{"token": "1"})
	agree("after the first write")
	if err := os.Remove(path + ".lock"); err != nil {
		t.Fatal(err)
	}
	putConfig(t, b, "b", Config{"token": "2"})
	agree("after a write under a new guard file")
	putConfig(t, a, "c", Config{"token": "3"})
	agree("after a write by the store that read the old key")
	if fresh, err := openFileStore(t, path).State(ctx); err != nil {
		t.Fatal(err)
	} else if now, _ := a.State(ctx); fresh.Revision != now.Revision {
		t.Errorf("a store opened after the writes gives revision %q, the others %q", fresh.Revision, now.Revision)
	}
}
