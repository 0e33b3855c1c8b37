package pgstore_test

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/connectorkit/connectors"
	"github.com/connectorkit/connectors/pgstore"
)

// A host reads its key and database URL from the environment, opens the
// store, and serves it on every replica.
func ExampleOpen() {
	key, err := pgstore.ParseKey(os.Getenv("CONNECTORS_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := pgstore.Open(context.Background(), os.Getenv("DATABASE_URL"), pgstore.Options{
		Keys: []pgstore.Key{{ID: "2025-06", Secret: key}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	mux := http.NewServeMux()
	connectors.Mount(mux, "/api/connectors", connectors.NewHandler(store, connectors.HandlerOptions{}))

	// Restart each connector that changes, on whichever replica the
	// change was made.
	go func() {
		for e := range store.Watch(context.Background()) {
			log.Println("connector", e) // the name and the change, no values
		}
	}()
	log.Fatal(http.ListenAndServe(":8080", mux))
}
