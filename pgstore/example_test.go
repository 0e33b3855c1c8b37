package pgstore_test

import (
	"context"
	"errors"
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

// A replica runs a job only while it holds the job's lease; the replicas
// that fail to take it try again later, and one of them takes it over
// within LeaseTTL of the holder's death.
func ExampleStore_TryLease() {
	ctx := context.Background()
	store, err := pgstore.Open(ctx, os.Getenv("DATABASE_URL"), pgstore.Options{Plaintext: true})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	lease, err := store.TryLease(ctx, "job/report", "replica-1")
	if errors.Is(err, connectors.ErrLeaseHeld) {
		return // another replica runs it
	}
	if err != nil {
		log.Fatal(err)
	}
	defer lease.Release(ctx)
	log.Println("fencing token", lease.(*pgstore.Lease).Token())

	jobCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		<-lease.Lost() // stop the job at once: another replica may take it
		stop()
	}()
	runJob(jobCtx)
}

func runJob(ctx context.Context) { <-ctx.Done() }
