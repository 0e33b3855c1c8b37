// This file holds how the handler answers: one helper writes every
// response, and store errors become statuses here.

package connectors

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
)

// ErrUnavailable means a store cannot be reached (a database that is
// down); the Handler answers 503 {"error":"store unavailable"} and logs
// the detail. Stores wrap it in the errors they return then.
var ErrUnavailable = errors.New("store unavailable")

func (h *Handler) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	h.fail(w, r, http.StatusMethodNotAllowed, "method not allowed", nil)
}

// storeFailed answers a request that the store refused or failed. Input
// errors (ErrInvalidName, ErrInvalidConfig) are the store's words for the
// client, which name a path and never a value; the rest is logged and
// answered without detail.
func (h *Handler) storeFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrInvalidName), errors.Is(err, ErrInvalidConfig):
		h.fail(w, r, http.StatusBadRequest, err.Error(), nil)
	case errors.Is(err, ErrTooLarge):
		h.fail(w, r, http.StatusRequestEntityTooLarge, err.Error(), nil)
	case errors.Is(err, ErrUnavailable):
		h.log.ErrorContext(r.Context(), "connector store unavailable", "method", r.Method, "err", err)
		h.reply(w, http.StatusServiceUnavailable, "", errorResponse{"store unavailable"})
	default:
		h.log.ErrorContext(r.Context(), "connector store failed", "method", r.Method, "err", err)
		h.reply(w, http.StatusInternalServerError, "", errorResponse{"connector store failed"})
	}
}

type errorResponse struct {
	Error string `json:"error"`
}

// fail answers a refused request with msg; cause, if any, is only logged.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, msg string, cause error) {
	h.log.DebugContext(r.Context(), "connector request refused",
		"method", r.Method, "status", status, "reason", msg, "err", cause)
	h.reply(w, status, "", errorResponse{msg})
}

// reply writes v as the JSON body of a response.
func (h *Handler) reply(w http.ResponseWriter, status int, etag string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		h.log.Error("connector response encoding failed", "err", err)
		status, body = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	h.write(w, status, etag, append(body, '\n'))
}

// write sends a response body with the headers every response carries.
func (h *Handler) write(w http.ResponseWriter, status int, etag string, body []byte) {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cache-Control", "no-store")
	if etag != "" && status == http.StatusOK {
		hdr.Set("Etag", etag)
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// randomKey fills key from the system's random source.
func randomKey(key []byte) {
	rand.Read(key) // never fails (crypto/rand's promise since Go 1.24)
}

// contentRevision is the revision of m for a store that has none: a keyed
// digest of the names and configs, which reveals nothing of the secrets
// to someone without the key.
func contentRevision(key []byte, m map[string]Config) string {
	mac := hmac.New(sha256.New, key)
	for _, name := range slices.Sorted(maps.Keys(m)) {
		raw, _ := json.Marshal(m[name]) // the value model always encodes
		mac.Write(strconv.AppendInt(nil, int64(len(name)), 10))
		mac.Write([]byte(name))
		mac.Write(raw)
		mac.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:18])
}
