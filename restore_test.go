// This file tests how Restore puts stored secrets back in place of masks.

package connectors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// restoreCase is one write-back: a client read stored redacted and sent
// back sent. Either want is the config Restore keeps, or wantErr is the
// whole error it returns.
type restoreCase struct {
	name    string
	policy  *Policy
	stored  Config
	sent    Config
	want    Config
	wantErr string
}

func runRestoreCases(t *testing.T, tests []restoreCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored, sent := deepCopy(tt.stored), deepCopy(tt.sent)
			got, err := tt.policy.Restore(tt.sent, tt.stored)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalidConfig) || err.Error() != tt.wantErr {
					t.Fatalf("Restore error = %v, want %q wrapping ErrInvalidConfig", err, tt.wantErr)
				}
				if got != nil {
					t.Errorf("Restore returned %v with its error, want nil", got)
				}
			} else {
				if err != nil {
					t.Fatalf("Restore: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Restore (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(stored, any(tt.stored)); tt.stored != nil && diff != "" {
				t.Errorf("Restore changed the stored config (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(sent, any(tt.sent)); diff != "" {
				t.Errorf("Restore changed the sent config (-want +got):\n%s", diff)
			}
		})
	}
}

// errMask is the error for a mask with nothing to keep, at path.
func errMask(path string) string {
	return "invalid connector config: " + path + ": redaction mask with no stored secret to keep"
}

func TestRestoreURL(t *testing.T) {
	stored := Config{
		"url":        "https://user:pw@db.example.com/x?token=T0&page=2",
		"endpoint":   "postgres://u:p@h/db",
		"webhookUrl": "https://discord.com/api/webhooks/1/abc",
		"port":       int64(5432),
		"mirrors":    []any{"https://a/?key=KA", "https://b/?key=KB"},
		"teams":      "https://x.webhook.office.com/webhookb2/g@t/IncomingWebhook/3b4e0cbe2f3c4a9e/u",
	}
	tests := []restoreCase{
		{
			name:   "redacted URLs keep the stored ones",
			stored: stored,
			sent:   Redact(stored),
			want:   stored,
		},
		{
			name:   "redacted URL kept while another field changes",
			stored: stored,
			sent:   Config{"url": "https://user:****@db.example.com/x?token=****&page=2", "port": int64(6543)},
			want:   Config{"url": "https://user:pw@db.example.com/x?token=T0&page=2", "port": int64(6543)},
		},
		{
			name:   "a webhook URL with its token masked, kept while another field changes",
			stored: stored,
			sent:   Config{"teams": "https://x.webhook.office.com/webhookb2/g@t/IncomingWebhook/****/u", "port": int64(6543)},
			want:   Config{"teams": "https://x.webhook.office.com/webhookb2/g@t/IncomingWebhook/3b4e0cbe2f3c4a9e/u", "port": int64(6543)},
		},
		{
			name:   "a new URL in clear replaces the stored one",
			stored: stored,
			sent:   Config{"url": "https://user:new@db.example.com/x?token=T1&page=2"},
			want:   Config{"url": "https://user:new@db.example.com/x?token=T1&page=2"},
		},
		{
			name:    "a masked URL with another host",
			stored:  stored,
			sent:    Config{"url": "https://user:****@other.example.com/x?token=****&page=2"},
			wantErr: errMask("config.url"),
		},
		{
			name:    "a masked URL with another non-secret parameter",
			stored:  stored,
			sent:    Config{"url": "https://user:****@db.example.com/x?token=****&page=3"},
			wantErr: errMask("config.url"),
		},
		{
			name:    "one credential new, another masked",
			stored:  stored,
			sent:    Config{"url": "https://user:new@db.example.com/x?token=****&page=2"},
			wantErr: errMask("config.url"),
		},
		{
			name:    "a masked URL where nothing is stored",
			stored:  stored,
			sent:    Config{"dsnLink": "postgres://u:****@h/db"},
			wantErr: errMask("config.dsnLink"),
		},
		{
			name:    "a masked URL where a number is stored",
			stored:  stored,
			sent:    Config{"port": "https://h/?token=****"},
			wantErr: errMask("config.port"),
		},
		{
			name:    "a masked URL with nothing stored at all",
			sent:    Config{"endpoint": "postgres://u:****@h/db"},
			wantErr: errMask("config.endpoint"),
		},
		{
			name:   "a webhook URL masked whole under its sensitive key",
			stored: stored,
			sent:   Config{"webhookUrl": "****:****"},
			want:   Config{"webhookUrl": "https://discord.com/api/webhooks/1/abc"},
		},
		{
			name:   "URLs in an array, by position",
			stored: stored,
			sent:   Config{"mirrors": []any{"https://a/?key=****", "https://c/?key=KC"}},
			want:   Config{"mirrors": []any{"https://a/?key=KA", "https://c/?key=KC"}},
		},
		{
			name:    "URLs in a reordered array keep nothing",
			stored:  stored,
			sent:    Config{"mirrors": []any{"https://b/?key=****", "https://a/?key=****"}},
			wantErr: errMask("config.mirrors[0]"),
		},
		{
			name:    "URLs in a shorter array keep nothing",
			stored:  stored,
			sent:    Config{"mirrors": []any{"https://b/?key=****"}},
			wantErr: errMask("config.mirrors[0]"),
		},
		{
			name:   "a URL that was stored with a mask in it",
			stored: Config{"url": "https://u:****@h/"},
			sent:   Config{"url": "https://u:****@h/"},
			want:   Config{"url": "https://u:****@h/"},
		},
		{
			name:   "a mask outside a credential is data",
			stored: stored,
			sent:   Config{"url": "https://h/****?page=****"},
			want:   Config{"url": "https://h/****?page=****"},
		},
	}
	runRestoreCases(t, tests)
}

// TestRestoreURLShapes checks the write-back rule on the URLs whose
// credentials are found beyond the first URL of a string: sent back as
// read, each keeps its stored secret; with a host changed, none does.
func TestRestoreURLShapes(t *testing.T) {
	tests := []struct {
		name   string
		stored string
		moved  string // the redacted form with a host or name changed
	}{
		{"two URLs", "primary https://a:pw1@h1 backup https://b:pw2@h2", "primary https://a:****@h1 backup https://b:****@evil"},
		{"URL in a parameter", "https://h/login?next=https://u:pw@h2/", "https://h/login?next=https://u:****@evil/"},
		{"escaped URL in a parameter", "https://h/login?next=https%3A%2F%2Fu%3Apw%40h2%2F", "https://h/login?next=https%3A%2F%2Fu%3A****%40evil%2F"},
		{"redirect in a redirect", "https://h/?r=https%3A%2F%2Fa%2F%3Fnext%3Dhttps%253A%252F%252Fu%253Apw%2540h2%252F", "https://h/?r=https%3A%2F%2Fa%2F%3Fnext%3Dhttps%253A%252F%252Fu%253A****%2540evil%252F"},
		{"scheme-relative", "//user:pw@host/path", "//user:****@evil/path"},
		{"semicolon parameter", "https://h/x;token=abc", "https://evil/x;token=****"},
		{"semicolon in a query", "https://h/?a=1;token=abc", "https://h/?a=2;token=****"},
		{"raw / in the password", "https://u:p/ss@h/", "https://u:****@evil/"},
		{"raw # in the password", "https://u:p#ss@h", "https://u:****@evil"},
		{"raw ? in a secret value", "https://h/?token=ab?cd&x=1", "https://h/?token=****&x=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := Config{"url": tt.stored, "port": int64(1)}
			red := Redact(stored)
			if red["url"] == tt.stored {
				t.Fatalf("Redact kept %q", tt.stored)
			}
			checkRoundTrip(t, red, stored)
			_, err := Restore(Config{"url": tt.moved}, stored)
			if want := errMask("config.url"); err == nil || err.Error() != want {
				t.Errorf("Restore of %q = %v, want %s", tt.moved, err, want)
			}
		})
	}
}

// account is an element of an accounts array.
func account(fields ...any) map[string]any {
	m := make(map[string]any)
	for i := 0; i < len(fields); i += 2 {
		m[fields[i].(string)] = fields[i+1]
	}
	return m
}

// TestRestoreArrays checks that a mask in an array element keeps only the
// secret of the same element: matched by identity, or by an unchanged
// position and unchanged non-secret fields; never another element's.
func TestRestoreArrays(t *testing.T) {
	alice := account("name", "alice", "botToken", "111:ALICE")
	bob := account("name", "bob", "botToken", "222:BOB")
	aliceSent := account("name", "alice", "botToken", "****:****")
	bobSent := account("name", "bob", "botToken", "****:****")
	withIDs := Config{"accounts": []any{alice, bob}}

	// Elements without an identity field.
	anon := Config{"accounts": []any{
		account("botToken", "111:A", "port", int64(1)),
		account("botToken", "222:B", "port", int64(2)),
	}}

	tests := []restoreCase{
		// Identity.
		{
			name:   "unchanged",
			stored: withIDs,
			sent:   Config{"accounts": []any{aliceSent, bobSent}},
			want:   withIDs,
		},
		{
			name:   "removal: the remaining element keeps its own secret",
			stored: withIDs,
			sent:   Config{"accounts": []any{bobSent}},
			want:   Config{"accounts": []any{bob}},
		},
		{
			name:   "reorder: the secret follows the element",
			stored: withIDs,
			sent:   Config{"accounts": []any{bobSent, aliceSent}},
			want:   Config{"accounts": []any{bob, alice}},
		},
		{
			name:   "insert at the front",
			stored: withIDs,
			sent: Config{"accounts": []any{
				account("name", "carol", "botToken", "333:CAROL"), aliceSent, bobSent,
			}},
			want: Config{"accounts": []any{
				account("name", "carol", "botToken", "333:CAROL"), alice, bob,
			}},
		},
		{
			name:    "a new element with a mask",
			stored:  withIDs,
			sent:    Config{"accounts": []any{account("name", "carol", "botToken", "****:****"), aliceSent}},
			wantErr: errMask("config.accounts[0].botToken"),
		},
		{
			name:    "a renamed element is another element",
			stored:  withIDs,
			sent:    Config{"accounts": []any{account("name", "alicia", "botToken", "****:****"), bobSent}},
			wantErr: errMask("config.accounts[0].botToken"),
		},
		{
			name:   "other fields change, identity kept",
			stored: withIDs,
			sent: Config{"accounts": []any{
				bobSent, account("name", "alice", "botToken", "****", "dmPolicy", "open"),
			}},
			want: Config{"accounts": []any{
				bob, account("name", "alice", "botToken", "111:ALICE", "dmPolicy", "open"),
			}},
		},
		{
			name: "integer identity, and the best identity field counts",
			stored: Config{"bots": []any{
				account("id", int64(1), "name", "same", "token", "T1"),
				account("id", int64(2), "name", "same", "token", "T2"),
			}},
			sent: Config{"bots": []any{
				account("id", int64(2), "name", "same", "token", "****"),
			}},
			want: Config{"bots": []any{
				account("id", int64(2), "name", "same", "token", "T2"),
			}},
		},
		{
			name: "identity fields are folded like keys",
			stored: Config{"accounts": []any{
				account("account_id", "a1", "apiKey", "K1"),
				account("account_id", "a2", "apiKey", "K2"),
			}},
			sent: Config{"accounts": []any{account("ACCOUNT-ID", "a2", "apiKey", "****")}},
			want: Config{"accounts": []any{account("ACCOUNT-ID", "a2", "apiKey", "K2")}},
		},
		{
			name: "an identity of another type does not match",
			stored: Config{"bots": []any{
				account("id", int64(1), "token", "T1"), account("id", int64(2), "token", "T2"),
			}},
			sent:    Config{"bots": []any{account("id", "2", "token", "****")}},
			wantErr: errMask("config.bots[0].token"),
		},

		// Duplicate identities are ambiguous.
		{
			name: "duplicate identity in the stored array",
			stored: Config{"accounts": []any{
				account("name", "x", "token", "A", "port", int64(1)),
				account("name", "x", "token", "B", "port", int64(2)),
			}},
			sent:    Config{"accounts": []any{account("name", "x", "token", "****", "port", int64(2))}},
			wantErr: errMask("config.accounts[0].token"),
		},
		{
			name:   "duplicate identity in the sent array",
			stored: withIDs,
			sent: Config{"accounts": []any{
				bobSent, account("name", "bob", "botToken", "****:****", "enabled", false),
			}},
			wantErr: errMask("config.accounts[0].botToken"),
		},
		{
			name: "duplicate identities written back unchanged",
			stored: Config{"accounts": []any{
				account("name", "x", "token", "A"), account("name", "x", "token", "B"),
			}},
			sent: Config{"accounts": []any{
				account("name", "x", "token", "****"), account("name", "x", "token", "****"),
			}},
			want: Config{"accounts": []any{
				account("name", "x", "token", "A"), account("name", "x", "token", "B"),
			}},
		},

		// No identity: same position, same length, same non-secret fields.
		{
			name:   "no identity, unchanged",
			stored: anon,
			sent:   Redact(anon),
			want:   anon,
		},
		{
			name:   "no identity, one secret replaced, the other kept",
			stored: anon,
			sent: Config{"accounts": []any{
				account("botToken", "999:NEW", "port", int64(1)),
				account("botToken", "****:****", "port", int64(2)),
			}},
			want: Config{"accounts": []any{
				account("botToken", "999:NEW", "port", int64(1)),
				account("botToken", "222:B", "port", int64(2)),
			}},
		},
		{
			name:    "no identity, removal",
			stored:  anon,
			sent:    Config{"accounts": []any{account("botToken", "****:****", "port", int64(2))}},
			wantErr: errMask("config.accounts[0].botToken"),
		},
		{
			name:   "no identity, reorder",
			stored: anon,
			sent: Config{"accounts": []any{
				account("botToken", "****:****", "port", int64(2)),
				account("botToken", "****:****", "port", int64(1)),
			}},
			wantErr: errMask("config.accounts[0].botToken"),
		},
		{
			name:   "no identity, insert at the front",
			stored: anon,
			sent: Config{"accounts": []any{
				account("botToken", "333:C", "port", int64(3)),
				account("botToken", "****:****", "port", int64(1)),
				account("botToken", "****:****", "port", int64(2)),
			}},
			wantErr: errMask("config.accounts[1].botToken"),
		},
		{
			name:   "no identity, a non-secret field changed",
			stored: anon,
			sent: Config{"accounts": []any{
				account("botToken", "****:****", "port", int64(1)),
				account("botToken", "****:****", "port", int64(3)),
			}},
			wantErr: errMask("config.accounts[1].botToken"),
		},
		{
			name:   "no identity, a non-secret field added",
			stored: anon,
			sent: Config{"accounts": []any{
				account("botToken", "****:****", "port", int64(1), "enabled", true),
				account("botToken", "****:****", "port", int64(2)),
			}},
			wantErr: errMask("config.accounts[0].botToken"),
		},
		{
			name:   "no identity, a sensitive field dropped is not a change",
			stored: Config{"accounts": []any{account("token", "A", "password", "P", "port", int64(1))}},
			sent:   Config{"accounts": []any{account("token", "****", "port", int64(1))}},
			want:   Config{"accounts": []any{account("token", "A", "port", int64(1))}},
		},
		{
			name:   "no identity, elements without secrets may change freely",
			stored: anon,
			sent:   Config{"accounts": []any{account("port", int64(9)), account("port", int64(8)), account("port", int64(7))}},
			want:   Config{"accounts": []any{account("port", int64(9)), account("port", int64(8)), account("port", int64(7))}},
		},
		{
			name: "key is a secret, not an identity",
			stored: Config{"keys": []any{
				account("key", "K1", "label", "a"), account("key", "K2", "label", "b"),
			}},
			sent:    Config{"keys": []any{account("key", "****", "label", "b")}},
			wantErr: errMask("config.keys[0].key"),
		},
		{
			name:   "an identity field the policy makes secret is no identity",
			policy: &Policy{Keys: []string{"email"}},
			stored: Config{"accounts": []any{
				account("email", "a@x", "password", "PA"), account("email", "b@x", "password", "PB"),
			}},
			sent:    Config{"accounts": []any{account("email", "****", "password", "****")}},
			wantErr: errMask("config.accounts[0].email"),
		},

		// Arrays of plain secrets, under a sensitive key.
		{
			name:   "secret strings, unchanged",
			stored: Config{"apiKeys": []any{"K1", "K2"}},
			sent:   Config{"apiKeys": []any{"****", "****"}},
			want:   Config{"apiKeys": []any{"K1", "K2"}},
		},
		{
			name:   "secret strings, one replaced",
			stored: Config{"apiKeys": []any{"K1", "K2"}},
			sent:   Config{"apiKeys": []any{"K3", "****"}},
			want:   Config{"apiKeys": []any{"K3", "K2"}},
		},
		{
			name:    "secret strings, one removed",
			stored:  Config{"apiKeys": []any{"K1", "K2"}},
			sent:    Config{"apiKeys": []any{"****"}},
			wantErr: errMask("config.apiKeys[0]"),
		},
		{
			name:    "secret strings, one added",
			stored:  Config{"apiKeys": []any{"K1", "K2"}},
			sent:    Config{"apiKeys": []any{"K0", "****", "****"}},
			wantErr: errMask("config.apiKeys[1]"),
		},
		{
			name:    "objects under a sensitive key have no identity",
			stored:  Config{"credentials": []any{account("name", "a", "value", "A"), account("name", "b", "value", "B")}},
			sent:    Config{"credentials": []any{account("name", "****", "value", "B")}},
			wantErr: errMask("config.credentials[0].name"),
		},

		// Nested arrays.
		{
			name: "nested: inner elements matched by identity inside an outer match",
			stored: Config{"accounts": []any{
				account("name", "a", "webhooks", []any{
					account("id", "w1", "secret", "S1"), account("id", "w2", "secret", "S2"),
				}),
				account("name", "b", "webhooks", []any{account("id", "w1", "secret", "S3")}),
			}},
			sent: Config{"accounts": []any{
				account("name", "b", "webhooks", []any{account("id", "w1", "secret", "****")}),
				account("name", "a", "webhooks", []any{account("id", "w2", "secret", "****")}),
			}},
			want: Config{"accounts": []any{
				account("name", "b", "webhooks", []any{account("id", "w1", "secret", "S3")}),
				account("name", "a", "webhooks", []any{account("id", "w2", "secret", "S2")}),
			}},
		},
		{
			name: "nested: an outer element with no match keeps nothing inside",
			stored: Config{"accounts": []any{
				account("webhooks", []any{account("secret", "S1")}),
			}},
			sent: Config{"accounts": []any{
				account("webhooks", []any{account("secret", "****")}),
				account("webhooks", []any{account("secret", "****")}),
			}},
			wantErr: errMask("config.accounts[0].webhooks[0].secret"),
		},
		{
			name:   "nested: arrays of arrays of secrets, by position",
			stored: Config{"apiKeyPairs": []any{[]any{"a1", "a2"}, []any{"b1", "b2"}}},
			sent:   Config{"apiKeyPairs": []any{[]any{"****", "****"}, []any{"n1", "****"}}},
			want:   Config{"apiKeyPairs": []any{[]any{"a1", "a2"}, []any{"n1", "b2"}}},
		},
		{
			name:    "nested: a shorter inner array of secrets",
			stored:  Config{"apiKeyPairs": []any{[]any{"a1", "a2"}, []any{"b1", "b2"}}},
			sent:    Config{"apiKeyPairs": []any{[]any{"****", "****"}, []any{"****"}}},
			wantErr: errMask("config.apiKeyPairs[1][0]"),
		},
		{
			name: "nested: an element's non-secret content includes its inner arrays",
			stored: Config{"groups": []any{
				account("members", []any{"u1", "u2"}, "token", "T1"),
				account("members", []any{"u3"}, "token", "T2"),
			}},
			sent: Config{"groups": []any{
				account("members", []any{"u3"}, "token", "****"),
				account("members", []any{"u1", "u2"}, "token", "****"),
			}},
			wantErr: errMask("config.groups[0].token"),
		},
		{
			name: "a redacted URL is unchanged content",
			stored: Config{"relays": []any{
				account("url", "https://u:p1@r1/", "token", "T1"),
				account("url", "https://u:p2@r2/", "token", "T2"),
			}},
			sent: Config{"relays": []any{
				account("url", "https://u:****@r1/", "token", "****"),
				account("url", "https://u:****@r2/", "token", "****"),
			}},
			want: Config{"relays": []any{
				account("url", "https://u:p1@r1/", "token", "T1"),
				account("url", "https://u:p2@r2/", "token", "T2"),
			}},
		},
	}
	runRestoreCases(t, tests)
}

// TestRestoreRoundTrip checks the write-back rule on realistic configs:
// what a client reads, sent back as it is, restores what is stored.
func TestRestoreRoundTrip(t *testing.T) {
	configs := []Config{
		sampleConfig(),
		{
			"accounts": []any{
				account("name", "x", "botToken", "1:A", "proxy", "http://u:p@proxy:3128"),
				account("name", "x", "botToken", "2:B"),
				account("botToken", "3:C"),
				account("id", int64(7), "apiKeys", []any{"k1", "k2"}),
			},
			"webhook":     map[string]any{"url": "https://agent.example.com/tg?secret=S", "secretToken": "st"},
			"mirrors":     []any{"https://a/?key=KA", "https://a/?key=KB"},
			"apiKeyPairs": []any{[]any{"a1", "a2"}},
		},
	}
	for i, stored := range configs {
		t.Run(fmt.Sprint("config ", i), func(t *testing.T) { checkRoundTrip(t, Redact(stored), stored) })
	}
}

// checkRoundTrip fails t unless Restore, given red, what Redact shows of
// stored, gives stored back: a client that sends back what it read keeps
// every secret.
func checkRoundTrip(t *testing.T, red, stored Config) {
	t.Helper()
	got, err := Restore(red, stored)
	if err != nil {
		t.Fatalf("Restore(Redact(c), c): %v", err)
	}
	if diff := cmp.Diff(stored, got); diff != "" {
		t.Errorf("Restore(Redact(c), c) (-want +got):\n%s", diff)
	}
}

// TestHandlerRefusesMovedSecret checks the case end to end: after
// a client drops the first of two accounts that have no identity field,
// the masks it sends back are refused with a 400 naming the place, and
// the store keeps what it had.
func TestHandlerRefusesMovedSecret(t *testing.T) {
	s := new(MemoryStore)
	stored := Config{"accounts": []any{
		account("botToken", "111:ALICE", "dmPolicy", "open"),
		account("botToken", "222:BOB", "dmPolicy", "pairing"),
	}}
	if err := s.Put(context.Background(), "telegram", stored); err != nil {
		t.Fatal(err)
	}
	h := NewHandler(s, HandlerOptions{})
	body := `{"name": "telegram", "config": {"accounts": [{"botToken": "****:****", "dmPolicy": "pairing"}]}}`
	rec := do(t, h, http.MethodPost, "/", body, nil)
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("status %d, want 400; body %s", rec.Code, rec.Body)
	}
	if !strings.Contains(rec.Body.String(), "config.accounts[0].botToken") {
		t.Errorf("body %s does not name config.accounts[0].botToken", rec.Body)
	}
	got, err := s.Get(context.Background(), "telegram")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(stored, got); diff != "" {
		t.Errorf("store changed (-want +got):\n%s", diff)
	}
}

// TestRestoreErrorPathIsFirst checks that of several masks with nothing
// to keep, the error names the first in key and index order, whatever
// the order of the maps.
func TestRestoreErrorPathIsFirst(t *testing.T) {
	sent := Config{
		"zToken":   "****",
		"accounts": []any{account("name", "n", "port", int64(1)), account("token", "****", "apiKey", "****")},
		"botToken": "****",
		"b":        map[string]any{"secret": "****", "password": "****"},
	}
	for range 50 {
		_, err := Restore(sent, Config{"accounts": []any{}})
		if want := errMask("config.accounts[1].apiKey"); err == nil || err.Error() != want {
			t.Fatalf("Restore error = %v, want %s", err, want)
		}
	}
}

// TestRestoreErrorHidesSecretKeys checks that the path in a Restore error,
// which the Handler sends and may log, shows a key that is a secret as
// Redact shows it, never in clear.
func TestRestoreErrorHidesSecretKeys(t *testing.T) {
	const tg = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	sent := Config{"bots": map[string]any{tg: map[string]any{"token": "****"}}}
	_, err := Restore(sent, nil)
	if want := errMask("config.bots.123456789:****.token"); err == nil || err.Error() != want {
		t.Errorf("Restore error = %v, want %s", err, want)
	}
}

// TestRestoreEditBesideInlineSecret is the write-back a dashboard makes
// after a user changes one line of a multi-line string that also holds a
// secret (an environment block, a prompt with a header in it): the line
// with the mask is sent back as it was read, and its secret should be
// kept.
func TestRestoreEditBesideInlineSecret(t *testing.T) {
	t.Skip("Restore keeps a masked string only when it is sent back whole as read: an edit of another line of the same string is refused with 400")
	stored := Config{"env": "DATABASE_URL=postgres://bot:pw@db/app\nPORT=8080\nMODE=polling"}
	sent := Config{"env": "DATABASE_URL=****\nPORT=9090\nMODE=polling"}
	got, err := Restore(sent, stored)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	want := Config{"env": "DATABASE_URL=postgres://bot:pw@db/app\nPORT=9090\nMODE=polling"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Restore (-want +got):\n%s", diff)
	}
}

// TestRestoreLiteralMaskInPrompt is a prompt that itself writes a mask,
// telling the agent how to show a key: nothing was redacted, so nothing
// needs a stored secret, and the prompt should be saved as written.
func TestRestoreLiteralMaskInPrompt(t *testing.T) {
	t.Skip("a string that writes a mask of its own (\"show keys as sk-****\") is refused as a mask with no stored secret, on a new config and on any edit")
	sent := Config{"prompt": "Never reveal API keys: write them as sk-**** or token=****."}
	got, err := Restore(sent, Config{"prompt": "Be brief."})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if diff := cmp.Diff(sent, got); diff != "" {
		t.Errorf("Restore (-want +got):\n%s", diff)
	}
}
