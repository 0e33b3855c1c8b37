// This file holds tests of leaks found outside redaction whose fix lies
// elsewhere; each is skipped, with the leak named, until it is fixed.

package connectors

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestInvalidConfigErrorHidesSecretKeys: a POST whose config is refused
// for a bad value is answered, and logged at debug level, with the path
// of the value. A key on that path may be a secret (bots by token), which
// the path must show as Redact shows it.
func TestInvalidConfigErrorHidesSecretKeys(t *testing.T) {
	t.Skip("known leak: the path in a refused config's error quotes its keys in clear (pathError.errorAt, used by parsePost), in the 400 body and the debug log")
	const tg = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	var log bytes.Buffer
	h := NewHandler(new(MemoryStore), HandlerOptions{
		Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	body := `{"name": "telegram", "config": {"bots": {"` + tg + `": [null]}}}`
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
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
