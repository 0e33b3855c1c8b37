// This file tests the default rules for secret keys against the fields of
// real connector configs, and that token counts are never masked.

package connectors

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDefaultRules gives the verdict of the default rules on the fields of
// the connectors that agents use (Milady's connector docs and the
// platforms' own), and on keys that look like secrets but are not.
func TestDefaultRules(t *testing.T) {
	tests := []struct {
		name      string // the platform, or what the key is
		key       string
		sensitive bool
	}{
		// Telegram.
		{"telegram", "botToken", true},
		{"telegram webhook", "webhookSecret", true},
		{"telegram webhook", "secretToken", true},
		{"telegram webhook", "webhookPath", false},
		{"telegram userbot", "apiId", false},
		{"telegram userbot", "apiHash", true},
		{"telegram userbot", "sessionString", true},
		{"telegram", "dmPolicy", false},
		{"telegram", "allowFrom", false},
		{"telegram", "groupAllowFrom", false},

		// Discord.
		{"discord", "token", true},
		{"discord", "applicationId", false},
		{"discord", "guildId", false},
		{"discord webhook", "webhookUrl", true},
		{"discord webhook", "discordWebhookUrl", true},
		{"discord", "publicKey", false},

		// Slack.
		{"slack", "botToken", true},
		{"slack", "appToken", true},
		{"slack", "userToken", true},
		{"slack", "signingSecret", true},
		{"slack", "clientSecret", true},
		{"slack", "clientId", false},
		{"slack webhook", "webhook_url", true},
		{"slack", "userTokenReadOnly", false},

		// WhatsApp (Cloud API and Baileys).
		{"whatsapp", "accessToken", true},
		{"whatsapp", "verifyToken", true},
		{"whatsapp", "webhookVerifyToken", true},
		{"whatsapp", "appSecret", true},
		{"whatsapp", "phoneNumberId", false},
		{"whatsapp", "authDir", false}, // a directory; the secrets are the files in it
		{"whatsapp", "allowedJids", false},

		// Signal.
		{"signal", "account", false},
		{"signal", "httpUrl", false},
		{"signal", "cliPath", false},

		// iMessage and BlueBubbles.
		{"bluebubbles", "password", true},
		{"bluebubbles", "serverUrl", false},
		{"imessage", "dbPath", false},

		// Microsoft Teams.
		{"msteams", "appPassword", true},
		{"msteams", "appId", false},
		{"msteams", "tenantId", false},
		{"msteams", "webhookPort", false},

		// Google Chat.
		{"googlechat", "serviceAccount", true},
		{"googlechat", "serviceAccountJson", true},
		{"googlechat", "serviceAccountKey", true},
		{"googlechat", "serviceAccountFile", false}, // a path
		{"googlechat", "audience", false},

		// Twitter.
		{"twitter", "apiKey", true},
		{"twitter", "apiSecretKey", true},
		{"twitter", "accessToken", true},
		{"twitter", "accessTokenSecret", true},
		{"twitter", "consumerKey", true},
		{"twitter", "consumerSecret", true},
		{"twitter", "bearerToken", true},
		{"twitter", "postIntervalMin", false},

		// Matrix.
		{"matrix", "accessToken", true},
		{"matrix", "password", true},
		{"matrix", "homeserver", false},
		{"matrix", "deviceId", false},

		// Feishu / Lark.
		{"feishu", "appSecret", true},
		{"feishu", "encryptKey", true},
		{"feishu", "verificationToken", true},

		// LINE.
		{"line", "channelSecret", true},
		{"line", "channelAccessToken", true},

		// Twilio.
		{"twilio", "authToken", true},
		{"twilio", "apiKeySecret", true},
		{"twilio", "accountSid", false}, // an account identifier, shown in the console
		{"twilio", "phoneNumber", false},

		// Nostr.
		{"nostr", "nsec", true},
		{"nostr", "privateKey", true},
		{"nostr", "npub", false},
		{"nostr", "relays", false},

		// Farcaster, Bluesky, Instagram, Zalo, Mattermost, Twitch.
		{"farcaster", "signerUuid", true},
		{"farcaster", "fid", false},
		{"bluesky", "appPassword", true},
		{"bluesky", "handle", false},
		{"zalo", "refreshToken", true},
		{"mattermost", "baseUrl", false},
		{"twitch", "streamKey", true},
		{"twitch", "rtmpKey", true},

		// Email.
		{"email", "smtpPass", true},
		{"email", "imap_pass", true},
		{"email", "pass", true},
		{"email", "pwd", true},
		{"email", "dbPwd", true},
		{"email", "passwd", true},
		{"email", "user", false},
		{"email", "from", false},

		// Keys, databases, signing and wallets.
		{"key alone", "key", true},
		{"key in snake case", "KEY", true},
		{"encryption key", "encryptionKey", true},
		{"aes key", "aesKey", true},
		{"signing key", "signingKey", true},
		{"private key, short", "privKey", true},
		{"access key", "accessKey", true},
		{"aws access key id", "awsAccessKeyId", true},
		{"session key", "sessionKey", true},
		{"auth key", "authKey", true},
		{"master key", "masterKey", true},
		{"hmac key", "hmacKey", true},
		{"sentry dsn", "dsn", true},
		{"sentry dsn, prefixed", "sentryDsn", true},
		{"database url", "databaseUrl", true},
		{"database url, snake", "DATABASE_URL", true},
		{"wallet mnemonic", "mnemonic", true},
		{"jwt", "jwt", true},
		{"jwt, prefixed", "serviceJwt", true},
		{"api key names an environment variable, still masked", "apiKeyEnv", true},
		{"password names a file, still masked", "passwordFile", true},

		// Lists of tokens.
		{"tokens", "tokens", true},
		{"api tokens", "apiTokens", true},
		{"bot tokens", "botTokens", true},
		{"access tokens", "accessTokens", true},
		{"auth tokens", "auth_tokens", true},
		{"refresh tokens", "refreshTokens", true},
		{"session tokens", "sessionTokens", true},

		// Secrets that the rules on fragments miss.
		{"telegram userbot", "session", true},
		{"telegram userbot", "stringSession", true},
		{"whatsapp baileys", "creds", true},
		{"node http proxy", "auth", true}, // "user:password"
		{"tlon ship", "code", true},
		{"http", "authHeader", true},
		{"http", "bearer", true},
		{"matrix", "recoveryKey", true},
		{"matrix", "securityKey", true},
		{"matrix", "pickleKey", true},
		{"two-factor", "totp", true},
		{"two-factor", "backupCodes", true},
		{"two-factor", "recoveryCodes", true},
		{"tls bundle", "pfx", true},
		{"tls bundle", "p12", true},
		{"tls bundle", "pkcs12", true},

		{"azure api management", "Ocp-Apim-Subscription-Key", true},
		{"new relic", "licenseKey", true},
		{"datadog", "DD-APPLICATION-KEY", true},
		{"pagerduty", "routingKey", true},
		{"pagerduty", "integrationKey", true},
		{"firebase cloud messaging", "serverKey", true},
		{"segment", "writeKey", true},
		{"admin", "adminKey", true},
		{"webhook", "webhookKey", true},
		{"logs", "ingestKey", true},
		{"git", "deployKey", true},
		{"ssh", "sshKey", true},

		// Not secrets, though they look close.
		{"ssh public key", "sshPublicKey", false},
		{"app key, a public id on many platforms", "appKey", false},
		{"session settings", "sessionTimeout", false},
		{"auth mode", "authMode", false},
		{"country code", "countryCode", false},
		{"recovery e-mail", "recoveryEmail", false},
		{"key as a prefix", "keyboard", false},
		{"key as a prefix", "keyword", false},
		{"key as a prefix", "keyId", false},
		{"key as a suffix", "monkey", false},
		{"key as a suffix", "hotkey", false},
		{"key as a suffix", "primaryKey", false},
		{"key as a suffix", "publicKey", false},
		{"keys, plural", "keys", false},
		{"pass as a suffix", "bypass", false},
		{"pass as a suffix", "proxyBypass", false},
		{"pass inside", "passive", false},
		{"token as a prefix", "tokenizer", false},
		{"token as a prefix", "tokenFile", false}, // a path
		{"token url", "tokenUrl", false},
		{"webhook url without token", "webhookPath", false},
		{"url", "url", false},
		{"endpoint", "endpoint", false},
		{"author", "author", false},
		{"oauth mode", "oauth", false},
		{"session id", "sessionId", false},
		{"signature text", "signature", false},

		// Numbered and listed secrets.
		{"second bot", "botToken2", true},
		{"numbered key", "key_1", true},
		{"numbered password", "smtpPass2", true},
		{"numbered port", "port2", false},
		{"numbered count", "maxTokens2", false},
		{"slack app tokens", "appTokens", true},
		{"user tokens", "user_tokens", true},
		{"push device tokens", "deviceTokens", true},
		{"push tokens", "pushTokens", true},
		{"oidc id tokens", "idTokens", true},
		{"a platform's list of tokens", "telegramTokens", true},
		{"a list whose first word holds a count's", "adminTokens", true},
		{"the same, with a separator", "sysadmin_tokens", true},
		{"a list whose first word is a count's", "cachedAccessTokens", true},
		{"a list whose name begins as a count's", "minioTokens", true},
		{"a count in capitals, glued", "MAXTOKENS", false},
		{"another platform's", "discord_tokens", true},
		{"slack bot tokens", "slackBotTokens", true},
		{"webhook tokens", "webhookTokens", true},
		{"numbered list of tokens", "botTokens2", true},
		{"webhook urls", "webhookUrls", true},
		{"all digits", "123", false},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.key, func(t *testing.T) {
			if got := IsSensitive(tt.key); got != tt.sensitive {
				t.Errorf("IsSensitive(%q) = %v, want %v", tt.key, got, tt.sensitive)
			}
		})
	}
}

// tokenCounts are keys that count tokens, which agents configure next to
// their connectors: none of them is a secret.
var tokenCounts = []string{
	"maxTokens", "max_tokens", "MAX_TOKENS", "maxOutputTokens", "max_output_tokens",
	"minTokens", "totalTokens", "total_tokens", "promptTokens", "prompt_tokens",
	"contextTokens", "completionTokens", "inputTokens", "outputTokens",
	"cachedTokens", "reasoningTokens", "maxContextTokens", "reserveTokens",
	"maxNewTokens", "numTokens", "budgetTokens", "budget_tokens", "thinkingBudgetTokens",
	"maxCompletionTokens", "reservedTokens",
}

// TestTokenCountsNeverMasked checks that a token count keeps its value
// however deep it is, and under any key that is not itself sensitive.
func TestTokenCountsNeverMasked(t *testing.T) {
	for _, key := range tokenCounts {
		t.Run(key, func(t *testing.T) {
			if IsSensitive(key) {
				t.Errorf("IsSensitive(%q) = true, want false", key)
			}
			in := Config{
				key:      int64(4096),
				"usage":  map[string]any{key: int64(12)},
				"models": []any{map[string]any{"name": "a", key: 1.5}},
			}
			if diff := cmp.Diff(in, Redact(in)); diff != "" {
				t.Errorf("Redact (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIsSensitiveAllocs checks that deciding on an ASCII key allocates
// nothing: Redact asks once for every key of every config it shows.
func TestIsSensitiveAllocs(t *testing.T) {
	keys := append([]string{"botToken", "BOT_TOKEN", "port", "dmPolicy", "key", "smtpPass", "webhookUrl"}, tokenCounts...)
	keys = append(keys, strings.Repeat("k", 64))
	p := &Policy{Keys: []string{"pinCode"}, Contains: []string{"pin"}}
	for _, key := range keys {
		if n := testing.AllocsPerRun(100, func() { IsSensitive(key) }); n != 0 {
			t.Errorf("IsSensitive(%q) allocates %v times, want 0", key, n)
		}
		if n := testing.AllocsPerRun(100, func() { p.IsSensitive(key) }); n != 0 {
			t.Errorf("Policy.IsSensitive(%q) allocates %v times, want 0", key, n)
		}
	}
}

// BenchmarkIsSensitive decides on the keys of a Slack config, against
// folding them alone.
func BenchmarkIsSensitive(b *testing.B) {
	keys := []string{"enabled", "mode", "botToken", "appToken", "signingSecret", "channels", "maxTokens", "clientId", "clientSecret"}
	b.Run("fold", func(b *testing.B) {
		var buf [64]byte
		for b.Loop() {
			for _, k := range keys {
				foldASCII(k, buf[:0])
			}
		}
	})
	b.Run("IsSensitive", func(b *testing.B) {
		for b.Loop() {
			for _, k := range keys {
				IsSensitive(k)
			}
		}
	})
}
