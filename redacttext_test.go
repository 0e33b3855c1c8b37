// This file tests how RedactText masks secrets in free text.

package connectors

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestRedactTextURLSecrets checks RedactText on URLs kept under sensitive
// keys: the credentials, path and query are masked, whole and cut short,
// and the scheme and host, which messages name for other reasons, stay
// readable whatever the shape of the host.
func TestRedactTextURLSecrets(t *testing.T) {
	const (
		withPort = "https://user:pa55w0rd-secret@discord.com:8443/api/x"
		ipv6     = "http://u:secretpass@[2001:db8::1]:80/p"
		ipv6Bare = "http://[2001:db8::1]:8080/hook/secret-path-token"
		portOnly = "https://discord.com:8443/api/webhooks/123/tokenpart-abcdef"
		ghToken  = "https://ghp_abcdefghijklmnopqrstuvwxyz0123:x@github.com/org/repo"
	)
	tests := []struct {
		name string
		url  string // kept under "webhookUrl"
		msg  string
		want string
	}{
		{
			name: "port: the host named alone",
			url:  withPort,
			msg:  "dial discord.com:8443: timeout; GET https://discord.com:8443/status",
			want: "dial discord.com:8443: timeout; GET https://discord.com:8443/status",
		},
		{
			name: "port: the whole URL",
			url:  withPort,
			msg:  "POST " + withPort + " failed",
			want: "POST https://****@discord.com:8443**** failed",
		},
		{
			name: "port: the password alone and cut short",
			url:  withPort,
			msg:  "password pa55w0rd-secret rejected, or pa55w0rd-s...",
			want: "password **** rejected, or ****...",
		},
		{
			name: "port without user information: the host",
			url:  portOnly,
			msg:  "GET https://discord.com/api/v10/gateway; https://discord.com:8443/ is down",
			want: "GET https://discord.com/api/v10/gateway; https://discord.com:8443/ is down",
		},
		{
			name: "port without user information: the path",
			url:  portOnly,
			msg:  "hook .../123/tokenpart-abcdef gone",
			want: "hook ...**** gone",
		},
		{
			name: "IPv6 host",
			url:  ipv6,
			msg:  "dial tcp [2001:db8::1]:80: refused by http://[2001:db8::1]:80/; password secretpass",
			want: "dial tcp [2001:db8::1]:80: refused by http://[2001:db8::1]:80/; password ****",
		},
		{
			name: "IPv6 host without user information",
			url:  ipv6Bare,
			msg:  "GET http://[2001:db8::1]:8080/status: 404; hook secret-path-token",
			want: "GET http://[2001:db8::1]:8080/status: 404; hook ****",
		},
		{
			name: "token as user name: whole",
			url:  ghToken,
			msg:  "clone failed: token ghp_abcdefghijklmnopqrstuvwxyz0123 rejected by github.com",
			want: "clone failed: token **** rejected by github.com",
		},
		{
			name: "token as user name: cut short",
			url:  ghToken,
			msg:  "token ghp_abcdefghij... rejected; token ...uvwxyz0123 too",
			want: "token ****... rejected; token ...**** too",
		},
		{
			name: "token as user name: the whole URL",
			url:  ghToken,
			msg:  "git clone " + ghToken,
			want: "git clone https://****@github.com****",
		},
		{
			name: "only a host: it is the secret",
			url:  "https://k7f3q9zx2m.tunnel.example/",
			msg:  "dial https://k7f3q9zx2m.tunnel.example/: refused; host k7f3q9zx2m.tunnel.example",
			want: "dial ****: refused; host ****",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactText(tt.msg, Config{"webhookUrl": tt.url}); got != tt.want {
				t.Errorf("RedactText(%q)\n got %q\nwant %q", tt.msg, got, tt.want)
			}
		})
	}
}

// TestRedactTextValidUTF8 checks that RedactText never cuts a character
// in two, even where a secret's unescaped form is not UTF-8 ("%C3" alone
// unescapes to the first byte of "é"), and that it leaves no secret.
func TestRedactTextValidUTF8(t *testing.T) {
	tests := []struct {
		name, secret, msg, want string
	}{
		{name: "unescaped form ends inside a character", secret: "abcd%C3", msg: "x abcdé y", want: "x **** y"},
		{name: "unescaped form starts inside a character", secret: "%A9wxyz", msg: "x éwxyz y", want: "x **** y"},
		{name: "escaped form as written", secret: "abcd%C3", msg: "x abcd%C3 y", want: "x **** y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RedactText(tt.msg, Config{"password": tt.secret})
			if got != tt.want || !utf8.ValidString(got) {
				t.Errorf("RedactText(%q) = %q, want %q", tt.msg, got, tt.want)
			}
		})
	}

	// Messages made of the secrets' forms and of characters that share
	// their bytes, in random order.
	secrets := []string{"abcd%C3", "%A9wxyz", "p%C3%A9ss%E2%82", "k\u00e9y-%E2%82%AC-12"}
	parts := []string{"é", "€", "ü", "a", " ", "abcd", "%C3", "wxyz"}
	for _, s := range secrets {
		u, _ := url.QueryUnescape(s)
		parts = append(parts, s, u, s[:len(s)/2], u[len(u)/2:])
	}
	cfg := Config{"passwords": []any{secrets[0], secrets[1], secrets[2], secrets[3]}}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var b strings.Builder
		for range 1 + r.IntN(8) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		msg := strings.ToValidUTF8(b.String(), "?")
		got := RedactText(msg, cfg)
		if !utf8.ValidString(got) {
			t.Fatalf("RedactText(%q) = %q, not UTF-8", msg, got)
		}
		for _, s := range secrets {
			if strings.Contains(got, s) {
				t.Fatalf("RedactText(%q) = %q, holds %q", msg, got, s)
			}
		}
	}
}

// TestRedactTextFloats checks that a number under a sensitive key is
// masked as fmt prints it and as JSON and plain decimals write it.
func TestRedactTextFloats(t *testing.T) {
	tests := []struct {
		name string
		v    float64
		msg  string
		want string
	}{
		{name: "JSON", v: 12345678.9, msg: `body {"pin":12345678.9} refused`, want: `body {"pin":****} refused`},
		{name: "fmt", v: 12345678.9, msg: "pin 1.23456789e+07 refused", want: "pin **** refused"},
		{name: "written with an exponent", v: 1.23456789e+07, msg: "pin 12345678.9 refused", want: "pin **** refused"},
		{name: "whole number", v: 12345678, msg: "pin 12345678 or 1.2345678e+07", want: "pin **** or ****"},
		{name: "small", v: 1.5e-7, msg: "JSON 1.5e-7, decimal 0.00000015, fmt 1.5e-07", want: "JSON ****, decimal ****, fmt ****"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactText(tt.msg, Config{"pinPassword": tt.v}); got != tt.want {
				t.Errorf("RedactText(%q) = %q, want %q", tt.msg, got, tt.want)
			}
		})
	}
}

// TestRedactTextURLShapes checks RedactText on the credentials of URLs of
// other shapes, under a sensitive key ("webhookUrl") and under another
// ("url"), where only the credentials are secret.
func TestRedactTextURLShapes(t *testing.T) {
	tests := []struct {
		name     string
		key, url string
		msg      string
		want     string
	}{
		{
			name: "only a user name, sensitive key",
			key:  "webhookUrl", url: "https://TOKENVALUE123456@api.example.com/v1",
			msg:  "auth TOKENVALUE123456 failed at api.example.com; GET https://TOKENVALUE123456@api.example.com/v1",
			want: "auth **** failed at api.example.com; GET https://****@api.example.com/v1", // "/v1" is under 4 bytes
		},
		{
			name: "only a user name, other key",
			key:  "url", url: "https://TOKENVALUE123456@api.example.com/v1",
			msg:  "auth TOKENVAL... failed at https://api.example.com/v1",
			want: "auth ****... failed at https://api.example.com/v1",
		},
		{
			name: "percent-encoded password, decoded",
			key:  "databaseUrl", url: "postgres://admin:p%40ss%2Fw0rd!@db.example.com:5432/app",
			msg:  "password p@ss/w0rd! rejected by db.example.com:5432",
			want: "password **** rejected by db.example.com:5432",
		},
		{
			name: "percent-encoded password, as written",
			key:  "url", url: "postgres://admin:p%40ss%2Fw0rd!@db.example.com:5432/app",
			msg:  "dsn postgres://admin:p%40ss%2Fw0rd!@db.example.com:5432/app",
			want: "dsn postgres://admin:****@db.example.com:5432/app",
		},
		{
			// In user information "+" is a plus, not a space.
			name: "plus in a password",
			key:  "url", url: "https://u:abc+def%21@h.example/",
			msg:  "password abc+def! rejected",
			want: "password **** rejected",
		},
		{
			name: "query token, other key",
			key:  "url", url: "https://api.example.com/hook?token=tok-abc123xyz&mode=1",
			msg:  "token tok-abc123xyz invalid; GET https://api.example.com/hook?token=tok-abc123xyz&mode=1",
			want: "token **** invalid; GET https://api.example.com/hook?token=****&mode=1",
		},
		{
			name: "query token, sensitive key",
			key:  "webhookUrl", url: "https://api.example.com/hook?token=tok-abc123xyz&mode=1",
			msg:  "token tok-abc123xyz invalid; GET https://api.example.com/hook?token=tok-abc123xyz&mode=1",
			want: "token **** invalid; GET https://api.example.com****",
		},
		{
			name: "short query token alone, sensitive key",
			key:  "webhookUrl", url: "https://api.example.com?key=abc123",
			msg:  "key abc123 invalid at https://api.example.com/",
			want: "key **** invalid at https://api.example.com/",
		},
		{
			name: "token in a fragment",
			key:  "url", url: "https://app.example/cb#access_token=abcdefgh12&state=s",
			msg:  "token abcdefgh12 expired",
			want: "token **** expired",
		},
		{
			name: "URL-escaped whole",
			key:  "webhookUrl", url: "https://u:pa55word-xyz@host.example/p",
			msg:  "next=https%3A%2F%2Fu%3Apa55word-xyz%40host.example%2Fp&x=1",
			want: "next=https%3A%2F%2F****%40host.example****&x=1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactText(tt.msg, Config{tt.key: tt.url}); got != tt.want {
				t.Errorf("RedactText(%q)\n got %q\nwant %q", tt.msg, got, tt.want)
			}
		})
	}
}

// TestRedactTextBasicAuth: a secret sent as HTTP basic authentication
// (Twilio's auth token, a URL's password) is masked where a message dumps
// the request, as an SDK's debug error does. The header holds the secret
// in base64, which anyone can decode.
func TestRedactTextBasicAuth(t *testing.T) {
	const sid, token = "AC0123456789abcdef0123456789abcdef", "f1e2d3c4b5a697887766554433221100"
	cfg := Config{"accountSid": sid, "authToken": token}
	req, err := http.NewRequest("POST", "https://api.twilio.com/2010-04-01/Accounts/"+sid+"/Messages.json", strings.NewReader("To=%2B15551234567&Body=hi"))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(sid, token)
	dump, err := httputil.DumpRequestOut(req, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{
		"twilio: 401 for request:\n" + string(dump),
		fmt.Sprintf("request headers %v", req.Header),
	} {
		got := RedactText(msg, cfg)
		if leak := base64Leak(got, token); leak != "" {
			t.Errorf("RedactText left %q of the auth token in base64 in:\n%s", leak, got)
		}
	}
}

// base64Leak returns the first 8 bytes or more of secret that some run of
// base64 characters in msg decodes to, at any of its four alignments, or
// "" if none does.
func base64Leak(msg, secret string) string {
	runs := strings.FieldsFunc(msg, func(r rune) bool {
		return !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", r)
	})
	for _, run := range runs {
		for at := range 4 {
			if len(run) < at+4 {
				break
			}
			chunk := run[at:]
			b, err := base64.StdEncoding.DecodeString(chunk[:len(chunk)/4*4])
			if err != nil {
				continue
			}
			for i := 0; i+8 <= len(secret); i++ {
				if strings.Contains(string(b), secret[i:i+8]) {
					return secret[i : i+8]
				}
			}
		}
	}
	return ""
}

// TestRedactTextBasicAuthShortPassword: a password shorter than 8 bytes
// (4 bytes or more, which RedactText masks in plain text) is masked in
// the Authorization: Basic header too, as HTTP basic authentication sends
// a URL's user information or a config's username and password.
func TestRedactTextBasicAuthShortPassword(t *testing.T) {
	for _, c := range []struct {
		cfg        Config
		user, pass string
	}{
		{Config{"url": "https://alice:s3cr3t!@hooks.example.com/notify"}, "alice", "s3cr3t!"},
		{Config{"username": "alice", "password": "hunter2"}, "alice", "hunter2"},
	} {
		req, err := http.NewRequest("POST", "https://hooks.example.com/notify", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(c.user, c.pass)
		dump, err := httputil.DumpRequestOut(req, false)
		if err != nil {
			t.Fatal(err)
		}
		got := RedactText("webhook: 401 for request:\n"+string(dump), c.cfg)
		if enc := base64.StdEncoding.EncodeToString([]byte(c.user + ":" + c.pass)); strings.Contains(got, enc) {
			t.Errorf("RedactText left the password %q readable in base64 (%s) in:\n%s", c.pass, enc, got)
		}
	}
}

// TestRedactTextQuotedNonASCII checks that a secret with non-ASCII
// characters is masked where a message quotes it with those characters
// escaped: Go's %+q (strconv.QuoteToASCII), and JSON written ASCII-only,
// as Python's json.dumps does by default (surrogate pairs beyond the
// Basic Multilingual Plane).
func TestRedactTextQuotedNonASCII(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		msg  string
		want string
	}{
		{
			name: "%+q of a password",
			cfg:  Config{"password": "pässwört-geheim"},
			msg:  fmt.Sprintf("login refused for %+q", "pässwört-geheim"),
			want: `login refused for "****"`,
		},
		{
			name: "%+q of a password cut short",
			cfg:  Config{"password": "pässwört-geheim"},
			msg:  `login refused for "p\u00e4ssw\u00f6r...`,
			want: `login refused for "****...`,
		},
		{
			name: "%+q of a token beyond the BMP",
			cfg:  Config{"botToken": "123:tok🔑en-xyz"},
			msg:  fmt.Sprintf("bad token %+q", "123:tok🔑en-xyz"),
			want: `bad token "****"`,
		},
		{
			name: "ASCII-only JSON of a token beyond the BMP",
			cfg:  Config{"botToken": "123:tok🔑en-xyz"},
			msg:  `{"token": "123:tok\ud83d\udd11en-xyz"}`,
			want: `{"token": "****"}`,
		},
		{
			name: "%+q of a URL's password",
			cfg:  Config{"url": "https://u:gehéim-wört@h.example/"},
			msg:  fmt.Sprintf("dial %+q: refused", "https://u:gehéim-wört@h.example/"),
			want: `dial "https://u:****@h.example/": refused`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactText(tt.msg, tt.cfg); got != tt.want {
				t.Errorf("RedactText(%q)\n got %q\nwant %q", tt.msg, got, tt.want)
			}
		})
	}
}

// TestRedactTextLargeSecretIsCheap: the memory RedactText takes grows
// with the message, not with the secrets: a failed connector holding a
// service account's key of 800 KB, a POST body's worth, once cost every
// GET /status 480 MB and five seconds, a map of every piece of every
// form of the key. A piece of the key that the message quotes is masked
// all the same.
func TestRedactTextLargeSecretIsCheap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	key := make([]byte, 600<<10)
	for i := range key {
		key[i] = byte(r.Uint32())
	}
	secret := base64.RawStdEncoding.EncodeToString(key)
	cfg := Config{"serviceAccountJson": secret}
	msg := "401 unauthorized: key " + secret[1000:1040] + " rejected"
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := RedactText(msg, cfg)
	runtime.ReadMemStats(&after)
	if want := "401 unauthorized: key " + Mask + " rejected"; got != want {
		t.Errorf("RedactText = %q, want %q", got, want)
	}
	// The forms of the secret RedactText looks for (escaped, base64, ...)
	// take some 55 MB; the map took 480.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 150<<20 {
		t.Errorf("RedactText of a %d-byte message with an %d KB secret allocated %d MB", len(msg), len(secret)>>10, alloc>>20)
	}
}
