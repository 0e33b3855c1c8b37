// This file holds the benchmarks. Each runs beside its floor, measured in
// the same run and named so that
//
//	go test -run '^$' -bench . -benchmem
//
// prints pairs that compare directly, such as BenchmarkGET/file/n=100
// against BenchmarkGET/baseline/n=100. With the default -benchtime a run
// takes a minute or two. A fixed count such as -benchtime 200x is too few
// for the GETs, which take nanoseconds, and too many for the writes of
// 10,000 connectors, which take most of a second; to compare two versions
// of the library, run each with -count 6 and compare with benchstat.

package connectors

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchSizes are the numbers of connectors a store holds in the benchmarks.
var benchSizes = []int{10, 100, 1000, 10000}

// benchWriters are the numbers of concurrent writers of
// BenchmarkPOSTConcurrent.
var benchWriters = []int{1, 8, 32}

// benchHostData is the rest of the host's config file, which every write
// must keep.
const benchHostData = `[agent]
model = "claude-sonnet"
maxTokens = 8192
workspace = "/srv/agent"

[gateway]
bind = "127.0.0.1"
port = 8080
`

// benchConfig returns connector i of a realistic set: a Telegram, Discord
// or Slack bot, in turn, with a few nested fields and secrets that differ
// from one connector to the next. The set is the same on every run.
func benchConfig(i int) (name string, cfg Config) {
	secret := func(tag string) string {
		return fmt.Sprintf("%s%016x%016x", tag, uint64(i+1)*0x9e3779b97f4a7c15, uint64(i+1)*0xbf58476d1ce4e5b9)
	}
	switch i % 3 {
	case 0:
		return fmt.Sprintf("telegram-%05d", i), Config{
			"enabled":   true,
			"botToken":  fmt.Sprintf("%d:AAH%s", 6000000000+i, secret("")),
			"allowFrom": []any{"@alice", "@bob"},
			"parseMode": "MarkdownV2",
			"webhook": map[string]any{
				"url":            fmt.Sprintf("https://bot.example.com/telegram/%d", i),
				"secretToken":    secret("wh-"),
				"maxConnections": int64(40),
			},
			"streaming": map[string]any{"enabled": true, "chunkChars": int64(800)},
		}
	case 1:
		return fmt.Sprintf("discord-%05d", i), Config{
			"enabled":       true,
			"token":         "MTA" + secret("."),
			"applicationId": fmt.Sprintf("%d", 1100000000000000000+i),
			"intents":       int64(33281),
			"temperature":   0.7,
			"guilds": []any{map[string]any{
				"id":             fmt.Sprintf("%d", 900000000000000000+i),
				"channels":       []any{"general", "ops"},
				"requireMention": true,
			}},
			"proxy": map[string]any{"url": "http://proxy.internal:3128", "password": secret("p-")},
		}
	default:
		return fmt.Sprintf("slack-%05d", i), Config{
			"enabled":       true,
			"mode":          "socket",
			"botToken":      "xoxb-" + secret(""),
			"appToken":      "xapp-1-" + secret(""),
			"signingSecret": secret(""),
			"channels":      []any{"#ops", "#alerts"},
			"maxTokens":     int64(4096),
			"oauth": map[string]any{
				"clientId":     fmt.Sprintf("%d.%d", 4000000+i, 7000000+i),
				"clientSecret": secret("cs-"),
			},
		}
	}
}

// benchConfigs returns connectors 0 to n-1 of benchConfig.
func benchConfigs(n int) map[string]Config {
	m := make(map[string]Config, n)
	for i := range n {
		name, cfg := benchConfig(i)
		m[name] = cfg
	}
	return m
}

// seedBenchStore adds connectors 0 to n-1 of benchConfig to s in one write.
func seedBenchStore(b *testing.B, s Updater, n int) {
	b.Helper()
	err := s.Update(context.Background(), func(m map[string]Config) error {
		for name, cfg := range benchConfigs(n) {
			m[name] = cfg
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// newBenchMemoryStore returns a MemoryStore holding n connectors.
func newBenchMemoryStore(b *testing.B, n int) *MemoryStore {
	b.Helper()
	s := new(MemoryStore)
	seedBenchStore(b, s, n)
	return s
}

// newBenchFileStore returns a FileStore on a new file, in the given
// format ("toml" or "json"), that holds the host's data and n connectors.
func newBenchFileStore(b *testing.B, format string, n int) *FileStore {
	b.Helper()
	path := filepath.Join(b.TempDir(), "agent."+format)
	if format == "toml" {
		if err := os.WriteFile(path, []byte(benchHostData), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	s, err := NewFileStore(path, FileOptions{})
	if err != nil {
		b.Fatal(err)
	}
	seedBenchStore(b, s, n)
	// A config file is read long after it was last written. Dating it back
	// keeps the benchmark on that path: a store may reasonably trust a
	// file's size and time only once its clock has moved past the last
	// write, and read it whole until then.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		b.Fatal(err)
	}
	// Read it once, as a server has by the time it serves its first GET.
	if _, err := s.List(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}

// newBenchStore returns the store of the given kind holding n connectors:
// "memory", "file" (TOML) or "file-json".
func newBenchStore(b *testing.B, kind string, n int) Updater {
	b.Helper()
	switch kind {
	case "memory":
		return newBenchMemoryStore(b, n)
	case "file":
		return newBenchFileStore(b, "toml", n)
	case "file-json":
		return newBenchFileStore(b, "json", n)
	}
	b.Fatalf("unknown store kind %q", kind)
	return nil
}

// benchResponseWriter is an http.ResponseWriter that keeps the status and
// the header and only counts the body, so that a benchmark measures the
// handler, not a recorder growing its buffer.
type benchResponseWriter struct {
	header http.Header
	status int
	n      int
}

func newBenchResponseWriter() *benchResponseWriter {
	return &benchResponseWriter{header: make(http.Header)}
}

func (w *benchResponseWriter) Header() http.Header { return w.header }

func (w *benchResponseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *benchResponseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	return len(p), nil
}

// reset readies w for the next request.
func (w *benchResponseWriter) reset() {
	clear(w.header)
	w.status, w.n = 0, 0
}

// cannedResponse is the floor of a handler: it writes a response captured
// from the real handler, the same headers and bytes, with no work at all.
// The header values are shared between responses, so that setting them
// allocates nothing.
type cannedResponse struct {
	header http.Header
	body   []byte
}

func (c *cannedResponse) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	for k, v := range c.header {
		hdr[k] = v
	}
	w.WriteHeader(http.StatusOK)
	w.Write(c.body)
}

// captureResponse serves req with h once and returns what it wrote, which
// must be a 200.
func captureResponse(b *testing.B, h http.Handler, req *http.Request) *cannedResponse {
	b.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s %s: status %d: %s", req.Method, req.URL, rec.Code, rec.Body)
	}
	return &cannedResponse{header: rec.Header().Clone(), body: rec.Body.Bytes()}
}

// benchListResponse is the handler's response to GET / for n connectors,
// captured from a MemoryStore.
func benchListResponse(b *testing.B, n int) *cannedResponse {
	b.Helper()
	h := NewHandler(newBenchMemoryStore(b, n), HandlerOptions{})
	return captureResponse(b, h, httptest.NewRequest(http.MethodGet, "/", nil))
}

// BenchmarkGET lists n connectors through the handler, on each store,
// against a handler that writes the same response already encoded. The
// FileStore's file does not change during the benchmark.
func BenchmarkGET(b *testing.B) {
	for _, kind := range []string{"baseline", "memory", "file"} {
		b.Run(kind, func(b *testing.B) {
			for _, n := range benchSizes {
				b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
					req := httptest.NewRequest(http.MethodGet, "/", nil)
					canned := benchListResponse(b, n)
					var h http.Handler = canned
					if kind != "baseline" {
						h = NewHandler(newBenchStore(b, kind, n), HandlerOptions{})
						// Compare like with like: the store must serve
						// the very bytes the baseline writes.
						if got := captureResponse(b, h, req); !bytes.Equal(got.body, canned.body) {
							b.Fatalf("%s store serves a different body than the baseline", kind)
						}
					}
					w := newBenchResponseWriter()
					for b.Loop() {
						w.reset()
						h.ServeHTTP(w, req)
						if w.status != http.StatusOK {
							b.Fatalf("GET: status %d", w.status)
						}
					}
				})
			}
		})
	}
}

// BenchmarkGETHTTP is BenchmarkGET as a client sees it: each GET goes
// over a kept-alive loopback connection to a net/http server, whose cost
// is the floor the issue sets ("serving bytes over net/http"). The
// baseline serves the same pre-encoded bytes through the same server.
func BenchmarkGETHTTP(b *testing.B) {
	for _, kind := range []string{"baseline", "memory", "file"} {
		b.Run(kind, func(b *testing.B) {
			for _, n := range benchSizes {
				b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
					var h http.Handler = benchListResponse(b, n)
					if kind != "baseline" {
						h = NewHandler(newBenchStore(b, kind, n), HandlerOptions{})
					}
					get := newBenchGetter(b, h)
					for b.Loop() {
						get()
					}
				})
			}
		})
	}
}

// newBenchGetter serves h on loopback and returns a function that GETs
// its root over a kept-alive connection and reads the whole response.
func newBenchGetter(b *testing.B, h http.Handler) func() {
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	client := srv.Client()
	buf := make([]byte, 64<<10)
	return func() {
		resp, err := client.Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				break
			}
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET: status %d", resp.StatusCode)
		}
	}
}

// BenchmarkGETHTTPPaired is BenchmarkGETHTTP/file against its baseline
// with the two interleaved, each iteration one GET of each, for the
// reason and with the metrics of BenchmarkPOSTPaired.
func BenchmarkGETHTTPPaired(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			floor := newBenchGetter(b, benchListResponse(b, n))
			api := newBenchGetter(b, NewHandler(newBenchStore(b, "file", n), HandlerOptions{}))
			var p pairTimes
			for i := 0; b.Loop(); i++ {
				p.run(i, floor, api)
			}
			p.report(b)
		})
	}
}

// pairTimes are the times of an interleaved benchmark and its floor.
type pairTimes struct{ floor, api []time.Duration }

// run times iteration i of floor and api, one after the other, each
// first in turn, so that neither always follows the other's work.
func (p *pairTimes) run(i int, floor, api func()) {
	timed := func(f func()) time.Duration {
		t0 := time.Now()
		f()
		return time.Since(t0)
	}
	if i%2 == 0 {
		p.floor = append(p.floor, timed(floor))
		p.api = append(p.api, timed(api))
	} else {
		p.api = append(p.api, timed(api))
		p.floor = append(p.floor, timed(floor))
	}
}

// report reports the ratios of p: "ratio", total time over the floor's,
// and "median-ratio", median over the floor's median, which a stray slow
// operation moves less; "over-us", the difference of the medians in
// microseconds, which moves less than the ratio with the floor's speed
// (a disk's fsync takes from half a millisecond to several); and each
// side's time per operation.
func (p *pairTimes) report(b *testing.B) {
	sum := func(ds []time.Duration) (t time.Duration) {
		for _, d := range ds {
			t += d
		}
		return t
	}
	median := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	b.ReportMetric(float64(sum(p.api))/float64(sum(p.floor)), "ratio")
	b.ReportMetric(float64(median(p.api))/float64(median(p.floor)), "median-ratio")
	b.ReportMetric(float64(median(p.api)-median(p.floor))/1e3, "over-us")
	b.ReportMetric(float64(sum(p.floor).Nanoseconds())/float64(len(p.floor)), "floor-ns/op")
	b.ReportMetric(float64(sum(p.api).Nanoseconds())/float64(len(p.api)), "api-ns/op")
}

// BenchmarkList is the read path of the stores: List on an unchanged
// file, TOML or JSON, against List on a MemoryStore, which only copies.
func BenchmarkList(b *testing.B) {
	ctx := context.Background()
	for _, kind := range []string{"memory", "file", "file-json"} {
		b.Run(kind, func(b *testing.B) {
			for _, n := range benchSizes {
				b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
					s := newBenchStore(b, kind, n)
					for b.Loop() {
						m, err := s.List(ctx)
						if err != nil || len(m) != n {
							b.Fatalf("List: %d connectors, %v; want %d", len(m), err, n)
						}
					}
				})
			}
		})
	}
}

// benchPost sends POSTs that each change one connector, as a dashboard
// does: the config it read, redacted, sent back with one field changed.
// Bodies alternate between two revisions, so every POST is a write.
type benchPost struct {
	req    *http.Request
	body   bytesBody
	bodies [2][]byte
	next   int
}

// bytesBody is a request body that can be refilled for the next request.
type bytesBody struct{ bytes.Reader }

func (*bytesBody) Close() error { return nil }

// newBenchPost returns POSTs of connector i of benchConfig.
func newBenchPost(b *testing.B, i int) *benchPost {
	b.Helper()
	name, cfg := benchConfig(i)
	p := &benchPost{req: httptest.NewRequest(http.MethodPost, "/", nil)}
	p.req.Header.Set("Content-Type", "application/json")
	p.req.Body = &p.body
	for rev := range p.bodies {
		sent := Redact(cfg)
		sent["revision"] = int64(rev + 1)
		body, err := json.Marshal(map[string]any{"name": name, "config": sent})
		if err != nil {
			b.Fatal(err)
		}
		p.bodies[rev] = body
	}
	return p
}

// serve sends the next POST to h and reports its status.
func (p *benchPost) serve(h http.Handler, w *benchResponseWriter) int {
	p.body.Reset(p.bodies[p.next])
	p.next ^= 1
	w.reset()
	h.ServeHTTP(w, p.req)
	return w.status
}

// replaceDurably is the floor of a FileStore write: new bytes in a
// temporary file beside target, synced, closed, renamed over target, and
// the directory synced so that the rename is durable. Nothing else: no
// read, parse, encode or lock.
func replaceDurably(target string, data []byte) error {
	dir := filepath.Dir(target)
	f, err := os.CreateTemp(dir, ".bench-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), target); err != nil {
		os.Remove(f.Name())
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	d.Sync() // best effort, as FileStore: Windows cannot sync a directory
	return d.Close()
}

// BenchmarkPOSTPaired is BenchmarkPOST/file against its floor with the two
// interleaved: each iteration does one bare durable replace and one POST,
// timing each, so that both see the same machine. On a shared machine
// whose speed drifts over minutes, its ratio metrics (see pairTimes.report)
// are steadier than the ratio of two separate benchmarks. ns/op is the
// pair.
func BenchmarkPOSTPaired(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			path, data := benchFileAfterPost(b, newBenchFileStore(b, "toml", n))
			h := NewHandler(newBenchStore(b, "file", n), HandlerOptions{})
			post, w := newBenchPost(b, 0), newBenchResponseWriter()
			floor := func() {
				if err := replaceDurably(path, data); err != nil {
					b.Fatal(err)
				}
			}
			api := func() {
				if status := post.serve(h, w); status != http.StatusOK {
					b.Fatalf("POST: status %d", status)
				}
			}
			var p pairTimes
			for i := 0; b.Loop(); i++ {
				p.run(i, floor, api)
			}
			p.report(b)
		})
	}
}

// BenchmarkPOSTHTTPPaired is the end-to-end write: a POST over loopback
// HTTP through the handler on a FileStore (TOML) holding n connectors,
// interleaved with its floor, a server that reads the body, durably
// replaces a file of the same size and answers the same bytes. Each
// iteration times one request to each, taking turns going first. The
// case host=120KB is the same on commentedHostFile, a host's large,
// commented config file with a few connectors at its end.
func BenchmarkPOSTHTTPPaired(b *testing.B) {
	for _, n := range benchSizes[:2] {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			benchPOSTHTTPPaired(b, func(b *testing.B) *FileStore { return newBenchFileStore(b, "toml", n) })
		})
	}
	b.Run("host=120KB", func(b *testing.B) { benchPOSTHTTPPaired(b, newBenchHostFileStore) })
}

// benchPOSTHTTPPaired runs BenchmarkPOSTHTTPPaired on a store that
// newStore makes.
func benchPOSTHTTPPaired(b *testing.B, newStore func(*testing.B) *FileStore) {
	path, data := benchFileAfterPost(b, newStore(b))
	api := NewHandler(newStore(b), HandlerOptions{})
	benchPairedWithFloor(b, api, path, data)
}

// BenchmarkPOSTHTTPPairedMemory is BenchmarkPOSTHTTPPaired/n=... with the
// handler on a MemoryStore instead, that does the floor's durable
// replace of the FileStore's file before each POST: what the handler
// costs above the floor, which no store's work can go below.
func BenchmarkPOSTHTTPPairedMemory(b *testing.B) {
	for _, n := range benchSizes[:2] {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			path, data := benchFileAfterPost(b, newBenchFileStore(b, "toml", n))
			h := NewHandler(newBenchMemoryStore(b, n), HandlerOptions{})
			other := filepath.Join(b.TempDir(), "agent.toml")
			api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := replaceDurably(other, data); err != nil {
					b.Error(err)
				}
				h.ServeHTTP(w, r)
			})
			benchPairedWithFloor(b, api, path, data)
		})
	}
}

// benchPairedWithFloor POSTs connector 0 of benchConfig over loopback to
// api and to its floor, which reads the body, durably replaces the file
// at path with data and answers what api answers, timing them in turn.
func benchPairedWithFloor(b *testing.B, api http.Handler, path string, data []byte) {
	bodies := newBenchPost(b, 0).bodies
	answer := captureResponse(b, api, benchRequest(bodies[0]))
	floor := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			b.Error(err)
		}
		if err := replaceDurably(path, data); err != nil {
			b.Error(err)
		}
		answer.ServeHTTP(w, r)
	})
	postFloor, postAPI := newBenchPoster(b, floor, bodies), newBenchPoster(b, api, bodies)
	var p pairTimes
	for i := 0; b.Loop(); i++ {
		p.run(i, postFloor, postAPI)
	}
	p.report(b)
}

// newBenchHostFileStore returns a FileStore on a new copy of
// commentedHostFile with connector 0 of benchConfig added, the one the
// benchmarks POST, and read once, as newBenchFileStore's.
func newBenchHostFileStore(b *testing.B) *FileStore {
	b.Helper()
	path := filepath.Join(b.TempDir(), "agent.toml")
	if err := os.WriteFile(path, commentedHostFile(), 0o600); err != nil {
		b.Fatal(err)
	}
	s, err := NewFileStore(path, FileOptions{})
	if err != nil {
		b.Fatal(err)
	}
	seedBenchStore(b, s, 1)
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		b.Fatal(err)
	}
	if _, err := s.List(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}

// benchRequest is a POST of body to the handler's root.
func benchRequest(body []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// newBenchPoster serves h on loopback and returns a function that POSTs
// the bodies in turn over a kept-alive connection and reads the whole
// response.
func newBenchPoster(b *testing.B, h http.Handler, bodies [2][]byte) func() {
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	client := srv.Client()
	next := 0
	return func() {
		resp, err := client.Post(srv.URL, "application/json", bytes.NewReader(bodies[next]))
		if err != nil {
			b.Fatal(err)
		}
		next ^= 1
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("POST: status %d", resp.StatusCode)
		}
	}
}

// benchFileAfterPost returns a new file for the baseline of a POST: in
// a directory of its own, as large as the file of s, a new FileStore,
// after a POST of connector 0 of benchConfig.
func benchFileAfterPost(b *testing.B, s *FileStore) (path string, data []byte) {
	b.Helper()
	if status := newBenchPost(b, 0).serve(NewHandler(s, HandlerOptions{}), newBenchResponseWriter()); status != http.StatusOK {
		b.Fatalf("POST: status %d", status)
	}
	data, err := os.ReadFile(s.Path())
	if err != nil {
		b.Fatal(err)
	}
	path = filepath.Join(b.TempDir(), "agent.toml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	return path, data
}

// BenchmarkPOST replaces one of n connectors through the handler, against
// a bare durable replace of a file of the same size. The MemoryStore shows
// what the handler costs without any file.
func BenchmarkPOST(b *testing.B) {
	for _, kind := range []string{"baseline", "memory", "file"} {
		b.Run(kind, func(b *testing.B) {
			for _, n := range benchSizes {
				b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
					if kind == "baseline" {
						path, data := benchFileAfterPost(b, newBenchFileStore(b, "toml", n))
						for b.Loop() {
							if err := replaceDurably(path, data); err != nil {
								b.Fatal(err)
							}
						}
						return
					}
					h := NewHandler(newBenchStore(b, kind, n), HandlerOptions{})
					post, w := newBenchPost(b, 0), newBenchResponseWriter()
					for b.Loop() {
						if status := post.serve(h, w); status != http.StatusOK {
							b.Fatalf("POST: status %d", status)
						}
					}
				})
			}
		})
	}
}

// BenchmarkPOSTConcurrent has 1, 8 and 32 writers POST at once to a
// FileStore of 100 connectors, each writer changing a connector of its
// own, against as many writers doing bare durable replaces of one file of
// the same size. It reports the throughput as writes/s.
func BenchmarkPOSTConcurrent(b *testing.B) {
	const n = 100
	for _, kind := range []string{"baseline", "file"} {
		b.Run(kind, func(b *testing.B) {
			for _, writers := range benchWriters {
				b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
					var write func(g int) func() error
					if kind == "baseline" {
						path, data := benchFileAfterPost(b, newBenchFileStore(b, "toml", n))
						write = func(int) func() error {
							return func() error { return replaceDurably(path, data) }
						}
					} else {
						h := NewHandler(newBenchStore(b, kind, n), HandlerOptions{})
						write = func(g int) func() error {
							post, w := newBenchPost(b, g), newBenchResponseWriter()
							return func() error {
								if status := post.serve(h, w); status != http.StatusOK {
									return fmt.Errorf("POST: status %d", status)
								}
								return nil
							}
						}
					}
					ops := make([]func() error, writers)
					for g := range ops {
						ops[g] = write(g)
					}

					var next atomic.Int64
					var wg sync.WaitGroup
					b.ResetTimer()
					start := time.Now()
					for _, op := range ops {
						wg.Go(func() {
							for next.Add(1) <= int64(b.N) {
								if err := op(); err != nil {
									b.Error(err)
									return
								}
							}
						})
					}
					wg.Wait()
					elapsed := time.Since(start)
					b.StopTimer()
					b.ReportMetric(float64(b.N)/elapsed.Seconds(), "writes/s")
				})
			}
		})
	}
}

// BenchmarkRedact redacts one config of each shape, against a deep copy,
// which Redact also makes.
func BenchmarkRedact(b *testing.B) {
	for _, kind := range []string{"baseline", "redact"} {
		b.Run(kind, func(b *testing.B) {
			for i, shape := range []string{"telegram", "discord", "slack"} {
				b.Run(shape, func(b *testing.B) {
					_, cfg := benchConfig(i)
					if kind == "baseline" {
						for b.Loop() {
							cloneConfig(cfg)
						}
						return
					}
					for b.Loop() {
						Redact(cfg)
					}
				})
			}
		})
	}
}

// BenchmarkRedactAll redacts every config of n connectors, as each
// response of the handler does, against a deep copy of them.
func BenchmarkRedactAll(b *testing.B) {
	var p *Policy
	for _, kind := range []string{"baseline", "redact"} {
		b.Run(kind, func(b *testing.B) {
			for _, n := range benchSizes {
				b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
					m := benchConfigs(n)
					if kind == "baseline" {
						for b.Loop() {
							cloneAll(m)
						}
						return
					}
					for b.Loop() {
						p.RedactAll(m)
					}
				})
			}
		})
	}
}
