// This file holds the HTTP handler for the connectors API: options,
// routing, and the four operations.

package connectors

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf16"
	"unicode/utf8"
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
	// answered 401. Surrounding white space (a newline from a file or an
	// environment variable) is trimmed; a Token of white space only lets
	// no request in. Empty means no token is required.
	Token string

	// CrossOrigin refuses POST and DELETE requests that browsers mark as
	// cross-origin (403), so that a web page on another origin cannot
	// change connectors. Requests without browser headers (curl, Go, Node)
	// pass. Nil means a protection that trusts no other origin; to let a
	// dashboard on another origin write, pass one with
	// [http.CrossOriginProtection.AddTrustedOrigin] called for it.
	CrossOrigin *http.CrossOriginProtection

	// Supervisor, if set, is served at "/status" (GET and HEAD): the
	// status of every connector, {"connectors": {"<name>": {"state":
	// "running", "replica": "web-1", "since": "<RFC 3339>", "restarts":
	// 0, "error": "..."}}} (see ConnectorStatus), under the same token
	// and cross-origin rules as the rest. A connector named "status" is
	// then not served by GET "/status"; it is still listed, and DELETE
	// "/status" still removes it.
	Supervisor *Supervisor
}

// Handler serves the connectors API over a [Store]. Create it with
// [NewHandler]; it is safe for concurrent use.
//
// It routes on the request path relative to where it is mounted: "" or "/"
// is the collection, "/{name}" (the name URL-encoded) is one connector. See
// [Mount] for mounting it on an [http.ServeMux].
type Handler struct {
	store     Versioned
	maxBody   int64
	log       *slog.Logger
	policy    *Policy
	tokenHash *[sha256.Size]byte // nil: no token required
	origin    *http.CrossOriginProtection
	sup       *Supervisor // nil: no "/status"

	// last is the rendering of the last state seen; GET answers from it
	// while the store's revision stays the same.
	last atomic.Pointer[rendering]
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
//	GET    /status    with opts.Supervisor: 200 {"connectors": {name: status}}
//
// Every success carries an ETag of the whole stored state; a POST or
// DELETE with If-Match that no longer names the current state is refused
// with 412 and changes nothing.
//
// How much of that holds depends on what the store can do. A [Versioned]
// store gives the ETag its revision, so a tag is valid on every server of
// the same store and after a restart; If-Match, and the stored secret a
// masked POST keeps, are checked inside the store's Edit, against any
// writer. An [Updater] gets the same checks inside its Update, with tags
// that only this Handler recognizes (a keyed digest of the content). A
// store with only the four Store methods gets its writes serialized by the
// Handler: the checks hold among requests through this Handler, but a
// writer that goes around it (another Handler, a direct Put) can come
// between a check and the write it guards.
//
// Every response is JSON; every error is {"error": "message"}, with status
// 400 for bad input (naming the path of a bad value), 401 without the
// Token, 403 for a cross-origin write, 404, 405 (with Allow), 412, 413 for
// a body over MaxBodyBytes or a store over its size limit ([ErrTooLarge]),
// 415 for a POST that is not application/json, 503 when the store is
// unavailable ([ErrUnavailable]) and 500 with a generic message when it
// fails otherwise.
func NewHandler(store Store, opts HandlerOptions) *Handler {
	h := &Handler{
		maxBody: opts.MaxBodyBytes,
		log:     opts.Logger,
		policy:  opts.Policy,
		origin:  opts.CrossOrigin,
		sup:     opts.Supervisor,
	}
	switch s := store.(type) {
	case Versioned:
		h.store = s
	case Updater:
		h.store = newUpdaterAdapter(s)
	default:
		h.store = newStoreAdapter(s)
	}
	if opts.Token != "" {
		// A token of white space only trims to "", which no request can
		// present: every request is refused, never every one let in.
		sum := sha256.Sum256([]byte(strings.TrimSpace(opts.Token)))
		h.tokenHash = &sum
	}
	if h.origin == nil {
		h.origin = http.NewCrossOriginProtection()
	}
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
	if rest == "status" && h.sup != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		h.status(w, r)
		return
	}
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
		h.change(w, r, "delete", name, func(Config) (Config, error) { return nil, nil })
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

// A rendering is the GET response for one state of the store.
type rendering struct {
	state State
	etag  string
	body  []byte
	names []string // the connectors' names, sorted
	spans [][2]int // where names[i]'s `"name":{...}` is in body
}

// render returns the rendering of st: the last one if st has its
// revision. Otherwise it builds one, taking from the last one the part of
// each connector whose config is unchanged, so that after a write only
// what changed is redacted and encoded again. (A store's write shares
// the configs it did not change with the state before, which makes the
// comparison cheap; see equalValue.)
func (h *Handler) render(st State) (*rendering, error) {
	prev := h.last.Load()
	if prev != nil && prev.state.Revision == st.Revision {
		return prev, nil
	}
	if prev == nil {
		prev = &rendering{}
	}
	names := prev.names // unless the set of names changed
	if len(names) != len(st.Connectors) || slices.ContainsFunc(names, func(n string) bool { _, ok := st.Connectors[n]; return !ok }) {
		names = slices.Sorted(maps.Keys(st.Connectors))
	}
	c := &rendering{state: st, etag: etag(st.Revision), names: names, spans: make([][2]int, len(names))}
	body := append(make([]byte, 0, len(prev.body)+64), `{"connectors":{`...)
	j := 0 // walks prev.names, which are sorted too
	for i, name := range names {
		cfg := st.Connectors[name]
		for j < len(prev.names) && prev.names[j] < name {
			j++
		}
		var part []byte
		if j < len(prev.names) && prev.names[j] == name && EqualConfig(prev.state.Connectors[name], cfg) {
			part = prev.body[prev.spans[j][0]:prev.spans[j][1]]
		} else {
			k, err := json.Marshal(name)
			if err != nil {
				return nil, err
			}
			v, err := json.Marshal(h.policy.Redact(cfg))
			if err != nil {
				return nil, err
			}
			part = append(append(k, ':'), v...)
		}
		if i > 0 {
			body = append(body, ',')
		}
		c.spans[i] = [2]int{len(body), len(body) + len(part)}
		body = append(body, part...)
	}
	c.body = append(body, "}}\n"...)
	h.last.Store(c)
	return c, nil
}

// etag returns the entity tag of a revision: a digest, so that it is a
// valid tag whatever the revision holds, and the same on every server.
func etag(revision string) string {
	sum := sha256.Sum256([]byte("connectors etag\x00" + revision))
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
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

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	st, err := h.store.State(r.Context())
	if err != nil {
		h.storeFailed(w, r, err)
		return
	}
	c, err := h.render(st)
	if err != nil {
		h.storeFailed(w, r, err)
		return
	}
	h.write(w, http.StatusOK, c.etag, c.body)
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	state, err := h.store.State(r.Context())
	if err != nil {
		h.storeFailed(w, r, err)
		return
	}
	st, err := h.sup.statusOf(r.Context(), state.Connectors)
	if err != nil {
		h.storeFailed(w, r, err)
		return
	}
	// The errors were masked by the policy of the replica that wrote
	// them; mask them again by this Handler's.
	for name, c := range st {
		if c.Error != "" {
			c.Error = h.policy.RedactText(c.Error, state.Connectors[name])
			st[name] = c
		}
	}
	h.reply(w, http.StatusOK, "", struct {
		Connectors map[string]ConnectorStatus `json:"connectors"`
	}{st})
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request, name string) {
	// The whole state, not Get: the ETag is of all of it.
	st, err := h.store.State(r.Context())
	if err != nil {
		h.storeFailed(w, r, err)
		return
	}
	cfg, ok := st.Connectors[name]
	if !ok {
		// A store may hold a connector it cannot show (a FileStore's
		// connector with a value outside the value model): its Get says
		// why, and that is a store failure, not a 404.
		if _, err := h.store.Get(r.Context(), name); err != nil && !errors.Is(err, ErrNotFound) {
			h.storeFailed(w, r, err)
			return
		}
		h.fail(w, r, http.StatusNotFound, "connector not found", nil)
		return
	}
	h.reply(w, http.StatusOK, etag(st.Revision), struct {
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
	name, sent, msg := parsePost(body, h.policy)
	if msg != "" {
		h.fail(w, r, http.StatusBadRequest, msg, nil)
		return
	}
	h.change(w, r, "put", name, func(stored Config) (Config, error) {
		// A client that read the config redacted may send masks back:
		// they mean "keep the stored secret", never a new one.
		return h.policy.Restore(sent, stored)
	})
}

// errPrecondition is what an edit returns when If-Match names a state
// that is no longer current.
var errPrecondition = errors.New("connectors changed since the ETag in If-Match")

// A clientError is an edit's refusal of the request, written for the
// client.
type clientError struct{ err error }

func (e clientError) Error() string { return e.err.Error() }

// change sets the named connector to what edit returns for its stored
// config (nil: remove it), in one step with the If-Match check, and
// answers with the whole redacted map after the change.
func (h *Handler) change(w http.ResponseWriter, r *http.Request, op, name string, edit func(stored Config) (Config, error)) {
	ctx := r.Context()
	// Several If-Match lines are one list (RFC 9110, section 5.3).
	ifMatch := strings.Join(r.Header.Values("If-Match"), ",")
	var before string // the revision the change was made on
	st, err := h.store.Edit(ctx, func(cur State) (map[string]Config, error) {
		before = cur.Revision
		if ifMatch != "" && !etagMatches(ifMatch, etag(cur.Revision)) {
			return nil, errPrecondition
		}
		cfg, err := edit(cur.Connectors[name])
		if err != nil {
			return nil, clientError{err}
		}
		return map[string]Config{name: cfg}, nil
	})
	var ce clientError
	switch {
	case errors.Is(err, errPrecondition):
		h.fail(w, r, http.StatusPreconditionFailed, errPrecondition.Error(), nil)
		return
	case errors.As(err, &ce):
		h.fail(w, r, http.StatusBadRequest, ce.Error(), nil)
		return
	case err != nil:
		h.storeFailed(w, r, err)
		return
	}
	c, err := h.render(st)
	if err != nil {
		h.storeFailed(w, r, err)
		return
	}
	if st.Revision != before {
		h.log.InfoContext(ctx, "connector changed", "connector", name, "op", op)
	}
	h.write(w, http.StatusOK, c.etag, c.body)
}

// parsePost decodes a POST body. On bad input it returns a message for the
// client that names what is wrong and where, never a value nor a key that
// is a secret under policy.
func parsePost(body []byte, policy *Policy) (name string, cfg Config, msg string) {
	if !utf8.Valid(body) {
		return "", nil, "request body is not valid UTF-8"
	}
	if loneSurrogate(body) {
		return "", nil, `request body escapes half of a UTF-16 surrogate pair alone (such as "\ud800")`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var req any
	if err := dec.Decode(&req); err != nil {
		return "", nil, jsonProblem(body, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", nil, "invalid JSON: data after the request object"
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
			return "", nil, err.errorAt("config", policy).Error()
		}
		cfg = v.(map[string]any)
	default:
		return "", nil, "config must be a JSON object"
	}
	return name, cfg, ""
}

// loneSurrogate reports whether the JSON text body escapes half of a
// UTF-16 surrogate pair without the other ("\ud800"), which is no
// character: encoding/json reads it as U+FFFD, which would change a
// secret or a name without a word. A backslash outside a string is
// invalid JSON, which the decoder reports.
func loneSurrogate(body []byte) bool {
	half := func(at int) (rune, bool) { // the \uXXXX at body[at:], if any
		if at+6 > len(body) || body[at] != '\\' || body[at+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(body[at+2:at+6]), 16, 16)
		return rune(n), err == nil
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		r, ok := half(i)
		switch {
		case !ok:
			i++ // an escape of one character: a backslash escapes no other
		case utf16.IsSurrogate(r):
			next, ok := half(i + 6)
			if r >= 0xdc00 || !ok || next < 0xdc00 || next > 0xdfff {
				return true
			}
			i += 11
		default:
			i += 5
		}
	}
	return false
}

// jsonProblem describes a decoding error by position only: the decoder's
// own message can quote the input.
func jsonProblem(body []byte, err error) string {
	var serr *json.SyntaxError
	switch {
	case errors.As(err, &serr):
		return "invalid JSON at byte " + strconv.FormatInt(serr.Offset, 10)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "invalid JSON: unexpected end of body"
	}
	return "invalid JSON"
}

// storeAdapter makes a Store that has only the four methods Versioned.
// Its writes are serialized by a lock; its revision is a digest of the
// content under a key of this process, so that it reveals nothing.
type storeAdapter struct {
	Store
	key     [32]byte
	writing chan struct{}
}

func newStoreAdapter(s Store) *storeAdapter {
	a := &storeAdapter{Store: s, writing: make(chan struct{}, 1)}
	randomKey(a.key[:])
	return a
}

func (a *storeAdapter) State(ctx context.Context) (State, error) {
	return listState(ctx, a, a.key[:])
}

// listState is the state of a store without revisions: its List, with a
// keyed digest of it for the revision.
func listState(ctx context.Context, s Store, key []byte) (State, error) {
	m, err := s.List(ctx)
	if err != nil {
		return State{}, err
	}
	return State{Revision: contentRevision(key, m), Connectors: m}, nil
}

func (a *storeAdapter) Edit(ctx context.Context, fn func(State) (map[string]Config, error)) (State, error) {
	select {
	case a.writing <- struct{}{}:
		defer func() { <-a.writing }()
	case <-ctx.Done():
		return State{}, ctx.Err()
	}
	cur, err := a.State(ctx)
	if err != nil {
		return State{}, err
	}
	changes, err := fn(cur)
	if err != nil {
		return State{}, err
	}
	for name, cfg := range changes {
		if cfg == nil {
			err = a.Delete(ctx, name)
		} else {
			err = a.Put(ctx, name, cfg)
		}
		if err != nil {
			return State{}, err
		}
	}
	return a.State(ctx)
}

// updaterAdapter makes an Updater Versioned: Edit runs in its Update.
type updaterAdapter struct {
	Updater
	key [32]byte
}

func newUpdaterAdapter(s Updater) *updaterAdapter {
	a := &updaterAdapter{Updater: s}
	randomKey(a.key[:])
	return a
}

func (a *updaterAdapter) State(ctx context.Context) (State, error) {
	return listState(ctx, a, a.key[:])
}

func (a *updaterAdapter) Edit(ctx context.Context, fn func(State) (map[string]Config, error)) (State, error) {
	var after State
	err := a.Update(ctx, func(m map[string]Config) error {
		changes, err := fn(State{Revision: contentRevision(a.key[:], m), Connectors: m})
		if err != nil {
			return err
		}
		for name, cfg := range changes {
			if cfg == nil {
				delete(m, name)
			} else {
				m[name] = CloneConfig(cfg)
			}
		}
		// The state after, in a copy: m is not ours once fn returns.
		after = State{Revision: contentRevision(a.key[:], m), Connectors: cloneAll(m)}
		return nil
	})
	return after, err
}
