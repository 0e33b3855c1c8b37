// This file holds the benchmarks: GET and POST over loopback HTTP, each
// interleaved with its floor, and the propagation of a write to another
// replica's watcher.

package pgstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/connectorkit/connectors"
	"github.com/jackc/pgx/v5/pgxpool"
)

// benchConnectors is how many connectors the benchmarks' store holds: an
// agent with many platforms.
const benchConnectors = 12

// benchConfig returns connector i: a Telegram, Discord or Slack bot in
// turn, with nested fields and secrets of its own.
func benchConfig(i int) (string, connectors.Config) {
	secret := fmt.Sprintf("%016x%016x", uint64(i+1)*0x9e3779b97f4a7c15, uint64(i+1)*0xbf58476d1ce4e5b9)
	switch i % 3 {
	case 0:
		return fmt.Sprintf("telegram-%02d", i), connectors.Config{
			"enabled": true, "botToken": fmt.Sprintf("%d:AAH%s", 6000000000+i, secret),
			"allowFrom": []any{"@alice", "@bob"},
			"webhook":   map[string]any{"url": fmt.Sprintf("https://bot.example.com/t/%d", i), "secretToken": secret},
		}
	case 1:
		return fmt.Sprintf("discord-%02d", i), connectors.Config{
			"enabled": true, "token": "MTA." + secret, "intents": int64(33281), "temperature": 0.7,
			"guilds": []any{map[string]any{"id": fmt.Sprint(900000000000000000 + i), "channels": []any{"general", "ops"}}},
		}
	default:
		return fmt.Sprintf("slack-%02d", i), connectors.Config{
			"enabled": true, "mode": "socket", "botToken": "xoxb-" + secret, "appToken": "xapp-1-" + secret,
			"channels": []any{"#ops", "#alerts"}, "maxTokens": int64(4096),
		}
	}
}

// newBenchStore returns a store with benchConnectors connectors.
func newBenchStore(b *testing.B, db *testDB, app string) *Store {
	s := db.store(b, app, db.options())
	err := s.Update(b.Context(), func(m map[string]connectors.Config) error {
		for i := range benchConnectors {
			name, cfg := benchConfig(i)
			m[name] = cfg
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// canned is a handler that answers every request with one response,
// reading the request's body first.
type canned struct {
	header http.Header
	body   []byte
	before func(body []byte) error // run on the request body, if set
}

func (c *canned) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err == nil && c.before != nil {
		err = c.before(body)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for k, v := range c.header {
		w.Header()[k] = v
	}
	w.WriteHeader(http.StatusOK)
	w.Write(c.body)
}

// client sends requests to one loopback server over kept-alive
// connections and reads whole responses.
type client struct {
	b   *testing.B
	srv *httptest.Server
}

func newClient(b *testing.B, h http.Handler) *client {
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	return &client{b, srv}
}

// do sends a request, with body as JSON if it is not nil, and returns the
// response, which must be a 200; it may run on any goroutine, so it
// reports failure with Error and returns nil.
func (c *client) do(method string, body []byte) *canned {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, c.srv.URL, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		c.b.Error(err)
		return nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		c.b.Errorf("%s: %d %s %v", method, resp.StatusCode, data, err)
		return nil
	}
	return &canned{header: resp.Header, body: data}
}

// pairs holds the times of a benchmark interleaved with its floor.
type pairs struct{ floor, api []time.Duration }

// run times floor and api once each, each first in turn, so that neither
// always runs in the wake of the other.
func (p *pairs) run(i int, floor, api func()) {
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

// report reports the time per operation of each, and the ratio of the
// API's to the floor's, in total and of medians.
func (p *pairs) report(b *testing.B) {
	median := func(ds []time.Duration) time.Duration {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	b.ReportMetric(float64(sum(p.api))/float64(sum(p.floor)), "ratio")
	b.ReportMetric(float64(median(p.api))/float64(median(p.floor)), "median-ratio")
	b.ReportMetric(float64(sum(p.floor).Microseconds())/float64(len(p.floor)), "floor-µs/op")
	b.ReportMetric(float64(sum(p.api).Microseconds())/float64(len(p.api)), "api-µs/op")
}

func sum(ds []time.Duration) (t time.Duration) {
	for _, d := range ds {
		t += d
	}
	return t
}

// BenchmarkGETPaired lists the connectors of an unchanged store through
// the Handler, against a server answering the same bytes: the floor of
// serving over net/http. A ratio of 2 is half the floor's throughput.
func BenchmarkGETPaired(b *testing.B) {
	db := newTestDB(b)
	api := newClient(b, connectors.NewHandler(newBenchStore(b, db, "bench"), connectors.HandlerOptions{}))
	floor := newClient(b, api.do("GET", nil))
	p := pairs{}
	for i := 0; b.Loop(); i++ {
		p.run(i, func() { floor.do("GET", nil) }, func() { api.do("GET", nil) })
	}
	p.report(b)
}

// BenchmarkGETPairedFresh is BenchmarkGETPaired against a floor that
// makes one round trip to the database (SELECT 1) before it answers: the
// least that a GET must do to reflect every write acknowledged, on any
// replica, before it began. It shows what the store adds to that.
func BenchmarkGETPairedFresh(b *testing.B) {
	db := newTestDB(b)
	api := newClient(b, connectors.NewHandler(newBenchStore(b, db, "bench"), connectors.HandlerOptions{}))
	pool := db.pool(b, "bench-floor")
	resp := api.do("GET", nil)
	resp.before = func([]byte) error {
		var one int
		return pool.QueryRow(b.Context(), "SELECT 1").Scan(&one)
	}
	floor := newClient(b, resp)
	p := pairs{}
	for i := 0; b.Loop(); i++ {
		p.run(i, func() { floor.do("GET", nil) }, func() { api.do("GET", nil) })
	}
	p.report(b)
}

// BenchmarkGETThroughput is BenchmarkGETPaired with concurrent clients:
// each operation is a round of GETs from several clients at once, on the
// floor and on the Handler in turn. The ratio is the floor's throughput
// over the Handler's: 2 is half the floor's throughput.
func BenchmarkGETThroughput(b *testing.B) {
	const clients, perClient = 4, 16
	db := newTestDB(b)
	api := newClient(b, connectors.NewHandler(newBenchStore(b, db, "bench"), connectors.HandlerOptions{}))
	floor := newClient(b, api.do("GET", nil))
	round := func(c *client) func() {
		return func() {
			var wg sync.WaitGroup
			for range clients {
				wg.Go(func() {
					for range perClient {
						c.do("GET", nil)
					}
				})
			}
			wg.Wait()
		}
	}
	p := pairs{}
	for i := 0; b.Loop(); i++ {
		p.run(i, round(floor), round(api))
	}
	p.report(b)
	b.ReportMetric(float64(clients*perClient*len(p.floor))/sum(p.floor).Seconds(), "floor-GET/s")
	b.ReportMetric(float64(clients*perClient*len(p.api))/sum(p.api).Seconds(), "api-GET/s")
}

// BenchmarkPOSTPaired changes one connector through the Handler, against
// a server that reads the same body, upserts one row of it in one
// committed transaction on the same database, and answers the same bytes:
// the floor of a durable write. A ratio of 1.5 is 1.5 times its latency.
func BenchmarkPOSTPaired(b *testing.B) {
	db := newTestDB(b)
	api := newClient(b, connectors.NewHandler(newBenchStore(b, db, "bench"), connectors.HandlerOptions{}))
	pool := db.pool(b, "bench-floor")
	if _, err := pool.Exec(b.Context(), `CREATE TABLE `+db.ident()+`.floor (name text PRIMARY KEY, body bytea, n bigint)`); err != nil {
		b.Fatal(err)
	}
	upsert := `INSERT INTO ` + db.ident() + `.floor VALUES ('x', $1, 1) ON CONFLICT (name) DO UPDATE SET body = excluded.body, n = floor.n + 1`
	name, cfg := benchConfig(0)
	body := func(i int) []byte { // each a change
		return fmt.Appendf(nil, `{"name":%q,"config":{"botToken":%q,"port":%d,"enabled":true}}`, name, cfg["botToken"], i)
	}
	resp := api.do("POST", body(-1))
	resp.before = func(body []byte) error { return writeFloor(b.Context(), pool, upsert, body) }
	floor := newClient(b, resp)
	p := pairs{}
	for i := 0; b.Loop(); i++ {
		p.run(i, func() { floor.do("POST", body(i)) }, func() { api.do("POST", body(i)) })
	}
	p.report(b)
}

// writeFloor is the floor's write: one row upserted in one transaction.
func writeFloor(ctx context.Context, pool *pgxpool.Pool, upsert string, body []byte) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, upsert, body); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// BenchmarkPropagation measures the time from a POST acknowledged by
// replica A to the event it causes on a watcher of replica B, reporting
// its median and 99th percentile.
func BenchmarkPropagation(b *testing.B) {
	db := newTestDB(b)
	opts := db.options()
	opts.PollInterval = time.Hour // notifications only
	a := db.store(b, "bench-a", opts)
	replicaB := db.store(b, "bench-b", opts)
	api := newClient(b, connectors.NewHandler(a, connectors.HandlerOptions{}))

	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	type arrival struct {
		port int64
		at   time.Time
	}
	arrivals := make(chan arrival, 1)
	go func() {
		for e := range replicaB.Watch(ctx) {
			port, _ := e.Config["port"].(int64)
			select {
			case arrivals <- arrival{port, time.Now()}:
			case <-ctx.Done():
				return
			}
		}
	}()
	post := func(i int) time.Time {
		api.do("POST", fmt.Appendf(nil, `{"name":"telegram","config":{"port":%d}}`, i))
		return time.Now()
	}
	// Wait for b's listener: a write is seen when it has connected.
	for i := -1; ; i-- {
		post(i)
		if e := <-arrivals; e.port == int64(i) {
			break
		}
	}

	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		acked := post(i)
		e := <-arrivals
		for e.port != int64(i) {
			e = <-arrivals
		}
		// The event may come before the client has read the response:
		// that counts as no delay.
		lat = append(lat, max(0, e.at.Sub(acked)))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
