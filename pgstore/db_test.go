// This file holds what the tests share: the test database, a fresh schema
// per test, pools and stores on it.

package pgstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/connectorkit/connectors"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// testDatabaseEnv names the environment variable with the URL of the
// database the tests use, which they fill with schemas of their own.
const testDatabaseEnv = "CONNECTORS_TEST_DATABASE_URL"

// testURL returns the test database's URL, or skips t without one;
// in CI (CI set) a missing URL fails instead, so that CI never passes by
// skipping.
func testURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(testDatabaseEnv)
	skip := t.Skip
	if os.Getenv("CI") != "" {
		skip = t.Fatal
	}
	if url == "" {
		skip(testDatabaseEnv + " is not set; set it to a PostgreSQL database the tests may create schemas in, " +
			"such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	return url
}

// Test keys: fixed, so that failures can be reproduced.
var (
	keyA = Key{ID: "key-a", Secret: bytes.Repeat([]byte{0xa1}, KeySize)}
	keyB = Key{ID: "key-b", Secret: bytes.Repeat([]byte{0xb2}, KeySize)}
)

// testDB is a fresh schema in the test database, dropped when the test
// ends.
type testDB struct {
	url    string
	schema string
	admin  *pgxpool.Pool // for the test's own SQL
}

// newTestDB creates a schema for t.
func newTestDB(t testing.TB) *testDB {
	t.Helper()
	db := &testDB{url: testURL(t), schema: "pgstore_test_" + strings.ToLower(rand.Text()[:12])}
	db.admin = db.pool(t, "pgstore test admin")
	if _, err := db.admin.Exec(t.Context(), "CREATE SCHEMA "+db.ident()); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.admin.Exec(ctx, "DROP SCHEMA "+db.ident()+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return db
}

func (db *testDB) ident() string { return pgx.Identifier{db.schema}.Sanitize() }

// pool returns a pool on the test database whose connections carry
// appName, closed when the test ends.
func (db *testDB) pool(t testing.TB, appName string) *pgxpool.Pool {
	t.Helper()
	return db.poolWith(t, appName, nil)
}

// poolWith is pool with its settings changed by adjust, if not nil, as a
// host's may be.
func (db *testDB) poolWith(t testing.TB, appName string, adjust func(*pgxpool.Config)) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(db.url)
	if err != nil {
		t.Fatalf("parse %s: %v", testDatabaseEnv, err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = appName
	cfg.MaxConns = 10
	if adjust != nil {
		adjust(cfg)
	}
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatalf("pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// options returns Options for the test schema with key A.
func (db *testDB) options() Options {
	return Options{Schema: db.schema, Keys: []Key{keyA}}
}

// store returns a store on the test schema, migrated, with a pool of its
// own named appName, closed when the test ends.
func (db *testDB) store(t testing.TB, appName string, opts Options) *Store {
	t.Helper()
	pool := db.pool(t, appName)
	if err := Migrate(t.Context(), pool, opts); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return open(t, pool, opts)
}

// open returns a store on pool, closed when the test ends.
func open(t testing.TB, pool *pgxpool.Pool, opts Options) *Store {
	t.Helper()
	s, err := New(t.Context(), pool, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// uniqueAppName returns an application_name no other test uses.
func uniqueAppName(prefix string) string {
	return prefix + "-" + strings.ToLower(rand.Text()[:10])
}

// put stores cfg under name in s, failing t on error.
func put(t testing.TB, s connectors.Store, name string, cfg connectors.Config) {
	t.Helper()
	if err := s.Put(t.Context(), name, cfg); err != nil {
		t.Fatalf("Put(%q): %v", name, err)
	}
}

// state returns s's state, failing t on error.
func state(t testing.TB, s connectors.Versioned) connectors.State {
	t.Helper()
	st, err := s.State(t.Context())
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	return st
}
