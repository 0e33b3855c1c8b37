// This file tests which keys are secrets and how Redact masks their values.

package connectors

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

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
		{name: "accountKey", key: "accountKey", want: true},
		{name: "AZURE_STORAGE_ACCOUNT_KEY", key: "AZURE_STORAGE_ACCOUNT_KEY", want: true},

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

// TestRedactFlagValues checks that in an array, the element after a
// command-line flag that names a secret ("--api-key") is masked as under a
// sensitive key, and that a write-back keeps it only after the same flag,
// at the same place or given once in each array.
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
			name:   "moved",
			stored: stored,
			sent:   Config{"args": []any{"--password", "****", "-u", "+15550100", "--port", int64(8080)}},
			want:   Config{"args": []any{"--password", "hunter2!", "-u", "+15550100", "--port", int64(8080)}},
		},
		{
			name:   "another argument added",
			stored: stored,
			sent:   Config{"args": []any{"-u", "+15550100", "--password", "****", "--port", int64(8080), "--verbose"}},
			want:   Config{"args": []any{"-u", "+15550100", "--password", "hunter2!", "--port", int64(8080), "--verbose"}},
		},
		{
			name:    "the flag given twice",
			stored:  stored,
			sent:    Config{"args": []any{"--password", "****", "-u", "+15550100", "--password", "****"}},
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

// TestRedactManySecretKeys checks that many keys shown alike are numbered
// in time in proportion to their count: a body of twenty thousand bots by
// token once took a minute to read and to write back.
func TestRedactManySecretKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large config")
	}
	bots := make(map[string]any)
	for i := range 20_000 {
		bots[fmt.Sprintf("sk-proj-%024d", i)] = int64(i)
	}
	bots["sk-**** (7)"] = "literal"
	in := Config{"bots": bots}
	start := time.Now()
	red := Redact(in)
	if n := len(red["bots"].(map[string]any)); n != len(bots) {
		t.Fatalf("Redact shows %d keys, want %d", n, len(bots))
	}
	checkRoundTrip(t, red, in)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Redact and Restore of 20000 keys: %v", d)
	}
}

// TestRedactNameValuePairs: the value of a pair whose name is a secret's,
// as lists of HTTP headers and environment variables are written, is
// masked like the value of that key; the name stays shown, and a config
// sent back as read restores. A pair renamed on the way back keeps no
// secret.
func TestRedactNameValuePairs(t *testing.T) {
	cfg := Config{
		"headers": []any{
			map[string]any{"name": "X-Api-Key", "value": "abc123"},
			map[string]any{"name": "Accept", "value": "application/json"},
			map[string]any{"header": "Authorization", "value": "Bearer xyz789"},
		},
		"env": []any{
			map[string]any{"name": "BOT_TOKEN", "value": "123:abc"},
			map[string]any{"name": "LOG_LEVEL", "value": "debug"},
		},
		"jar": []any{map[string]any{"Name": "session", "Values": []any{"s1", "s2"}}},
	}
	want := Config{
		"headers": []any{
			map[string]any{"name": "X-Api-Key", "value": "****"},
			map[string]any{"name": "Accept", "value": "application/json"},
			map[string]any{"header": "Authorization", "value": "****"},
		},
		"env": []any{
			map[string]any{"name": "BOT_TOKEN", "value": "****:****"},
			map[string]any{"name": "LOG_LEVEL", "value": "debug"},
		},
		"jar": []any{map[string]any{"Name": "session", "Values": []any{"****", "****"}}},
	}
	red := Redact(cfg)
	if diff := cmp.Diff(want, red); diff != "" {
		t.Errorf("Redact (-want +got):\n%s", diff)
	}
	back, err := Restore(red, cfg)
	if err != nil {
		t.Fatalf("Restore(Redact(c), c): %v", err)
	}
	if diff := cmp.Diff(cfg, back); diff != "" {
		t.Errorf("Restore(Redact(c), c) (-want +got):\n%s", diff)
	}
	if got := RedactText("X-Api-Key abc123 refused for BOT_TOKEN=123:abc", cfg); strings.Contains(got, "abc123") || strings.Contains(got, "123:abc") {
		t.Errorf("RedactText = %q", got)
	}
	postman := Config{"headers": []any{map[string]any{"key": "X-Api-Key", "value": "abc123def456"}}}
	if got := Redact(postman); strings.Contains(fmt.Sprint(got), "abc123def456") {
		t.Errorf("Redact of a key/value pair = %v", got)
	}
	if back, err := Restore(Redact(postman), postman); err != nil || !cmp.Equal(postman, back) {
		t.Errorf("Restore(Redact(c), c) of a key/value pair = %v, %v", back, err)
	}
	// A name that is a URL, shown with its password masked, stands for
	// the stored one: the pair's value is restored on the name as
	// restored, not on the name as sent.
	urlName := Config{"headers": []any{map[string]any{"id": int64(1), "name": "https://u:mysecretpw@h.example/", "value": "realvalue"}}}
	if back, err := Restore(Redact(urlName), urlName); err != nil || !cmp.Equal(urlName, back) {
		t.Errorf("Restore(Redact(c), c) with a name masked inside = %v, %v", back, err)
	}
	renamed := Config{"headers": []any{map[string]any{"name": "X-Echo", "value": "****"}}}
	got, err := Restore(renamed, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if v := got["headers"].([]any)[0].(map[string]any)["value"]; v != "****" {
		t.Errorf("a pair renamed on the way back got the value %q", v)
	}
	// The same at the same place, where the element is matched: the
	// value is restored only under a name that keeps it masked.
	for _, sent := range []map[string]any{
		{"key": "X-Public", "value": "****"},
		{"id": int64(1), "name": "X-Public", "value": "****"},
	} {
		stored := map[string]any{"key": "X-Api-Key", "value": "abc123def456"}
		if _, ok := sent["id"]; ok {
			stored = map[string]any{"id": int64(1), "name": "X-Api-Key", "value": "abc123def456"}
		}
		got, err := Restore(Config{"h": []any{sent}}, Config{"h": []any{stored}})
		if err == nil && strings.Contains(fmt.Sprint(Redact(got)), "abc123def456") {
			t.Errorf("%v sent back over %v: the secret shows in %v", sent, stored, Redact(got))
		}
	}
}

// TestRedactBraceValueRoundTrip: a value after "=" that opens a brace it
// does not close the value with is masked whole, as any other value,
// Redact of its result changes nothing, and it restores: braces that
// ended the mask early showed the rest and stored the mask as the
// secret on a write-back.
func TestRedactBraceValueRoundTrip(t *testing.T) {
	for _, s := range []string{`password={abc}def`, `WEBHOOK_SECRET={"a":{"b":1},"value":"S3cr3tValue"}`, "Pwd={a;b}}c};Uid=x"} {
		in := Config{"note": s}
		red := Redact(in)
		if r := red["note"].(string); strings.Contains(r, "def") || strings.Contains(r, "S3cr3tValue") || strings.Contains(r, "b}}c") {
			t.Errorf("Redact(%q) = %q: part of the secret shown", s, r)
		}
		if diff := cmp.Diff(red, Redact(red)); diff != "" {
			t.Errorf("Redact of Redact(%q) (-once +twice):\n%s", s, diff)
		}
		if back, err := Restore(red, in); err != nil || !cmp.Equal(in, back) {
			t.Errorf("Restore(Redact(c), c) = %v, %v; want %v", back, err, in)
		}
	}
}
