package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServerRecoversFromBadFile: the server starts on a config file that
// does not parse, logs "listening" with the address it bound, answers 500
// meanwhile, and serves the connectors once the file is fixed, without a
// restart.
func TestServerRecoversFromBadFile(t *testing.T) {
	config := filepath.Join(t.TempDir(), "connectors.toml")
	if err := os.WriteFile(config, []byte("[connectors\nbroken"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, options{addr: "127.0.0.1:0", config: config}, slog.New(slog.NewTextHandler(&logs, nil)))
	}()

	addr := regexp.MustCompile(`msg=listening addr=(http://127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(5 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := addr.FindStringSubmatch(logs.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("no listening line with an address in the log:\n%s", logs.String())
	}
	get := func() int {
		resp, err := http.Get(base + "/api/connectors")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(); code != http.StatusInternalServerError {
		t.Fatalf("GET on a bad file: %d, want 500", code)
	}
	if err := os.WriteFile(config, []byte("[connectors.telegram]\nbotToken = \"1:A\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code := 0
	for deadline := time.Now().Add(5 * time.Second); code != http.StatusOK && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		code = get()
	}
	if code != http.StatusOK {
		t.Fatalf("GET after the file was fixed: %d, want 200", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after shutdown: %v", err)
	}
}

// TestBlankTokenRefused: a token of white space only (an empty line in a
// secret file) stops the server from starting instead of serving with
// no token at all.
func TestBlankTokenRefused(t *testing.T) {
	config := filepath.Join(t.TempDir(), "connectors.toml")
	err := run(t.Context(), options{addr: "127.0.0.1:0", config: config, token: "\n"}, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "white space") {
		t.Fatalf("run with a blank token: %v", err)
	}
}
