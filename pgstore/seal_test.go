// This file holds the tests of sealing: nothing readable at rest, wrong
// keys, moved rows, rotation and plaintext.

package pgstore

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/connectorkit/connectors"
	"github.com/google/go-cmp/cmp"
)

// dump returns every byte the store's tables hold, both as PostgreSQL
// prints their rows and as the raw values of their columns.
func dump(t *testing.T, db *testDB, table string) []byte {
	t.Helper()
	var out bytes.Buffer
	for _, q := range []string{
		`SELECT t::text FROM ` + db.ident() + `.` + table + ` t`,
		`SELECT t::text FROM ` + db.ident() + `.` + table + `_revision t`,
		`SELECT name || key_id || updated_revision FROM ` + db.ident() + `.` + table,
	} {
		rows, err := db.admin.Query(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out.WriteString(s + "\n")
		}
		rows.Close()
	}
	rows, err := db.admin.Query(t.Context(), `SELECT sealed FROM `+db.ident()+`.`+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		out.Write(b)
		out.WriteString("\n")
	}
	return out.Bytes()
}

// leak returns an 8-byte piece of secret found in data, if any.
func leak(data []byte, secret string) string {
	for i := 0; i+8 <= len(secret); i++ {
		if bytes.Contains(data, []byte(secret[i:i+8])) {
			return secret[i : i+8]
		}
	}
	return ""
}

func TestSealedAtRest(t *testing.T) {
	canaries := []string{"CANARY-token-5f2b9c1e7d", "canary:password:0a9b8c7d6e5f", "ca\u00efnary-n\u00f8n-ascii-\u6771\u4eac-secret"}
	write := func(s *Store) {
		put(t, s, "telegram", connectors.Config{"botToken": canaries[0], "nested": map[string]any{"password": canaries[1]}})
		put(t, s, "discord", connectors.Config{"list": []any{canaries[2]}})
	}
	tests := []struct {
		name      string
		opts      func(*testDB) Options
		wantLeaks bool
	}{
		{"sealed", func(db *testDB) Options { return db.options() }, false},
		// The control: the same check finds the secrets when they are
		// stored in the clear, so it would notice sealing broken.
		{"plaintext", func(db *testDB) Options { return Options{Schema: db.schema, Plaintext: true} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newTestDB(t)
			write(db.store(t, "a", tt.opts(db)))
			data := dump(t, db, "connectors")
			for _, c := range canaries {
				if piece := leak(data, c); (piece != "") != tt.wantLeaks {
					t.Errorf("canary %q: piece found at rest: %q; want found: %v", c, piece, tt.wantLeaks)
				}
			}
		})
	}
}

func TestWrongKey(t *testing.T) {
	db := newTestDB(t)
	put(t, db.store(t, "a", db.options()), "telegram", connectors.Config{"botToken": "1:secret-value"})

	tests := []struct {
		name string
		keys []Key
		want string // in the error
	}{
		{"same id, other secret", []Key{{ID: keyA.ID, Secret: keyB.Secret}}, `does not open with key "key-a"`},
		{"key missing", []Key{keyB}, `sealed with key "key-a", which is not in Options.Keys`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(t.Context(), db.admin, Options{Schema: db.schema, Keys: tt.keys})
			if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want ErrUnreadable containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret-value") || strings.Contains(err.Error(), `\x`) {
				t.Errorf("error %q shows stored bytes", err)
			}
		})
	}
}

// TestMovedRow renames a sealed row in SQL: its ciphertext is bound to
// the old name and does not open under the new one.
func TestMovedRow(t *testing.T) {
	db := newTestDB(t)
	s := db.store(t, "a", db.options())
	put(t, s, "telegram", connectors.Config{"botToken": "1:x"})
	_, err := db.admin.Exec(t.Context(), `UPDATE `+db.ident()+`.connectors SET name = 'discord', updated_revision = 2;
		UPDATE `+db.ident()+`.connectors_revision SET revision = 2`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.State(t.Context())
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), `"discord"`) {
		t.Errorf("State after the rename = %v, want ErrUnreadable naming the row", err)
	}
}

// TestRotation follows the package documentation's rotation from key A to
// key B.
func TestRotation(t *testing.T) {
	db := newTestDB(t)
	ctx := t.Context()
	withKeys := func(app string, keys ...Key) *Store {
		return db.store(t, app, Options{Schema: db.schema, Keys: keys})
	}
	put(t, withKeys("a", keyA), "old", connectors.Config{"token": "old"})
	step2 := withKeys("b", keyB, keyA)
	put(t, step2, "new", connectors.Config{"token": "new"})
	next := watch(t, step2)
	before := state(t, step2).Revision

	n, err := step2.Rewrap(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Rewrap = %d, %v; want 1 row", n, err)
	}
	if n, err := step2.Rewrap(ctx); err != nil || n != 0 {
		t.Errorf("second Rewrap = %d, %v; want 0 rows", n, err)
	}
	if after := state(t, step2).Revision; after != before {
		t.Errorf("Rewrap moved the revision from %s to %s", before, after)
	}
	// The first event is a change made after Rewrap, not Rewrap.
	put(t, step2, "after", connectors.Config{})
	if got := next(1); got[0].Name != "after" {
		t.Errorf("first event after Rewrap: %v, want the write after it", got[0])
	}

	want := map[string]connectors.Config{"old": {"token": "old"}, "new": {"token": "new"}, "after": {}}
	if diff := cmp.Diff(want, state(t, withKeys("c", keyB)).Connectors); diff != "" {
		t.Errorf("read with key B alone (-want +got):\n%s", diff)
	}
	if _, err := New(ctx, db.admin, Options{Schema: db.schema, Keys: []Key{keyA}}); !errors.Is(err, ErrUnreadable) {
		t.Errorf("New with key A alone after Rewrap = %v, want ErrUnreadable", err)
	}
}

// TestPlaintext moves a store from plaintext to sealed.
func TestPlaintext(t *testing.T) {
	db := newTestDB(t)
	ctx := t.Context()
	put(t, db.store(t, "plain", Options{Schema: db.schema, Plaintext: true}), "telegram", connectors.Config{"botToken": "1:x"})

	_, err := New(ctx, db.admin, db.options())
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "Options.Plaintext") {
		t.Errorf("keyed store on a plaintext row = %v, want ErrUnreadable naming Options.Plaintext", err)
	}
	both := db.store(t, "both", Options{Schema: db.schema, Keys: []Key{keyA}, Plaintext: true})
	if n, err := both.Rewrap(ctx); err != nil || n != 1 {
		t.Fatalf("Rewrap = %d, %v; want 1", n, err)
	}
	sealed := db.store(t, "sealed", db.options())
	if diff := cmp.Diff(connectors.Config{"botToken": "1:x"}, state(t, sealed).Connectors["telegram"]); diff != "" {
		t.Errorf("after Rewrap, read with keys only (-want +got):\n%s", diff)
	}
	if piece := leak(dump(t, db, "connectors"), "botToken"); piece != "" {
		t.Errorf("after Rewrap, %q is still at rest", piece)
	}
}
