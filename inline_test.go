// This file tests how Redact masks the secrets written inside strings.

package connectors

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

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
		{name: "a port, then an @ further on", in: "https://h:8443/users/a@b.example", want: "https://h:8443/users/a@b.example"},
		{name: "a port, then an e-mail address further on", in: "Docs at https://docs.example:8443, questions to bob@example.com", want: "Docs at https://docs.example:8443, questions to bob@example.com"},
		{name: "a port, then a profile path", in: "https://social.example:8443/@alice", want: "https://social.example:8443/@alice"},
		{name: "a port, then a parameter with an @", in: "postgres://db:5432/app?user=bot@corp", want: "postgres://db:5432/app?user=bot@corp"},
		{name: "IPv6 host, then an @ in the path", in: "http://[::1]:8080/users/@alice", want: "http://[::1]:8080/users/@alice"},
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
		{name: "list parameter", in: "https://h/?token[]=abc&x=1", want: "https://h/?token[]=****&x=1"},
		{name: "indexed list parameter", in: "https://h/?token[0]=abc", want: "https://h/?token[0]=****"},
		{name: "map parameter", in: "https://h/?auth[token]=abc&user[name]=bob", want: "https://h/?auth[token]=****&user[name]=bob"},
		{name: "escaped list parameter", in: "https://h/?api_key%5B%5D=abc", want: "https://h/?api_key%5B%5D=****"},
		{name: "URL escaped twice beside a secret escaped once", in: "https://app.example/cb?state=token%3Dabcdef%26next%3Dhttps%253A%252F%252Fu%253Apw12345%2540h.example%252F", want: "https://app.example/cb?state=token%3D****%26next%3Dhttps%253A%252F%252Fu%253A****%2540h.example%252F"},
		{name: "URL escaped twice in a parameter", in: "https://app.example/login?next=https%253A%252F%252Fadmin%253Ahunter2secret%2540db.example%252F", want: "https://app.example/login?next=https%253A%252F%252Fadmin%253A****%2540db.example%252F"},

		// Tokens in paths.
		{name: "telegram bot API", in: "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe", want: "https://api.telegram.org/bot123456789:****/getMe"},
		{name: "telegram file API", in: "https://api.telegram.org/file/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/photos/1.jpg", want: "https://api.telegram.org/file/bot123456789:****/photos/1.jpg"},
		{name: "discord webhook", in: "https://discord.com/api/webhooks/1234567890/abcDEF-ghi_JKL?wait=true", want: "https://discord.com/api/webhooks/1234567890/****?wait=true"},
		{name: "discord webhook, versioned", in: "https://ptb.discordapp.com/api/v10/webhooks/1234567890/abcDEF/slack", want: "https://ptb.discordapp.com/api/v10/webhooks/1234567890/****/slack"},
		{name: "slack webhook", in: "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX", want: "https://hooks.slack.com/services/T000/B000/****"},
		{name: "discord webhook, host with the root's dot", in: "https://discord.com./api/webhooks/1234/WEBHOOKSECRETxyz", want: "https://discord.com./api/webhooks/1234/****"},
		{name: "slack webhook, host with the root's dot and a port", in: "https://hooks.slack.com.:443/services/T000/B000/XXXXXXXX", want: "https://hooks.slack.com.:443/services/T000/B000/****"},
		{name: "slack workflow trigger", in: "https://hooks.slack.com/triggers/T000/123/abcdef0123", want: "https://hooks.slack.com/triggers/T000/123/****"},
		{name: "teams webhook", in: "https://contoso.webhook.office.com/webhookb2/7fa36e45-3e04@72f988bf-86f1/IncomingWebhook/3b4e0cbe2f3c4a9e8f4e6d1c2b7a9f01/5c1f3e2a-8b7d", want: "https://contoso.webhook.office.com/webhookb2/7fa36e45-3e04@72f988bf-86f1/IncomingWebhook/****/5c1f3e2a-8b7d"},
		{name: "teams webhook, older host", in: "https://outlook.office.com/webhook/7fa36e45@72f988bf/IncomingWebhook/3b4e0cbe2f3c4a9e/5c1f3e2a", want: "https://outlook.office.com/webhook/7fa36e45@72f988bf/IncomingWebhook/****/5c1f3e2a"},
		{name: "outlook, not a webhook", in: "https://outlook.office.com/mail/inbox/id/AAQk", want: "https://outlook.office.com/mail/inbox/id/AAQk"},
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
		{name: "flag and its argument", in: "signal-cli -a +15551234567 --password hunter2 daemon", want: "signal-cli -a +15551234567 --password **** daemon"},
		{name: "flag and a quoted argument", in: `bot --api-key "k 1" -v`, want: `bot --api-key "****" -v`},
		{name: "flag in prose", in: "Pass --token to the bot, or --password if it asks.", want: "Pass --token to the bot, or --password if it asks."},
		{name: "flag before another flag", in: "bot --token --verbose", want: "bot --token --verbose"},
		{name: "libpq keywords", in: "host=db user=bot password=hunter2 dbname=app", want: "host=db user=bot password=**** dbname=app"},
		{name: "Azure Storage connection string", in: "DefaultEndpointsProtocol=https;AccountName=bot;AccountKey=Zm9vYmFy+/==;EndpointSuffix=core.windows.net", want: "DefaultEndpointsProtocol=https;AccountName=bot;AccountKey=****;EndpointSuffix=core.windows.net"},
		{name: "ADO.NET connection string", in: "Server=db;User Id=bot;Password=hunter2;Database=app", want: "Server=db;User Id=bot;Password=****;Database=app"},
		{name: "ODBC connection string, password in braces", in: "Driver={ODBC Driver 18};Server=db;Uid=bot;Pwd={hun;ter}}2};Database=app", want: "Driver={ODBC Driver 18};Server=db;Uid=bot;Pwd={****};Database=app"},
		{name: "ODBC password in braces, unclosed", in: "Server=db;Password={hun;ter2", want: "Server=db;Password={****"},
		{name: "braces that do not close the value", in: "password={abc}def and more\nport=1", want: "password=****\nport=1"},
		{name: "a JSON object after =", in: `WEBHOOK_SECRET={"a":{"b":1},"value":"S3cr3tValue"}`, want: "WEBHOOK_SECRET=****"},
		{name: "spaces around =", in: "[smtp]\npassword = hunter 2\nport = 587", want: "[smtp]\npassword = ****\nport = 587"},
		{name: "quoted value", in: `password="a b;c" port=1`, want: `password="****" port=1`},
		{name: "value holding a URL", in: "DATABASE_URL=postgres://u:p@h/db", want: "DATABASE_URL=****"},
		{name: "connection string, password with a space", in: "Server=db;User Id=bot;Password=hunter 2;Database=app", want: "Server=db;User Id=bot;Password=****;Database=app"},
		{name: "name=value in prose", in: "When the user says token=X, answer with the balance.", want: "When the user says token=**** answer with the balance."},
		{name: "name=value in prose, then more prose", in: "Send key=value pairs only. Be brief.", want: "Send key=**** pairs only. Be brief."},

		// name: value.
		{name: "header in a command line", in: "curl -H 'X-Api-Key: abc123' -H \"Cookie: sid=1\" https://api.example/v1", want: "curl -H 'X-Api-Key: ****' -H \"Cookie: ****\" https://api.example/v1"},
		{name: "quoted argument in a command line", in: "curl -d 'password=abc' https://x.example/login", want: "curl -d 'password=****' https://x.example/login"},
		{name: "HTTP header", in: "Authorization: Bearer abc.def", want: "Authorization: ****"},
		{name: "HTTP headers", in: "Accept: */*\r\nX-Api-Key: k-123\r\nCookie: sid=abc\r\n", want: "Accept: */*\r\nX-Api-Key: ****\r\nCookie: ****\r\n"},
		{name: "YAML", in: "telegram:\n  botToken: 123:abc\n  port: 8443", want: "telegram:\n  botToken: ****\n  port: 8443"},
		{name: "lines ending in a carriage return alone", in: "mode: x\rtoken: abc123\rport: 1", want: "mode: x\rtoken: ****\rport: 1"},
		{name: "JSON text", in: `{"port": 1, "token": "abc\"def", "mode": "x"}`, want: `{"port": 1, "token": "****", "mode": "x"}`},
		{name: "JSON number: masked to the end of the line", in: `{"pin": 1, "apiKey": 12345}`, want: `{"pin": 1, "apiKey": ****`},

		// user:password@ without a scheme.
		{name: "Go MySQL DSN", in: "bot:hunter2@tcp(localhost:3306)/app?parseTime=true", want: "bot:****@tcp(localhost:3306)/app?parseTime=true"},
		{name: "proxy", in: "user:pa55@proxy.example:3128", want: "user:****@proxy.example:3128"},
		{name: "proxy in a list", in: "via alice:s3cr3t@10.0.0.1:8080 or none", want: "via alice:****@10.0.0.1:8080 or none"},
		{name: "mailto", in: "mailto:alice@example.com", want: "mailto:alice@example.com"},
		{name: "mail search filter", in: "from:boss@corp.example to:me@corp.example is:unread", want: "from:boss@corp.example to:me@corp.example is:unread"},
		{name: "mail search filter, cc", in: "cc:team@corp.example OR bcc:audit@corp.example", want: "cc:team@corp.example OR bcc:audit@corp.example"},
		{name: "git address", in: "git@github.com:o/r.git", want: "git@github.com:o/r.git"},
		{name: "matrix room", in: "#room:matrix.org and @bot:matrix.org", want: "#room:matrix.org and @bot:matrix.org"},

		// Authorization schemes.
		{name: "bearer token", in: "Bearer abc.def-123", want: "Bearer ****"},
		{name: "bearer token in text", in: "send bearer abc.def-123 with it", want: "send bearer **** with it"},
		{name: "basic credentials", in: "Basic dXNlcjpodW50ZXIy", want: "Basic ****"},
		{name: "basic plan", in: "Basic plan", want: "Basic plan"},
		{name: "bearer alone", in: "Bearer", want: "Bearer"},
		{name: "bearer token after a tab", in: "Bearer\tabc.def-123", want: "Bearer\t****"},
		{name: "short bearer token after a tab", in: "Bearer\tabc123xyz789", want: "Bearer\t****"},
		{name: "short basic credentials after a tab", in: "Basic\tdXNlcjpwYXNz", want: "Basic\t****"},
		{name: "bearer token in capitals", in: "BEARER abc.def-123", want: "BEARER ****"},
		{name: "basic credentials in capitals", in: "BASIC dXNlcjpodW50ZXIy", want: "BASIC ****"},
		{name: "bearer in prose", in: "You are the bearer of good news. Bearer tokens are never shown.", want: "You are the bearer of good news. Bearer tokens are never shown."},

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
		{name: "shell variable", in: "psql postgres://bot:$PGPASSWORD@db/app --password $PGPASSWORD", want: "psql postgres://bot:$PGPASSWORD@db/app --password $PGPASSWORD"},
		{name: "shell variable after =", in: "DB_PASSWORD=$VAULT_DB_PASSWORD", want: "DB_PASSWORD=$VAULT_DB_PASSWORD"},
		{name: "template placeholder", in: "Authorization: Bearer {{ env.API_TOKEN }}\npassword={{password}}", want: "Authorization: ****\npassword={{password}}"},
		{name: "a secret that begins with $", in: "password=$ecret1", want: "password=****"},
		{name: "empty value", in: "password=\nport=1", want: "password=\nport=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Config{"note": tt.in, "list": []any{tt.in}}
			want := Config{"note": tt.want, "list": []any{tt.want}}
			if diff := cmp.Diff(want, Redact(in)); diff != "" {
				t.Errorf("Redact (-want +got):\n%s", diff)
			}
			checkRoundTrip(t, Redact(in), in)
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
		{name: "token inside prose", in: "use the xoxb-1234-5678-abcdefghijklmnop token", want: "use the xoxb-**** token"},
		{name: "token in a command line", in: "node bot.js --slack xapp-1-A0-123-abcdef0123456789 --verbose", want: "node bot.js --slack xapp-**** --verbose"},
		{name: "token at the end of a sentence", in: "Then use sk-proj-abcdefghijklmnopqrstuvwxyz.", want: "Then use sk-****."},
		{name: "tokens in JSON text", in: `["ghp_abcdefghijklmnopqrstuvwxyz0123456789","eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijklmnopqrstuvwxyz0123456789012"]`, want: `["ghp_****","eyJhbGciOiJIUzI1NiJ9.****"]`},
		{name: "a longer word is no token", in: "see my-sk-proj-abcdefghijklmnopqrstuvwxyz", want: "see my-sk-proj-abcdefghijklmnopqrstuvwxyz"},
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
			checkRoundTrip(t, Redact(in), in)
			if tt.want != tt.in {
				if _, err := Restore(Config{"note": tt.want}, Config{"note": "other"}); err == nil {
					t.Errorf("Restore kept %q for another stored value", tt.want)
				}
			}
		})
	}
}

// TestRedactLongStringsTime checks that a long string of the characters
// that begin secrets costs time in proportion to its length: a body of a
// megabyte of "/" or of "a:b," once took minutes to read.
func TestRedactLongStringsTime(t *testing.T) {
	if testing.Short() {
		t.Skip("reads long strings")
	}
	units := []string{
		"/", "//", "//a:", "//:", "//a:1/", "//a@", "//[", "//discord.com/", "//hooks.slack.com/",
		"a:b,", "a:b;", "(a:b", "a:b@,", ":", "=", "@", "%", "a=b ", "?a=", "12345:",
		"--token '", "--token \"", "-", "- ", "sk-", "a.",
		"?=", "=?", "?a=?", "p={", "p={}}",
	}
	for _, unit := range units {
		s := strings.Repeat(unit, 200_000/len(unit))
		start := time.Now()
		in := Config{"note": s}
		if _, err := Restore(Redact(in), in); err != nil {
			t.Errorf("%q: Restore(Redact(c), c): %v", unit, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%q repeated to 200 kB: %v", unit, d)
		}
	}
}

// TestRedactPromptLabels checks prompts whose lines begin with a word
// that is also the whole name of a secret ("Code:", "Key:", "Session:")
// and a colon, then prose: such a line is no YAML, and masking it would
// hide the prompt and refuse each edit of it that keeps the mask.
func TestRedactPromptLabels(t *testing.T) {
	for _, s := range []string{
		"Answer format:\nName: <the user's name>\nCode: <a code block>\n",
		"Rules:\nCode: always in fenced blocks.\nSession: keep it short.",
		"Key: value pairs, one per line",
		"Token: the user's session, never shown",
	} {
		in := Config{"prompt": s}
		if got := Redact(in); got["prompt"] != s {
			t.Errorf("Redact(%q) = %q, want it kept", s, got["prompt"])
		}
	}
	// A label of one word, or in lower case as YAML writes it, is a
	// secret still.
	for s, want := range map[string]string{
		"Key: k-123abc\nMode: x":    "Key: ****\nMode: x",
		"code: 4711 0815\nMode: x":  "code: ****\nMode: x",
		"Password: correct horse":   "Password: ****",
		"Token: 123456:ABC-DEF1234": "Token: ****",
	} {
		if got := Redact(Config{"prompt": s}); got["prompt"] != want {
			t.Errorf("Redact(%q) = %q, want %q", s, got["prompt"], want)
		}
	}
}
