// Command direct uses the connectors store and redaction from Go, with no
// HTTP at all: it adds two connectors to a config file, reads them back,
// prints them redacted, and removes one.
//
//	go run ./examples/direct -config /tmp/agent.toml
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/connectorkit/connectors"
)

func main() {
	config := flag.String("config", "", "config file (.toml or .json); default: a new file in a temporary directory")
	flag.Parse()
	if *config == "" {
		dir, err := os.MkdirTemp("", "connectors-direct-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		*config = filepath.Join(dir, "agent.toml")
	}
	if err := run(context.Background(), *config); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, path string) error {
	store, err := connectors.NewFileStore(path, connectors.FileOptions{})
	if err != nil {
		return err
	}
	err = store.Put(ctx, "telegram", connectors.Config{
		"botToken":  "123456:ABC-DEF1234ghIkl",
		"allowFrom": []any{"@alice", "@bob"},
	})
	if err != nil {
		return err
	}
	err = store.Put(ctx, "discord", connectors.Config{"token": "MTAx.Gh3.secret", "maxTokens": 2048})
	if err != nil {
		return err
	}

	all, err := store.List(ctx)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(all)) {
		fmt.Printf("%s: %v\n", name, connectors.Redact(all[name]))
	}

	if err := store.Delete(ctx, "discord"); err != nil {
		return err
	}
	if _, err := store.Get(ctx, "discord"); err != nil {
		fmt.Println("after delete:", err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	fmt.Printf("\n%s holds the real secrets:\n%s", path, data)
	return nil
}
