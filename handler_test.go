// This file tests the HTTP handler: routing relative to where it is
// mounted, statuses and bodies for every row of the API table, response
// headers, redaction, store failures and stores without Updater.

package connectors

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"
)

// The seed's example connectors: their tokens, and what GET shows of them.
const (
	seedTelegramToken = "123456:ABC-DEF"
	seedDiscordToken  = "discord-s3cr3t-token"
)

func seedConnectors() map[string]Config {
	return map[string]Config{
		"telegram": {"botToken": seedTelegramToken},
		"discord":  {"token": seedDiscordToken},
	}
}

// seedListResponse is the seed's example response to GET /api/connectors.
func seedListResponse() map[string]any {
	return map[string]any{"connectors": map[string]any{
		"telegram": map[string]any{"botToken": "****:****"},
		"discord":  map[string]any{"token": "****"},
	}}
}

func newSeedStore(t *testing.T) *MemoryStore {
	t.Helper()
	s := new(MemoryStore)
	for name, cfg := range seedConnectors() {
		if err := s.Put(context.Background(), name, cfg); err != nil {
			t.Fatalf("Put(%q): %v", name, err)
		}
	}
	return s
}

// newAPIRequest builds a request for h; contentType "" sends none.
func newAPIRequest(method, target, contentType, body string) *http.Request {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// serveAPI serves one request with h and checks the headers every response of
// the handler carries.
func serveAPI(t *testing.T, h http.Handler, method, target, contentType, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, newAPIRequest(method, target, contentType, body))
	checkAPIHeaders(t, rec)
	return rec
}

func checkAPIHeaders(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	want := map[string]string{
		"Content-Type":           "application/json",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-store",
	}
	got := make(map[string]string)
	for k := range want {
		got[k] = rec.Header().Get(k)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status %d: response headers (-want +got):\n%s", rec.Code, diff)
	}
}

// decodeAPIBody returns the response body as JSON.
func decodeAPIBody(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("status %d: body %q is not a JSON object: %v", rec.Code, rec.Body.String(), err)
	}
	return v
}

// checkAPIOK checks a 200 response and its decoded body.
func checkAPIOK(t *testing.T, rec *httptest.ResponseRecorder, want map[string]any) {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
	}
	if diff := cmp.Diff(want, decodeAPIBody(t, rec)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

// apiErrorMessage checks that rec is an error with status whose body is
// exactly {"error": message}, and returns the message.
func apiErrorMessage(t *testing.T, rec *httptest.ResponseRecorder, status int) string {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	body := decodeAPIBody(t, rec)
	msg, ok := body["error"].(string)
	if len(body) != 1 || !ok || msg == "" {
		t.Errorf("error body = %s, want exactly {\"error\": \"<message>\"}", rec.Body)
	}
	return msg
}

func storeContents(t *testing.T, s Store) map[string]Config {
	t.Helper()
	m, err := s.List(context.Background())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return m
}

func TestHandlerList(t *testing.T) {
	tests := []struct {
		name    string
		configs map[string]Config
		want    map[string]any
	}{
		{
			name: "empty store",
			want: map[string]any{"connectors": map[string]any{}},
		},
		{
			name:    "seed example",
			configs: seedConnectors(),
			want:    seedListResponse(),
		},
		{
			name: "nested secrets and plain values",
			configs: map[string]Config{"whatsapp": {
				"enabled":   true,
				"allowFrom": []any{"alice", "bob"},
				"accounts": map[string]any{"main": map[string]any{
					"password": "hunter2",
					"phone":    "+15550100",
				}},
				"apiKey":    "${WHATSAPP_API_KEY}",
				"authToken": "",
			}},
			want: map[string]any{"connectors": map[string]any{"whatsapp": map[string]any{
				"enabled":   true,
				"allowFrom": []any{"alice", "bob"},
				"accounts": map[string]any{"main": map[string]any{
					"password": "****",
					"phone":    "+15550100",
				}},
				"apiKey":    "${WHATSAPP_API_KEY}",
				"authToken": "",
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := new(MemoryStore)
			for name, cfg := range tt.configs {
				if err := s.Put(context.Background(), name, cfg); err != nil {
					t.Fatal(err)
				}
			}
			h := NewHandler(s, HandlerOptions{})
			for _, target := range []string{"/", ""} {
				req := newAPIRequest(http.MethodGet, "/", "", "")
				req.URL.Path = target
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				checkAPIHeaders(t, rec)
				checkAPIOK(t, rec, tt.want)
			}
		})
	}
}

func TestHandlerHead(t *testing.T) {
	tests := []struct {
		name   string
		target string
		status int
	}{
		{name: "collection", target: "/", status: http.StatusOK},
		{name: "connector", target: "/telegram", status: http.StatusOK},
		{name: "unknown connector", target: "/slack", status: http.StatusNotFound},
	}
	h := NewHandler(newSeedStore(t), HandlerOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			get := serveAPI(t, h, http.MethodGet, tt.target, "", "")
			head := serveAPI(t, h, http.MethodHead, tt.target, "", "")
			if head.Code != tt.status || get.Code != tt.status {
				t.Errorf("HEAD status = %d, GET status = %d, want %d", head.Code, get.Code, tt.status)
			}
			if got, want := head.Header().Get("Content-Length"), fmt.Sprint(get.Body.Len()); got != want {
				t.Errorf("HEAD Content-Length = %q, want %q (the GET body's length)", got, want)
			}
		})
	}

	// Over a real connection a HEAD answer has no body.
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Head(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || len(body) != 0 {
		t.Errorf("HEAD over HTTP: status %d, body %q; want 200 and no body", resp.StatusCode, body)
	}
}

func TestHandlerPost(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		want        map[string]any    // response body
		wantStored  map[string]Config // whole store afterwards
	}{
		{
			name:        "seed example on an empty store",
			contentType: "application/json",
			body:        `{"name": "telegram", "config": {"botToken": "123456:ABC-DEF"}}`,
			want: map[string]any{"connectors": map[string]any{
				"telegram": map[string]any{"botToken": "****:****"},
			}},
			wantStored: map[string]Config{"telegram": {"botToken": seedTelegramToken}},
		},
		{
			name:        "add beside existing",
			contentType: "application/json",
			body:        `{"name": "slack", "config": {"botToken": "xoxb-1-2", "channel": "general"}}`,
			want: map[string]any{"connectors": map[string]any{
				"telegram": map[string]any{"botToken": "****:****"},
				"discord":  map[string]any{"token": "****"},
				"slack":    map[string]any{"botToken": "****", "channel": "general"},
			}},
			wantStored: map[string]Config{
				"telegram": {"botToken": seedTelegramToken},
				"discord":  {"token": seedDiscordToken},
				"slack":    {"botToken": "xoxb-1-2", "channel": "general"},
			},
		},
		{
			name:        "replace drops keys not sent",
			contentType: "application/json",
			body:        `{"name": "telegram", "config": {"allowFrom": ["alice"]}}`,
			want: map[string]any{"connectors": map[string]any{
				"telegram": map[string]any{"allowFrom": []any{"alice"}},
				"discord":  map[string]any{"token": "****"},
			}},
			wantStored: map[string]Config{
				"telegram": {"allowFrom": []any{"alice"}},
				"discord":  {"token": seedDiscordToken},
			},
		},
		{
			name:        "replace with an empty config",
			contentType: "application/json",
			body:        `{"name": "discord", "config": {}}`,
			want: map[string]any{"connectors": map[string]any{
				"telegram": map[string]any{"botToken": "****:****"},
				"discord":  map[string]any{},
			}},
			wantStored: map[string]Config{
				"telegram": {"botToken": seedTelegramToken},
				"discord":  {},
			},
		},
		{
			name:        "charset parameter",
			contentType: "application/json; charset=utf-8",
			body:        `{"name": "discord", "config": {"token": "new"}}`,
			want:        seedListResponse(),
			wantStored: map[string]Config{
				"telegram": {"botToken": seedTelegramToken},
				"discord":  {"token": "new"},
			},
		},
		{
			name:        "media type in other case",
			contentType: "Application/JSON",
			body:        `{"name": "discord", "config": {"token": "new"}}`,
			want:        seedListResponse(),
			wantStored: map[string]Config{
				"telegram": {"botToken": seedTelegramToken},
				"discord":  {"token": "new"},
			},
		},
		{
			name:        "name trimmed, trailing white space after the object",
			contentType: "application/json",
			body:        "{\"name\": \"  discord \", \"config\": {\"token\": \"new\"}}\n\t \n",
			want:        seedListResponse(),
			wantStored: map[string]Config{
				"telegram": {"botToken": seedTelegramToken},
				"discord":  {"token": "new"},
			},
		},
		{
			name:        "value model: null members and reserved keys dropped, integral numbers are int64",
			contentType: "application/json",
			body: `{"name": "discord", "config": {"token": "new", "guild": null, "__proto__": {"admin": true},
				"port": 8080.0, "big": 9223372036854775807, "small": -9223372036854775808, "ratio": 0.5}}`,
			want: map[string]any{"connectors": map[string]any{
				"telegram": map[string]any{"botToken": "****:****"},
				"discord": map[string]any{
					"token": "****", "port": 8080.0, "big": float64(math.MaxInt64),
					"small": float64(math.MinInt64), "ratio": 0.5,
				},
			}},
			wantStored: map[string]Config{
				"telegram": {"botToken": seedTelegramToken},
				"discord": {
					"token": "new", "port": int64(8080), "big": int64(math.MaxInt64),
					"small": int64(math.MinInt64), "ratio": 0.5,
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := new(MemoryStore)
			if !strings.HasPrefix(tt.name, "seed example") {
				s = newSeedStore(t)
			}
			h := NewHandler(s, HandlerOptions{})
			rec := serveAPI(t, h, http.MethodPost, "/", tt.contentType, tt.body)
			checkAPIOK(t, rec, tt.want)
			if diff := cmp.Diff(tt.wantStored, storeContents(t, s)); diff != "" {
				t.Errorf("stored (-want +got):\n%s", diff)
			}
		})
	}
}

// nestedJSON returns a config nesting levels deep, the config itself being
// level 1; inner containers are objects, or arrays when arrays is set.
func nestedJSON(levels int, arrays bool) string {
	inner := `"leaf"`
	for range levels - 1 {
		if arrays {
			inner = "[" + inner + "]"
		} else {
			inner = `{"a": ` + inner + "}"
		}
	}
	return `{"a": ` + inner + "}"
}

// postBodyOfSize returns a POST body for name of exactly size bytes, padded in a
// config string.
func postBodyOfSize(name string, size int) string {
	head := `{"name": "` + name + `", "config": {"pad": "`
	tail := `"}}`
	return head + strings.Repeat("x", size-len(head)-len(tail)) + tail
}

// submittedSecret is in the values of rejected bodies; no error message may
// repeat it.
const submittedSecret = "s3cr3t"

func TestHandlerPostRejected(t *testing.T) {
	const js = "application/json"
	tests := []struct {
		name        string
		opts        HandlerOptions
		contentType string
		body        string
		status      int
		wantInMsg   string // part of the message, if it must name a place
	}{
		// Name.
		{name: "missing name", body: `{"config": {"token": "s3cr3t"}}`},
		{name: "name null", body: `{"name": null, "config": {"token": "s3cr3t"}}`},
		{name: "name a number", body: `{"name": 42, "config": {"token": "s3cr3t"}}`},
		{name: "name a bool", body: `{"name": true, "config": {"token": "s3cr3t"}}`},
		{name: "name an array", body: `{"name": ["s3cr3t"], "config": {}}`},
		{name: "name an object", body: `{"name": {"s3cr3t": 1}, "config": {}}`},
		{name: "empty name", body: `{"name": "", "config": {"token": "s3cr3t"}}`},
		{name: "white space name", body: `{"name": " \t\n ", "config": {"token": "s3cr3t"}}`},
		{name: "name with a control character", body: `{"name": "s3cr3t\u0000", "config": {}}`},
		{name: "name too long", body: `{"name": "` + strings.Repeat("s3cr3t", 22) + `", "config": {}}`},
		{name: "reserved __proto__", body: `{"name": "__proto__", "config": {"token": "s3cr3t"}}`},
		{name: "reserved constructor", body: `{"name": "constructor", "config": {"token": "s3cr3t"}}`},
		{name: "reserved prototype", body: `{"name": "prototype", "config": {"token": "s3cr3t"}}`},
		{name: "reserved $include", body: `{"name": "$include", "config": {"token": "s3cr3t"}}`},

		// Config.
		{name: "missing config", body: `{"name": "slack"}`},
		{name: "config null", body: `{"name": "slack", "config": null}`},
		{name: "config an array", body: `{"name": "slack", "config": ["s3cr3t"]}`},
		{name: "config a string", body: `{"name": "slack", "config": "s3cr3t"}`},
		{name: "config a number", body: `{"name": "slack", "config": 1234}`},
		{name: "config a bool", body: `{"name": "slack", "config": true}`},

		// Body.
		{name: "empty body", body: ``},
		{name: "invalid JSON", body: `{"name": "slack", "config": {"token": "s3cr3t",}}`},
		{name: "unterminated JSON", body: `{"name": "slack", "config": {"token": "s3cr3t"`},
		{name: "unquoted value", body: `{"name": "slack", "config": {"token": s3cr3t}}`},
		{name: "body an array", body: `[{"name": "slack", "config": {"token": "s3cr3t"}}]`},
		{name: "body a string", body: `"s3cr3t"`},
		{name: "body null", body: `null`},
		{name: "body a number", body: `12345`},
		{name: "second object after the request", body: `{"name": "slack", "config": {}} {"name": "s3cr3t"}`},
		{name: "garbage after the request", body: `{"name": "slack", "config": {}} s3cr3t`},
		{name: "invalid UTF-8 in a value", body: "{\"name\": \"slack\", \"config\": {\"token\": \"s3cr3t\xff\"}}"},
		{name: "invalid UTF-8 in a key", body: "{\"name\": \"slack\", \"config\": {\"tok\xc3\": \"s3cr3t\"}}"},
		{name: "lone high surrogate in a value", body: `{"name": "slack", "config": {"token": "s3cr3t\ud800x"}}`},
		{name: "lone low surrogate in a value", body: `{"name": "slack", "config": {"token": "s3cr3t\udc00"}}`},
		{name: "high surrogate at the end of a key", body: `{"name": "slack", "config": {"tok\uD83D": "s3cr3t"}}`},
		{name: "two high surrogates", body: `{"name": "slack", "config": {"token": "s3cr3t\ud83d\ud83d"}}`},
		{name: "lone surrogate in the name", body: `{"name": "sl\ud800ack", "config": {"token": "s3cr3t"}}`},

		// Values the config cannot hold; the message names where.
		{
			name:      "objects 33 levels deep",
			body:      `{"name": "slack", "config": ` + nestedJSON(MaxDepth+1, false) + `}`,
			wantInMsg: "config.a.a",
		},
		{
			name:      "arrays 33 levels deep",
			body:      `{"name": "slack", "config": ` + nestedJSON(MaxDepth+1, true) + `}`,
			wantInMsg: "config.a[0][0]",
		},
		{
			name:      "integer above int64",
			body:      `{"name": "slack", "config": {"port": 9223372036854775808, "token": "s3cr3t"}}`,
			wantInMsg: "config.port",
		},
		{
			name:      "integer below int64",
			body:      `{"name": "slack", "config": {"nested": {"id": -9223372036854775809}}}`,
			wantInMsg: "config.nested.id",
		},
		{
			name:      "integral float above int64",
			body:      `{"name": "slack", "config": {"n": 1e19}}`,
			wantInMsg: "config.n",
		},
		{
			name:      "number out of float64 range",
			body:      `{"name": "slack", "config": {"n": 1e400}}`,
			wantInMsg: "config.n",
		},
		{
			name:      "null in an array",
			body:      `{"name": "slack", "config": {"accounts": ["s3cr3t-a", "s3cr3t-b", null]}}`,
			wantInMsg: "config.accounts[2]",
		},
		{
			name:      "null in a nestedJSON array",
			body:      `{"name": "slack", "config": {"team": {"ids": [[1], [2, null]]}}}`,
			wantInMsg: "config.team.ids[1][1]",
		},

		// Size.
		{
			name:   "over the default limit",
			body:   postBodyOfSize("slack", DefaultMaxBodyBytes+1),
			status: http.StatusRequestEntityTooLarge,
		},
		{
			name:   "over a custom limit",
			opts:   HandlerOptions{MaxBodyBytes: 256},
			body:   postBodyOfSize("slack", 257),
			status: http.StatusRequestEntityTooLarge,
		},

		// Media type.
		{name: "no Content-Type", contentType: "-", status: http.StatusUnsupportedMediaType},
		{name: "text/plain", contentType: "text/plain", status: http.StatusUnsupportedMediaType},
		{name: "form", contentType: "application/x-www-form-urlencoded", status: http.StatusUnsupportedMediaType},
		{name: "multipart", contentType: "multipart/form-data; boundary=x", status: http.StatusUnsupportedMediaType},
		{name: "JSON suffix type", contentType: "application/problem+json", status: http.StatusUnsupportedMediaType},
		{name: "malformed Content-Type", contentType: "application/json; charset", status: http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, contentType, body := tt.status, tt.contentType, tt.body
			if status == 0 {
				status = http.StatusBadRequest
			}
			switch contentType {
			case "":
				contentType = js
			case "-":
				contentType = ""
			}
			if status == http.StatusUnsupportedMediaType {
				body = `{"name": "slack", "config": {"token": "s3cr3t"}}`
			}
			s := newSeedStore(t)
			h := NewHandler(s, tt.opts)
			rec := serveAPI(t, h, http.MethodPost, "/", contentType, body)
			msg := apiErrorMessage(t, rec, status)
			if strings.Contains(msg, submittedSecret) {
				t.Errorf("message %q repeats a submitted value", msg)
			}
			if !strings.Contains(msg, tt.wantInMsg) {
				t.Errorf("message %q does not name %q", msg, tt.wantInMsg)
			}
			if diff := cmp.Diff(seedConnectors(), storeContents(t, s)); diff != "" {
				t.Errorf("store changed by a rejected POST (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHandlerPostOutOfRangeNotEchoed checks that the digits of a number the
// handler refuses are not in the message.
func TestHandlerPostOutOfRangeNotEchoed(t *testing.T) {
	const digits = "98765432109876543210"
	h := NewHandler(new(MemoryStore), HandlerOptions{})
	rec := serveAPI(t, h, http.MethodPost, "/", "application/json", `{"name": "x", "config": {"id": `+digits+`}}`)
	if msg := apiErrorMessage(t, rec, http.StatusBadRequest); strings.Contains(msg, digits) {
		t.Errorf("message %q repeats the number", msg)
	}
}

func TestHandlerBodyLimit(t *testing.T) {
	tests := []struct {
		name   string
		limit  int64
		size   int
		status int
	}{
		{name: "default limit, at it", size: DefaultMaxBodyBytes, status: http.StatusOK},
		{name: "default limit, one over", size: DefaultMaxBodyBytes + 1, status: http.StatusRequestEntityTooLarge},
		{name: "custom limit, at it", limit: 300, size: 300, status: http.StatusOK},
		{name: "custom limit, one over", limit: 300, size: 301, status: http.StatusRequestEntityTooLarge},
		{name: "custom limit above the default", limit: 2 << 20, size: DefaultMaxBodyBytes + 1, status: http.StatusOK},
		{name: "negative limit means the default", limit: -1, size: DefaultMaxBodyBytes + 1, status: http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := new(MemoryStore)
			h := NewHandler(s, HandlerOptions{MaxBodyBytes: tt.limit})
			rec := serveAPI(t, h, http.MethodPost, "/", "application/json", postBodyOfSize("big", tt.size))
			if tt.status == http.StatusOK {
				if rec.Code != http.StatusOK {
					t.Fatalf("status = %d, want 200; body %.200s", rec.Code, rec.Body)
				}
				if _, err := s.Get(context.Background(), "big"); err != nil {
					t.Errorf("Get after accepted POST: %v", err)
				}
				return
			}
			apiErrorMessage(t, rec, tt.status)
			if got := storeContents(t, s); len(got) != 0 {
				t.Errorf("store after a refused POST holds %d connectors, want 0", len(got))
			}
		})
	}
}

func TestHandlerDepthLimit(t *testing.T) {
	for _, arrays := range []bool{false, true} {
		t.Run(fmt.Sprintf("arrays=%v", arrays), func(t *testing.T) {
			h := NewHandler(new(MemoryStore), HandlerOptions{})
			body := `{"name": "deep", "config": ` + nestedJSON(MaxDepth, arrays) + `}`
			if rec := serveAPI(t, h, http.MethodPost, "/", "application/json", body); rec.Code != http.StatusOK {
				t.Errorf("%d levels: status = %d, want 200; body %s", MaxDepth, rec.Code, rec.Body)
			}
			body = `{"name": "deep", "config": ` + nestedJSON(MaxDepth+1, arrays) + `}`
			rec := serveAPI(t, h, http.MethodPost, "/", "application/json", body)
			apiErrorMessage(t, rec, http.StatusBadRequest)
		})
	}
}

func TestHandlerGetConnector(t *testing.T) {
	tests := []struct {
		name   string
		target string
		status int
		want   map[string]any // for 200
	}{
		{
			name:   "telegram",
			target: "/telegram",
			status: http.StatusOK,
			want:   map[string]any{"name": "telegram", "config": map[string]any{"botToken": "****:****"}},
		},
		{
			name:   "discord",
			target: "/discord",
			status: http.StatusOK,
			want:   map[string]any{"name": "discord", "config": map[string]any{"token": "****"}},
		},
		{
			name:   "encoded letters",
			target: "/%64iscord",
			status: http.StatusOK,
			want:   map[string]any{"name": "discord", "config": map[string]any{"token": "****"}},
		},
		{name: "unknown", target: "/slack", status: http.StatusNotFound},
		{name: "unknown with a slash", target: "/telegram/extra", status: http.StatusNotFound},
		{name: "reserved __proto__", target: "/__proto__", status: http.StatusBadRequest},
		{name: "reserved constructor", target: "/constructor", status: http.StatusBadRequest},
		{name: "NUL", target: "/%00", status: http.StatusBadRequest},
		{name: "white space", target: "/%20%09", status: http.StatusBadRequest},
		{name: "too long", target: "/" + strings.Repeat("n", MaxNameBytes+1), status: http.StatusBadRequest},
	}
	h := NewHandler(newSeedStore(t), HandlerOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serveAPI(t, h, http.MethodGet, tt.target, "", "")
			if tt.status == http.StatusOK {
				checkAPIOK(t, rec, tt.want)
				return
			}
			apiErrorMessage(t, rec, tt.status)
		})
	}
}

func TestHandlerEncodedNames(t *testing.T) {
	names := []struct {
		name    string
		escaped string
	}{
		{name: "team/bot", escaped: "team%2Fbot"},
		{name: "电报", escaped: "%E7%94%B5%E6%8A%A5"},
		{name: "a b", escaped: "a%20b"},
		{name: "100%", escaped: "100%25"},
	}
	mounts := []struct {
		name   string
		prefix string
	}{
		{name: "at root", prefix: ""},
		{name: "under /api/connectors", prefix: "/api/connectors"},
	}
	for _, m := range mounts {
		for _, n := range names {
			t.Run(m.name+"/"+n.escaped, func(t *testing.T) {
				s := newSeedStore(t)
				var h http.Handler = NewHandler(s, HandlerOptions{})
				if m.prefix != "" {
					mux := http.NewServeMux()
					Mount(mux, m.prefix, h)
					h = mux
				}
				body, _ := json.Marshal(map[string]any{"name": n.name, "config": map[string]any{"botToken": "1:x"}})
				rec := serveAPI(t, h, http.MethodPost, m.prefix+"/", "application/json", string(body))
				if rec.Code != http.StatusOK {
					t.Fatalf("POST: status %d, body %s", rec.Code, rec.Body)
				}

				rec = serveAPI(t, h, http.MethodGet, m.prefix+"/"+n.escaped, "", "")
				checkAPIOK(t, rec, map[string]any{"name": n.name, "config": map[string]any{"botToken": "****:****"}})

				rec = serveAPI(t, h, http.MethodDelete, m.prefix+"/"+n.escaped, "", "")
				checkAPIOK(t, rec, seedListResponse())
				if diff := cmp.Diff(seedConnectors(), storeContents(t, s)); diff != "" {
					t.Errorf("store after DELETE (-want +got):\n%s", diff)
				}

				rec = serveAPI(t, h, http.MethodGet, m.prefix+"/"+n.escaped, "", "")
				apiErrorMessage(t, rec, http.StatusNotFound)
			})
		}
	}
}

func TestHandlerDelete(t *testing.T) {
	tests := []struct {
		name       string
		target     string
		status     int
		want       map[string]any    // for 200
		wantStored map[string]Config // nil: unchanged
	}{
		{
			name:       "existing",
			target:     "/telegram",
			status:     http.StatusOK,
			want:       map[string]any{"connectors": map[string]any{"discord": map[string]any{"token": "****"}}},
			wantStored: map[string]Config{"discord": {"token": seedDiscordToken}},
		},
		{
			name:   "absent name is not an error",
			target: "/slack",
			status: http.StatusOK,
			want:   seedListResponse(),
		},
		{name: "collection", target: "/", status: http.StatusBadRequest},
		{name: "NUL", target: "/%00", status: http.StatusBadRequest},
		{name: "control character", target: "/tele%0Agram", status: http.StatusBadRequest},
		{name: "white space", target: "/%20", status: http.StatusBadRequest},
		{name: "reserved __proto__", target: "/__proto__", status: http.StatusBadRequest},
		{name: "reserved constructor", target: "/constructor", status: http.StatusBadRequest},
		{name: "reserved prototype", target: "/prototype", status: http.StatusBadRequest},
		{name: "reserved $include", target: "/%24include", status: http.StatusBadRequest},
		{name: "invalid UTF-8", target: "/%FF", status: http.StatusBadRequest},
		{name: "too long", target: "/" + strings.Repeat("n", MaxNameBytes+1), status: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeedStore(t)
			h := NewHandler(s, HandlerOptions{})
			rec := serveAPI(t, h, http.MethodDelete, tt.target, "", "")
			if tt.status == http.StatusOK {
				checkAPIOK(t, rec, tt.want)
			} else {
				apiErrorMessage(t, rec, tt.status)
			}
			wantStored := tt.wantStored
			if wantStored == nil {
				wantStored = seedConnectors()
			}
			if diff := cmp.Diff(wantStored, storeContents(t, s)); diff != "" {
				t.Errorf("stored (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHandlerMalformedEscape sends a name that is not valid percent
// encoding over a real connection: net/http refuses it with 400 before any
// handler runs, so the store is untouched.
func TestHandlerMalformedEscape(t *testing.T) {
	s := newSeedStore(t)
	called := false
	h := NewHandler(s, HandlerOptions{})
	mux := http.NewServeMux()
	Mount(mux, "/api/connectors", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		h.ServeHTTP(w, r)
	}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, method := range []string{http.MethodDelete, http.MethodGet} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "%s /api/connectors/%%zz HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n", method)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			conn.Close()
			t.Fatal(err)
		}
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s /api/connectors/%%zz: status %d, want 400", method, resp.StatusCode)
		}
	}
	if called {
		t.Error("handler called for a malformed path")
	}
	if diff := cmp.Diff(seedConnectors(), storeContents(t, s)); diff != "" {
		t.Errorf("store changed (-want +got):\n%s", diff)
	}
}

func TestHandlerDeleteLegacyChannels(t *testing.T) {
	const file = `# host settings
[agent]
name = "milady"

[channels.legacy]
botToken = "999:LEGACY-s3cr3t"

[channels.kept]
token = "kept-token"

[channels.both]
token = "both-channels-s3cr3t"

[connectors.both]
token = "both-connectors-s3cr3t"

[connectors.discord]
token = "discord-token"
`
	tests := []struct {
		name        string
		target      string
		want        map[string]any
		wantChannel []string // names left in the channels table
		wantConns   []string // names left in the connectors table
	}{
		{
			name:   "only in channels",
			target: "/legacy",
			want: map[string]any{"connectors": map[string]any{
				"kept":    map[string]any{"token": "****"},
				"both":    map[string]any{"token": "****"},
				"discord": map[string]any{"token": "****"},
			}},
			wantChannel: []string{"both", "kept"},
			wantConns:   []string{"both", "discord"},
		},
		{
			name:   "in both tables",
			target: "/both",
			want: map[string]any{"connectors": map[string]any{
				"legacy":  map[string]any{"botToken": "****:****"},
				"kept":    map[string]any{"token": "****"},
				"discord": map[string]any{"token": "****"},
			}},
			wantChannel: []string{"kept", "legacy"},
			wantConns:   []string{"discord"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := NewFileStore(path, FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			h := NewHandler(s, HandlerOptions{})
			checkAPIOK(t, serveAPI(t, h, http.MethodDelete, tt.target, "", ""), tt.want)

			var doc struct {
				Agent      map[string]any            `toml:"agent"`
				Channels   map[string]map[string]any `toml:"channels"`
				Connectors map[string]map[string]any `toml:"connectors"`
			}
			if _, err := toml.DecodeFile(path, &doc); err != nil {
				t.Fatalf("decode file after DELETE: %v", err)
			}
			got := map[string]any{
				"agent":      doc.Agent,
				"channels":   slices.Sorted(maps.Keys(doc.Channels)),
				"connectors": slices.Sorted(maps.Keys(doc.Connectors)),
			}
			want := map[string]any{
				"agent":      map[string]any{"name": "milady"},
				"channels":   tt.wantChannel,
				"connectors": tt.wantConns,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("file after DELETE (-want +got):\n%s", diff)
			}
			// The same again: now absent, still 200, nothing else changes.
			checkAPIOK(t, serveAPI(t, h, http.MethodDelete, tt.target, "", ""), tt.want)
		})
	}
}

func TestHandlerMethodNotAllowed(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		target    string
		wantAllow []string // must be listed; the refused method must not
	}{
		{name: "PUT collection", method: http.MethodPut, target: "/", wantAllow: []string{"GET", "HEAD", "POST"}},
		{name: "PATCH collection", method: http.MethodPatch, target: "/", wantAllow: []string{"GET", "HEAD", "POST"}},
		{name: "OPTIONS collection", method: http.MethodOptions, target: "/", wantAllow: []string{"GET", "HEAD", "POST"}},
		{name: "TRACE collection", method: http.MethodTrace, target: "/", wantAllow: []string{"GET", "HEAD", "POST"}},
		{name: "PUT connector", method: http.MethodPut, target: "/telegram", wantAllow: []string{"GET", "HEAD", "DELETE"}},
		{name: "PATCH connector", method: http.MethodPatch, target: "/telegram", wantAllow: []string{"GET", "HEAD", "DELETE"}},
		{name: "OPTIONS connector", method: http.MethodOptions, target: "/telegram", wantAllow: []string{"GET", "HEAD", "DELETE"}},
		{name: "POST connector", method: http.MethodPost, target: "/telegram", wantAllow: []string{"GET", "HEAD", "DELETE"}},
		{name: "PUT unknown connector", method: http.MethodPut, target: "/slack", wantAllow: []string{"GET", "HEAD", "DELETE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeedStore(t)
			h := NewHandler(s, HandlerOptions{})
			body := `{"name": "telegram", "config": {"botToken": "9:Z"}}`
			rec := serveAPI(t, h, tt.method, tt.target, "application/json", body)
			apiErrorMessage(t, rec, http.StatusMethodNotAllowed)

			var allow []string
			for m := range strings.SplitSeq(rec.Header().Get("Allow"), ",") {
				if m = strings.TrimSpace(m); m != "" {
					allow = append(allow, m)
				}
			}
			for _, m := range tt.wantAllow {
				if !slices.Contains(allow, m) {
					t.Errorf("Allow = %q, missing %s", allow, m)
				}
			}
			if slices.Contains(allow, tt.method) {
				t.Errorf("Allow = %q lists the refused method %s", allow, tt.method)
			}
			if diff := cmp.Diff(seedConnectors(), storeContents(t, s)); diff != "" {
				t.Errorf("store changed by a refused method (-want +got):\n%s", diff)
			}
			// Every method Allow lists is in fact served here.
			for _, m := range allow {
				if rec := serveAPI(t, h, m, tt.target, "application/json", body); rec.Code == http.StatusMethodNotAllowed {
					t.Errorf("Allow lists %s but %s %s is 405", m, m, tt.target)
				}
			}
		})
	}
}

// brokenStore is a Store whose every method fails with err.
type brokenStore struct{ err error }

func (s brokenStore) List(context.Context) (map[string]Config, error) { return nil, s.err }
func (s brokenStore) Get(context.Context, string) (Config, error)     { return nil, s.err }
func (s brokenStore) Put(context.Context, string, Config) error       { return s.err }
func (s brokenStore) Delete(context.Context, string) error            { return s.err }

// brokenUpdater is an Updater (not Versioned) whose Update fails: reads
// work, writes do not.
type brokenUpdater struct {
	storeWithoutUpdater
	err error
}

func (s brokenUpdater) Update(context.Context, func(map[string]Config) error) error { return s.err }

// brokenEditor is a Versioned store whose Edit fails.
type brokenEditor struct {
	*MemoryStore
	err error
}

func (s brokenEditor) Edit(context.Context, func(State) (map[string]Config, error)) (State, error) {
	return State{}, s.err
}

// writeFailingStore is a Store without Update whose Put and Delete fail.
type writeFailingStore struct {
	storeWithoutUpdater
	err error
}

func (s writeFailingStore) Put(context.Context, string, Config) error { return s.err }
func (s writeFailingStore) Delete(context.Context, string) error      { return s.err }

// storeWithoutUpdater exposes only the four Store methods of a MemoryStore, as a
// third-party store without Updater would.
type storeWithoutUpdater struct{ s *MemoryStore }

func (p storeWithoutUpdater) List(ctx context.Context) (map[string]Config, error) {
	return p.s.List(ctx)
}
func (p storeWithoutUpdater) Get(ctx context.Context, name string) (Config, error) {
	return p.s.Get(ctx, name)
}
func (p storeWithoutUpdater) Put(ctx context.Context, name string, cfg Config) error {
	return p.s.Put(ctx, name, cfg)
}
func (p storeWithoutUpdater) Delete(ctx context.Context, name string) error {
	return p.s.Delete(ctx, name)
}

// storeErrSecret is in the error of failing stores; it must reach the log and
// never the client.
const storeErrSecret = "postgres://admin:hunter2-s3cr3t@db/prod"

func TestHandlerStoreFailure(t *testing.T) {
	storeErr := fmt.Errorf("dial %s: connection refused", storeErrSecret)
	post := `{"name": "slack", "config": {"botToken": "xoxb"}}`
	type request struct{ method, target, body string }
	all := []request{
		{http.MethodGet, "/", ""},
		{http.MethodHead, "/", ""},
		{http.MethodGet, "/telegram", ""},
		{http.MethodHead, "/telegram", ""},
		{http.MethodPost, "/", post},
		{http.MethodDelete, "/telegram", ""},
		{http.MethodDelete, "/slack", ""},
	}
	writes := []request{
		{http.MethodPost, "/", post},
		{http.MethodPost, "/", `{"name": "telegram", "config": {}}`},
		{http.MethodDelete, "/telegram", ""},
	}
	tests := []struct {
		name     string
		store    func(t *testing.T) (Store, *MemoryStore) // the store, and what it holds if it is one
		requests []request
	}{
		{
			name:     "every method fails",
			store:    func(*testing.T) (Store, *MemoryStore) { return brokenStore{storeErr}, nil },
			requests: all,
		},
		{
			name: "Update fails",
			store: func(t *testing.T) (Store, *MemoryStore) {
				m := newSeedStore(t)
				return brokenUpdater{storeWithoutUpdater{m}, storeErr}, m
			},
			requests: writes,
		},
		{
			name: "Edit fails",
			store: func(t *testing.T) (Store, *MemoryStore) {
				m := newSeedStore(t)
				return brokenEditor{m, storeErr}, m
			},
			requests: writes,
		},
		{
			name: "Put and Delete fail, no Updater",
			store: func(t *testing.T) (Store, *MemoryStore) {
				m := newSeedStore(t)
				return writeFailingStore{storeWithoutUpdater{m}, storeErr}, m
			},
			requests: writes,
		},
		{
			name: "wrapped error",
			store: func(*testing.T) (Store, *MemoryStore) {
				return brokenStore{fmt.Errorf("vault: %w", storeErr)}, nil
			},
			requests: all,
		},
	}
	for _, tt := range tests {
		for _, req := range tt.requests {
			t.Run(tt.name+"/"+req.method+" "+req.target, func(t *testing.T) {
				var logs bytes.Buffer
				log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				s, mem := tt.store(t)
				h := NewHandler(s, HandlerOptions{Logger: log})
				rec := serveAPI(t, h, req.method, req.target, "application/json", req.body)
				msg := apiErrorMessage(t, rec, http.StatusInternalServerError)
				for _, leak := range []string{storeErrSecret, "hunter2", "refused"} {
					if strings.Contains(msg, leak) {
						t.Errorf("message %q tells the client the cause (%q)", msg, leak)
					}
				}
				if !strings.Contains(logs.String(), storeErrSecret) || !strings.Contains(logs.String(), "level=ERROR") {
					t.Errorf("cause not logged as an error; log:\n%s", &logs)
				}
				if mem != nil {
					if diff := cmp.Diff(seedConnectors(), storeContents(t, mem)); diff != "" {
						t.Errorf("store changed by a failed write (-want +got):\n%s", diff)
					}
				}
			})
		}
	}
}

// TestHandlerInvalidFile checks that a config file the store cannot read
// is the server's failure, not the client's: 500 with a generic message
// that names neither the file nor what is in it.
func TestHandlerInvalidFile(t *testing.T) {
	tests := []struct {
		name string
		file string // a JSON config file
	}{
		{name: "syntax error", file: `{"connectors": {"x": {"token": "file-s3cr3t",,}}}`},
		{name: "connectors not a table", file: `{"connectors": "file-s3cr3t"}`},
	}
	type request struct{ method, target, body string }
	requests := []request{
		{http.MethodGet, "/", ""},
		{http.MethodGet, "/x", ""},
		{http.MethodPost, "/", `{"name": "y", "config": {}}`},
		{http.MethodDelete, "/x", ""},
	}
	for _, tt := range tests {
		for _, req := range requests {
			t.Run(tt.name+"/"+req.method+" "+req.target, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "config.json")
				if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
				s, err := NewFileStore(path, FileOptions{})
				if err != nil {
					t.Fatal(err)
				}
				var logs bytes.Buffer
				log := slog.New(slog.NewTextHandler(&logs, nil))
				h := NewHandler(s, HandlerOptions{Logger: log})
				rec := serveAPI(t, h, req.method, req.target, "application/json", req.body)
				msg := apiErrorMessage(t, rec, http.StatusInternalServerError)
				if strings.Contains(msg, dir) || strings.Contains(msg, submittedSecret) {
					t.Errorf("message %q tells the client about the server's file", msg)
				}
				if !strings.Contains(logs.String(), "level=ERROR") {
					t.Errorf("store failure not logged; log:\n%s", &logs)
				}
				data, err := os.ReadFile(path)
				if err != nil || string(data) != tt.file {
					t.Errorf("file changed: %q, %v", data, err)
				}
			})
		}
	}
}

// unencodableStore returns a config no JSON encoder can write, as a buggy
// third-party store might.
type unencodableStore struct{ storeWithoutUpdater }

func (unencodableStore) List(context.Context) (map[string]Config, error) {
	return map[string]Config{"x": {"ratio": math.NaN()}}, nil
}

func TestHandlerEncodingFailure(t *testing.T) {
	h := NewHandler(unencodableStore{storeWithoutUpdater{new(MemoryStore)}}, HandlerOptions{})
	rec := serveAPI(t, h, http.MethodGet, "/", "", "")
	apiErrorMessage(t, rec, http.StatusInternalServerError)
}

func TestHandlerResponseHeaders(t *testing.T) {
	tests := []struct {
		name        string
		store       Store
		opts        HandlerOptions
		method      string
		target      string
		contentType string
		body        string
		status      int
	}{
		{name: "200 list", method: http.MethodGet, target: "/", status: http.StatusOK},
		{name: "200 get", method: http.MethodGet, target: "/telegram", status: http.StatusOK},
		{name: "200 post", method: http.MethodPost, target: "/", contentType: "application/json",
			body: `{"name": "a", "config": {}}`, status: http.StatusOK},
		{name: "200 delete", method: http.MethodDelete, target: "/telegram", status: http.StatusOK},
		{name: "400", method: http.MethodPost, target: "/", contentType: "application/json",
			body: `{`, status: http.StatusBadRequest},
		{name: "404", method: http.MethodGet, target: "/nope", status: http.StatusNotFound},
		{name: "405", method: http.MethodPut, target: "/", status: http.StatusMethodNotAllowed},
		{name: "413", opts: HandlerOptions{MaxBodyBytes: 10}, method: http.MethodPost, target: "/",
			contentType: "application/json", body: `{"name": "a", "config": {}}`, status: http.StatusRequestEntityTooLarge},
		{name: "415", method: http.MethodPost, target: "/", contentType: "text/plain",
			body: `{"name": "a", "config": {}}`, status: http.StatusUnsupportedMediaType},
		{name: "500", store: brokenStore{errors.New("down")}, method: http.MethodGet, target: "/",
			status: http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.store
			if s == nil {
				s = newSeedStore(t)
			}
			rec := serveAPI(t, NewHandler(s, tt.opts), tt.method, tt.target, tt.contentType, tt.body)
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			decodeAPIBody(t, rec)
		})
	}
}

func TestHandlerWithoutUpdater(t *testing.T) {
	mem := newSeedStore(t)
	var s Store = storeWithoutUpdater{mem}
	if _, ok := s.(Updater); ok {
		t.Fatal("plainStore implements Updater; the test would not cover the path without it")
	}
	h := NewHandler(s, HandlerOptions{})

	steps := []struct {
		name       string
		method     string
		target     string
		body       string
		want       map[string]any
		wantStored map[string]Config
	}{
		{
			name:   "POST add",
			method: http.MethodPost, target: "/",
			body: `{"name": "slack", "config": {"botToken": "xoxb-9", "channel": "ops"}}`,
			want: map[string]any{"connectors": map[string]any{
				"telegram": map[string]any{"botToken": "****:****"},
				"discord":  map[string]any{"token": "****"},
				"slack":    map[string]any{"botToken": "****", "channel": "ops"},
			}},
			wantStored: map[string]Config{
				"telegram": {"botToken": seedTelegramToken},
				"discord":  {"token": seedDiscordToken},
				"slack":    {"botToken": "xoxb-9", "channel": "ops"},
			},
		},
		{
			name:   "POST replace",
			method: http.MethodPost, target: "/",
			body: `{"name": "telegram", "config": {"allowFrom": ["bob"]}}`,
			want: map[string]any{"connectors": map[string]any{
				"telegram": map[string]any{"allowFrom": []any{"bob"}},
				"discord":  map[string]any{"token": "****"},
				"slack":    map[string]any{"botToken": "****", "channel": "ops"},
			}},
			wantStored: map[string]Config{
				"telegram": {"allowFrom": []any{"bob"}},
				"discord":  {"token": seedDiscordToken},
				"slack":    {"botToken": "xoxb-9", "channel": "ops"},
			},
		},
		{
			name:   "POST same config again",
			method: http.MethodPost, target: "/",
			body: `{"name": "telegram", "config": {"allowFrom": ["bob"]}}`,
			want: map[string]any{"connectors": map[string]any{
				"telegram": map[string]any{"allowFrom": []any{"bob"}},
				"discord":  map[string]any{"token": "****"},
				"slack":    map[string]any{"botToken": "****", "channel": "ops"},
			}},
			wantStored: map[string]Config{
				"telegram": {"allowFrom": []any{"bob"}},
				"discord":  {"token": seedDiscordToken},
				"slack":    {"botToken": "xoxb-9", "channel": "ops"},
			},
		},
		{
			name:   "DELETE",
			method: http.MethodDelete, target: "/discord",
			want: map[string]any{"connectors": map[string]any{
				"telegram": map[string]any{"allowFrom": []any{"bob"}},
				"slack":    map[string]any{"botToken": "****", "channel": "ops"},
			}},
			wantStored: map[string]Config{
				"telegram": {"allowFrom": []any{"bob"}},
				"slack":    {"botToken": "xoxb-9", "channel": "ops"},
			},
		},
		{
			name:   "DELETE absent",
			method: http.MethodDelete, target: "/discord",
			want: map[string]any{"connectors": map[string]any{
				"telegram": map[string]any{"allowFrom": []any{"bob"}},
				"slack":    map[string]any{"botToken": "****", "channel": "ops"},
			}},
			wantStored: map[string]Config{
				"telegram": {"allowFrom": []any{"bob"}},
				"slack":    {"botToken": "xoxb-9", "channel": "ops"},
			},
		},
	}
	// The steps build on each other, so a failure stops the rest.
	for _, st := range steps {
		if !t.Run(st.name, func(t *testing.T) {
			rec := serveAPI(t, h, st.method, st.target, "application/json", st.body)
			checkAPIOK(t, rec, st.want)
			if diff := cmp.Diff(st.wantStored, storeContents(t, mem)); diff != "" {
				t.Errorf("stored (-want +got):\n%s", diff)
			}
		}) {
			return
		}
	}
}

func TestHandlerFileStore(t *testing.T) {
	for _, ext := range []string{".toml", ".json"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sub", "config"+ext)
			s, err := NewFileStore(path, FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			h := NewHandler(s, HandlerOptions{})

			checkAPIOK(t, serveAPI(t, h, http.MethodGet, "/", "", ""),
				map[string]any{"connectors": map[string]any{}})

			for _, body := range []string{
				`{"name": "telegram", "config": {"botToken": "123456:ABC-DEF"}}`,
				`{"name": "discord", "config": {"token": "discord-s3cr3t-token"}}`,
			} {
				rec := serveAPI(t, h, http.MethodPost, "/", "application/json", body)
				if rec.Code != http.StatusOK {
					t.Fatalf("POST: status %d, body %s", rec.Code, rec.Body)
				}
			}
			checkAPIOK(t, serveAPI(t, h, http.MethodGet, "/", "", ""), seedListResponse())
			checkAPIOK(t, serveAPI(t, h, http.MethodGet, "/telegram", "", ""),
				map[string]any{"name": "telegram", "config": map[string]any{"botToken": "****:****"}})

			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{seedTelegramToken, seedDiscordToken} {
				if !bytes.Contains(data, []byte(secret)) {
					t.Errorf("file does not hold the real secret %q:\n%s", secret, data)
				}
			}
			if bytes.Contains(data, []byte(Mask)) {
				t.Errorf("file holds the mask:\n%s", data)
			}
			reopened, err := NewFileStore(path, FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(seedConnectors(), storeContents(t, reopened)); diff != "" {
				t.Errorf("reopened store (-want +got):\n%s", diff)
			}

			checkAPIOK(t, serveAPI(t, h, http.MethodDelete, "/telegram", "", ""),
				map[string]any{"connectors": map[string]any{"discord": map[string]any{"token": "****"}}})
			apiErrorMessage(t, serveAPI(t, h, http.MethodGet, "/telegram", "", ""), http.StatusNotFound)
			data, err = os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(data, []byte(seedTelegramToken)) {
				t.Errorf("file still holds the deleted connector:\n%s", data)
			}
		})
	}
}

func TestHandlerPolicy(t *testing.T) {
	s := new(MemoryStore)
	h := NewHandler(s, HandlerOptions{Policy: &Policy{Keys: []string{"webhookUrl"}}})
	rec := serveAPI(t, h, http.MethodPost, "/", "application/json",
		`{"name": "slack", "config": {"webhook_url": "https://hooks.example/T1/B2", "channel": "ops"}}`)
	want := map[string]any{"connectors": map[string]any{
		"slack": map[string]any{"webhook_url": "****:****", "channel": "ops"},
	}}
	checkAPIOK(t, rec, want)
	checkAPIOK(t, serveAPI(t, h, http.MethodGet, "/", "", ""), want)
}

// TestHandlerLogsNoValues checks that the change log names the connector
// and never a value, and that refused requests log nothing submitted.
func TestHandlerLogsNoValues(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := NewHandler(new(MemoryStore), HandlerOptions{Logger: log})
	requests := []struct{ method, target, body string }{
		{http.MethodPost, "/", `{"name": "telegram", "config": {"botToken": "123:s3cr3t"}}`},
		{http.MethodPost, "/", `{"name": "telegram", "config": {"botToken": "123:s3cr3t", "x": [null]}}`},
		{http.MethodPost, "/", `{"name": "telegram", "config": {"botToken": "s3cr3t",}}`},
		{http.MethodDelete, "/telegram", ""},
	}
	for _, r := range requests {
		serveAPI(t, h, r.method, r.target, "application/json", r.body)
	}
	out := logs.String()
	if strings.Contains(out, submittedSecret) {
		t.Errorf("log holds a submitted value:\n%s", out)
	}
	for _, want := range []string{"connector=telegram op=put", "connector=telegram op=delete"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestMount(t *testing.T) {
	tests := []struct {
		name       string
		mount      func(mux *http.ServeMux, h http.Handler)
		collection string   // the collection's path
		item       string   // prefix of a connector's path
		outside    []string // paths the handler must not serve
	}{
		{
			name:       "Mount /api/connectors",
			mount:      func(mux *http.ServeMux, h http.Handler) { Mount(mux, "/api/connectors", h) },
			collection: "/api/connectors",
			item:       "/api/connectors/",
			outside:    []string{"/", "/api", "/api/", "/api/connectorsx", "/api/connector", "/v1/agent/connectors"},
		},
		{
			name:       "Mount /api/connectors/ with a trailing slash",
			mount:      func(mux *http.ServeMux, h http.Handler) { Mount(mux, "/api/connectors/", h) },
			collection: "/api/connectors",
			item:       "/api/connectors/",
			outside:    []string{"/", "/api", "/api/connectorsx"},
		},
		{
			name:       "Mount /v1/agent/connectors",
			mount:      func(mux *http.ServeMux, h http.Handler) { Mount(mux, "/v1/agent/connectors", h) },
			collection: "/v1/agent/connectors",
			item:       "/v1/agent/connectors/",
			outside:    []string{"/", "/v1/agent", "/v1/agent/connectors2", "/api/connectors", "/api/connectors/telegram"},
		},
		{
			name: "http.StripPrefix by hand",
			mount: func(mux *http.ServeMux, h http.Handler) {
				mux.Handle("/api/connectors/", http.StripPrefix("/api/connectors", h))
			},
			collection: "/api/connectors/",
			item:       "/api/connectors/",
			outside:    []string{"/", "/api/", "/api/connectorsx", "/v1/agent/connectors"},
		},
		{
			name:       "Mount at root",
			mount:      func(mux *http.ServeMux, h http.Handler) { Mount(mux, "/", h) },
			collection: "/",
			item:       "/",
		},
		{
			name:       "directly as the server's handler",
			collection: "/",
			item:       "/",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeedStore(t)
			served := 0
			var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				served++
				NewHandler(s, HandlerOptions{}).ServeHTTP(w, r)
			})
			if tt.mount != nil {
				mux := http.NewServeMux()
				tt.mount(mux, h)
				h = mux
			}

			checkAPIOK(t, serveAPI(t, h, http.MethodGet, tt.collection, "", ""), seedListResponse())
			if rec := serveAPI(t, h, http.MethodHead, tt.collection, "", ""); rec.Code != http.StatusOK {
				t.Errorf("HEAD %s: status %d, want 200", tt.collection, rec.Code)
			}
			rec := serveAPI(t, h, http.MethodPost, tt.collection, "application/json",
				`{"name": "team/bot", "config": {"token": "tb"}}`)
			checkAPIOK(t, rec, map[string]any{"connectors": map[string]any{
				"telegram": map[string]any{"botToken": "****:****"},
				"discord":  map[string]any{"token": "****"},
				"team/bot": map[string]any{"token": "****"},
			}})
			checkAPIOK(t, serveAPI(t, h, http.MethodGet, tt.item+"telegram", "", ""),
				map[string]any{"name": "telegram", "config": map[string]any{"botToken": "****:****"}})
			checkAPIOK(t, serveAPI(t, h, http.MethodGet, tt.item+"team%2Fbot", "", ""),
				map[string]any{"name": "team/bot", "config": map[string]any{"token": "****"}})
			checkAPIOK(t, serveAPI(t, h, http.MethodDelete, tt.item+"team%2Fbot", "", ""), seedListResponse())
			apiErrorMessage(t, serveAPI(t, h, http.MethodGet, tt.item+"slack", "", ""), http.StatusNotFound)
			apiErrorMessage(t, serveAPI(t, h, http.MethodDelete, tt.collection, "", ""), http.StatusBadRequest)
			apiErrorMessage(t, serveAPI(t, h, http.MethodPost, tt.item+"telegram", "application/json", `{}`), http.StatusMethodNotAllowed)

			for _, path := range tt.outside {
				for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
					before := served
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, newAPIRequest(method, path, "application/json", `{"name": "x", "config": {}}`))
					if served != before {
						t.Errorf("%s %s reached the handler", method, path)
					}
					if rec.Code != http.StatusNotFound {
						t.Errorf("%s %s: status %d, want 404 from the mux", method, path, rec.Code)
					}
				}
			}
			if diff := cmp.Diff(seedConnectors(), storeContents(t, s)); diff != "" {
				t.Errorf("store at the end (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMountOverHTTP runs the mounted handler behind a real server, where a
// redirect would be followed or refused by the client rather than seen in
// a recorder.
func TestMountOverHTTP(t *testing.T) {
	s := new(MemoryStore)
	mux := http.NewServeMux()
	Mount(mux, "/api/connectors", NewHandler(s, HandlerOptions{}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	resp, err := client.Post(srv.URL+"/api/connectors", "application/json",
		strings.NewReader(`{"name": "telegram", "config": {"botToken": "123456:ABC-DEF"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("POST /api/connectors: status %d (%v), want 200 with no redirect", resp.StatusCode, err)
	}
	want := map[string]any{"connectors": map[string]any{"telegram": map[string]any{"botToken": "****:****"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]Config{"telegram": {"botToken": seedTelegramToken}}, storeContents(t, s)); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
}

// TestHandlerGetOneFromListRendering checks that GET /{name}, which copies
// the connector's JSON from the list's rendering, writes the bytes that
// encoding the response afresh would: escapes, masks and key order.
func TestHandlerGetOneFromListRendering(t *testing.T) {
	store := new(MemoryStore)
	cfg := Config{"botToken": "1:<secret>", "note": "a&b <i> \u2028", "nested": map[string]any{"z": int64(1), "a": []any{"x", 1.5}}}
	if err := store.Put(t.Context(), "team<1>", cfg); err != nil {
		t.Fatal(err)
	}
	h := NewHandler(store, HandlerOptions{})
	for range 2 { // the second GET finds the rendering cached
		rec := serveAPI(t, h, http.MethodGet, "/team%3C1%3E", "", "")
		want, err := json.Marshal(struct {
			Name   string `json:"name"`
			Config Config `json:"config"`
		}{"team<1>", Redact(cfg)})
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.Body.String(); got != string(want)+"\n" {
			t.Fatalf("GET /{name} body\n got %s\nwant %s", got, want)
		}
	}
}

// TestHandlerPostSurrogatePairs: a character beyond the Basic
// Multilingual Plane escaped as a surrogate pair is taken, and so is a
// backslash escaped before the letters of an escape; only half a pair
// alone is refused (see TestHandlerPostRejected).
func TestHandlerPostSurrogatePairs(t *testing.T) {
	store := &MemoryStore{}
	h := NewHandler(store, HandlerOptions{})
	body := `{"name": "x", "config": {"emoji": "\ud83d\ude00", "path": "C:\\ud800", "both": "\\\ud83d\udE00"}}`
	if rec := do(t, h, "POST", "/", body, nil); rec.Code != http.StatusOK {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	cfg, err := store.Get(t.Context(), "x")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{"emoji": "\U0001F600", "path": `C:\ud800`, "both": `\` + "\U0001F600"}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
}
