package connectors_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/connectorkit/connectors"
)

// Mount the API on the host's own mux, next to the host's other routes.
func ExampleMount() {
	store := &connectors.MemoryStore{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	connectors.Mount(mux, "/api/connectors", connectors.NewHandler(store, connectors.HandlerOptions{}))

	srv := httptest.NewServer(mux)
	defer srv.Close()

	body := `{"name": "telegram", "config": {"botToken": "123456:ABC-DEF"}}`
	resp, err := http.Post(srv.URL+"/api/connectors", "application/json", strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	fmt.Print(resp.Status, " ", string(out))
	// Output: 200 OK {"connectors":{"telegram":{"botToken":"****:****"}}}
}

// The handler routes relative to where it is mounted, so it works under
// any prefix with http.StripPrefix.
func ExampleNewHandler_stripPrefix() {
	store := &connectors.MemoryStore{}
	store.Put(context.Background(), "discord", connectors.Config{"token": "MTAx.abc.def"})

	mux := http.NewServeMux()
	h := connectors.NewHandler(store, connectors.HandlerOptions{})
	mux.Handle("/v1/agent/connectors/", http.StripPrefix("/v1/agent/connectors", h))

	req := httptest.NewRequest("GET", "/v1/agent/connectors/discord", nil)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output: 200 {"name":"discord","config":{"token":"****"}}
}

// Call the store directly from Go. The file holds the real secrets; only
// what is shown is redacted.
func ExampleFileStore() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "agent.toml")
	os.WriteFile(path, []byte("[model]\nname = \"local\"\n"), 0o600)

	store, err := connectors.NewFileStore(path, connectors.FileOptions{})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := store.Put(ctx, "telegram", connectors.Config{"botToken": "123456:ABC-DEF", "port": 8443}); err != nil {
		log.Fatal(err)
	}
	cfg, err := store.Get(ctx, "telegram")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%v %T\n", cfg["port"], cfg["port"])

	data, _ := os.ReadFile(path)
	fmt.Print(string(data))
	// Output:
	// 8443 int64
	// [model]
	// name = "local"
	//
	// [connectors.telegram]
	// botToken = "123456:ABC-DEF"
	// port = 8443
}

func ExampleRedact() {
	cfg := connectors.Config{
		"botToken":  "123456:ABC-DEF",
		"password":  "",
		"apiKey":    "${OPENAI_API_KEY}",
		"maxTokens": int64(4096),
		"accounts":  []any{map[string]any{"name": "main", "token": "xoxb-1"}},
	}
	out, _ := json.Marshal(connectors.Redact(cfg))
	fmt.Println(string(out))
	// Output: {"accounts":[{"name":"main","token":"****"}],"apiKey":"${OPENAI_API_KEY}","botToken":"****:****","maxTokens":4096,"password":""}
}

// A host adds secret keys of its own to the default rules.
func ExamplePolicy() {
	p := &connectors.Policy{Keys: []string{"pinCode"}}
	fmt.Println(p.IsSensitive("pin_code"), p.IsSensitive("botToken"), connectors.IsSensitive("pinCode"))
	// Output: true true false
}

func ExampleWatcher() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := &connectors.MemoryStore{}
	events := store.Watch(ctx) // events start here
	store.Put(ctx, "telegram", connectors.Config{"botToken": "123456:ABC-DEF"})
	store.Put(ctx, "telegram", connectors.Config{"botToken": "123456:ABC-DEF"}) // no change, no event
	store.Delete(ctx, "discord")                                                // absent, no event
	store.Put(ctx, "discord", connectors.Config{"token": "x"})
	n := 0
	for e := range events {
		fmt.Println(e) // the name and the change; never a config value
		if n++; n == 2 {
			break
		}
	}
	// Output:
	// telegram added
	// discord added
}

func ExampleUpdater() {
	ctx := context.Background()
	store := &connectors.MemoryStore{}
	store.Put(ctx, "telegram", connectors.Config{"botToken": "123456:ABC-DEF", "port": 8443})
	// Rename a connector in one step: no other write comes between.
	err := store.Update(ctx, func(m map[string]connectors.Config) error {
		m["telegram-main"] = m["telegram"]
		m["telegram"] = nil // nil removes, as delete does
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	all, _ := store.List(ctx)
	fmt.Println(len(all), all["telegram-main"]["port"])
	// Output: 1 8443
}

func ExampleRestore() {
	stored := connectors.Config{"botToken": "123456:ABC-DEF", "port": int64(8443)}
	// A dashboard read the config redacted, changed the port and sent it
	// back with the mask in it: the mask keeps the stored token.
	sent := connectors.Redact(stored)
	sent["port"] = int64(9000)
	cfg, err := connectors.Restore(sent, stored)
	fmt.Println(cfg["botToken"], cfg["port"], err)

	// A mask with nothing stored behind it is refused, naming the path.
	_, err = connectors.Restore(connectors.Config{"apiKey": "****"}, nil)
	fmt.Println(err)
	// Output:
	// 123456:ABC-DEF 9000 <nil>
	// invalid connector config: config.apiKey: redaction mask with no stored secret to keep
}

func ExampleSupervisor() {
	ctx, cancel := context.WithCancel(context.Background())
	store := &connectors.MemoryStore{}
	store.Put(ctx, "telegram", connectors.Config{"botToken": "123456:ABC-DEF"})
	started := make(chan string)
	run := func(ctx context.Context, name string, cfg connectors.Config) error {
		started <- fmt.Sprintf("%s started with %d field(s)", name, len(cfg))
		<-ctx.Done() // a real connector polls or holds a session here
		return nil
	}
	sup := connectors.NewSupervisor(store, run, connectors.SupervisorOptions{Replica: "web-1"})
	done := make(chan error)
	go func() { done <- sup.Run(ctx) }()
	fmt.Println(<-started)
	store.Put(ctx, "telegram", connectors.Config{"botToken": "123456:ABC-DEF", "allowFrom": []any{"alice"}})
	fmt.Println(<-started) // restarted with its new config
	st, _ := sup.Status(ctx)
	fmt.Println(st["telegram"].Replica, st["telegram"].Restarts)
	cancel()
	fmt.Println(<-done) // every connector stopped
	// Output:
	// telegram started with 1 field(s)
	// telegram started with 2 field(s)
	// web-1 1
	// <nil>
}
