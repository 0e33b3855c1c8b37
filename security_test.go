package connectors

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// do sends one request to h and returns the recorded response.
func do(t *testing.T, h http.Handler, method, target, body string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRestore(t *testing.T) {
	stored := Config{
		"botToken": "123456:ABC-DEF",
		"port":     int64(8443),
		"accounts": []any{
			map[string]any{"name": "a", "token": "tok-a"},
			map[string]any{"name": "b", "token": "tok-b", "pin": int64(1234)},
		},
		"credentials": map[string]any{"user": "u", "keys": []any{"k1", "k2"}},
	}
	tests := []struct {
		name    string
		sent    Config
		want    Config
		wantErr string // a fragment of the error, "" for none
	}{
		{
			name: "masks keep stored values, other fields change",
			sent: Config{
				"botToken": "****:****",
				"port":     int64(9000),
				"accounts": []any{
					map[string]any{"name": "a", "token": "****"},
					map[string]any{"name": "b", "token": "[REDACTED]"},
				},
				"credentials": map[string]any{"user": "****", "keys": []any{"****", "new"}},
			},
			want: Config{
				"botToken": "123456:ABC-DEF",
				"port":     int64(9000),
				"accounts": []any{
					map[string]any{"name": "a", "token": "tok-a"},
					map[string]any{"name": "b", "token": "tok-b"},
				},
				"credentials": map[string]any{"user": "u", "keys": []any{"k1", "new"}},
			},
		},
		{
			name: "a mask count that differs from the stored one still keeps it",
			sent: Config{"botToken": "****"},
			want: Config{"botToken": "123456:ABC-DEF"},
		},
		{
			name: "a new secret replaces the stored one",
			sent: Config{"botToken": "999:XYZ"},
			want: Config{"botToken": "999:XYZ"},
		},
		{
			name: "a mask under a key that is not sensitive is data",
			sent: Config{"greeting": "****"},
			want: Config{"greeting": "****"},
		},
		{
			name: "empty string is not a mask",
			sent: Config{"botToken": ""},
			want: Config{"botToken": ""},
		},
		{
			name:    "mask with nothing stored at its path",
			sent:    Config{"apiKey": "****"},
			wantErr: "config.apiKey",
		},
		{
			name:    "mask past the end of a stored array",
			sent:    Config{"accounts": []any{map[string]any{}, map[string]any{}, map[string]any{"token": "****"}}},
			wantErr: "config.accounts[2].token",
		},
		{
			name: "masked number under a sensitive key",
			sent: Config{"accounts": []any{map[string]any{}, map[string]any{"name": "b", "pin": "****"}}},
			want: Config{"accounts": []any{map[string]any{}, map[string]any{"name": "b", "pin": int64(1234)}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Policy{Keys: []string{"pin"}}
			got, err := p.Restore(tt.sent, stored)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Restore error = %v, want ErrInvalidConfig naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Restore (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("nothing stored", func(t *testing.T) {
		if _, err := Restore(Config{"token": "****"}, nil); !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("Restore with nothing stored = %v, want ErrInvalidConfig", err)
		}
	})
	t.Run("result shares nothing with the stored config", func(t *testing.T) {
		got, err := Restore(Config{"credentials": "****"}, stored)
		if err != nil {
			t.Fatal(err)
		}
		got["credentials"].(map[string]any)["user"] = "changed"
		if stored["credentials"].(map[string]any)["user"] != "u" {
			t.Fatal("changing Restore's result changed the stored config")
		}
	})
}

// TestWriteBack is the dashboard round trip: GET, change one field, POST
// the redacted config back. The token must survive.
func TestWriteBack(t *testing.T) {
	for _, s := range handlerStores(t) {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			secret := Config{"botToken": "123456:ABC-DEF", "allowFrom": []any{"@alice"},
				"accounts": []any{map[string]any{"name": "x", "apiKey": "k-1"}}}
			if err := s.store.Put(ctx, "telegram", secret); err != nil {
				t.Fatal(err)
			}
			h := NewHandler(s.store, HandlerOptions{})
			rec := do(t, h, "GET", "/telegram", "", nil)
			var got struct {
				Config Config `json:"config"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			got.Config["allowFrom"] = []any{"@alice", "@bob"}
			body, _ := json.Marshal(map[string]any{"name": "telegram", "config": got.Config})
			if rec := do(t, h, "POST", "/", string(body), nil); rec.Code != http.StatusOK {
				t.Fatalf("POST back: %d %s", rec.Code, rec.Body)
			}
			stored, err := s.store.Get(ctx, "telegram")
			if err != nil {
				t.Fatal(err)
			}
			want := Config{"botToken": "123456:ABC-DEF", "allowFrom": []any{"@alice", "@bob"},
				"accounts": []any{map[string]any{"name": "x", "apiKey": "k-1"}}}
			if diff := cmp.Diff(want, stored); diff != "" {
				t.Errorf("stored after write-back (-want +got):\n%s", diff)
			}

			// A mask where nothing is stored is refused and stores nothing.
			rec = do(t, h, "POST", "/", `{"name":"discord","config":{"token":"****"}}`, nil)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "config.token") {
				t.Fatalf("POST of a bare mask: %d %s, want 400 naming config.token", rec.Code, rec.Body)
			}
			if _, err := s.store.Get(ctx, "discord"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("after a refused POST, Get = %v, want ErrNotFound", err)
			}
		})
	}
}

// handlerStores returns one store of each kind the handler serves in its
// own way: this package's stores (snapshots and caches), another
// Updater, and a Store with only the four methods.
func handlerStores(t *testing.T) []struct {
	name  string
	store Store
} {
	return []struct {
		name  string
		store Store
	}{
		{"memory", &MemoryStore{}},
		{"file", newTestFileStore(t)},
		{"other Updater", otherUpdater{&MemoryStore{}}},
		{"without Updater", listOnly{&MemoryStore{}}},
	}
}

// otherUpdater is an Updater that is not one of this package's types, so
// the handler serves it through Update.
type otherUpdater struct{ *MemoryStore }

// listOnly hides every method of a Store but the four of the interface, so
// the handler takes its path for stores without Updater.
type listOnly struct{ s Store }

func (l listOnly) List(ctx context.Context) (map[string]Config, error) { return l.s.List(ctx) }
func (l listOnly) Get(ctx context.Context, n string) (Config, error)   { return l.s.Get(ctx, n) }
func (l listOnly) Put(ctx context.Context, n string, c Config) error   { return l.s.Put(ctx, n, c) }
func (l listOnly) Delete(ctx context.Context, n string) error          { return l.s.Delete(ctx, n) }

func newTestFileStore(t *testing.T) *FileStore {
	t.Helper()
	s, err := NewFileStore(filepath.Join(t.TempDir(), "agent.toml"), FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestToken(t *testing.T) {
	h := NewHandler(&MemoryStore{}, HandlerOptions{Token: "s3cret-token"})
	tests := []struct {
		name   string
		method string
		hdr    map[string]string
		want   int
	}{
		{"no token", "GET", nil, 401},
		{"no token on a write", "DELETE", nil, 401},
		{"no token on an unknown method", "PUT", nil, 401},
		{"bearer", "GET", map[string]string{"Authorization": "Bearer s3cret-token"}, 200},
		{"bearer scheme in any case, spaces trimmed", "GET", map[string]string{"Authorization": "  bEaReR   s3cret-token  "}, 200},
		{"x-api-key", "GET", map[string]string{"X-Api-Key": "s3cret-token"}, 200},
		{"wrong token", "GET", map[string]string{"Authorization": "Bearer s3cret-tokem"}, 401},
		{"prefix of the token", "GET", map[string]string{"Authorization": "Bearer s3cret"}, 401},
		{"token with extra bytes", "GET", map[string]string{"X-Api-Key": "s3cret-token-and-more"}, 401},
		{"wrong scheme", "GET", map[string]string{"Authorization": "Basic s3cret-token"}, 401},
		{"scheme without token", "GET", map[string]string{"Authorization": "Bearer"}, 401},
		{"empty key", "GET", map[string]string{"X-Api-Key": ""}, 401},
		{"wrong bearer, right key", "GET", map[string]string{"Authorization": "Bearer nope", "X-Api-Key": "s3cret-token"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, h, tt.method, "/", "", tt.hdr)
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d (%s)", rec.Code, tt.want, rec.Body)
			}
			if tt.want != 401 {
				return
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != "Bearer" {
				t.Errorf("WWW-Authenticate = %q, want Bearer", got)
			}
			if got := strings.TrimSpace(rec.Body.String()); got != `{"error":"Unauthorized"}` {
				t.Errorf("body = %s", got)
			}
		})
	}
}

func TestCrossOrigin(t *testing.T) {
	trusted := http.NewCrossOriginProtection()
	if err := trusted.AddTrustedOrigin("app://dashboard"); err != nil {
		t.Fatal(err)
	}
	body := `{"name":"telegram","config":{"botToken":"1:2"}}`
	tests := []struct {
		name   string
		opts   HandlerOptions
		method string
		target string
		body   string
		hdr    map[string]string
		want   int
	}{
		{"cross-site browser POST", HandlerOptions{}, "POST", "/", body,
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403},
		{"cross-site browser DELETE", HandlerOptions{}, "DELETE", "/telegram", "",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403},
		{"cross-origin without Sec-Fetch-Site", HandlerOptions{}, "POST", "http://127.0.0.1:8080/", body,
			map[string]string{"Origin": "http://localhost:3000"}, 403},
		{"same-origin browser POST", HandlerOptions{}, "POST", "/", body,
			map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"}, 200},
		{"trusted origin", HandlerOptions{CrossOrigin: trusted}, "POST", "/", body,
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "app://dashboard"}, 200},
		{"untrusted origin with a trusted list", HandlerOptions{CrossOrigin: trusted}, "POST", "/", body,
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "app://other"}, 403},
		{"curl", HandlerOptions{}, "POST", "/", body, nil, 200},
		{"cross-site GET is a read", HandlerOptions{}, "GET", "/", "",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &MemoryStore{}
			store.Put(context.Background(), "telegram", Config{"botToken": "1:2"})
			rec := do(t, NewHandler(store, tt.opts), tt.method, tt.target, tt.body, tt.hdr)
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d (%s)", rec.Code, tt.want, rec.Body)
			}
			if rec.Code == 403 {
				if _, err := store.Get(context.Background(), "telegram"); err != nil {
					t.Fatalf("refused request changed the store: %v", err)
				}
			}
		})
	}
}

// failingStore fails every call with an error that says nothing secret.
type failingStore struct{}

var errDiskFull = errors.New("disk full")

func (failingStore) List(context.Context) (map[string]Config, error) { return nil, errDiskFull }
func (failingStore) Get(context.Context, string) (Config, error)     { return nil, errDiskFull }
func (failingStore) Put(context.Context, string, Config) error       { return errDiskFull }
func (failingStore) Delete(context.Context, string) error            { return errDiskFull }

// canary returns a random secret-looking string.
func canary(t *testing.T) string {
	t.Helper()
	return "cnry" + rand.Text()
}

// realisticConfigs returns a config for every connector the contract
// names, with a fresh canary in every sensitive field, and the canaries.
func realisticConfigs(t *testing.T) (map[string]Config, []string) {
	var canaries []string
	c := func() string {
		s := canary(t)
		canaries = append(canaries, s)
		return s
	}
	m := map[string]Config{
		"telegram": {"botToken": c() + ":" + c(), "allowFrom": []any{"@alice"}, "webhookSecret": c()},
		"discord":  {"token": c(), "applicationId": "1234", "maxTokens": int64(2048)},
		"slack":    {"botToken": "xoxb-" + c(), "appToken": "xapp-" + c(), "signingSecret": c()},
		"whatsapp": {"accounts": []any{
			map[string]any{"phone": "+15550001", "accessToken": c(), "verifyToken": c()},
			map[string]any{"phone": "+15550002", "accessToken": c(), "appSecret": c()},
		}},
		"twilio":   {"accountSid": "AC123", "authToken": c(), "apiKey": c(), "api_secret": c()},
		"matrix":   {"homeserver": "https://matrix.example", "password": c(), "credentials": map[string]any{"user": c(), "pass": c()}},
		"nostr":    {"nsec": c(), "relays": []any{"wss://relay.example"}},
		"twitch":   {"streamKey": c(), "rtmpKey": c(), "oauthToken": c()},
		"google":   {"serviceAccount": map[string]any{"private_key": c(), "client_email": "bot@example"}, "serviceAccountKey": c()},
		"telethon": {"sessionString": c(), "apiHash": "h", "passphrase": c(), "seedPhrase": c()},
		"db":       {"connectionString": c(), "privateKey": c(), "cookie": c(), "authorization": c()},
		"team/bot": {"nested": map[string]any{"deeper": []any{map[string]any{"refreshTokens": []any{c(), c()}}}}},
	}
	return m, canaries
}

// TestNothingLeaks drives every endpoint and error path with canary
// secrets in every sensitive field, and checks that no response body,
// header or log line holds a canary or any 8-byte piece of one.
func TestNothingLeaks(t *testing.T) {
	configs, canaries := realisticConfigs(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var seen bytes.Buffer
	record := func(rec *httptest.ResponseRecorder) {
		for k, vs := range rec.Header() {
			seen.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
		}
		seen.Write(rec.Body.Bytes())
	}

	store := newTestFileStore(t)
	h := NewHandler(store, HandlerOptions{Logger: logger, MaxBodyBytes: 64 << 10})
	for name, cfg := range configs {
		body, _ := json.Marshal(map[string]any{"name": name, "config": cfg})
		rec := do(t, h, "POST", "/", string(body), nil)
		if rec.Code != 200 {
			t.Fatalf("POST %s: %d %s", name, rec.Code, rec.Body)
		}
		record(rec)
	}
	secret := canaries[0]
	requests := []struct {
		method, target, body string
		hdr                  map[string]string
	}{
		{"GET", "/", "", nil},
		{"HEAD", "/", "", nil},
		{"GET", "/telegram", "", nil},
		{"GET", "/team%2Fbot", "", nil},
		{"GET", "/" + secret, "", nil},
		{"DELETE", "/" + secret, "", nil},
		{"DELETE", "/__proto__", "", nil},
		{"DELETE", "/%00" + secret, "", nil},
		{"POST", "/", `{"name":"x","config":{"token":"` + secret + `"`, nil},
		{"POST", "/", `{"name":"x","config":{"token":"` + secret + `"}} trailing`, nil},
		{"POST", "/", `{"name":"x","config":{"token":` + secret + `}}`, nil},
		{"POST", "/", `{"name":"x","config":{"token":"` + secret + `\x"}}`, nil},
		{"POST", "/", "{\"name\":\"x\",\"config\":{\"token\":\"" + secret + "\xff\"}}", nil},
		{"POST", "/", `{"name":"` + secret + "\x01" + `","config":{}}`, nil},
		{"POST", "/", `{"name":"x","config":{"token":["` + secret + `",null]}}`, nil},
		{"POST", "/", `{"name":"x","config":{"n":123456789012345678901234567890,"token":"` + secret + `"}}`, nil},
		{"POST", "/", `{"name":"x","config":"` + secret + `"}`, nil},
		{"POST", "/", `{"name":"x","config":{"token":"` + secret + `"}}`, map[string]string{"Content-Type": "text/plain"}},
		{"POST", "/", `{"name":"x","config":{"token":"` + secret + strings.Repeat("a", 70<<10) + `"}}`, nil},
		{"POST", "/", `{"name":"x","config":{"token":"` + secret + `"}}`, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"POST", "/", `{"name":"fresh","config":{"password":"****","note":"` + secret + `x"}}`, nil},
		{"PUT", "/telegram", `{"token":"` + secret + `"}`, nil},
		{"DELETE", "/telegram", "", nil},
		{"GET", "/", "", nil},
	}
	for _, rq := range requests {
		record(do(t, h, rq.method, rq.target, rq.body, rq.hdr))
	}
	// Store failures and an unauthorized request.
	failing := NewHandler(failingStore{}, HandlerOptions{Logger: logger})
	for _, rq := range []struct{ method, target, body string }{
		{"GET", "/", ""}, {"GET", "/x", ""}, {"DELETE", "/x", ""},
		{"POST", "/", `{"name":"x","config":{"token":"` + secret + `"}}`},
	} {
		record(do(t, failing, rq.method, rq.target, rq.body, nil))
	}
	locked := NewHandler(store, HandlerOptions{Logger: logger, Token: secret})
	record(do(t, locked, "GET", "/", "", map[string]string{"Authorization": "Bearer " + secret[:len(secret)-1]}))

	// A file store whose file does not parse, with a canary on the bad line.
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("[connectors.x]\ntoken = \""+secret+"\n"), 0o600)
	badStore, _ := NewFileStore(bad, FileOptions{})
	badH := NewHandler(badStore, HandlerOptions{Logger: logger})
	record(do(t, badH, "GET", "/", "", nil))
	record(do(t, badH, "POST", "/", `{"name":"x","config":{}}`, nil))

	if logs.Len() == 0 || !strings.Contains(logs.String(), `"op":"put"`) {
		t.Fatal("the handler logged nothing about changes; the leak check would prove nothing")
	}
	for name, text := range map[string]string{"responses": seen.String(), "logs": logs.String()} {
		for _, c := range canaries {
			for i := 0; i+8 <= len(c); i++ {
				if piece := c[i : i+8]; strings.Contains(text, piece) {
					t.Fatalf("%s hold %q, a piece of a secret:\n%s", name, piece, text)
				}
			}
		}
	}
}

// TestLogLinesForChanges checks that mutations are logged by name and
// operation.
func TestLogLinesForChanges(t *testing.T) {
	var logs bytes.Buffer
	h := NewHandler(&MemoryStore{}, HandlerOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	do(t, h, "POST", "/", `{"name":"telegram","config":{"botToken":"1:SECRETVALUE"}}`, nil)
	do(t, h, "DELETE", "/telegram", "", nil)
	out, _ := io.ReadAll(&logs)
	for _, want := range []string{"connector=telegram op=put", "connector=telegram op=delete"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if bytes.Contains(out, []byte("SECRETVALUE")) {
		t.Errorf("log holds the secret:\n%s", out)
	}
}

// TestLongKeyCostsNoPaths guards against building the error path of every
// value as the walks go: one long key over a long array would then cost
// key length times elements in time and memory, a denial of service
// within the body limit. A walk that finds nothing must build no path.
func TestLongKeyCostsNoPaths(t *testing.T) {
	key := strings.Repeat("k", 10000)
	arr := make([]any, 2000)
	for i := range arr {
		arr[i] = map[string]any{"token": "****"}
	}
	sent := Config{key: map[string]any{key: arr}}
	stored := Config{key: map[string]any{key: arr}}
	for _, walk := range []struct {
		name string
		fn   func()
	}{
		{"normalize", func() { normalizeConfig(sent, "config") }},
		{"restore", func() { Restore(sent, stored) }},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		walk.fn()
		runtime.ReadMemStats(&after)
		// The copy itself is about 2000 small maps: well under 2 MB.
		// Paths built eagerly would be 2000 x 20 KB = 40 MB.
		if n := after.TotalAlloc - before.TotalAlloc; n > 2<<20 {
			t.Errorf("%s allocated %d bytes for a %d-element array under a long key", walk.name, n, len(arr))
		}
	}
}

// TestETagDoesNotRevealWeakSecret: a FileStore's ETag is no oracle for
// its secrets. A file the store made holds nothing but what the API
// shows redacted, the secrets and the library's own layout; were the tag
// an unkeyed digest of the file, a client that sees only redacted
// configs could try each candidate for a weak secret (here a BlueBubbles
// password of four digits) in a file laid out the same way, and find the
// one whose digest matches. The revision is keyed (see revision).
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

// TestInvalidConfigErrorHidesSecretKeys: a POST whose config is refused
// for a bad value is answered, and logged at debug level, with the path
// of the value. A key on that path may be a secret (bots by token), which
// the path must show as Redact shows it.
func TestInvalidConfigErrorHidesSecretKeys(t *testing.T) {
	const tg = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	var log bytes.Buffer
	h := NewHandler(new(MemoryStore), HandlerOptions{
		Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	body := `{"name": "telegram", "config": {"bots": {"` + tg + `": [null]}}}`
	rec := do(t, h, http.MethodPost, "/", body, nil)
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("status %d, want 400; body %s", rec.Code, rec.Body)
	}
	secret := tg[strings.IndexByte(tg, ':')+1:]
	if strings.Contains(rec.Body.String(), secret) {
		t.Errorf("400 body quotes the token: %s", rec.Body)
	}
	if strings.Contains(log.String(), secret) {
		t.Errorf("debug log quotes the token: %s", log.String())
	}
}

// TestInvalidConfigErrorHidesKeysByHostPolicy: the path in a refused
// config's error hides a key that is a secret by the handler's Policy,
// not only by the default rules.
func TestInvalidConfigErrorHidesKeysByHostPolicy(t *testing.T) {
	h := NewHandler(new(MemoryStore), HandlerOptions{Policy: &Policy{Keys: []string{"pin"}}})
	body := `{"name": "telegram", "config": {"bots": {"pin=48213": [null]}}}`
	rec := do(t, h, http.MethodPost, "/", body, nil)
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("status %d, want 400; body %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "48213") {
		t.Errorf("400 body quotes the pin: %s", rec.Body)
	}
}
