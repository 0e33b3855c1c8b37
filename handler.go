// This file holds the HTTP handler for the connectors API.

package connectors

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"
)

// DefaultMaxBodyBytes is the largest request body the handler reads when
// [HandlerOptions.MaxBodyBytes] is zero: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// HandlerOptions configures [NewHandler]. The zero value is a safe default.
type HandlerOptions struct {
	// MaxBodyBytes is the largest request body accepted; a larger one is
	// answered 413. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// Logger receives a line for each change (which connector, put or
	// delete; never a value), each store failure, and at debug level each
	// refused request. Nil means no logging.
	Logger *slog.Logger

	// Policy decides which config keys hold secrets, for redaction and for
	// keeping stored secrets that a POST sends back masked. Nil means the
	// default rules (see Policy).
	Policy *Policy

	// Token, if set, is required on every request, as "Authorization:
	// Bearer <Token>" or "X-Api-Key: <Token>"; a request without it is
	// answered 401. Empty means no token is required.
	Token string

	// CrossOrigin refuses POST and DELETE requests that browsers mark as
	// cross-origin (403), so that a web page on another origin cannot
	// change connectors. Requests without browser headers (curl, Go, Node)
	// pass. Nil means a protection that trusts no other origin; to let a
	// dashboard on another origin write, pass one with
	// [http.CrossOriginProtection.AddTrustedOrigin] called for it.
	CrossOrigin *http.CrossOriginProtection
}

// Handler serves the connectors API over a [Store]. Create it with
// [NewHandler]; it is safe for concurrent use.
//
// It routes on the request path relative to where it is mounted: "" or "/"
// is the collection, "/{name}" (the name URL-encoded) is one connector. See
// [Mount] for mounting it on an [http.ServeMux].
type Handler struct {
	store     Store
	maxBody   int64
	log       *slog.Logger
	policy    *Policy
	tokenHash *[sha256.Size]byte // nil: no token required
	origin    *http.CrossOriginProtection
	etagKey   [32]byte
	listCache atomic.Pointer[cachedList]

	// snap is the store when it is this package's own, whose snapshots
	// let the handler skip copies and cache responses. Only the exact
	// types: a type that embeds one and overrides a method must be
	// served through its methods.
	snap snapshotter

	renderMu      sync.Mutex
	rendered      map[string]rendered // by connector name; under renderMu
	renderedNames []string            // its names, sorted; under renderMu
	lastRender    *cachedList         // of a snapshot; under renderMu
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a Handler serving store with opts.
//
//	GET    /          200 {"connectors": {name: redacted config, ...}}
//	POST   /          body {"name": ..., "config": {...}}: add or replace;
//	                  200 with the whole redacted map after the change
//	GET    /{name}    200 {"name": ..., "config": redacted config}; 404
//	DELETE /{name}    remove from connectors and legacy channels; 200 with
//	                  the whole redacted map after the change
//
// Every success carries an ETag of the whole stored state (a keyed hash
// that reveals no secret); a POST or DELETE with If-Match that no longer
// names the current state is refused with 412 and changes nothing.
//
// Every response is JSON; every error is {"error": "message"}, with status
// 400 for bad input, 401 without the Token, 403 for a cross-origin write,
// 404, 405 (with Allow), 412, 413 for a body over MaxBodyBytes, 415 for a
// POST that is not application/json, and 500 with a generic message when
// the store fails.
func NewHandler(store Store, opts HandlerOptions) *Handler {
	h := &Handler{
		store:   store,
		maxBody: opts.MaxBodyBytes,
		log:     opts.Logger,
		policy:  opts.Policy,
		origin:  opts.CrossOrigin,
	}
	switch s := store.(type) {
	case *MemoryStore:
		h.snap = s
	case *FileStore:
		h.snap = s
	}
	if opts.Token != "" {
		sum := sha256.Sum256([]byte(opts.Token))
		h.tokenHash = &sum
	}
	if h.origin == nil {
		h.origin = http.NewCrossOriginProtection()
	}
	rand.Read(h.etagKey[:])
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h
}

// Mount registers h on mux at prefix (such as "/api/connectors") so that it
// serves both prefix and prefix+"/{name}", with the prefix stripped. Unlike
// a single "prefix/" pattern, it answers a POST to prefix itself instead of
// redirecting it.
func Mount(mux *http.ServeMux, prefix string, h http.Handler) {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix == "" {
		mux.Handle("/", h)
		return
	}
	h = http.StripPrefix(prefix, h)
	mux.Handle(prefix, h)
	mux.Handle(prefix+"/", h)
}

// ServeHTTP implements [http.Handler].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.tokenHash != nil && !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", "Bearer")
		h.fail(w, r, http.StatusUnauthorized, "Unauthorized", nil)
		return
	}
	if err := h.origin.Check(r); err != nil {
		h.fail(w, r, http.StatusForbidden, "cross-origin request refused", nil)
		return
	}
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/")
	if rest == "" {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			h.list(w, r)
		case http.MethodPost:
			h.post(w, r)
		case http.MethodDelete:
			h.fail(w, r, http.StatusBadRequest, "missing connector name", nil)
		default:
			h.methodNotAllowed(w, r, "GET, HEAD, POST, DELETE")
		}
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodDelete:
	default:
		h.methodNotAllowed(w, r, "GET, HEAD, DELETE")
		return
	}
	name, err := url.PathUnescape(rest)
	if err == nil {
		name, err = CheckName(name)
	}
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, "missing or invalid connector name", err)
		return
	}
	if r.Method == http.MethodDelete {
		h.delete(w, r, name)
	} else {
		h.get(w, r, name)
	}
}

// authorized reports whether r carries the token. It compares SHA-256
// digests in constant time, so neither the token's bytes nor its length
// shows in the time taken.
func (h *Handler) authorized(r *http.Request) bool {
	match := func(token string) bool {
		token = strings.TrimSpace(token)
		sum := sha256.Sum256([]byte(token))
		return token != "" && subtle.ConstantTimeCompare(sum[:], h.tokenHash[:]) == 1
	}
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	if scheme, token, ok := strings.Cut(auth, " "); ok && strings.EqualFold(scheme, "Bearer") && match(token) {
		return true
	}
	return match(r.Header.Get("X-Api-Key"))
}

// errPrecondition is what an update returns when If-Match names a state
// that is no longer current.
var errPrecondition = errors.New("connectors changed since the ETag in If-Match")

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	_, c, err := h.state(r.Context())
	if err != nil {
		h.storeFailed(w, r, err)
		return
	}
	hdr := w.Header()
	setCommonHeaders(hdr)
	hdr["Etag"], hdr["Content-Length"] = c.header[0], c.header[1]
	w.WriteHeader(http.StatusOK)
	w.Write(c.body)
}

// state returns the stored connectors, read only, with their rendered
// GET response. An unchanged store of this package's answers with what
// it rendered last time.
func (h *Handler) state(ctx context.Context) (map[string]Config, *cachedList, error) {
	if h.snap == nil {
		m, err := h.store.List(ctx)
		if err != nil {
			return nil, nil, err
		}
		c, err := h.render(m)
		return m, c, err
	}
	snap, err := h.snap.snapshot(ctx)
	if err != nil {
		return nil, nil, err
	}
	if c := h.listCache.Load(); c != nil && c.snap == snap {
		return snap.m, c, nil
	}
	c, err := h.cacheList(snap)
	return snap.m, c, err
}

// cachedList is the response to a GET of the collection: the whole
// redacted map and its ETag.
type cachedList struct {
	snap   *snapshot // the state it shows, if the store has snapshots
	etag   string
	body   []byte
	header [][]string // ETag and Content-Length values, shared read-only
}

// cacheList renders snap and keeps the result for the GETs that follow.
func (h *Handler) cacheList(snap *snapshot) (*cachedList, error) {
	c, err := h.renderSnapshot(snap)
	if err != nil {
		return nil, err
	}
	h.listCache.Store(c)
	return c, nil
}

// renderSnapshot is render for a store's snapshot. Requests whose writes
// were committed together, to one state, share one rendering.
func (h *Handler) renderSnapshot(snap *snapshot) (*cachedList, error) {
	h.renderMu.Lock()
	defer h.renderMu.Unlock()
	if c := h.lastRender; c != nil && c.snap == snap {
		return c, nil
	}
	c, err := h.renderLocked(snap.m)
	if err != nil {
		return nil, err
	}
	c.snap = snap
	h.lastRender = c
	return c, nil
}

// rendered is one connector as the handler shows it, kept while its
// stored config is the same map (stored configs never change in place).
type rendered struct {
	cfg    unsafe.Pointer
	key    []byte            // the JSON of the name
	red    []byte            // the JSON of the redacted config
	digest [sha256.Size]byte // of the unredacted config, for the ETag
}

// render returns the GET response for m: the JSON of the redacted map,
// exactly as json.Marshal writes it, and the ETag of m, an HMAC over
// each connector's name and digest under the handler's key. Connectors
// whose config is the same map as last time are not encoded again, so a
// write costs the rendering of what it changed.
func (h *Handler) render(m map[string]Config) (*cachedList, error) {
	h.renderMu.Lock()
	defer h.renderMu.Unlock()
	return h.renderLocked(m)
}

// renderLocked is render with renderMu held.
func (h *Handler) renderLocked(m map[string]Config) (*cachedList, error) {
	names, same := sortedNames(m, h.renderedNames)
	kept := h.rendered
	if !same || kept == nil {
		kept = make(map[string]rendered, len(m))
	}
	mac := hmac.New(sha256.New, h.etagKey[:])
	size := 64*len(m) + 32
	if c := h.listCache.Load(); c != nil {
		size = len(c.body) + len(c.body)/max(1, len(m)) + 1 // about one more connector
	}
	body := append(make([]byte, 0, size), `{"connectors":{`...)
	sums := make([]byte, 0, len(m)*(sha256.Size+24))
	for i, name := range names {
		cfg := m[name]
		r, ok := h.rendered[name]
		if !ok || r.cfg != identity(cfg) {
			key, err := json.Marshal(name)
			if err != nil {
				return nil, err
			}
			red, err := json.Marshal(h.policy.Redact(cfg))
			if err != nil {
				return nil, err
			}
			raw, err := json.Marshal(cfg)
			if err != nil {
				return nil, err
			}
			r = rendered{cfg: identity(cfg), key: key, red: red, digest: sha256.Sum256(raw)}
		}
		kept[name] = r
		if i > 0 {
			body = append(body, ',')
		}
		body = append(append(append(body, r.key...), ':'), r.red...)
		sums = append(sums, name...)
		sums = append(sums, 0)
		sums = append(sums, r.digest[:]...)
	}
	mac.Write(sums) // one write: the hash works in blocks
	h.rendered, h.renderedNames = kept, names
	body = append(body, "}}\n"...)
	etag := `"` + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:18]) + `"`
	return &cachedList{etag: etag, body: body, header: [][]string{{etag}, {strconv.Itoa(len(body))}}}, nil
}

// etag returns the entity tag of a stored state (see render).
func (h *Handler) etag(m map[string]Config) (string, error) {
	c, err := h.render(m)
	if err != nil {
		return "", err
	}
	return c.etag, nil
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request, name string) {
	// The whole state, not Get: the ETag is of all of it.
	m, c, err := h.state(r.Context())
	if err != nil {
		h.storeFailed(w, r, err)
		return
	}
	cfg, ok := m[name]
	if !ok {
		h.fail(w, r, http.StatusNotFound, "connector not found", nil)
		return
	}
	// The list's rendering holds this connector's JSON: no redaction or
	// encoding per request.
	h.renderMu.Lock()
	one, ok := h.rendered[name]
	h.renderMu.Unlock()
	if ok && one.cfg == identity(cfg) {
		body := make([]byte, 0, len(one.key)+len(one.red)+24)
		body = append(append(append(body, `{"name":`...), one.key...), `,"config":`...)
		h.write(w, http.StatusOK, c.etag, append(append(body, one.red...), "}\n"...))
		return
	}
	h.reply(w, http.StatusOK, c.etag, struct {
		Name   string `json:"name"`
		Config Config `json:"config"`
	}{name, h.policy.Redact(cfg)})
}

func (h *Handler) post(w http.ResponseWriter, r *http.Request) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		h.fail(w, r, http.StatusUnsupportedMediaType, "Content-Type must be application/json", nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		h.fail(w, r, http.StatusRequestEntityTooLarge,
			"request body larger than "+strconv.FormatInt(h.maxBody, 10)+" bytes", nil)
		return
	}
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, "could not read request body", err)
		return
	}
	name, cfg, msg := parsePost(body)
	if msg != "" {
		h.fail(w, r, http.StatusBadRequest, msg, nil)
		return
	}
	h.update(w, r, "put", name, func(cur map[string]Config) (Config, error) {
		// A client that read the config redacted may send masks back:
		// they mean "keep the stored secret", never a new one.
		return h.policy.Restore(cfg, cur[name])
	})
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request, name string) {
	h.update(w, r, "delete", name, func(map[string]Config) (Config, error) {
		return nil, nil
	})
}

// update changes the named connector to what edit returns for the stored
// state (nil: remove it) and answers the request: the redacted map after
// the change, or an error. With an Updater, the If-Match check, edit and
// the write are one step; otherwise the change is made with Put or
// Delete, and another writer may come between the check and the write.
func (h *Handler) update(w http.ResponseWriter, r *http.Request, op, name string, edit func(cur map[string]Config) (Config, error)) {
	ctx := r.Context()
	ifMatch := r.Header.Get("If-Match")
	var (
		changed bool
		fnErr   error
	)
	edited := editChange(name, func(cur map[string]Config) (Config, error) {
		if ifMatch != "" {
			tag, err := h.etag(cur)
			if err != nil {
				return nil, err
			}
			if !etagMatches(ifMatch, tag) {
				fnErr = errPrecondition
				return nil, fnErr
			}
		}
		cfg, err := edit(cur)
		fnErr = err
		return cfg, err
	})
	ch := func(cur map[string]Config) (map[string]Config, []string, error) {
		next, names, err := edited(cur)
		changed = len(names) > 0
		return next, names, err
	}
	var (
		c   *cachedList
		err error
	)
	switch s := h.store.(type) {
	case *MemoryStore, *FileStore:
		// The response is rendered while the store's write goes to disk.
		var early chan *cachedList
		ready := func(next *snapshot) {
			early = make(chan *cachedList, 1)
			go func() {
				c, err := h.renderSnapshot(next)
				if err != nil {
					c = nil // rendered again below, to report the error
				}
				early <- c
			}()
		}
		var snap *snapshot
		if snap, err = h.snap.update(ctx, ch, ready); err == nil {
			if early != nil {
				if c = <-early; c != nil && c.snap == snap {
					h.listCache.Store(c)
					break
				}
			}
			c, err = h.cacheList(snap)
		}
	case Updater:
		err = s.Update(ctx, func(m map[string]Config) error {
			next, _, err := ch(m)
			if err != nil {
				return err
			}
			if cfg, ok := next[name]; ok {
				m[name] = cfg
			} else {
				delete(m, name)
			}
			c, err = h.render(m)
			return err
		})
	default:
		var m map[string]Config
		if m, err = h.store.List(ctx); err != nil {
			break
		}
		var next map[string]Config
		if next, _, err = ch(m); err != nil {
			break
		}
		if !changed {
			c, err = h.render(m)
			break
		}
		if cfg, ok := next[name]; ok {
			err = h.store.Put(ctx, name, cfg)
		} else {
			err = h.store.Delete(ctx, name)
		}
		if err == nil {
			if m, err = h.store.List(ctx); err == nil {
				c, err = h.render(m)
			}
		}
	}
	switch {
	case fnErr == errPrecondition:
		h.fail(w, r, http.StatusPreconditionFailed, fnErr.Error(), nil)
	case fnErr != nil:
		// edit's errors are the handler's own, written for the client.
		h.fail(w, r, http.StatusBadRequest, fnErr.Error(), nil)
	case err != nil:
		h.updateFailed(w, r, err)
	default:
		if changed {
			h.log.InfoContext(ctx, "connector changed", "connector", name, "op", op)
		}
		h.write(w, http.StatusOK, c.etag, c.body)
	}
}

// etagMatches reports whether an If-Match header value names tag: "*", or
// a list of strong tags one of which is tag.
func etagMatches(ifMatch, tag string) bool {
	for t := range strings.SplitSeq(ifMatch, ",") {
		if t = strings.TrimSpace(t); t == "*" || t == tag {
			return true
		}
	}
	return false
}

// parsePost decodes a POST body. On bad input it returns a message for the
// client that names what is wrong and where, never a value.
func parsePost(body []byte) (name string, cfg Config, msg string) {
	if !utf8.Valid(body) {
		return "", nil, "request body is not valid UTF-8"
	}
	req, err := decodeJSON(body)
	if err != nil {
		return "", nil, err.Error()
	}
	obj, ok := req.(map[string]any)
	if !ok {
		return "", nil, "request body must be a JSON object"
	}
	switch n := obj["name"].(type) {
	case nil:
		return "", nil, "missing connector name"
	case string:
		var err error
		if name, err = CheckName(n); err != nil {
			return "", nil, err.Error()
		}
	default:
		return "", nil, "name must be a string"
	}
	switch c := obj["config"].(type) {
	case nil:
		return "", nil, "missing connector config object"
	case map[string]any:
		// c is the request's own: converted in place, not copied.
		v, err := normalize(c, 1, true)
		if err != nil {
			return "", nil, err.errorAt("config").Error()
		}
		cfg = v.(map[string]any)
	default:
		return "", nil, "config must be a JSON object"
	}
	return name, cfg, ""
}

func (h *Handler) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	h.fail(w, r, http.StatusMethodNotAllowed, "method not allowed", nil)
}

// updateFailed answers a failed update. The request was checked before
// it reached the store, so a store that still calls the input invalid
// gets a fixed message: its own text might quote a value.
func (h *Handler) updateFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrInvalidName):
		h.fail(w, r, http.StatusBadRequest, "invalid connector name", err)
	case errors.Is(err, ErrInvalidConfig):
		h.fail(w, r, http.StatusBadRequest, "invalid connector config", err)
	default:
		h.storeFailed(w, r, err)
	}
}

// storeFailed answers 500 without saying why; the cause goes to the log.
func (h *Handler) storeFailed(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "connector store failed", "method", r.Method, "err", err)
	h.reply(w, http.StatusInternalServerError, "", errorResponse{"connector store failed"})
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

// reply writes every response of the handler but cached ones.
func (h *Handler) reply(w http.ResponseWriter, status int, etag string, v any) {
	body, err := h.encode(v)
	if err != nil {
		status = http.StatusInternalServerError
	}
	h.write(w, status, etag, body)
}

// encode returns v as a response body. Only a value outside the value
// model can fail; the body is then a generic error.
func (h *Handler) encode(v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		h.log.Error("connector response encoding failed", "err", err)
		return []byte(`{"error":"internal error"}` + "\n"), err
	}
	return append(body, '\n'), nil
}

// write sends a response body with the headers every response carries.
func (h *Handler) write(w http.ResponseWriter, status int, etag string, body []byte) {
	hdr := w.Header()
	setCommonHeaders(hdr)
	if etag != "" && status == http.StatusOK {
		hdr["Etag"] = []string{etag}
	}
	hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
}

// setCommonHeaders sets the headers every response carries. The values
// are shared between responses (net/http only reads them), so a cached
// GET allocates nothing for its headers.
func setCommonHeaders(hdr http.Header) {
	hdr["Content-Type"] = jsonContentType
	hdr["X-Content-Type-Options"] = nosniff
	hdr["Cache-Control"] = noStore
}

// Header values shared by every response.
var (
	jsonContentType = []string{"application/json"}
	nosniff         = []string{"nosniff"}
	noStore         = []string{"no-store"}
)
