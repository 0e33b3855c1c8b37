package connectors

import (
	"encoding/json"
	"fmt"
	"net/http"
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
		if etag(revision(data)) == tag {
			t.Fatalf("the ETag %s of a redacted response gives away the password: %q (stored %q)", tag, guess, secret)
		}
	}
}
