// Command loadtest measures the connectors API over real HTTP on this
// machine. It serves a FileStore of -n realistic connectors, kept in a new
// temporary TOML file, drives it with concurrent GETs of the list and
// POSTs that each change one connector, for -duration, and prints the
// requests per second and the p50 and p99 latency of each. Then it stops
// the server, removes the file and exits.
//
//	go run ./examples/loadtest -n 100 -duration 5s -readers 8 -writers 2
//
// It listens on 127.0.0.1 only, on a port the system picks, and connects
// to loopback addresses only: it cannot be pointed at another machine.
// Each writer changes a connector of its own, as a person editing one
// connector in a dashboard does: it sends back the config it read,
// redacted, with one field changed.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/connectorkit/connectors"
)

func main() {
	n := flag.Int("n", 100, "number of connectors in the store")
	duration := flag.Duration("duration", 5*time.Second, "how long to send requests")
	readers := flag.Int("readers", 8, "concurrent clients sending GET")
	writers := flag.Int("writers", 2, "concurrent clients sending POST, each on a connector of its own")
	flag.Parse()

	switch {
	case *n < 1:
		fail(errors.New("-n must be at least 1"))
	case *duration <= 0:
		fail(errors.New("-duration must be positive"))
	case *readers < 0 || *writers < 0 || *readers+*writers == 0:
		fail(errors.New("-readers and -writers must not be negative, and not both zero"))
	case *writers > *n:
		fail(errors.New("-writers must not exceed -n: each writer changes a connector of its own"))
	}
	if err := run(*n, *duration, *readers, *writers); err != nil {
		fail(err)
	}
	if peak := peakRSS(); peak != "" {
		fmt.Printf("\npeak resident memory: %s\n", peak)
	}
}

// peakRSS returns the process's peak resident set size as Linux reports
// it, or "" elsewhere.
func peakRSS() string {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loadtest:", err)
	os.Exit(1)
}

func run(n int, duration time.Duration, readers, writers int) error {
	dir, err := os.MkdirTemp("", "connectors-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := connectors.NewFileStore(filepath.Join(dir, "agent.toml"), connectors.FileOptions{})
	if err != nil {
		return err
	}
	// One write for all of them: n Puts would rewrite the file n times.
	err = store.Update(context.Background(), func(m map[string]connectors.Config) error {
		for i := range n {
			name, cfg := connectorConfig(i)
			m[name] = cfg
		}
		return nil
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	connectors.Mount(mux, "/api/connectors", connectors.NewHandler(store, connectors.HandlerOptions{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
		<-served
	}()

	url := "http://" + ln.Addr().String() + "/api/connectors"
	client := loopbackClient(readers + writers)
	defer client.CloseIdleConnections()

	// One request before the clock starts: a server that does not answer
	// is an error, not a result of zero requests per second.
	if _, err := getList(context.Background(), client, url); err != nil {
		return fmt.Errorf("first GET: %w", err)
	}
	if fi, err := os.Stat(store.Path()); err == nil {
		fmt.Printf("serving %d connectors (%.1f KiB of TOML) on %s\n", n, float64(fi.Size())/1024, url)
	}
	fmt.Printf("%d readers, %d writers, for %s\n\n", readers, writers, duration)

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	gets := make([]*tally, readers)
	for i := range gets {
		gets[i] = new(tally)
		wg.Go(func() {
			gets[i].drive(ctx, func() (int, error) { return getList(ctx, client, url) })
		})
	}
	posts := make([]*tally, writers)
	for i := range posts {
		posts[i] = new(tally)
		bodies, err := postBodies(i)
		if err != nil {
			cancel()
			wg.Wait()
			return err
		}
		wg.Go(func() {
			next := 0
			posts[i].drive(ctx, func() (int, error) {
				next ^= 1
				return post(ctx, client, url, bodies[next])
			})
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	get, put := merge(gets), merge(posts)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\trequests\treq/s\tp50\tp99\tmax\terrors\t")
	if readers > 0 {
		get.print(tw, "GET /", elapsed)
	}
	if writers > 0 {
		put.print(tw, "POST /", elapsed)
	}
	tw.Flush()
	for _, t := range []*tally{get, put} {
		if t.errs > 0 {
			return fmt.Errorf("%d requests failed; the first: %w", get.errs+put.errs, t.firstErr)
		}
	}
	return nil
}

// loopbackClient returns a client for the load: no proxy, no redirects,
// connections kept for reuse, and a dialer that refuses any address that
// is not loopback.
func loopbackClient(conns int) *http.Client {
	dialer := &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("refusing to connect to %s: not a loopback address", address)
			}
			return nil
		},
	}
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

func getList(ctx context.Context, client *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	return send(client, req)
}

func post(ctx context.Context, client *http.Client, url string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	return send(client, req)
}

// send sends req and reads the whole response, so that the connection is
// reused. A status other than 200 is an error.
func send(client *http.Client, req *http.Request) (int, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s %s: status %d", req.Method, req.URL.Path, resp.StatusCode)
	}
	return int(n), nil
}

// postBodies returns two POST bodies for connector i that alternate, so
// that every POST changes it: its redacted config with another revision.
func postBodies(i int) ([2][]byte, error) {
	var bodies [2][]byte
	name, cfg := connectorConfig(i)
	for rev := range bodies {
		sent := connectors.Redact(cfg)
		sent["revision"] = rev + 1
		b, err := json.Marshal(map[string]any{"name": name, "config": sent})
		if err != nil {
			return bodies, err
		}
		bodies[rev] = b
	}
	return bodies, nil
}

// tally is what one client measured.
type tally struct {
	lat      []time.Duration
	errs     int
	firstErr error
}

// drive sends requests with do until ctx is done, one at a time. A
// request that the end of the run cut short counts for nothing.
func (t *tally) drive(ctx context.Context, do func() (int, error)) {
	for ctx.Err() == nil {
		start := time.Now()
		_, err := do()
		if err != nil && ctx.Err() != nil {
			return
		}
		if err != nil {
			if t.errs == 0 {
				t.firstErr = err
			}
			t.errs++
			continue
		}
		t.lat = append(t.lat, time.Since(start))
	}
}

// merge returns the tallies of several clients as one, latencies sorted.
func merge(ts []*tally) *tally {
	all := new(tally)
	for _, t := range ts {
		all.lat = append(all.lat, t.lat...)
		if all.errs == 0 {
			all.firstErr = t.firstErr
		}
		all.errs += t.errs
	}
	slices.Sort(all.lat)
	return all
}

// print writes a row of the results table.
func (t *tally) print(w io.Writer, what string, elapsed time.Duration) {
	fmt.Fprintf(w, "%s\t%d\t%.1f\t%s\t%s\t%s\t%d\t\n", what, len(t.lat),
		float64(len(t.lat))/elapsed.Seconds(),
		t.percentile(0.50), t.percentile(0.99), t.percentile(1), t.errs)
}

// percentile returns the latency that a fraction p of the requests took at
// most (nearest rank); "-" if there were none.
func (t *tally) percentile(p float64) string {
	if len(t.lat) == 0 {
		return "-"
	}
	i := int(p*float64(len(t.lat))+0.999999) - 1
	i = max(0, min(i, len(t.lat)-1))
	return t.lat[i].Round(time.Microsecond).String()
}

// connectorConfig returns connector i of a realistic set: a Telegram,
// Discord or Slack bot, in turn, with a few nested fields and secrets
// that differ from one connector to the next.
func connectorConfig(i int) (name string, cfg connectors.Config) {
	secret := func(tag string) string {
		return fmt.Sprintf("%s%016x%016x", tag, uint64(i+1)*0x9e3779b97f4a7c15, uint64(i+1)*0xbf58476d1ce4e5b9)
	}
	switch i % 3 {
	case 0:
		return fmt.Sprintf("telegram-%05d", i), connectors.Config{
			"enabled":   true,
			"botToken":  fmt.Sprintf("%d:AAH%s", 6000000000+i, secret("")),
			"allowFrom": []any{"@alice", "@bob"},
			"parseMode": "MarkdownV2",
			"webhook": map[string]any{
				"url":            fmt.Sprintf("https://bot.example.com/telegram/%d", i),
				"secretToken":    secret("wh-"),
				"maxConnections": 40,
			},
			"streaming": map[string]any{"enabled": true, "chunkChars": 800},
		}
	case 1:
		return fmt.Sprintf("discord-%05d", i), connectors.Config{
			"enabled":       true,
			"token":         "MTA" + secret("."),
			"applicationId": fmt.Sprintf("%d", 1100000000000000000+i),
			"intents":       33281,
			"temperature":   0.7,
			"guilds": []any{map[string]any{
				"id":             fmt.Sprintf("%d", 900000000000000000+i),
				"channels":       []any{"general", "ops"},
				"requireMention": true,
			}},
			"proxy": map[string]any{"url": "http://proxy.internal:3128", "password": secret("p-")},
		}
	default:
		return fmt.Sprintf("slack-%05d", i), connectors.Config{
			"enabled":       true,
			"mode":          "socket",
			"botToken":      "xoxb-" + secret(""),
			"appToken":      "xapp-1-" + secret(""),
			"signingSecret": secret(""),
			"channels":      []any{"#ops", "#alerts"},
			"maxTokens":     4096,
			"oauth": map[string]any{
				"clientId":     fmt.Sprintf("%d.%d", 4000000+i, 7000000+i),
				"clientSecret": secret("cs-"),
			},
		}
	}
}
