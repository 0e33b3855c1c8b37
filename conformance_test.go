package connectors_test

import (
	"context"
	"iter"
	"path/filepath"
	"testing"
	"time"

	"github.com/connectorkit/connectors"
	"github.com/connectorkit/connectors/connectorstest"
)

// TestConformance runs the conformance suite on every store of this
// package, and on a FileStore whose every read comes from the disk.
func TestConformance(t *testing.T) {
	tests := []struct {
		name     string
		newStore func(t *testing.T) connectors.Store
	}{
		{"MemoryStore", func(*testing.T) connectors.Store { return new(connectors.MemoryStore) }},
		{"FileStore.toml", fileStoreMaker("connectors.toml")},
		{"FileStore.json", fileStoreMaker("connectors.json")},
		{"ReopenedFileStore.toml", reopenedStoreMaker("connectors.toml")},
		{"ReopenedFileStore.json", reopenedStoreMaker("connectors.json")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			connectorstest.Run(t, tt.newStore)
		})
	}
}

// openFileStoreForTest opens a FileStore on path, closed when t ends.
func openFileStoreForTest(t *testing.T, path string, opts connectors.FileOptions) *connectors.FileStore {
	t.Helper()
	s, err := connectors.NewFileStore(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fileStoreMaker returns a function that opens a FileStore on a new file
// of the given name.
func fileStoreMaker(name string) func(t *testing.T) connectors.Store {
	return func(t *testing.T) connectors.Store {
		return openFileStoreForTest(t, filepath.Join(t.TempDir(), name), connectors.FileOptions{})
	}
}

// reopenedStoreMaker returns a function that opens a reopenedStore on a new
// file of the given name.
func reopenedStoreMaker(name string) func(t *testing.T) connectors.Store {
	return func(t *testing.T) connectors.Store {
		path := filepath.Join(t.TempDir(), name)
		return &reopenedStore{
			FileStore: openFileStoreForTest(t, path, connectors.FileOptions{}),
			watcher:   openFileStoreForTest(t, path, connectors.FileOptions{PollInterval: 10 * time.Millisecond}),
		}
	}
}

// reopenedStore writes through one FileStore and reads through another
// on the same file: List, Get and State through a FileStore opened for
// that one call, so that what they return was read from the disk, and
// Watch through a second long-lived one, which learns of the writes only
// by looking at the file.
type reopenedStore struct {
	*connectors.FileStore // Put, Delete, Update, Edit
	watcher               *connectors.FileStore
}

// reader returns a new FileStore on the file, for one read.
func (s *reopenedStore) reader() (*connectors.FileStore, error) {
	return connectors.NewFileStore(s.Path(), connectors.FileOptions{})
}

// List lists through the watching store too, first: one store's List
// tells its watchers of what it read, which a host that lists after
// Watch relies on (connectorstest's ListAfterWatch).
func (s *reopenedStore) List(ctx context.Context) (map[string]connectors.Config, error) {
	if _, err := s.watcher.List(ctx); err != nil {
		return nil, err
	}
	r, err := s.reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.List(ctx)
}

func (s *reopenedStore) Get(ctx context.Context, name string) (connectors.Config, error) {
	r, err := s.reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Get(ctx, name)
}

func (s *reopenedStore) State(ctx context.Context) (connectors.State, error) {
	r, err := s.reader()
	if err != nil {
		return connectors.State{}, err
	}
	defer r.Close()
	return r.State(ctx)
}

func (s *reopenedStore) Watch(ctx context.Context) iter.Seq[connectors.Event] {
	return s.watcher.Watch(ctx)
}
