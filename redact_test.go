// This file tests which keys are secrets and how Redact masks their values.

package connectors

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestIsSensitive(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		policy *Policy
		want   bool
	}{
		// Contains "password", "secret", "apikey", "privatekey", ...
		{name: "password", key: "password", want: true},
		{name: "password upper", key: "PASSWORD", want: true},
		{name: "password inside", key: "dbPassword", want: true},
		{name: "password snake", key: "smtp_password", want: true},
		{name: "password with suffix", key: "passwordFile", want: true},
		{name: "secret", key: "secret", want: true},
		{name: "client secret", key: "clientSecret", want: true},
		{name: "signing secret", key: "signingSecret", want: true},
		{name: "secret snake upper", key: "CLIENT_SECRET", want: true},
		{name: "apikey", key: "apikey", want: true},
		{name: "apiKey", key: "apiKey", want: true},
		{name: "api_key", key: "api_key", want: true},
		{name: "api-key", key: "api-key", want: true},
		{name: "API_KEY", key: "API_KEY", want: true},
		{name: "api.key", key: "api.key", want: true},
		{name: "api key with space", key: "api key", want: true},
		{name: "prefixed apiKey", key: "openaiApiKey", want: true},
		{name: "privatekey", key: "privatekey", want: true},
		{name: "private_key", key: "private_key", want: true},
		{name: "private-key", key: "private-key", want: true},
		{name: "privateKey", key: "privateKey", want: true},
		{name: "PRIVATE.KEY", key: "PRIVATE.KEY", want: true},
		{name: "wallet private key", key: "walletPrivateKey", want: true},
		{name: "seedphrase", key: "seedphrase", want: true},
		{name: "seed_phrase", key: "seed_phrase", want: true},
		{name: "seedPhrase", key: "walletSeedPhrase", want: true},
		{name: "passphrase", key: "passphrase", want: true},
		{name: "passphrase inside", key: "imapPassphrase", want: true},
		{name: "authorization", key: "authorization", want: true},
		{name: "Authorization header", key: "Authorization", want: true},
		{name: "authorization inside", key: "authorizationHeader", want: true},
		{name: "connectionstring", key: "connectionstring", want: true},
		{name: "connection_string", key: "connection_string", want: true},
		{name: "connectionString inside", key: "dbConnectionString", want: true},
		{name: "credential", key: "credential", want: true},
		{name: "credentials", key: "credentials", want: true},
		{name: "credentials inside", key: "googleCredentialsJson", want: true},
		{name: "CREDENTIALS", key: "CREDENTIALS", want: true},
		{name: "cookie", key: "cookie", want: true},
		{name: "cookies", key: "sessionCookies", want: true},

		// Ends with "token" or "tokens".
		{name: "token", key: "token", want: true},
		{name: "TOKEN", key: "TOKEN", want: true},
		{name: "botToken", key: "botToken", want: true},
		{name: "accessToken", key: "accessToken", want: true},
		{name: "bot_token", key: "bot_token", want: true},
		{name: "BOT-TOKEN", key: "BOT-TOKEN", want: true},
		{name: "auth.token", key: "auth.token", want: true},
		{name: "refreshTokens", key: "refreshTokens", want: true},
		{name: "appToken", key: "appToken", want: true},
		{name: "webhookSecretToken", key: "webhookSecretToken", want: true},
		{name: "webhookVerifyToken", key: "webhookVerifyToken", want: true},
		// Keys that start with "min" or "max" but name a secret: the
		// contract's only exception is token counts such as maxTokens.
		{name: "minimaxToken", key: "minimaxToken", want: true},
		{name: "minioToken", key: "minioToken", want: true},
		{name: "maxBotToken", key: "maxBotToken", want: true},

		// Token counts and other settings are not secrets.
		{name: "maxTokens", key: "maxTokens", want: false},
		{name: "max_tokens", key: "max_tokens", want: false},
		{name: "MAX_TOKENS", key: "MAX_TOKENS", want: false},
		{name: "maxOutputTokens", key: "maxOutputTokens", want: false},
		{name: "max_output_tokens", key: "max_output_tokens", want: false},
		{name: "minTokens", key: "minTokens", want: false},
		{name: "tokenizer", key: "tokenizer", want: false},
		{name: "tokenType", key: "tokenType", want: false},
		{name: "tokensUsed", key: "tokensUsed", want: false},
		{name: "port", key: "port", want: false},
		{name: "enabled", key: "enabled", want: false},
		{name: "name", key: "name", want: false},
		{name: "serverUrl", key: "serverUrl", want: false},
		{name: "dmPolicy", key: "dmPolicy", want: false},
		{name: "publicKey", key: "publicKey", want: false},
		{name: "api alone", key: "api", want: false},
		{name: "empty key", key: "", want: false},
		{name: "accountSid", key: "accountSid", want: false},

		// Known secret fields the rules above miss, whole keys only.
		{name: "nsec", key: "nsec", want: true},
		{name: "NSEC", key: "NSEC", want: true},
		{name: "streamKey", key: "streamKey", want: true},
		{name: "stream_key", key: "stream_key", want: true},
		{name: "rtmpKey", key: "rtmpKey", want: true},
		{name: "RTMP_KEY", key: "RTMP_KEY", want: true},
		{name: "serviceAccount", key: "serviceAccount", want: true},
		{name: "service_account", key: "service_account", want: true},
		{name: "serviceAccountKey", key: "serviceAccountKey", want: true},
		{name: "SERVICE-ACCOUNT-KEY", key: "SERVICE-ACCOUNT-KEY", want: true},
		{name: "sessionString", key: "sessionString", want: true},
		{name: "SESSION_STRING", key: "SESSION_STRING", want: true},
		{name: "npub is public", key: "npub", want: false},
		{name: "nsec is a whole key", key: "nsecs", want: false},
		{name: "streamKey is a whole key", key: "streamKeyId", want: false},
		{name: "serviceAccount is a whole key", key: "serviceAccountEmail", want: false},
		{name: "sessionString is a whole key", key: "sessionStringLength", want: false},

		// A Policy adds rules; it never removes the defaults.
		{name: "zero policy token", key: "botToken", policy: &Policy{}, want: true},
		{name: "zero policy port", key: "port", policy: &Policy{}, want: false},
		{name: "zero policy maxTokens", key: "maxTokens", policy: &Policy{}, want: false},
		{name: "keys exact", key: "pinCode", policy: &Policy{Keys: []string{"pinCode"}}, want: true},
		{name: "keys folded snake", key: "pin_code", policy: &Policy{Keys: []string{"pinCode"}}, want: true},
		{name: "keys folded upper", key: "PINCODE", policy: &Policy{Keys: []string{"pinCode"}}, want: true},
		{name: "keys folded kebab", key: "Pin-Code", policy: &Policy{Keys: []string{"pinCode"}}, want: true},
		{name: "keys whole key only", key: "pinCodeLength", policy: &Policy{Keys: []string{"pinCode"}}, want: false},
		{name: "keys leave defaults", key: "botToken", policy: &Policy{Keys: []string{"pinCode"}}, want: true},
		{name: "keys leave known fields", key: "nsec", policy: &Policy{Keys: []string{"pinCode"}}, want: true},
		{name: "keys leave others", key: "port", policy: &Policy{Keys: []string{"pinCode"}}, want: false},
		{name: "default misses pinCode", key: "pin_code", want: false},
		{name: "contains fragment", key: "pinCode", policy: &Policy{Contains: []string{"pin"}}, want: true},
		{name: "contains whole", key: "PIN", policy: &Policy{Contains: []string{"pin"}}, want: true},
		{name: "contains snake", key: "user_pin", policy: &Policy{Contains: []string{"pin"}}, want: true},
		{name: "contains folded fragment", key: "wallet_pin", policy: &Policy{Contains: []string{"WALLET-PIN"}}, want: true},
		{name: "contains leave defaults", key: "password", policy: &Policy{Contains: []string{"pin"}}, want: true},
		{name: "contains leave others", key: "port", policy: &Policy{Contains: []string{"pin"}}, want: false},
		{name: "contains empty fragment", key: "port", policy: &Policy{Contains: []string{""}}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.IsSensitive(tt.key); got != tt.want {
				t.Errorf("(%+v).IsSensitive(%q) = %v, want %v", tt.policy, tt.key, got, tt.want)
			}
			if tt.policy == nil {
				if got := IsSensitive(tt.key); got != tt.want {
					t.Errorf("IsSensitive(%q) = %v, want %v", tt.key, got, tt.want)
				}
				// The zero Policy applies the default rules too.
				if got := (&Policy{}).IsSensitive(tt.key); got != tt.want {
					t.Errorf("(&Policy{}).IsSensitive(%q) = %v, want %v", tt.key, got, tt.want)
				}
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		name   string
		policy *Policy
		in     Config
		want   Config
	}{
		// The seed's examples.
		{
			name: "seed telegram",
			in:   Config{"botToken": "123456:ABC-DEF..."},
			want: Config{"botToken": "****:****"},
		},
		{
			name: "seed discord",
			in:   Config{"token": "MTAx.abc.def"},
			want: Config{"token": "****"},
		},

		// Strings.
		{
			name: "empty string stays empty",
			in:   Config{"botToken": "", "password": ""},
			want: Config{"botToken": "", "password": ""},
		},
		{
			name: "environment reference kept",
			in:   Config{"botToken": "${TELEGRAM_BOT_TOKEN}", "apiKey": "${_KEY1}", "password": "${p}"},
			want: Config{"botToken": "${TELEGRAM_BOT_TOKEN}", "apiKey": "${_KEY1}", "password": "${p}"},
		},
		{
			name: "partial or malformed references masked",
			in: Config{
				"prefixToken":  "prefix ${X}",
				"suffixToken":  "${X}suffix",
				"emptyToken":   "${}",
				"digitToken":   "${1A}",
				"dashToken":    "${A-B}",
				"dollarToken":  "$X",
				"braceToken":   "{X}",
				"openToken":    "${X",
				"spaceToken":   "${ X }",
				"twoRefsToken": "${A}:${B}",
				"nestedToken":  "${A${B}}",
			},
			want: Config{
				"prefixToken":  "****",
				"suffixToken":  "****",
				"emptyToken":   "****",
				"digitToken":   "****",
				"dashToken":    "****",
				"dollarToken":  "****",
				"braceToken":   "****",
				"openToken":    "****",
				"spaceToken":   "****",
				"twoRefsToken": "****:****",
				"nestedToken":  "****",
			},
		},
		{
			name: "each colon-separated part masked",
			in: Config{
				"a":      "x",
				"token":  "a::b",
				"secret": ":",
				"apiKey": "a:",
				"cookie": ":b",
				"nsec":   "a:b:c:d",
			},
			want: Config{
				"a":      "x",
				"token":  "****:****:****",
				"secret": "****:****",
				"apiKey": "****:****",
				"cookie": "****:****",
				"nsec":   "****:****:****:****",
			},
		},
		{
			name: "string that looks like a mask is still masked",
			in:   Config{"token": "****:****"},
			want: Config{"token": "****:****"},
		},

		// Numbers and booleans.
		{
			name: "numbers and booleans under sensitive keys",
			in: Config{
				"apiKey":       int64(12345),
				"pin_password": int64(0),
				"secretRatio":  1.5,
				"token":        false,
				"cookie":       true,
			},
			want: Config{
				"apiKey":       "****",
				"pin_password": "****",
				"secretRatio":  "****",
				"token":        "****",
				"cookie":       "****",
			},
		},

		// Shapes.
		{
			name: "object and array under a sensitive key keep their shape",
			in: Config{
				"credentials": map[string]any{
					"user":   "a",
					"nested": []any{"x:y", int64(5), true, ""},
					"deeper": map[string]any{"port": int64(1), "list": []any{[]any{"z"}}},
				},
			},
			want: Config{
				"credentials": map[string]any{
					"user":   "****",
					"nested": []any{"****:****", "****", "****", ""},
					"deeper": map[string]any{"port": "****", "list": []any{[]any{"****"}}},
				},
			},
		},
		{
			name: "empty containers under a sensitive key",
			in:   Config{"tokens": []any{}, "credentials": map[string]any{}},
			want: Config{"tokens": []any{}, "credentials": map[string]any{}},
		},
		{
			name: "sensitive keys nested in objects and arrays of objects",
			in: Config{
				"accounts": []any{
					map[string]any{"name": "main", "port": int64(1)},
					map[string]any{"name": "alt", "token": "111:AAA", "port": int64(2)},
				},
				"settings": map[string]any{
					"inner": map[string]any{"apiKey": "sk-123", "model": "gpt"},
					"list":  []any{[]any{map[string]any{"password": "p", "user": "u"}}},
				},
			},
			want: Config{
				"accounts": []any{
					map[string]any{"name": "main", "port": int64(1)},
					map[string]any{"name": "alt", "token": "****:****", "port": int64(2)},
				},
				"settings": map[string]any{
					"inner": map[string]any{"apiKey": "****", "model": "gpt"},
					"list":  []any{[]any{map[string]any{"password": "****", "user": "u"}}},
				},
			},
		},
		{
			name: "non-sensitive values unchanged with their types",
			in: Config{
				"port":      int64(8080),
				"ratio":     0.5,
				"big":       float64(1e300),
				"enabled":   true,
				"name":      "bot",
				"serverUrl": "https://example.com:8443/hook",
				"maxTokens": int64(4096),
				"tags":      []any{"a", int64(2), 2.5, false},
				"limits":    map[string]any{"maxOutputTokens": int64(1024), "tokenizer": "cl100k"},
			},
			want: Config{
				"port":      int64(8080),
				"ratio":     0.5,
				"big":       float64(1e300),
				"enabled":   true,
				"name":      "bot",
				"serverUrl": "https://example.com:8443/hook",
				"maxTokens": int64(4096),
				"tags":      []any{"a", int64(2), 2.5, false},
				"limits":    map[string]any{"maxOutputTokens": int64(1024), "tokenizer": "cl100k"},
			},
		},
		{
			name: "empty config",
			in:   Config{},
			want: Config{},
		},

		// Policies.
		{
			name:   "policy keys add to the defaults",
			policy: &Policy{Keys: []string{"pinCode"}},
			in:     Config{"pin_code": "abc:def", "botToken": "1:x", "port": int64(1)},
			want:   Config{"pin_code": "****:****", "botToken": "****:****", "port": int64(1)},
		},
		{
			name:   "policy contains nested",
			policy: &Policy{Contains: []string{"pin"}},
			in:     Config{"wallet": map[string]any{"pinCode": int64(1234), "owner": "me"}},
			want:   Config{"wallet": map[string]any{"pinCode": "****", "owner": "me"}},
		},
		{
			name:   "zero policy is the defaults",
			policy: &Policy{},
			in:     Config{"token": "t", "pin_code": "k"},
			want:   Config{"token": "****", "pin_code": "k"},
		},

		// A realistic config for each connector the contract names.
		{
			name: "telegram",
			in: Config{
				"enabled":   true,
				"botToken":  "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
				"dmPolicy":  "pairing",
				"allowFrom": []any{"12345", "@someone"},
				"groups":    map[string]any{"-1001": map[string]any{"requireMention": true}},
				"webhook":   map[string]any{"url": "https://bot.example.com/tg", "secretToken": "s3cr3t", "port": int64(8443)},
			},
			want: Config{
				"enabled":   true,
				"botToken":  "****:****",
				"dmPolicy":  "pairing",
				"allowFrom": []any{"12345", "@someone"},
				"groups":    map[string]any{"-1001": map[string]any{"requireMention": true}},
				"webhook":   map[string]any{"url": "https://bot.example.com/tg", "secretToken": "****", "port": int64(8443)},
			},
		},
		{
			name: "discord",
			in: Config{
				"token":         "MTAxMjM0NTY3ODkw.GhIjKl.mNoPqRsTuVwXyZ",
				"applicationId": "1012345678901234",
				"guilds": map[string]any{
					"123": map[string]any{"channels": []any{"general"}, "requireMention": false},
				},
				"intents": map[string]any{"messageContent": true},
			},
			want: Config{
				"token":         "****",
				"applicationId": "1012345678901234",
				"guilds": map[string]any{
					"123": map[string]any{"channels": []any{"general"}, "requireMention": false},
				},
				"intents": map[string]any{"messageContent": true},
			},
		},
		{
			name: "whatsapp",
			in: Config{
				"authDir":            "./auth/whatsapp",
				"phoneNumberId":      "105954558954427",
				"accessToken":        "EAAGm0PX4ZCpsBA",
				"appSecret":          "9f8e7d6c",
				"webhookVerifyToken": "verify-me",
				"dmPolicy":           "allowlist",
				"allowFrom":          []any{"+15550001111"},
			},
			want: Config{
				"authDir":            "./auth/whatsapp",
				"phoneNumberId":      "105954558954427",
				"accessToken":        "****",
				"appSecret":          "****",
				"webhookVerifyToken": "****",
				"dmPolicy":           "allowlist",
				"allowFrom":          []any{"+15550001111"},
			},
		},
		{
			name: "slack",
			in: Config{
				"mode":          "socket",
				"botToken":      "xoxb-1234-5678-abcdef",
				"appToken":      "xapp-1-A0123-456-abcdef",
				"signingSecret": "8f14e45fceea167a5a36dedd4bea2543",
				"channels":      []any{"#general", "#ops"},
			},
			want: Config{
				"mode":          "socket",
				"botToken":      "****",
				"appToken":      "****",
				"signingSecret": "****",
				"channels":      []any{"#general", "#ops"},
			},
		},
		{
			name: "twilio",
			in: Config{
				"accountSid":  "AC0123456789abcdef0123456789abcdef",
				"authToken":   "0123456789abcdef0123456789abcdef",
				"phoneNumber": "+15550001111",
				"voice":       map[string]any{"enabled": true, "language": "en-US"},
			},
			want: Config{
				"accountSid":  "AC0123456789abcdef0123456789abcdef",
				"authToken":   "****",
				"phoneNumber": "+15550001111",
				"voice":       map[string]any{"enabled": true, "language": "en-US"},
			},
		},
		{
			name: "nostr",
			in: Config{
				"nsec":   "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5",
				"npub":   "npub1sg6plzptd64u62a878hep2kev88swjh3tw00gjsfl8f237lmu63q0uf63m",
				"relays": []any{"wss://relay.damus.io", "wss://nos.lol"},
			},
			want: Config{
				"nsec":   "****",
				"npub":   "npub1sg6plzptd64u62a878hep2kev88swjh3tw00gjsfl8f237lmu63q0uf63m",
				"relays": []any{"wss://relay.damus.io", "wss://nos.lol"},
			},
		},
		{
			name: "twitch streaming",
			in: Config{
				"channel":     "mychannel",
				"accessToken": "oauth:abc123def456",
				"clientId":    "gp762nuuoqcoxypju8c569th9wz7q5",
				"streamKey":   "live_123456789_AbCdEfGhIjKlMnOpQrStUvWxYz",
				"rtmpUrl":     "rtmp://live.twitch.tv/app",
				"rtmpKey":     "live_987654321_ZyXw",
				"bitrate":     int64(6000),
			},
			want: Config{
				"channel":     "mychannel",
				"accessToken": "****:****",
				"clientId":    "gp762nuuoqcoxypju8c569th9wz7q5",
				"streamKey":   "****",
				"rtmpUrl":     "rtmp://live.twitch.tv/app",
				"rtmpKey":     "****",
				"bitrate":     int64(6000),
			},
		},
		{
			name: "google",
			in: Config{
				"calendarId": "primary",
				"serviceAccount": map[string]any{
					"type":           "service_account",
					"project_id":     "my-project",
					"private_key_id": "1a2b3c",
					"private_key":    "-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----\n",
					"client_email":   "bot@my-project.iam.gserviceaccount.com",
					"token_uri":      "https://oauth2.googleapis.com/token",
				},
				"serviceAccountKey": "ewogICJ0eXBlIjogInNlcnZpY2VfYWNjb3VudCIK",
				"scopes":            []any{"https://www.googleapis.com/auth/calendar"},
			},
			want: Config{
				"calendarId": "primary",
				"serviceAccount": map[string]any{
					"type":           "****",
					"project_id":     "****",
					"private_key_id": "****",
					"private_key":    "****",
					"client_email":   "****",
					"token_uri":      "****:****",
				},
				"serviceAccountKey": "****",
				"scopes":            []any{"https://www.googleapis.com/auth/calendar"},
			},
		},
		{
			name: "telegram userbot",
			in: Config{
				"apiId":         int64(1234567),
				"phone":         "+15550001111",
				"sessionString": "1BVtsOKABu0a4rP9Zp8m3Xk=",
			},
			want: Config{
				"apiId":         int64(1234567),
				"phone":         "+15550001111",
				"sessionString": "****",
			},
		},
		{
			name: "matrix",
			in: Config{
				"homeserver":  "https://matrix.org",
				"userId":      "@bot:matrix.org",
				"password":    "hunter2",
				"accessToken": "syt_Ym90_abcdef_123",
				"deviceId":    "ABCDEFGH",
				"rooms":       []any{"!abc:matrix.org"},
			},
			want: Config{
				"homeserver":  "https://matrix.org",
				"userId":      "@bot:matrix.org",
				"password":    "****",
				"accessToken": "****",
				"deviceId":    "ABCDEFGH",
				"rooms":       []any{"!abc:matrix.org"},
			},
		},
		{
			name: "email",
			in: Config{
				"smtp": map[string]any{
					"host":     "smtp.example.com",
					"port":     int64(587),
					"user":     "bot@example.com",
					"password": "p@ss:word",
					"tls":      true,
				},
				"imap": map[string]any{
					"host":       "imap.example.com",
					"port":       int64(993),
					"user":       "bot@example.com",
					"passphrase": "correct horse battery staple",
					"folders":    []any{"INBOX"},
				},
				"from": "Agent <bot@example.com>",
			},
			want: Config{
				"smtp": map[string]any{
					"host":     "smtp.example.com",
					"port":     int64(587),
					"user":     "bot@example.com",
					"password": "****:****",
					"tls":      true,
				},
				"imap": map[string]any{
					"host":       "imap.example.com",
					"port":       int64(993),
					"user":       "bot@example.com",
					"passphrase": "****",
					"folders":    []any{"INBOX"},
				},
				"from": "Agent <bot@example.com>",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.policy.Redact(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Redact mismatch (-want +got):\n%s", diff)
			}
			if tt.policy == nil {
				if diff := cmp.Diff(tt.want, Redact(tt.in)); diff != "" {
					t.Errorf("package Redact mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestRedactNil(t *testing.T) {
	if got := Redact(nil); got != nil {
		t.Errorf("Redact(nil) = %#v, want nil", got)
	}
	if got := (&Policy{Keys: []string{"x"}}).Redact(nil); got != nil {
		t.Errorf("Policy.Redact(nil) = %#v, want nil", got)
	}
	if got := Redact(Config{}); got == nil || len(got) != 0 {
		t.Errorf("Redact(Config{}) = %#v, want an empty non-nil config", got)
	}
}

// sampleConfig returns a fresh config with secrets and plain values nested
// in objects and arrays; each call builds new maps and slices.
func sampleConfig() Config {
	return Config{
		"botToken": "123:abc",
		"port":     int64(8080),
		"ratio":    0.25,
		"credentials": map[string]any{
			"user":   "admin",
			"nested": []any{"x:y", int64(5), true, "", map[string]any{"k": "v"}},
		},
		"accounts": []any{
			map[string]any{"name": "a", "token": "t-a"},
			map[string]any{"name": "b", "token": "t-b", "tags": []any{"one", "two"}},
		},
		"plain": map[string]any{"list": []any{"p", []any{"q"}}, "apiKey": "${KEY}"},
	}
}

func TestRedactDoesNotChangeInput(t *testing.T) {
	in := sampleConfig()
	out := Redact(in)
	if diff := cmp.Diff(sampleConfig(), in); diff != "" {
		t.Fatalf("Redact changed its input (-want +got):\n%s", diff)
	}

	// The copy is deep: changing every container of the output, at every
	// depth, leaves the input as it was.
	out["botToken"] = "changed"
	out["added"] = "new"
	creds := out["credentials"].(map[string]any)
	creds["user"] = "changed"
	nested := creds["nested"].([]any)
	nested[0] = "changed"
	nested[4].(map[string]any)["k"] = "changed"
	accounts := out["accounts"].([]any)
	accounts[0].(map[string]any)["name"] = "changed"
	accounts[1].(map[string]any)["tags"].([]any)[0] = "changed"
	accounts[1] = "replaced"
	plain := out["plain"].(map[string]any)
	plain["list"].([]any)[1].([]any)[0] = "changed"
	plain["list"].([]any)[0] = "changed"
	delete(plain, "apiKey")
	if diff := cmp.Diff(sampleConfig(), in); diff != "" {
		t.Errorf("changing Redact's output changed its input (-want +got):\n%s", diff)
	}

	// And the other way round: changing the input leaves an earlier output.
	in = sampleConfig()
	out = Redact(in)
	want := Redact(sampleConfig())
	in["port"] = int64(1)
	in["plain"].(map[string]any)["list"].([]any)[0] = "changed"
	in["accounts"].([]any)[0].(map[string]any)["name"] = "changed"
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("changing Redact's input changed its output (-want +got):\n%s", diff)
	}
}

func TestRedactAll(t *testing.T) {
	in := map[string]Config{
		"telegram": {"botToken": "123456:ABC-DEF", "enabled": true},
		"discord":  {"token": "MTAx.abc.def"},
		"custom":   {"pinCode": "k", "port": int64(1)},
		"empty":    {},
	}
	inCopy := map[string]Config{
		"telegram": {"botToken": "123456:ABC-DEF", "enabled": true},
		"discord":  {"token": "MTAx.abc.def"},
		"custom":   {"pinCode": "k", "port": int64(1)},
		"empty":    {},
	}
	tests := []struct {
		name   string
		policy *Policy
		want   map[string]Config
	}{
		{
			name: "default rules",
			want: map[string]Config{
				"telegram": {"botToken": "****:****", "enabled": true},
				"discord":  {"token": "****"},
				"custom":   {"pinCode": "k", "port": int64(1)},
				"empty":    {},
			},
		},
		{
			name:   "policy",
			policy: &Policy{Keys: []string{"pin_code"}},
			want: map[string]Config{
				"telegram": {"botToken": "****:****", "enabled": true},
				"discord":  {"token": "****"},
				"custom":   {"pinCode": "****", "port": int64(1)},
				"empty":    {},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.policy.RedactAll(in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RedactAll mismatch (-want +got):\n%s", diff)
			}
			got["telegram"]["enabled"] = false
			got["new"] = Config{}
			delete(got, "discord")
			if diff := cmp.Diff(inCopy, in); diff != "" {
				t.Errorf("RedactAll changed its input (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("nil map", func(t *testing.T) {
		got := (*Policy)(nil).RedactAll(nil)
		if got == nil || len(got) != 0 {
			t.Errorf("RedactAll(nil) = %#v, want an empty non-nil map", got)
		}
	})
}

// envRefPattern is the contract's whole environment reference, written
// independently of the implementation.
var envRefPattern = regexp.MustCompile(`^\$\{[A-Za-z_][A-Za-z0-9_]*\}$`)

// randomKeys are the keys random configs use, with whether each is
// sensitive by the default rules.
var randomKeys = []struct {
	key       string
	sensitive bool
}{
	{"botToken", true}, {"password", true}, {"api_key", true}, {"PRIVATE.KEY", true},
	{"credentials", true}, {"nsec", true}, {"streamKey", true}, {"refreshTokens", true},
	{"cookie", true}, {"serviceAccount", true},
	{"port", false}, {"name", false}, {"maxTokens", false}, {"tokenizer", false},
	{"enabled", false}, {"serverUrl", false}, {"accounts", false}, {"settings", false},
	{"dmPolicy", false}, {"tags", false},
}

// randomString returns a short string from an alphabet without "*", so
// that no input is already a mask; sometimes with ":" separators, empty,
// or an environment reference (well-formed or not).
func randomString(r *rand.Rand) string {
	switch r.IntN(8) {
	case 0:
		return ""
	case 1:
		return "${" + []string{"BOT_TOKEN", "_X", "a1", "1A", "", "A-B", "X}y"}[r.IntN(7)] + "}"
	case 2:
		return "x ${TOKEN}"
	}
	const alphabet = "abcXYZ019-_.:/ $${}"
	n := 1 + r.IntN(12)
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// randomValue returns a random value of the value model, nesting at most
// depth more levels.
func randomValue(r *rand.Rand, depth int) any {
	k := r.IntN(7)
	if depth == 0 {
		k = r.IntN(4)
	}
	switch k {
	case 0, 1:
		return randomString(r)
	case 2:
		if r.IntN(2) == 0 {
			return r.Int64N(1<<40) - 1<<39
		}
		return r.Float64() * 100
	case 3:
		return r.IntN(2) == 0
	case 4:
		a := make([]any, r.IntN(4))
		for i := range a {
			a[i] = randomValue(r, depth-1)
		}
		return a
	default:
		return randomObject(r, depth-1)
	}
}

func randomObject(r *rand.Rand, depth int) map[string]any {
	m := make(map[string]any)
	for range r.IntN(5) {
		m[randomKeys[r.IntN(len(randomKeys))].key] = randomValue(r, depth)
	}
	return m
}

// checkRedacted walks in and out side by side and reports every leaf that
// is not redacted as the contract says.
func checkRedacted(t *testing.T, path string, in, out any, secret bool) {
	t.Helper()
	switch in := in.(type) {
	case map[string]any:
		o, ok := out.(map[string]any)
		if !ok || len(o) != len(in) {
			t.Errorf("%s: object became %#v", path, out)
			return
		}
		for k, v := range in {
			sensitive := false
			for _, rk := range randomKeys {
				if rk.key == k {
					sensitive = rk.sensitive
				}
			}
			checkRedacted(t, path+"."+k, v, o[k], secret || sensitive)
		}
	case []any:
		o, ok := out.([]any)
		if !ok || len(o) != len(in) {
			t.Errorf("%s: array became %#v", path, out)
			return
		}
		for i, v := range in {
			checkRedacted(t, fmt.Sprintf("%s[%d]", path, i), v, o[i], secret)
		}
	case string:
		switch {
		case !secret || in == "" || envRefPattern.MatchString(in):
			if out != in {
				t.Errorf("%s: %q became %#v, want it unchanged", path, in, out)
			}
		default:
			want := strings.Repeat(Mask+":", strings.Count(in, ":")) + Mask
			if out != want {
				t.Errorf("%s: secret %q became %#v, want %q", path, in, out, want)
			}
		}
	default:
		if secret && out != Mask {
			t.Errorf("%s: secret %#v became %#v, want %q", path, in, out, Mask)
		}
		if !secret && out != in {
			t.Errorf("%s: %#v became %#v, want it unchanged", path, in, out)
		}
	}
}

// deepCopy copies a value of the value model, independently of the
// package's own copying.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = deepCopy(e)
		}
		return a
	default:
		return v
	}
}

// TestRedactRandomConfigs checks on random nested configs that no secret
// leaf survives redaction, that everything else does, and that the input
// is left as it was.
func TestRedactRandomConfigs(t *testing.T) {
	r := rand.New(rand.NewPCG(2024, 11))
	for i := range 400 {
		in := randomObject(r, 5)
		before := deepCopy(in).(map[string]any)
		out := Redact(in)
		checkRedacted(t, fmt.Sprintf("case %d: config", i), in, out, false)
		if diff := cmp.Diff(before, in); diff != "" {
			t.Errorf("case %d: Redact changed its input (-want +got):\n%s", i, diff)
		}
		if t.Failed() {
			t.Fatalf("case %d: input %#v", i, in)
		}
	}
}

// TestRedactURLCredentials checks that the credentials of a URL are masked
// under any key, and only they: the rest of the string stays as it was.
func TestRedactURLCredentials(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		// User information.
		{name: "password", in: "https://user:pass@host/x", want: "https://user:****@host/x"},
		{name: "postgres", in: "postgres://u:p@h/db?sslmode=require", want: "postgres://u:****@h/db?sslmode=require"},
		{name: "no user name", in: "redis://:s3cret@localhost:6379/0", want: "redis://:****@localhost:6379/0"},
		{name: "token as user name", in: "https://ghp_abc123@github.com/o/r.git", want: "https://****@github.com/o/r.git"},
		{name: "password with @ and :", in: "amqp://u:p@s:s@host:5672/", want: "amqp://u:****@host:5672/"},
		{name: "IPv6 host and port", in: "http://u:p@[::1]:8080/x", want: "http://u:****@[::1]:8080/x"},
		{name: "upper-case scheme", in: "HTTPS://U:P@HOST", want: "HTTPS://U:****@HOST"},
		{name: "URL inside text", in: "dsn postgres://u:p@h/db", want: "dsn postgres://u:****@h/db"},
		{name: "@ in the path is not user information", in: "https://host/@user:x", want: "https://host/@user:x"},
		{name: "every URL in a string", in: "primary https://a:pw1@h1 backup https://b:pw2@h2", want: "primary https://a:****@h1 backup https://b:****@h2"},
		{name: "URL in a parameter value", in: "https://h/login?next=https://u:pw@h2/", want: "https://h/login?next=https://u:****@h2/"},
		{name: "escaped URL in a parameter value", in: "https://h/login?next=https%3A%2F%2Fu%3Apw%40h2%2F&x=1", want: "https://h/login?next=https%3A%2F%2Fu%3A****%40h2%2F&x=1"},
		{name: "scheme-relative", in: "//user:pw@host/path", want: "//user:****@host/path"},
		{name: "scheme-relative in a parameter value", in: "https://h/?next=//u:pw@h2/", want: "https://h/?next=//u:****@h2/"},
		{name: "scheme-relative token as user name", in: "see //tok123@host/x", want: "see //****@host/x"},
		{name: "scheme missing", in: "://u:p@h", want: "://u:****@h"},
		{name: "raw / in the password", in: "https://u:p/ss@h/", want: "https://u:****@h/"},
		{name: "raw # in the password", in: "https://u:p#ss@h", want: "https://u:****@h"},
		{name: "raw ? in the password", in: "https://u:p?ss@h/x?page=2", want: "https://u:****@h/x?page=2"},
		{name: "password starting with /", in: "postgres://u:/x9@db:5432/app", want: "postgres://u:****@db:5432/app"},
		{name: "a port, then an @ further on: what lies between is masked", in: "https://h:8443/users/a@b.example", want: "https://h:****@b.example"},
		{name: "raw / and @ in the password", in: "https://u:p/s@s@h.example:8443/x", want: "https://u:****@h.example:8443/x"},

		// Query and fragment parameters.
		{name: "token", in: "https://host/x?token=abc", want: "https://host/x?token=****"},
		{name: "among others", in: "https://h/p?page=2&api_key=abc&x=1", want: "https://h/p?page=2&api_key=****&x=1"},
		{name: "case and separators ignored", in: "https://h/?Token=a&API-KEY=b&ApiKey=c&X_Access_Token=d", want: "https://h/?Token=****&API-KEY=****&ApiKey=****&X_Access_Token=****"},
		{
			name: "every secret name",
			in:   "https://h/?key=1&secret=2&password=3&access_token=4&sig=5&signature=6&auth=7&client_secret=8&apikey=9",
			want: "https://h/?key=****&secret=****&password=****&access_token=****&sig=****&signature=****&auth=****&client_secret=****&apikey=****",
		},
		{
			name: "presigned S3 URL",
			in:   "https://b.s3.amazonaws.com/o?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20250101&X-Amz-Date=20250101T000000Z&X-Amz-Security-Token=tok&X-Amz-Signature=abc",
			want: "https://b.s3.amazonaws.com/o?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=****&X-Amz-Date=20250101T000000Z&X-Amz-Security-Token=****&X-Amz-Signature=****",
		},
		{name: "encoded name", in: "https://h/?api%5Fkey=abc&api+key=b", want: "https://h/?api%5Fkey=****&api+key=****"},
		{name: "value with = and :", in: "https://h/?token=a=b:c&n=1", want: "https://h/?token=****&n=1"},
		{name: "fragment", in: "https://app/cb#access_token=abc&state=xyz", want: "https://app/cb#access_token=****&state=xyz"},
		{name: "query in a hash route", in: "https://app/#/cb?token=abc", want: "https://app/#/cb?token=****"},
		{name: "query then fragment", in: "https://h/?token=a#sig=b", want: "https://h/?token=****#sig=****"},
		{name: "relative reference", in: "/hook?secret=abc", want: "/hook?secret=****"},
		{name: "both", in: "https://u:p@h/?token=t", want: "https://u:****@h/?token=****"},

		// Tokens in paths.
		{name: "telegram bot API", in: "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe", want: "https://api.telegram.org/bot123456789:****/getMe"},
		{name: "telegram file API", in: "https://api.telegram.org/file/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/photos/1.jpg", want: "https://api.telegram.org/file/bot123456789:****/photos/1.jpg"},
		{name: "discord webhook", in: "https://discord.com/api/webhooks/1234567890/abcDEF-ghi_JKL?wait=true", want: "https://discord.com/api/webhooks/1234567890/****?wait=true"},
		{name: "discord webhook, versioned", in: "https://ptb.discordapp.com/api/v10/webhooks/1234567890/abcDEF/slack", want: "https://ptb.discordapp.com/api/v10/webhooks/1234567890/****/slack"},
		{name: "slack webhook", in: "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX", want: "https://hooks.slack.com/services/T000/B000/****"},
		{name: "slack workflow trigger", in: "https://hooks.slack.com/triggers/T000/123/abcdef0123", want: "https://hooks.slack.com/triggers/T000/123/****"},
		{name: "discord API, not a webhook", in: "https://discord.com/api/v10/channels/123/messages", want: "https://discord.com/api/v10/channels/123/messages"},
		{name: "slack API", in: "https://slack.com/api/chat.postMessage", want: "https://slack.com/api/chat.postMessage"},
		{name: "semicolon after a path", in: "https://h/x;token=abc", want: "https://h/x;token=****"},
		{name: "semicolon in a query", in: "https://h/?a=1;token=abc", want: "https://h/?a=1;token=****"},
		{name: "raw ? in a secret value", in: "https://h/?token=ab?cd&x=1", want: "https://h/?token=****&x=1"},
		{name: "raw ; in a secret value", in: "https://h/?token=ab;cd", want: "https://h/?token=****"},
		{name: "escaped parameter in a parameter value", in: "https://h/?next=%2Fcb%3Ftoken%3Dabc", want: "https://h/?next=%2Fcb%3Ftoken%3D****"},
		{name: "parameters of every URL", in: "a https://h1/?token=t1&x=1 b https://h2/?key=k2", want: "a https://h1/?token=****&x=1 b https://h2/?key=****"},
		{name: "a secret value runs over white space", in: "https://h/?auth=Bearer abc", want: "https://h/?auth=****"},

		// Kept.
		{name: "environment references", in: "https://u:${DB_PASS}@h/db?token=${TOKEN}", want: "https://u:${DB_PASS}@h/db?token=${TOKEN}"},
		{name: "empty credentials", in: "https://u:@h/?token=&key", want: "https://u:@h/?token=&key"},
		{name: "already masked", in: "https://u:****@h/?token=****", want: "https://u:****@h/?token=****"},
		{name: "no credentials", in: "https://example.com:8443/hook", want: "https://example.com:8443/hook"},
		{name: "websocket relay", in: "wss://relay.damus.io", want: "wss://relay.damus.io"},
		{name: "harmless parameters", in: "https://h/p?q=token&page=2&max_tokens=5", want: "https://h/p?q=token&page=2&max_tokens=5"},
		{name: "Slack channel", in: "#general", want: "#general"},
		{name: "question", in: "Are you sure? key=value", want: "Are you sure? key=value"},
		{name: "scp-style git address", in: "git@github.com:o/r.git", want: "git@github.com:o/r.git"},
		{name: "profile path", in: "https://mastodon.social/@alice", want: "https://mastodon.social/@alice"},
		{name: "e-mail address in a path", in: "https://example.com/users/alice@example.com", want: "https://example.com/users/alice@example.com"},
		{name: "e-mail address in a query", in: "https://example.com/find?email=alice@example.com", want: "https://example.com/find?email=alice@example.com"},
		{name: "comment", in: "// ask bob@example.com: he knows", want: "// ask bob@example.com: he knows"},
		{name: "file URL", in: "file:///srv/a@b/x", want: "file:///srv/a@b/x"},
		{name: "double slash in a path", in: "https://h/a//b", want: "https://h/a//b"},
		{name: "host and port named like a secret", in: "https://secrets.example.com:443/token-info", want: "https://secrets.example.com:443/token-info"},
		{name: "plain text", in: "hello: world", want: "hello: world"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Config{
				"url":      tt.in,
				"nested":   map[string]any{"endpoint": tt.in},
				"list":     []any{tt.in},
				"botToken": tt.in, // a sensitive key masks the whole string
			}
			want := Config{
				"url":      tt.want,
				"nested":   map[string]any{"endpoint": tt.want},
				"list":     []any{tt.want},
				"botToken": maskString(tt.in),
			}
			if diff := cmp.Diff(want, Redact(in)); diff != "" {
				t.Errorf("Redact (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRedactURLWebhooks checks that Discord and Slack webhook URLs, whose
// path is the token, are masked whole under the keys they are kept in.
func TestRedactURLWebhooks(t *testing.T) {
	in := Config{
		"webhookUrl":   "https://discord.com/api/webhooks/123/abcDEF",
		"webhook_url":  "https://hooks.slack.com/services/T0/B0/xyz",
		"alerts":       map[string]any{"slackWebhookUrl": "https://hooks.slack.com/services/T1/B1/uvw"},
		"webhookPath":  "/discord",
		"callback_url": "https://agent.example.com/hook",
	}
	want := Config{
		"webhookUrl":   "****:****",
		"webhook_url":  "****:****",
		"alerts":       map[string]any{"slackWebhookUrl": "****:****"},
		"webhookPath":  "/discord",
		"callback_url": "https://agent.example.com/hook",
	}
	if diff := cmp.Diff(want, Redact(in)); diff != "" {
		t.Errorf("Redact (-want +got):\n%s", diff)
	}
}

// TestRedactURLPolicy checks that a Policy's keys also name secret URL
// parameters.
func TestRedactURLPolicy(t *testing.T) {
	p := &Policy{Keys: []string{"pin"}}
	in := Config{"url": "https://h/?pin=1234&page=2"}
	want := Config{"url": "https://h/?pin=****&page=2"}
	if diff := cmp.Diff(want, p.Redact(in)); diff != "" {
		t.Errorf("Redact (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(in, Redact(in)); diff != "" {
		t.Errorf("default rules masked pin (-want +got):\n%s", diff)
	}
}

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
			got, err := Restore(red, stored)
			if err != nil {
				t.Fatalf("Restore(Redact(c), c): %v", err)
			}
			if diff := cmp.Diff(stored, got); diff != "" {
				t.Errorf("Restore(Redact(c), c) (-want +got):\n%s", diff)
			}
			_, err = Restore(Config{"url": tt.moved}, stored)
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
		got, err := Restore(Redact(stored), stored)
		if err != nil {
			t.Fatalf("config %d: Restore(Redact(c), c): %v", i, err)
		}
		if diff := cmp.Diff(stored, got); diff != "" {
			t.Errorf("config %d: Restore(Redact(c), c) != c (-want +got):\n%s", i, diff)
		}
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
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
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

// TestRedactTextURLSecrets checks RedactText on URLs kept under sensitive
// keys: the credentials, path and query are masked, whole and cut short,
// and the scheme and host, which messages name for other reasons, stay
// readable whatever the shape of the host.
func TestRedactTextURLSecrets(t *testing.T) {
	const (
		withPort = "https://user:pa55w0rd-secret@discord.com:8443/api/x"
		ipv6     = "http://u:secretpass@[2001:db8::1]:80/p"
		ipv6Bare = "http://[2001:db8::1]:8080/hook/secret-path-token"
		portOnly = "https://discord.com:8443/api/webhooks/123/tokenpart-abcdef"
		ghToken  = "https://ghp_abcdefghijklmnopqrstuvwxyz0123:x@github.com/org/repo"
	)
	tests := []struct {
		name string
		url  string // kept under "webhookUrl"
		msg  string
		want string
	}{
		{
			name: "port: the host named alone",
			url:  withPort,
			msg:  "dial discord.com:8443: timeout; GET https://discord.com:8443/status",
			want: "dial discord.com:8443: timeout; GET https://discord.com:8443/status",
		},
		{
			name: "port: the whole URL",
			url:  withPort,
			msg:  "POST " + withPort + " failed",
			want: "POST https://****@discord.com:8443**** failed",
		},
		{
			name: "port: the password alone and cut short",
			url:  withPort,
			msg:  "password pa55w0rd-secret rejected, or pa55w0rd-s...",
			want: "password **** rejected, or ****...",
		},
		{
			name: "port without user information: the host",
			url:  portOnly,
			msg:  "GET https://discord.com/api/v10/gateway; https://discord.com:8443/ is down",
			want: "GET https://discord.com/api/v10/gateway; https://discord.com:8443/ is down",
		},
		{
			name: "port without user information: the path",
			url:  portOnly,
			msg:  "hook .../123/tokenpart-abcdef gone",
			want: "hook ...**** gone",
		},
		{
			name: "IPv6 host",
			url:  ipv6,
			msg:  "dial tcp [2001:db8::1]:80: refused by http://[2001:db8::1]:80/; password secretpass",
			want: "dial tcp [2001:db8::1]:80: refused by http://[2001:db8::1]:80/; password ****",
		},
		{
			name: "IPv6 host without user information",
			url:  ipv6Bare,
			msg:  "GET http://[2001:db8::1]:8080/status: 404; hook secret-path-token",
			want: "GET http://[2001:db8::1]:8080/status: 404; hook ****",
		},
		{
			name: "token as user name: whole",
			url:  ghToken,
			msg:  "clone failed: token ghp_abcdefghijklmnopqrstuvwxyz0123 rejected by github.com",
			want: "clone failed: token **** rejected by github.com",
		},
		{
			name: "token as user name: cut short",
			url:  ghToken,
			msg:  "token ghp_abcdefghij... rejected; token ...uvwxyz0123 too",
			want: "token ****... rejected; token ...**** too",
		},
		{
			name: "token as user name: the whole URL",
			url:  ghToken,
			msg:  "git clone " + ghToken,
			want: "git clone https://****@github.com****",
		},
		{
			name: "only a host: it is the secret",
			url:  "https://k7f3q9zx2m.tunnel.example/",
			msg:  "dial https://k7f3q9zx2m.tunnel.example/: refused; host k7f3q9zx2m.tunnel.example",
			want: "dial ****: refused; host ****",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactText(tt.msg, Config{"webhookUrl": tt.url}); got != tt.want {
				t.Errorf("RedactText(%q)\n got %q\nwant %q", tt.msg, got, tt.want)
			}
		})
	}
}

// TestRedactTextValidUTF8 checks that RedactText never cuts a character
// in two, even where a secret's unescaped form is not UTF-8 ("%C3" alone
// unescapes to the first byte of "é"), and that it leaves no secret.
func TestRedactTextValidUTF8(t *testing.T) {
	tests := []struct {
		name, secret, msg, want string
	}{
		{name: "unescaped form ends inside a character", secret: "abcd%C3", msg: "x abcdé y", want: "x **** y"},
		{name: "unescaped form starts inside a character", secret: "%A9wxyz", msg: "x éwxyz y", want: "x **** y"},
		{name: "escaped form as written", secret: "abcd%C3", msg: "x abcd%C3 y", want: "x **** y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RedactText(tt.msg, Config{"password": tt.secret})
			if got != tt.want || !utf8.ValidString(got) {
				t.Errorf("RedactText(%q) = %q, want %q", tt.msg, got, tt.want)
			}
		})
	}

	// Messages made of the secrets' forms and of characters that share
	// their bytes, in random order.
	secrets := []string{"abcd%C3", "%A9wxyz", "p%C3%A9ss%E2%82", "k\u00e9y-%E2%82%AC-12"}
	parts := []string{"é", "€", "ü", "a", " ", "abcd", "%C3", "wxyz"}
	for _, s := range secrets {
		u, _ := url.QueryUnescape(s)
		parts = append(parts, s, u, s[:len(s)/2], u[len(u)/2:])
	}
	cfg := Config{"passwords": []any{secrets[0], secrets[1], secrets[2], secrets[3]}}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var b strings.Builder
		for range 1 + r.IntN(8) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		msg := strings.ToValidUTF8(b.String(), "?")
		got := RedactText(msg, cfg)
		if !utf8.ValidString(got) {
			t.Fatalf("RedactText(%q) = %q, not UTF-8", msg, got)
		}
		for _, s := range secrets {
			if strings.Contains(got, s) {
				t.Fatalf("RedactText(%q) = %q, holds %q", msg, got, s)
			}
		}
	}
}

// TestRedactTextFloats checks that a number under a sensitive key is
// masked as fmt prints it and as JSON and plain decimals write it.
func TestRedactTextFloats(t *testing.T) {
	tests := []struct {
		name string
		v    float64
		msg  string
		want string
	}{
		{name: "JSON", v: 12345678.9, msg: `body {"pin":12345678.9} refused`, want: `body {"pin":****} refused`},
		{name: "fmt", v: 12345678.9, msg: "pin 1.23456789e+07 refused", want: "pin **** refused"},
		{name: "written with an exponent", v: 1.23456789e+07, msg: "pin 12345678.9 refused", want: "pin **** refused"},
		{name: "whole number", v: 12345678, msg: "pin 12345678 or 1.2345678e+07", want: "pin **** or ****"},
		{name: "small", v: 1.5e-7, msg: "JSON 1.5e-7, decimal 0.00000015, fmt 1.5e-07", want: "JSON ****, decimal ****, fmt ****"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactText(tt.msg, Config{"pinPassword": tt.v}); got != tt.want {
				t.Errorf("RedactText(%q) = %q, want %q", tt.msg, got, tt.want)
			}
		})
	}
}

// TestRedactTextURLShapes checks RedactText on the credentials of URLs of
// other shapes, under a sensitive key ("webhookUrl") and under another
// ("url"), where only the credentials are secret.
func TestRedactTextURLShapes(t *testing.T) {
	tests := []struct {
		name     string
		key, url string
		msg      string
		want     string
	}{
		{
			name: "only a user name, sensitive key",
			key:  "webhookUrl", url: "https://TOKENVALUE123456@api.example.com/v1",
			msg:  "auth TOKENVALUE123456 failed at api.example.com; GET https://TOKENVALUE123456@api.example.com/v1",
			want: "auth **** failed at api.example.com; GET https://****@api.example.com/v1", // "/v1" is under 4 bytes
		},
		{
			name: "only a user name, other key",
			key:  "url", url: "https://TOKENVALUE123456@api.example.com/v1",
			msg:  "auth TOKENVAL... failed at https://api.example.com/v1",
			want: "auth ****... failed at https://api.example.com/v1",
		},
		{
			name: "percent-encoded password, decoded",
			key:  "databaseUrl", url: "postgres://admin:p%40ss%2Fw0rd!@db.example.com:5432/app",
			msg:  "password p@ss/w0rd! rejected by db.example.com:5432",
			want: "password **** rejected by db.example.com:5432",
		},
		{
			name: "percent-encoded password, as written",
			key:  "url", url: "postgres://admin:p%40ss%2Fw0rd!@db.example.com:5432/app",
			msg:  "dsn postgres://admin:p%40ss%2Fw0rd!@db.example.com:5432/app",
			want: "dsn postgres://admin:****@db.example.com:5432/app",
		},
		{
			// In user information "+" is a plus, not a space.
			name: "plus in a password",
			key:  "url", url: "https://u:abc+def%21@h.example/",
			msg:  "password abc+def! rejected",
			want: "password **** rejected",
		},
		{
			name: "query token, other key",
			key:  "url", url: "https://api.example.com/hook?token=tok-abc123xyz&mode=1",
			msg:  "token tok-abc123xyz invalid; GET https://api.example.com/hook?token=tok-abc123xyz&mode=1",
			want: "token **** invalid; GET https://api.example.com/hook?token=****&mode=1",
		},
		{
			name: "query token, sensitive key",
			key:  "webhookUrl", url: "https://api.example.com/hook?token=tok-abc123xyz&mode=1",
			msg:  "token tok-abc123xyz invalid; GET https://api.example.com/hook?token=tok-abc123xyz&mode=1",
			want: "token **** invalid; GET https://api.example.com****",
		},
		{
			name: "short query token alone, sensitive key",
			key:  "webhookUrl", url: "https://api.example.com?key=abc123",
			msg:  "key abc123 invalid at https://api.example.com/",
			want: "key **** invalid at https://api.example.com/",
		},
		{
			name: "token in a fragment",
			key:  "url", url: "https://app.example/cb#access_token=abcdefgh12&state=s",
			msg:  "token abcdefgh12 expired",
			want: "token **** expired",
		},
		{
			name: "URL-escaped whole",
			key:  "webhookUrl", url: "https://u:pa55word-xyz@host.example/p",
			msg:  "next=https%3A%2F%2Fu%3Apa55word-xyz%40host.example%2Fp&x=1",
			want: "next=https%3A%2F%2F****%40host.example****&x=1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactText(tt.msg, Config{tt.key: tt.url}); got != tt.want {
				t.Errorf("RedactText(%q)\n got %q\nwant %q", tt.msg, got, tt.want)
			}
		})
	}
}

// TestRedactTextBasicAuth: a secret sent as HTTP basic authentication
// (Twilio's auth token, a URL's password) is masked where a message dumps
// the request, as an SDK's debug error does. The header holds the secret
// in base64, which anyone can decode.
func TestRedactTextBasicAuth(t *testing.T) {
	const sid, token = "AC0123456789abcdef0123456789abcdef", "f1e2d3c4b5a697887766554433221100"
	cfg := Config{"accountSid": sid, "authToken": token}
	req, err := http.NewRequest("POST", "https://api.twilio.com/2010-04-01/Accounts/"+sid+"/Messages.json", strings.NewReader("To=%2B15551234567&Body=hi"))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(sid, token)
	dump, err := httputil.DumpRequestOut(req, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{
		"twilio: 401 for request:\n" + string(dump),
		fmt.Sprintf("request headers %v", req.Header),
	} {
		got := RedactText(msg, cfg)
		if leak := base64Leak(got, token); leak != "" {
			t.Errorf("RedactText left %q of the auth token in base64 in:\n%s", leak, got)
		}
	}
}

// base64Leak returns the first 8 bytes or more of secret that some run of
// base64 characters in msg decodes to, at any of its four alignments, or
// "" if none does.
func base64Leak(msg, secret string) string {
	runs := strings.FieldsFunc(msg, func(r rune) bool {
		return !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", r)
	})
	for _, run := range runs {
		for at := range 4 {
			if len(run) < at+4 {
				break
			}
			chunk := run[at:]
			b, err := base64.StdEncoding.DecodeString(chunk[:len(chunk)/4*4])
			if err != nil {
				continue
			}
			for i := 0; i+8 <= len(secret); i++ {
				if strings.Contains(string(b), secret[i:i+8]) {
					return secret[i : i+8]
				}
			}
		}
	}
	return ""
}

// TestRedactTextBasicAuthShortPassword: a password shorter than 8 bytes
// (4 bytes or more, which RedactText masks in plain text) is masked in
// the Authorization: Basic header too, as HTTP basic authentication sends
// a URL's user information or a config's username and password.
func TestRedactTextBasicAuthShortPassword(t *testing.T) {
	for _, c := range []struct {
		cfg        Config
		user, pass string
	}{
		{Config{"url": "https://alice:s3cr3t!@hooks.example.com/notify"}, "alice", "s3cr3t!"},
		{Config{"username": "alice", "password": "hunter2"}, "alice", "hunter2"},
	} {
		req, err := http.NewRequest("POST", "https://hooks.example.com/notify", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(c.user, c.pass)
		dump, err := httputil.DumpRequestOut(req, false)
		if err != nil {
			t.Fatal(err)
		}
		got := RedactText("webhook: 401 for request:\n"+string(dump), c.cfg)
		if enc := base64.StdEncoding.EncodeToString([]byte(c.user + ":" + c.pass)); strings.Contains(got, enc) {
			t.Errorf("RedactText left the password %q readable in base64 (%s) in:\n%s", c.pass, enc, got)
		}
	}
}

// TestRedactStringAllocs checks that a string with nothing to mask costs
// Redact no allocation, URL or not: most strings of a config are such.
func TestRedactStringAllocs(t *testing.T) {
	for _, s := range []string{
		"MarkdownV2", "/var/lib/agent", "#general", "a;b=c", "",
		"https://bot.example.com/telegram/1", "https://h/p?q=token&page=2",
		"https://h/?next=/home", "primary https://h1/ backup //h2/x",
		"12:30", "@bot:matrix.org", "maxTokens=4096", "MFkwEwYHKoZIzj0C==", "-----BEGIN CERTIFICATE-----",
	} {
		var p *Policy
		if n := testing.AllocsPerRun(100, func() { p.maskInline(s, nil) }); n != 0 {
			t.Errorf("maskInline(%q) allocates %v times, want 0", s, n)
		}
	}
}

// TestRedactTextQuotedNonASCII checks that a secret with non-ASCII
// characters is masked where a message quotes it with those characters
// escaped: Go's %+q (strconv.QuoteToASCII), and JSON written ASCII-only,
// as Python's json.dumps does by default (surrogate pairs beyond the
// Basic Multilingual Plane).
func TestRedactTextQuotedNonASCII(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		msg  string
		want string
	}{
		{
			name: "%+q of a password",
			cfg:  Config{"password": "pässwört-geheim"},
			msg:  fmt.Sprintf("login refused for %+q", "pässwört-geheim"),
			want: `login refused for "****"`,
		},
		{
			name: "%+q of a password cut short",
			cfg:  Config{"password": "pässwört-geheim"},
			msg:  `login refused for "p\u00e4ssw\u00f6r...`,
			want: `login refused for "****...`,
		},
		{
			name: "%+q of a token beyond the BMP",
			cfg:  Config{"botToken": "123:tok🔑en-xyz"},
			msg:  fmt.Sprintf("bad token %+q", "123:tok🔑en-xyz"),
			want: `bad token "****"`,
		},
		{
			name: "ASCII-only JSON of a token beyond the BMP",
			cfg:  Config{"botToken": "123:tok🔑en-xyz"},
			msg:  `{"token": "123:tok\ud83d\udd11en-xyz"}`,
			want: `{"token": "****"}`,
		},
		{
			name: "%+q of a URL's password",
			cfg:  Config{"url": "https://u:gehéim-wört@h.example/"},
			msg:  fmt.Sprintf("dial %+q: refused", "https://u:gehéim-wört@h.example/"),
			want: `dial "https://u:****@h.example/": refused`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactText(tt.msg, tt.cfg); got != tt.want {
				t.Errorf("RedactText(%q)\n got %q\nwant %q", tt.msg, got, tt.want)
			}
		})
	}
}

// TestRedactInlineSecrets checks secrets written inside a string under a
// key that is not sensitive: a name of a secret followed by "=" or ":"
// (environment lines, command-line flags, connection strings, HTTP
// headers, YAML and JSON text) and the body of a PEM private key.
func TestRedactInlineSecrets(t *testing.T) {
	const pemKey = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"
	tests := []struct {
		name string
		in   string
		want string
	}{
		// name=value.
		{name: "environment line", in: "BOT_TOKEN=123:abc", want: "BOT_TOKEN=****"},
		{name: "environment lines", in: "PORT=8080\nBOT_TOKEN=123:abc\nMODE=polling", want: "PORT=8080\nBOT_TOKEN=****\nMODE=polling"},
		{name: "export", in: "export OPENAI_API_KEY=sk-abc; run", want: "export OPENAI_API_KEY=****; run"},
		{name: "flag", in: "--api-key=sk-abc --verbose=1", want: "--api-key=**** --verbose=1"},
		{name: "libpq keywords", in: "host=db user=bot password=hunter2 dbname=app", want: "host=db user=bot password=**** dbname=app"},
		{name: "ADO.NET connection string", in: "Server=db;User Id=bot;Password=hunter2;Database=app", want: "Server=db;User Id=bot;Password=****;Database=app"},
		{name: "spaces around =", in: "[smtp]\npassword = hunter 2\nport = 587", want: "[smtp]\npassword = ****\nport = 587"},
		{name: "quoted value", in: `password="a b;c" port=1`, want: `password="****" port=1`},
		{name: "value holding a URL", in: "DATABASE_URL=postgres://u:p@h/db", want: "DATABASE_URL=****"},

		// name: value.
		{name: "HTTP header", in: "Authorization: Bearer abc.def", want: "Authorization: ****"},
		{name: "HTTP headers", in: "Accept: */*\r\nX-Api-Key: k-123\r\nCookie: sid=abc\r\n", want: "Accept: */*\r\nX-Api-Key: ****\r\nCookie: ****\r\n"},
		{name: "YAML", in: "telegram:\n  botToken: 123:abc\n  port: 8443", want: "telegram:\n  botToken: ****\n  port: 8443"},
		{name: "JSON text", in: `{"port": 1, "token": "abc\"def", "mode": "x"}`, want: `{"port": 1, "token": "****", "mode": "x"}`},
		{name: "JSON number: masked to the end of the line", in: `{"pin": 1, "apiKey": 12345}`, want: `{"pin": 1, "apiKey": ****`},

		// user:password@ without a scheme.
		{name: "Go MySQL DSN", in: "bot:hunter2@tcp(localhost:3306)/app?parseTime=true", want: "bot:****@tcp(localhost:3306)/app?parseTime=true"},
		{name: "proxy", in: "user:pa55@proxy.example:3128", want: "user:****@proxy.example:3128"},
		{name: "proxy in a list", in: "via alice:s3cr3t@10.0.0.1:8080 or none", want: "via alice:****@10.0.0.1:8080 or none"},
		{name: "mailto", in: "mailto:alice@example.com", want: "mailto:alice@example.com"},
		{name: "git address", in: "git@github.com:o/r.git", want: "git@github.com:o/r.git"},
		{name: "matrix room", in: "#room:matrix.org and @bot:matrix.org", want: "#room:matrix.org and @bot:matrix.org"},

		// Authorization schemes.
		{name: "bearer token", in: "Bearer abc.def-123", want: "Bearer ****"},
		{name: "bearer token in text", in: "send bearer abc.def-123 with it", want: "send bearer **** with it"},
		{name: "basic credentials", in: "Basic dXNlcjpodW50ZXIy", want: "Basic ****"},
		{name: "basic plan", in: "Basic plan", want: "Basic plan"},
		{name: "bearer alone", in: "Bearer", want: "Bearer"},

		// PEM.
		{name: "PEM private key", in: pemKey, want: "-----BEGIN PRIVATE KEY-----\n****\n-----END PRIVATE KEY-----\n"},
		{name: "PEM RSA key in text", in: "key: x\n-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----", want: "key: ****\n-----BEGIN RSA PRIVATE KEY-----\n****\n-----END RSA PRIVATE KEY-----"},
		{name: "PEM key without its end", in: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA", want: "-----BEGIN OPENSSH PRIVATE KEY-----\n****"},
		{name: "PEM key with escaped newlines", in: `-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIOq\n-----END EC PRIVATE KEY-----`, want: `-----BEGIN EC PRIVATE KEY-----****-----END EC PRIVATE KEY-----`},

		// Kept.
		{name: "PEM certificate", in: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", want: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"},
		{name: "counts", in: "maxTokens=4096 tokenizer: cl100k", want: "maxTokens=4096 tokenizer: cl100k"},
		{name: "Matrix user", in: "@bot:matrix.org", want: "@bot:matrix.org"},
		{name: "time", in: "12:30", want: "12:30"},
		{name: "base64 padding", in: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE==", want: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE=="},
		{name: "prose", in: "Note: set the mode=polling", want: "Note: set the mode=polling"},
		{name: "prose with a secret's name and a colon", in: "You are a bot. Never reveal the password: it is secret. Token: none.", want: "You are a bot. Never reveal the password: it is secret. Token: none."},
		{name: "template", in: "Hello {{name}}, your code: {{code}}", want: "Hello {{name}}, your code: {{code}}"},
		{name: "environment reference", in: "BOT_TOKEN=${BOT_TOKEN}", want: "BOT_TOKEN=${BOT_TOKEN}"},
		{name: "empty value", in: "password=\nport=1", want: "password=\nport=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Config{"note": tt.in, "list": []any{tt.in}}
			want := Config{"note": tt.want, "list": []any{tt.want}}
			if diff := cmp.Diff(want, Redact(in)); diff != "" {
				t.Errorf("Redact (-want +got):\n%s", diff)
			}
			got, err := Restore(Redact(in), in)
			if err != nil {
				t.Fatalf("Restore(Redact(c), c): %v", err)
			}
			if diff := cmp.Diff(in, got); diff != "" {
				t.Errorf("Restore(Redact(c), c) (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRedactKnownTokens checks that a string that is, whole, a token of a
// well-known form is masked under any key, as in a list of bots, with
// its public prefix kept so that a write-back finds it; and that strings
// that only look close are kept.
func TestRedactKnownTokens(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "telegram bot token", in: "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", want: "123456789:****"},
		{name: "slack bot token", in: "xoxb-1234-5678-abcdefghijklmnop", want: "xoxb-****"},
		{name: "slack app token", in: "xapp-1-A0-123-abcdef0123456789", want: "xapp-****"},
		{name: "github token", in: "ghp_abcdefghijklmnopqrstuvwxyz0123456789", want: "ghp_****"},
		{name: "github fine-grained token", in: "github_pat_11ABCDEFG0abcdefghijklmnop", want: "github_pat_****"},
		{name: "gitlab token", in: "glpat-abcdefghijklmnopqrst", want: "glpat-****"},
		{name: "openai key", in: "sk-proj-abcdefghijklmnopqrstuvwxyz", want: "sk-****"},
		{name: "anthropic key", in: "sk-ant-api03-abcdefghijklmnopqrst", want: "sk-****"},
		{name: "stripe key", in: "sk_live_abcdefghijklmnopqrstuvwx", want: "sk_live_****"},
		{name: "stripe webhook secret", in: "whsec_abcdefghijklmnopqrstuvwxyz", want: "whsec_****"},
		{name: "hugging face token", in: "hf_abcdefghijklmnopqrstuvwxyzABCD", want: "hf_****"},
		{name: "google api key", in: "AIzaSyA-abcdefghijklmnopqrstuvwxyz01234", want: "AIza****"},
		{name: "jwt", in: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijklmnopqrstuvwxyz0123456789012", want: "eyJhbGciOiJIUzI1NiJ9.****"},
		{name: "discord bot token", in: "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789", want: "MTA5ODc2NTQzMjEwOTg3NjU0Mw.****"},

		{name: "short after a prefix", in: "sk-learn", want: "sk-learn"},
		{name: "prefix alone", in: "xoxb-", want: "xoxb-"},
		{name: "token inside prose", in: "use the xoxb-1234-5678-abcdefghijklmnop token", want: "use the xoxb-1234-5678-abcdefghijklmnop token"},
		{name: "time", in: "2024-01-01T00:00:00Z", want: "2024-01-01T00:00:00Z"},
		{name: "version", in: "1.2.3", want: "1.2.3"},
		{name: "dotted name", in: "agent.connectors.telegram.enabled", want: "agent.connectors.telegram.enabled"},
		{name: "telegram chat and message", in: "123456789:987654321", want: "123456789:987654321"},
		{name: "word that begins like a prefix", in: "skeleton-key-abcdefghijklmnopqrst", want: "skeleton-key-abcdefghijklmnopqrst"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Config{"bots": []any{tt.in}, "note": tt.in}
			want := Config{"bots": []any{tt.want}, "note": tt.want}
			if diff := cmp.Diff(want, Redact(in)); diff != "" {
				t.Errorf("Redact (-want +got):\n%s", diff)
			}
			got, err := Restore(Redact(in), in)
			if err != nil {
				t.Fatalf("Restore(Redact(c), c): %v", err)
			}
			if diff := cmp.Diff(in, got); diff != "" {
				t.Errorf("Restore(Redact(c), c) (-want +got):\n%s", diff)
			}
			if tt.want != tt.in {
				if _, err := Restore(Config{"note": tt.want}, Config{"note": "other"}); err == nil {
					t.Errorf("Restore kept %q for another stored value", tt.want)
				}
			}
		})
	}
}

// TestRedactFlagValues checks that in an array, the element after a
// command-line flag that names a secret ("--api-key") is masked as under a
// sensitive key, and that a write-back keeps it only after the same flag
// at the same place.
func TestRedactFlagValues(t *testing.T) {
	stored := Config{
		"command": "signal-cli",
		"args":    []any{"-u", "+15550100", "--password", "hunter2!", "--port", int64(8080)},
		"servers": []any{map[string]any{"name": "gh", "args": []any{"--api-key", "abc:123456", "-v"}}},
		"extra":   []any{"--token", int64(123456), "--pin"},
	}
	want := Config{
		"command": "signal-cli",
		"args":    []any{"-u", "+15550100", "--password", "****", "--port", int64(8080)},
		"servers": []any{map[string]any{"name": "gh", "args": []any{"--api-key", "****:****", "-v"}}},
		"extra":   []any{"--token", "****", "--pin"},
	}
	red := Redact(stored)
	if diff := cmp.Diff(want, red); diff != "" {
		t.Fatalf("Redact (-want +got):\n%s", diff)
	}
	got := RedactText("signal-cli failed: bad password hunter2! for +15550100", stored)
	if want := "signal-cli failed: bad password **** for +15550100"; got != want {
		t.Errorf("RedactText = %q, want %q", got, want)
	}

	runRestoreCases(t, []restoreCase{
		{name: "sent back as read", stored: stored, sent: red, want: stored},
		{
			name:   "another element changed",
			stored: stored,
			sent:   Config{"args": []any{"-u", "+15550199", "--password", "****", "--port", int64(8080)}},
			want:   Config{"args": []any{"-u", "+15550199", "--password", "hunter2!", "--port", int64(8080)}},
		},
		{
			name:   "a new value",
			stored: stored,
			sent:   Config{"args": []any{"--password", "new"}},
			want:   Config{"args": []any{"--password", "new"}},
		},
		{
			name:    "after another flag",
			stored:  stored,
			sent:    Config{"args": []any{"-u", "+15550100", "--api-key", "****", "--port", int64(8080)}},
			wantErr: errMask("config.args[3]"),
		},
		{
			name:    "moved",
			stored:  stored,
			sent:    Config{"args": []any{"--password", "****", "-u", "+15550100", "--port", int64(8080)}},
			wantErr: errMask("config.args[1]"),
		},
	})
}

// TestRedactSecretKeys checks that a key that is itself a secret (a map
// of bots by token, of webhooks by URL) is shown redacted like a string,
// that keys which would then show alike are numbered, and that a
// write-back puts each entry back under its stored key.
func TestRedactSecretKeys(t *testing.T) {
	const (
		tg  = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
		skA = "sk-proj-aaaaaaaaaaaaaaaaaaaaaaaa"
		skB = "sk-proj-bbbbbbbbbbbbbbbbbbbbbbbb"
	)
	stored := Config{
		"bots":  map[string]any{tg: map[string]any{"name": "main", "token": "x:y"}},
		"hooks": map[string]any{"https://u:pw@h.example/": int64(1), "plain": int64(2)},
		"keys":  map[string]any{skA: "a", skB: "b", "sk-****": "literal"},
	}
	want := Config{
		"bots":  map[string]any{"123456789:****": map[string]any{"name": "main", "token": "****:****"}},
		"hooks": map[string]any{"https://u:****@h.example/": int64(1), "plain": int64(2)},
		"keys":  map[string]any{"sk-**** (2)": "a", "sk-**** (3)": "b", "sk-****": "literal"},
	}
	red := Redact(stored)
	if diff := cmp.Diff(want, red); diff != "" {
		t.Fatalf("Redact (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(red, Redact(red)); diff != "" {
		t.Errorf("Redact(Redact(c)) != Redact(c) (-want +got):\n%s", diff)
	}
	if got := RedactText("bot "+tg+" refused", stored); got != "bot 123456789:**** refused" {
		t.Errorf("RedactText = %q", got)
	}
	runRestoreCases(t, []restoreCase{
		{name: "sent back as read", stored: stored, sent: red, want: stored},
		{
			name:   "a value under a redacted key changed",
			stored: stored,
			sent:   Config{"bots": map[string]any{"123456789:****": map[string]any{"name": "renamed", "token": "****:****"}}},
			want:   Config{"bots": map[string]any{tg: map[string]any{"name": "renamed", "token": "x:y"}}},
		},
		{
			name:    "a redacted key with nothing stored",
			stored:  stored,
			sent:    Config{"bots": map[string]any{"987654321:****": map[string]any{"name": "other"}}},
			wantErr: errMask("config.bots.987654321:****"),
		},
	})
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
