package connectors

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzHandler sends arbitrary requests to a handler over a file store.
// Invariants: no panic; no 5xx (the store never fails here); every error
// is a JSON {"error"} body; a refused request leaves the file byte for
// byte unchanged; no response shows an unmasked secret.
func FuzzHandler(f *testing.F) {
	f.Add("GET", "", "", "")
	f.Add("POST", "", "application/json", `{"name":"telegram","config":{"botToken":"123456:ABC-DEF","port":8443}}`)
	f.Add("POST", "", "application/json; charset=utf-8", `{"name":"team/bot","config":{"accounts":[{"token":"x"},{"token":"****"}]}}`)
	f.Add("POST", "", "text/plain", `{"name":"x","config":{}}`)
	f.Add("DELETE", "telegram", "", "")
	f.Add("GET", "team%2Fbot", "", "")
	f.Add("PATCH", "x", "application/json", "{}")

	path := filepath.Join(f.TempDir(), "agent.toml")
	if err := os.WriteFile(path, []byte("title = \"host\"\n[channels.legacy]\ntoken = \"legacy-secret\"\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	store, err := NewFileStore(path, FileOptions{})
	if err != nil {
		f.Fatal(err)
	}
	h := NewHandler(store, HandlerOptions{MaxBodyBytes: 4 << 10})

	f.Fuzz(func(t *testing.T, method, target, contentType, body string) {
		req, err := http.NewRequest(method, "http://agent.local/"+target, strings.NewReader(body))
		if err != nil {
			return // not a request a server would parse
		}
		req.Header.Set("Content-Type", contentType)
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if rec.Code >= 500 {
			t.Fatalf("%s %q: status %d: %s", method, target, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type = %q", ct)
		}
		var resp map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("response is not JSON: %v: %s", err, rec.Body)
		}
		if rec.Code != http.StatusOK {
			if _, ok := resp["error"].(string); !ok || len(resp) != 1 {
				t.Fatalf("error body %s is not {\"error\": ...}", rec.Body)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Fatalf("refused request (%d) changed the file", rec.Code)
			}
			return
		}
		checkMasked(t, resp, nil, false, "response")
	})
}

// checkMasked fails if v holds an unmasked secret: a leaf under a
// sensitive key that is not a mask, an empty string or an environment
// reference.
func checkMasked(t *testing.T, v any, p *Policy, secret bool, path string) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			checkMasked(t, e, p, secret || p.IsSensitive(k), path+"."+k)
		}
	case []any:
		for _, e := range v {
			checkMasked(t, e, p, secret, path+"[]")
		}
	case string:
		if secret && v != "" && !isMask(v) && !isEnvRef(v) {
			t.Fatalf("%s: secret shown unmasked", path)
		}
	default:
		if secret {
			t.Fatalf("%s: secret %T shown unmasked", path, v)
		}
	}
}

// FuzzRedact checks redaction on arbitrary configs: the input is not
// changed, no secret leaf survives, redacting again changes nothing, and
// Restore of the redacted config against the original gives the original
// back (the write-back rule).
func FuzzRedact(f *testing.F) {
	f.Add(`{"botToken":"123456:ABC-DEF","port":8443}`)
	f.Add(`{"accounts":[{"token":"a:b:c"},{"apiKey":""},{"password":"${PW}"}],"maxTokens":5}`)
	f.Add(`{"credentials":{"user":"u","keys":[1,true,"x",[2.5]]},"Cookie":"c"}`)
	f.Add(`{"token":"****","nested":{"secret":"[REDACTED]"}}`)
	f.Add(`{"url":"primary https://a:pw1@h1 backup //b:pw2@h2/?x=1;token=t#sig=s"}`)
	f.Add(`{"url":"https://h/login?next=https%3A%2F%2Fu%3Apw%40h2%2F%3Fkey%3Dk&token=ab?cd"}`)
	f.Add(`{"url":"https://h/login?next=https%253A%252F%252Fu%253Apw%2540h2%252F&r=%2525"}`)
	f.Add(`{"headers":[{"name":"X-Api-Key","value":"k1"},{"name":"Accept","value":"a"},{"header":"Cookie","values":["c",1]}],"env":[{"Name":"BOT_TOKEN","Value":"1:x"}]}`)
	f.Add(`{"url":"https://u:p/s#s?s@h.example:8443/x@y","list":["://u:p@h","https://h:1/a@b"]}`)
	f.Add(`{"env":["BOT_TOKEN=1:a","host=h password='x y' port=1"],"headers":"Authorization: Bearer t\r\nX-Api-Key: k"}`)
	f.Add(`{"note":"{\"token\": \"a\\\"b\", \"n\": 1}","pem":"-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----"}`)
	f.Add(`{"bots":["123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw","xoxb-****","eyJhbGciOiJIUzI1NiJ9.****","MTA5ODc2NTQzMjEwOTg3NjU0Mw.GaBcDe.abcdefghijklmnopqrstuvwxyz0"]}`)
	f.Add(`{"args":["-u","+1555","--password","pw",["--token",{"x":1}],"--api-key"],"a":[{"args":["--key",1.5]}]}`)
	f.Add(`{"bots":{"123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw":{"n":1},"sk-****":2,"sk-proj-aaaaaaaaaaaaaaaaaaaaaaaa":[{"https://u:p@h":3}]}}`)
	f.Add(`{"u":["https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe","https://discord.com/api/webhooks/1/abc","https://hooks.slack.com/services/T/B/x"]}`)
	f.Add(`{"db":"bot:pw@tcp(h:3306)/a","proxy":"u:p@h:1 or mailto:a@b","h":"Bearer x.y","b":"Basic dXNlcjpwdw=="}`)
	f.Fuzz(func(t *testing.T, text string) {
		p := &Policy{Keys: []string{"pin"}, Contains: []string{"hash"}}
		_, cfg, msg := parsePost([]byte(`{"name":"x","config":`+text+`}`), p)
		if msg != "" {
			return
		}
		orig := cloneConfig(cfg)
		red := p.Redact(cfg)
		if diff := cmp.Diff(orig, cfg); diff != "" {
			t.Fatalf("Redact changed its input (-want +got):\n%s", diff)
		}
		checkMasked(t, jsonRoundTrip(t, red), p, false, "config")
		if diff := cmp.Diff(red, p.Redact(red)); diff != "" {
			t.Fatalf("Redact(Redact(c)) != Redact(c) (-want +got):\n%s", diff)
		}
		back, err := p.Restore(red, cfg)
		if err != nil {
			t.Fatalf("Restore(Redact(c), c): %v", err)
		}
		if diff := cmp.Diff(cfg, back); diff != "" {
			t.Fatalf("Restore(Redact(c), c) != c (-want +got):\n%s", diff)
		}
	})
}

// jsonRoundTrip returns v as a client decodes it.
func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
