// This file decides which config keys hold secrets and masks their
// values in a copy of a config.

package connectors

import (
	"bytes"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mask is what one ":"-separated part of a secret string reads as after
// redaction: a Telegram token "123456:ABC-DEF" reads "****:****". It is
// also what a secret written inside another string reads as, such as
// the credentials of a URL ("https://user:****@host/").
const Mask = "****"

// A Policy decides which config keys hold secrets. The zero Policy (and a
// nil *Policy) applies the default rules; the fields add rules on top of
// them, never remove any. A Policy must not be changed once in use; its
// methods are safe for concurrent use.
//
// The default rules: a key is sensitive when, ignoring case and the
// separators "_", "-", "." and " " (and, for the rules on its end and on
// the whole key, digits at its end: botToken2 is botToken), it
//   - contains "password", "passwd", "passphrase", "secret", "credential",
//     "cookie", "authorization", "connectionstring", "apikey",
//     "privatekey", "privkey", "seedphrase", "mnemonic", "accesskey",
//     "authkey", "sessionkey", "signingkey", "encryptkey",
//     "encryptionkey", "aeskey", "masterkey", "hmackey", "consumerkey",
//     "recoverykey", "securitykey", "picklekey" (Matrix's),
//     "subscriptionkey", "licensekey", "applicationkey", "routingkey",
//     "integrationkey", "serverkey", "writekey", "adminkey",
//     "webhookkey", "ingestkey", "deploykey", "sshkey" or "accountkey"
//     (Azure Storage's);
//   - ends with "token", "pass" (but not "bypass"), "pwd", "dsn", "jwt",
//     "webhookurl" or "webhookurls" (a Discord or Slack webhook URL carries
//     its token) or "databaseurl";
//   - is one of "key", "nsec", "streamkey", "rtmpkey", "serviceaccount",
//     "serviceaccountkey", "serviceaccountjson", "sessionstring",
//     "signeruuid", "apihash" (a Telegram app's MTProto secret),
//     "session" and "stringsession" (a Telegram user's session), "creds"
//     (a WhatsApp Web session), "auth" (Node's "user:password"), "code"
//     (an access or login code), "authheader", "bearer", "totp",
//     "backupcodes", "recoverycodes", "pfx", "p12" and "pkcs12";
//   - ends with "tokens" (a list of them: botTokens, telegramTokens,
//     adminTokens), unless the word just before it names a count, or
//     the key's first word is "max", "min", "total" or "num" (see
//     countWords): maxTokens, max_output_tokens, promptTokens,
//     maxNewTokens and thinkingBudgetTokens count tokens and are not
//     secrets.
//
// So "key" is a secret only as a whole key: publicKey, primaryKey, hotkey,
// keyboard and keyword are not. A key that names where a secret is, such
// as apiKeyEnv or passwordFile, is treated as a secret all the same: the
// rules have no exceptions beyond those above. Hosts add the secrets of
// their own configs with Keys and Contains. The same rules decide which
// URL parameters hold secrets (see [Policy.Redact]).
type Policy struct {
	// Keys are extra key names that hold secrets, matched as whole keys
	// with the same folding as the default rules ("pinCode" matches
	// "pin_code" and "PINCODE").
	Keys []string
	// Contains are extra fragments: a key holds a secret when it contains
	// one of them, with the same folding.
	Contains []string
}

// The default rules, already folded (see foldKey).
var (
	defaultContains = []string{
		"password", "passwd", "passphrase", "secret", "credential", "cookie",
		"authorization", "connectionstring", "seedphrase", "mnemonic",
	}
	// keyWords are the rest of the fragments, each without its final
	// "key": they are looked for only before a "key", which most keys
	// do not contain.
	keyWords = []string{
		"api", "private", "priv", "access", "auth", "session", "signing",
		"encrypt", "encryption", "aes", "master", "hmac", "consumer",
		"recovery", "security", "pickle", "subscription", "license",
		"application", "routing", "integration", "server", "write", "admin",
		"webhook", "ingest", "deploy", "ssh", "account",
	}
	defaultSuffixes = []string{"token", "pass", "pwd", "dsn", "jwt", "webhookurl", "webhookurls", "databaseurl"}
	defaultKeys     = map[string]bool{
		"key": true, "nsec": true, "streamkey": true, "rtmpkey": true,
		"serviceaccount": true, "serviceaccountkey": true, "serviceaccountjson": true,
		"sessionstring": true, "signeruuid": true, "apihash": true,
		"session": true, "stringsession": true, "creds": true, "auth": true,
		"code": true, "authheader": true, "bearer": true, "totp": true,
		"backupcodes": true, "recoverycodes": true, "pfx": true, "p12": true,
		"pkcs12": true,
	}
	// countWords are the words of a key that counts tokens, which is no
	// secret: the word just before "tokens" (promptTokens,
	// max_output_tokens, thinkingBudgetTokens), or its first word if
	// that is one of the first four (maxNewTokens). Any other key ending
	// in "tokens" holds a list of them. A count missing here is masked,
	// which hides a number; a secret's name taken for a count would
	// show the secret.
	countWords = []string{
		"max", "min", "total", "num", "prompt", "completion", "context",
		"input", "output", "cached", "reasoning", "reserve", "reserved", "budget", "thinking",
	}
)

// foldKey lowers k and drops separators, so that "Bot_Token", "bot-token"
// and "botToken" are one key for the rules.
func foldKey(k string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', ' ':
			return -1
		}
		return unicode.ToLower(r)
	}, k)
}

// foldASCII is foldKey for an ASCII key, appended to dst. It reports false
// for a key with other characters, which foldKey handles.
func foldASCII(k string, dst []byte) ([]byte, bool) {
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= utf8.RuneSelf:
			return nil, false
		case c == '_' || c == '-' || c == '.' || c == ' ':
		case 'A' <= c && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		default:
			dst = append(dst, c)
		}
	}
	return dst, true
}

// IsSensitive reports whether values under key are secrets by the default
// rules (see [Policy]).
func IsSensitive(key string) bool {
	return (*Policy)(nil).IsSensitive(key)
}

// IsSensitive reports whether values under key are secrets under p. It
// does not allocate for an ASCII key of up to 64 bytes.
func (p *Policy) IsSensitive(key string) bool {
	// Keys are short and mostly ASCII: fold them on the stack.
	var buf [64]byte
	f := fold(key, buf[:0])
	if p.sensitiveFolded(f) {
		return true
	}
	// A list of tokens, unless the key counts them: that takes the key's
	// words, which folding joins ("adminTokens" is no "min" count).
	return bytes.HasSuffix(bytes.TrimRight(f, "0123456789"), []byte("tokens")) && !countsTokens(key)
}

// fold is foldKey appended to dst, without allocating for an ASCII key
// that fits in dst's capacity.
func fold(k string, dst []byte) []byte {
	if f, ok := foldASCII(k, dst); ok {
		return f
	}
	return append(dst, foldKey(k)...)
}

// sensitiveFolded is IsSensitive for a key already folded, but for the
// rule of "tokens", which needs the key's words.
func (p *Policy) sensitiveFolded(f []byte) bool {
	// A number at the end names one of several (botToken2, password1):
	// the rules on the whole key and its end read the key without it.
	end := bytes.TrimRight(f, "0123456789")
	if defaultKeys[string(end)] || len(end) < len(f) && defaultKeys[string(f)] { // no allocation for a map lookup
		return true
	}
	for _, s := range defaultContains {
		if bytes.Contains(f, []byte(s)) {
			return true
		}
	}
	for i := 0; ; i += len("key") {
		j := bytes.Index(f[i:], []byte("key"))
		if j < 0 {
			break
		}
		i += j
		for _, w := range keyWords {
			if bytes.HasSuffix(f[:i], []byte(w)) {
				return true
			}
		}
	}
	for _, s := range defaultSuffixes {
		if bytes.HasSuffix(end, []byte(s)) {
			if s == "pass" && bytes.HasSuffix(end, []byte("bypass")) {
				continue
			}
			return true
		}
	}
	if p == nil {
		return false
	}
	var buf [64]byte
	for _, k := range p.Keys {
		if bytes.Equal(f, fold(k, buf[:0])) {
			return true
		}
	}
	for _, s := range p.Contains {
		// A fragment of only separators folds to "" and would match
		// every key; it is ignored.
		if s := fold(s, buf[:0]); len(s) > 0 && bytes.Contains(f, s) {
			return true
		}
	}
	return false
}

// memberSecret reports whether the member k of obj holds a secret: k is
// sensitive, or k is the value of a pair that names a secret, as lists of
// HTTP headers and environment variables write them:
// {"name": "X-Api-Key", "value": "****"}, {"header": "Authorization",
// "value": "****"}, {"name": "BOT_TOKEN", "value": "****"}, and Postman's
// {"key": "X-Api-Key", "value": "****"}. The pair's value is its "value"
// or "values" member (see isPairValue); its name, the string of its
// "name", "header" or "key" member, which is sensitive under p. A
// "name" or "header" stays shown: it identifies the pair (see
// [Policy.Restore]); a "key" is a secret itself.
func (p *Policy) memberSecret(obj map[string]any, k string) bool {
	if p.IsSensitive(k) {
		return true
	}
	if !isPairValue(k) {
		return false
	}
	for field, v := range obj {
		name, ok := v.(string)
		if ok && (strings.EqualFold(field, "name") || strings.EqualFold(field, "header") || strings.EqualFold(field, "key")) && p.IsSensitive(name) {
			return true
		}
	}
	return false
}

// isPairValue reports whether k is the value of a name/value pair:
// "value" or "values", in any case.
func isPairValue(k string) bool {
	return strings.EqualFold(k, "value") || strings.EqualFold(k, "values")
}

// countsTokens reports whether key, which ends with "tokens" (and
// digits) folded, counts tokens (see countWords). Its words are split at
// separators and where a lower-case letter meets an upper-case one;
// "tokens" glued to the word before it in one case ("MAXTOKENS") leaves
// that word before it.
func countsTokens(key string) bool {
	key = strings.TrimRight(key, "0123456789")
	separator := func(c byte) bool { return c == '_' || c == '-' || c == '.' || c == ' ' } // as foldKey's
	var words [16]string
	n, start := 0, 0
	for i := 0; i <= len(key); i++ {
		if i < len(key) && !separator(key[i]) && (i == 0 || !isLower(key[i-1]) || !isUpper(key[i])) {
			continue
		}
		if i > start {
			if n == len(words) {
				return false
			}
			words[n] = key[start:i]
			n++
		}
		start = i
		if i < len(key) && separator(key[i]) {
			start = i + 1
		}
	}
	if n == 0 {
		return false
	}
	first, last, before := words[0], words[n-1], ""
	switch {
	case strings.EqualFold(last, "tokens"):
		if n > 1 {
			before = words[n-2]
		}
	case len(last) > len("tokens") && strings.EqualFold(last[len(last)-len("tokens"):], "tokens"):
		before = last[:len(last)-len("tokens")]
		if n == 1 {
			first = before
		}
	default:
		return false
	}
	for i, w := range countWords {
		if strings.EqualFold(before, w) || i < 4 && strings.EqualFold(first, w) {
			return true
		}
	}
	return false
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

// Redact returns a deep copy of cfg with every secret masked by the default
// rules; see [Policy.Redact]. Redact(nil) is nil.
func Redact(cfg Config) Config {
	return (*Policy)(nil).Redact(cfg)
}

// Redact returns a deep copy of cfg in which every value under a sensitive
// key (see [Policy.IsSensitive]), at any depth, is masked, and so is the
// value of a pair whose name is sensitive, as lists of HTTP headers and
// environment variables write them: the "value" or "values" of an object
// whose "name" or "header" is a string that is a sensitive key
// ({"name": "X-Api-Key", "value": "****"}):
//   - a non-empty string has each ":"-separated part replaced by [Mask],
//     unless it is a whole environment reference such as "${BOT_TOKEN}",
//     which is not a secret and is kept;
//   - an empty string stays empty, so a reader can tell "not set";
//   - a number or boolean becomes [Mask];
//   - arrays and objects keep their shape with each leaf masked.
//
// Under any other key, a string is kept, except for the secrets written
// inside it, which are each replaced by [Mask]:
//   - of every URL in the string, with a scheme or scheme-relative
//     ("//host/..."), the password of the user information
//     ("https://user:****@host/", "postgres://u:****@h/db"), or the whole
//     user information when it has no password, because a token is often
//     sent as the user name ("https://****@github.com/..."). A password
//     with a raw "/", "?" or "#", which ends a URL's authority early, is
//     masked up to the last "@" that a host follows: "https://u:p/ss@h/"
//     reads "https://u:****@h/" (a ":" before a port or in an IPv6
//     address begins no password: "https://h:8443/users/a@b.example" is
//     kept);
//   - in a string that holds a "?" (or, after a URL's authority, a "#" or
//     a ";"), the value of each parameter after it whose name is
//     sensitive under p or is "sig" or ends with "signature":
//     "?token=****&page=2", "?api_key=****", "?X-Amz-Signature=****",
//     "/x;token=****". Parameters are separated by "&", ";", "?" and "#",
//     and their names are URL-decoded; a name with a space is prose, not
//     a parameter. A name with brackets is read as PHP and Rails write
//     lists and maps: "token[]" and "token[0]" as "token", "auth[token]"
//     as either part. A secret value runs to the next "&", or to the next
//     ";", "?" or "#" that begins another parameter ("name="), so that a
//     raw ";", "?" or "#" in a secret, or a fragment after it, is masked
//     with it; it also runs over white space;
//   - the value of another parameter is read for secrets as it is and,
//     if it holds URL escapes, unescaped too (twice over at most), so
//     that a URL in it has its credentials masked the same way:
//     "?next=https%3A%2F%2Fu%3A****%40h%2F";
//   - the value given with "=" or ":" to a name that is sensitive under
//     p: environment lines and flags ("BOT_TOKEN=****",
//     "--api-key=****"), connection strings ("host=db password=****",
//     "Password=****;"), HTTP headers ("Authorization: ****"), YAML and
//     JSON text ("botToken: ****", `"token": "****"`). The name is the
//     run of letters, digits, "_", "-" and "." before the "=" or ":",
//     quoted or not; before a ":", one not in quotes must begin its line
//     or a quoted argument ("curl -H 'X-Api-Key: ****' ..."), so that
//     prose ("Never say the password: ...") stays as it is, and so does
//     a line of a prompt that a capitalized "Code", "Key", "Session",
//     "Auth", "Pass", "Token" or "Tokens" labels, followed by several
//     words ("Code: always in fenced blocks."). A value in a quoted
//     argument ends at its closing quote, and a quoted value is masked
//     to its closing quote, one in braces after "=" (ODBC's
//     "Pwd={a;b}") to its closing brace; a value after "=" runs to the
//     end of its line, a ";" or "&", or white space that another "name=" follows
//     (or any white space, after a name that is a word of a line of
//     text: "say token=X to ..." masks one word); a value after ":" runs
//     to the end of its line;
//   - the body of a PEM private key: "-----BEGIN PRIVATE
//     KEY-----\n****\n-----END PRIVATE KEY-----";
//   - a password written without a scheme, "user:****@host" (a proxy,
//     Go's MySQL DSN "user:****@tcp(localhost:3306)/db");
//   - the credentials of an HTTP authorization scheme, in any case and
//     after spaces or tabs: "Bearer ****" (but not a short word of
//     letters, which is prose: "the bearer of bad news"), and "Basic
//     ****" where it encodes "user:password";
//   - the secret part of a Telegram bot token written in a string, as in
//     the Bot API's URLs ("https://api.telegram.org/bot123456:****/getMe"),
//     and the token of a Discord, Slack or Microsoft Teams webhook URL
//     ("https://discord.com/api/webhooks/123/****",
//     "https://hooks.slack.com/services/T0/B0/****",
//     "https://x.webhook.office.com/webhookb2/.../IncomingWebhook/****/...");
//   - in an array, the element after a command-line flag that names a
//     secret under p ("--api-key", "-token") is masked as under a
//     sensitive key: "args": ["--api-key", "****"]; in a string, the
//     argument after such a flag and a space, to white space or to its
//     closing quote: "bot --password **** daemon";
//   - a token of a well-known form that is the whole string, as in a
//     list of bots, or a word of it, as in a command line ("--token
//     xoxb-****"), but its public prefix: Slack ("xoxb-****"),
//     GitHub ("ghp_****"), GitLab, OpenAI and Anthropic ("sk-****"),
//     Stripe, Hugging Face and Google API keys, Telegram bot tokens
//     ("123456:****"), and JWTs and Discord bot tokens, of which the
//     first "."-separated part is kept ("eyJhbGciOiJIUzI1NiJ9.****").
//
// An empty credential, or one that is a whole reference to a secret
// ("${BOT_TOKEN}", "$PGPASSWORD", "{{ env.API_KEY }}"), is kept. The rest of the string is kept byte for byte.
//
// A key that holds such a secret itself, under any key (bots by token,
// webhooks by URL), is shown as such a string is: "123456:****". Keys
// that would then read alike, as each other or as a key shown as it is,
// are numbered in byte order of the keys they stand for: "sk-****",
// "sk-**** (2)".
//
// Redact never changes cfg. p.Redact(nil) is nil.
func (p *Policy) Redact(cfg Config) Config {
	if cfg == nil {
		return nil
	}
	out := make(Config, len(cfg))
	for k, v := range cfg {
		out[k] = p.redactValue(v, p.memberSecret(cfg, k))
	}
	return out
}

// RedactAll returns [Policy.Redact] applied to every config in m, in a new
// map. m is not changed.
func (p *Policy) RedactAll(m map[string]Config) map[string]Config {
	out := make(map[string]Config, len(m))
	for name, cfg := range m {
		out[name] = p.Redact(cfg)
	}
	return out
}

func (p *Policy) redactValue(v any, secret bool) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		shown := p.shownKeys(x)
		for k, e := range x {
			r := p.redactValue(e, secret || p.memberSecret(x, k))
			if sk, ok := shown[k]; ok {
				k = sk
			}
			out[k] = r
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = p.redactValue(e, secret || p.flagValue(x, i))
		}
		return out
	case string:
		if secret {
			return maskString(x)
		}
		if m, _ := p.maskInline(x, nil); m != x {
			return m
		}
		return v // the same interface value: no new allocation
	case bool, int64, float64:
		if secret {
			return maskAny
		}
		return v
	default:
		// A Go caller may pass values outside the value model ([]string,
		// []map[string]any, int). Convert them rather than pass through
		// something that could hold an unmasked secret; hide what cannot
		// be converted.
		n, err := normalize(v, 1, false)
		if err != nil {
			return maskAny
		}
		return p.redactValue(n, secret)
	}
}

// shownKeys returns, for each key of obj that holds a secret of the kinds
// masked inside strings (a token, a URL's credentials; see
// [Policy.Redact]), the key as Redact shows it, or nil if there is none.
// Keys that would show alike, as each other or as a key shown as it is,
// are numbered in the order of the keys: "sk-****", "sk-**** (2)".
func (p *Policy) shownKeys(obj map[string]any) map[string]string {
	var shown map[string]string
	for k := range obj {
		if sk, _ := p.maskInline(k, nil); sk != k {
			if shown == nil {
				shown = make(map[string]string)
			}
			shown[k] = sk
		}
	}
	if shown == nil {
		return nil
	}
	taken := make(map[string]bool, len(obj))
	for k := range obj {
		if _, ok := shown[k]; !ok {
			taken[k] = true
		}
	}
	// next is, for each form, the first number not yet tried, so that
	// many keys of one form cost time in proportion to their count.
	next := make(map[string]int)
	for _, k := range slices.Sorted(maps.Keys(shown)) {
		base, sk := shown[k], shown[k]
		if taken[sk] {
			n := max(next[base], 2)
			for sk = numbered(base, n); taken[sk]; sk = numbered(base, n) {
				n++
			}
			next[base] = n + 1
		}
		taken[sk] = true
		shown[k] = sk
	}
	return shown
}

// numbered returns the form of a key shown redacted with the number n:
// "sk-**** (2)".
func numbered(form string, n int) string {
	return form + " (" + strconv.Itoa(n) + ")"
}

// storedKeys returns the inverse of shownKeys(obj): the stored key of
// each key shown redacted.
func (p *Policy) storedKeys(obj map[string]any) map[string]string {
	shown := p.shownKeys(obj)
	if shown == nil {
		return nil
	}
	stored := make(map[string]string, len(shown))
	for k, sk := range shown {
		stored[sk] = k
	}
	return stored
}

// flagValue reports whether arr[i] is the value of a command-line flag
// that names a secret: arr[i-1] is a string such as "--api-key" or
// "-token", a name sensitive under p after its dashes.
func (p *Policy) flagValue(arr []any, i int) bool {
	if i == 0 {
		return false
	}
	f, ok := arr[i-1].(string)
	if !ok || len(f) < 2 || f[0] != '-' {
		return false
	}
	name := strings.TrimLeft(f, "-")
	return name != "" && !strings.ContainsAny(name, "= ") && p.IsSensitive(name)
}

// maskAny is Mask as an interface value, boxed once.
var maskAny any = Mask

// masks are the masked forms of secrets with no, one and two colons,
// which are most of them (Telegram tokens have one).
var masks = [...]any{Mask, Mask + ":" + Mask, Mask + ":" + Mask + ":" + Mask}

// maskString masks each ":"-separated part of s.
func maskString(s string) any {
	if s == "" || isEnvRef(s) {
		return s
	}
	n := strings.Count(s, ":")
	if n < len(masks) {
		return masks[n]
	}
	return Mask + strings.Repeat(":"+Mask, n)
}

// isEnvRef reports whether s is exactly "${NAME}" with NAME a shell-style
// variable name: a reference to a secret, not a secret.
func isEnvRef(s string) bool {
	if len(s) < 4 || s[:2] != "${" || s[len(s)-1] != '}' {
		return false
	}
	name := s[2 : len(s)-1]
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
