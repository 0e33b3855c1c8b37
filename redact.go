// This file decides which config keys hold secrets, masks their values and
// the secrets written inside other strings (URL credentials, "name=value"
// text, tokens of known forms), and puts stored secrets back where a
// client returned masks.

package connectors

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
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
//     "webhookkey", "ingestkey", "deploykey" or "sshkey";
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
//   - is one of "tokens", "apitokens", "bottokens", "apptokens",
//     "usertokens", "accesstokens", "authtokens", "refreshtokens",
//     "sessiontokens", "idtokens", "oauthtokens", "devicetokens" and
//     "pushtokens". Any other key ending in "tokens" counts tokens
//     (maxTokens, totalTokens, promptTokens, max_output_tokens) and is
//     not a secret.
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
		"webhook", "ingest", "deploy", "ssh",
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
		// Lists of tokens; other keys ending in "tokens" are counts.
		"tokens": true, "apitokens": true, "bottokens": true, "apptokens": true,
		"usertokens": true, "accesstokens": true, "authtokens": true,
		"refreshtokens": true, "sessiontokens": true, "idtokens": true,
		"oauthtokens": true, "devicetokens": true, "pushtokens": true,
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
	return p.sensitiveFolded(fold(key, buf[:0]))
}

// fold is foldKey appended to dst, without allocating for an ASCII key
// that fits in dst's capacity.
func fold(k string, dst []byte) []byte {
	if f, ok := foldASCII(k, dst); ok {
		return f
	}
	return append(dst, foldKey(k)...)
}

// sensitiveFolded is IsSensitive for a key already folded.
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

// Redact returns a deep copy of cfg with every secret masked by the default
// rules; see [Policy.Redact]. Redact(nil) is nil.
func Redact(cfg Config) Config {
	return (*Policy)(nil).Redact(cfg)
}

// Redact returns a deep copy of cfg in which every value under a sensitive
// key (see [Policy.IsSensitive]), at any depth, is masked:
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
//     reads "https://u:****@h/" (so a port and then an "@" further on,
//     as in "https://h:8443/users/a@b.example", mask what lies between);
//   - in a string that holds a "?" (or, after a URL's authority, a "#" or
//     a ";"), the value of each parameter after it whose name is
//     sensitive under p or is "sig" or ends with "signature":
//     "?token=****&page=2", "?api_key=****", "?X-Amz-Signature=****",
//     "/x;token=****". Parameters are separated by "&", ";", "?" and "#",
//     and their names are URL-decoded; a name with a space is prose, not
//     a parameter. A secret value runs to the next "&", or to the next
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
//     quoted or not; before a ":", one not in quotes must begin its line,
//     so that prose ("Never say the password: ...") stays as it is. A
//     quoted value is masked to its closing quote; a
//     value after "=" runs to the end of its line, a ";" or "&", or
//     white space that another "name=" follows; a value after ":" runs
//     to the end of its line;
//   - the body of a PEM private key: "-----BEGIN PRIVATE
//     KEY-----\n****\n-----END PRIVATE KEY-----";
//   - a password written without a scheme, "user:****@host" (a proxy,
//     Go's MySQL DSN "user:****@tcp(localhost:3306)/db");
//   - the credentials of an HTTP authorization scheme: "Bearer ****",
//     and "Basic ****" where it encodes "user:password";
//   - the secret part of a Telegram bot token written in a string, as in
//     the Bot API's URLs ("https://api.telegram.org/bot123456:****/getMe"),
//     and the token of a Discord or Slack webhook URL
//     ("https://discord.com/api/webhooks/123/****",
//     "https://hooks.slack.com/services/T0/B0/****");
//   - in an array, the element after a command-line flag that names a
//     secret under p ("--api-key", "-token") is masked as under a
//     sensitive key: "args": ["--api-key", "****"];
//   - in a string that is, whole, a token of a well-known form, as in a
//     list of bots, the token but its public prefix: Slack ("xoxb-****"),
//     GitHub ("ghp_****"), GitLab, OpenAI and Anthropic ("sk-****"),
//     Stripe, Hugging Face and Google API keys, Telegram bot tokens
//     ("123456:****"), and JWTs and Discord bot tokens, of which the
//     first "."-separated part is kept ("eyJhbGciOiJIUzI1NiJ9.****").
//
// An empty credential, or one that is a whole environment reference, is
// kept. The rest of the string is kept byte for byte.
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
		out[k] = p.redactValue(v, p.IsSensitive(k))
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
			r := p.redactValue(e, secret || p.IsSensitive(k))
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
	for _, k := range slices.Sorted(maps.Keys(shown)) {
		sk := shown[k]
		for n := 2; taken[sk]; n++ {
			sk = shown[k] + " (" + strconv.Itoa(n) + ")"
		}
		taken[sk] = true
		shown[k] = sk
	}
	return shown
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

// maskInline returns s with the secrets written inside it replaced by
// Mask, as [Policy.Redact] describes, or s itself if it has none to mask.
// masked reports whether such a secret of s already is Mask: s is then a
// string that was redacted. found, if not nil, is called with each
// secret that is masked.
func (p *Policy) maskInline(s string, found func(string)) (out string, masked bool) {
	// Most strings are short, and hold none of the characters that begin
	// a secret inside a string: they cost one scan and no allocation.
	if len(s) < 24 && !strings.HasSuffix(s, Mask) && !hasInlineByte(s) {
		return s, false
	}
	var b strings.Builder
	done := 0 // s[:done] is in b, or needs no change if b is empty
	mask := func(start, end int, v string) {
		switch {
		case v == "" || isEnvRef(v):
		case v == Mask:
			masked = true
		default:
			if found != nil {
				found(v)
			}
			if b.Len() == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[done:start])
			b.WriteString(Mask)
			done = end
		}
	}
	if token := knownToken(s); token >= 0 {
		mask(token, len(s), s[token:])
	} else {
		p.scanInline(s, 0, mask)
	}
	if b.Len() == 0 {
		return s, masked
	}
	b.WriteString(s[done:])
	return b.String(), masked
}

// tokenPrefixes begin tokens of well-known forms, and are not secret.
var tokenPrefixes = []string{
	"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xapp-", // Slack
	"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", // GitHub, GitLab
	"sk-", "sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_", // OpenAI, Anthropic, Stripe
	"hf_", "AIza", // Hugging Face, Google
}

// knownToken returns the length of the public part of s, if s is, whole,
// a token of a well-known form or such a token redacted (its secret part
// Mask), or -1. The forms: a prefix of tokenPrefixes and 20 or more
// token characters (letters, digits, "_" and "-"); a Telegram bot token,
// "123456:" and 30 or more; a JWT, "eyJ...", and a Discord bot token,
// three parts joined by "." whose first is public.
func knownToken(s string) int {
	if len(s) < 24 && !strings.HasSuffix(s, Mask) {
		return -1 // shorter than any token, and not a redacted one
	}
	secret := func(n, least int) int { // s[n:] is the secret part of a token
		if s[n:] == Mask || len(s)-n >= least && isTokenText(s[n:]) {
			return n
		}
		return -1
	}
	for _, prefix := range tokenPrefixes {
		if strings.HasPrefix(s, prefix) {
			return secret(len(prefix), 20)
		}
	}
	digits := 0
	for digits < len(s) && '0' <= s[digits] && s[digits] <= '9' {
		digits++
	}
	if 5 <= digits && digits <= 12 && digits < len(s) && s[digits] == ':' {
		return secret(digits+1, 30)
	}
	first, rest, ok := strings.Cut(s, ".")
	if !ok || !isTokenText(first) {
		return -1
	}
	if rest != Mask {
		second, third, ok := strings.Cut(rest, ".")
		jwt := strings.HasPrefix(first, "eyJ") && len(first) >= 10 && len(second) >= 10
		discord := len(first) >= 23 && len(second) >= 6 && len(second) <= 7 && len(third) >= 27
		if !ok || !(jwt || discord) || !isTokenText(second) || !isTokenText(third) && third != "" {
			return -1
		}
	} else if !(strings.HasPrefix(first, "eyJ") && len(first) >= 10 || len(first) >= 23) {
		return -1
	}
	return len(first) + 1
}

// isTokenText reports whether s is made of letters, digits, "_" and "-".
func isTokenText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// hasInlineByte reports whether s has a byte that may begin a secret
// inside a string: "?", "=", ":", "/", "-" or a space.
func hasInlineByte(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '?', '=', ':', '/', '-', ' ':
			return true
		}
	}
	return false
}

// indexSpace returns the index of the first white space in s, or -1.
func indexSpace(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < utf8.RuneSelf {
			if isSpace(c) {
				return i
			}
		} else if r, n := utf8.DecodeRuneInString(s[i:]); unicode.IsSpace(r) {
			return i
		} else {
			i += n - 1
		}
	}
	return -1
}

// maxEscapes is how many times over a parameter value may be escaped and
// still have its secrets found: twice covers a redirect inside a
// redirect.
const maxEscapes = 2

// pemBegin begins the first line of a PEM block.
const pemBegin = "-----BEGIN "

// scanInline calls mask, from left to right, with the place in s of each
// secret written inside s and with the secret as read (unescaped, for a
// URL escaped into a parameter value, escapes deep). The places never
// overlap, and a secret is always read from the same place of a string
// in which the secrets before it were replaced by Mask, so that a
// redacted string shows its masks where its secrets were.
func (p *Policy) scanInline(s string, escapes int, mask func(start, end int, v string)) {
	params := false // a "?" was seen: "&", ";", "?" and "#" begin parameters
	inURL := false  // an authority was seen: so do "#" and ";"
	from := 0       // s[from:] is not yet taken by a secret or a host
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '/' && i+1 < len(s) && s[i+1] == '/':
			a := i + 2
			at := userInfoEnd(s, a, hasScheme(s[:i]))
			if at < 0 {
				inURL = inURL || a < len(s) && s[a] != '/' && !isSpace(s[a])
				i = authorityEnd(s, a)
			} else {
				// The password, or the whole user information if it has
				// no password: a token is often sent as the user name.
				user := s[a:at]
				if colon := strings.IndexByte(user, ':'); colon >= 0 {
					mask(a+colon+1, at, user[colon+1:])
				} else {
					mask(a, at, user)
				}
				inURL = true
				i = authorityEnd(s, at+1)
			}
			if start, end, ok := pathToken(s, i); ok {
				mask(start, end, s[start:end])
				i = end
			}
			from = i
		case c == '?' || params && c == '&' || (params || inURL) && (c == '#' || c == ';'):
			params = true
			i = p.scanParam(s, i+1, escapes, mask)
			from = i
		case c == '=' || c == ':':
			if end := telegramToken(s, from, i); end > 0 {
				mask(i+1, end, s[i+1:end])
				i, from = end, end
				break
			}
			start, end, ok := p.assignment(s, from, i)
			if !ok {
				start, end, ok = userPassword(s, from, i)
			}
			if !ok {
				i++
				break
			}
			mask(start, end, s[start:end])
			i, from = end, end
		case (c == 'B' || c == 'b') && (i == 0 || !isNameByte(s[i-1])):
			start, end, ok := authCredentials(s, i)
			if !ok {
				i++
				break
			}
			mask(start, end, s[start:end])
			i, from = end, end
		case c == '-' && strings.HasPrefix(s[i:], pemBegin):
			start, end, ok := pemPrivateKey(s, i)
			if !ok {
				i += len(pemBegin)
				break
			}
			mask(start, end, s[start:end])
			i, from = end, end
		default:
			i++
		}
	}
}

// userPassword reads the ":" at s[i] as the one between a user name and a
// password written without a scheme, "user:password@host" (a proxy,
// "user:pass@proxy:3128", or Go's MySQL DSN,
// "user:pass@tcp(localhost:3306)/db"), and returns where the password is:
// the name begins a word, the password runs to the last "@" before
// white space, and a host or "tcp(", "tcp6(", "udp(" or "unix(" follows
// it. Addresses after "mailto:", "sip:" and the like are not passwords.
func userPassword(s string, from, i int) (start, end int, ok bool) {
	if s[i] != ':' {
		return 0, 0, false
	}
	j := i
	for j > from && isNameByte(s[j-1]) {
		j--
	}
	if j == i || j > 0 && strings.IndexByte("@#/:!+", s[j-1]) >= 0 {
		return 0, 0, false
	}
	switch strings.ToLower(s[j:i]) {
	case "mailto", "sip", "sips", "tel", "xmpp", "im", "pres", "matrix":
		return 0, 0, false
	}
	word := s[i+1:]
	if n := indexSpace(word); n >= 0 {
		word = word[:n]
	}
	at := strings.LastIndexByte(word, '@')
	if at <= 0 || strings.Contains(word[:at], "//") {
		return 0, 0, false // a URL's, read as such
	}
	host := word[at+1:]
	for _, proto := range []string{"tcp(", "tcp6(", "udp(", "unix("} {
		if strings.HasPrefix(host, proto) {
			return i + 1, i + 1 + at, true
		}
	}
	return i + 1, i + 1 + at, looksLikeHost(host)
}

// authCredentials reads s[i:] as an HTTP authorization scheme and its
// credentials, "Bearer <token>" or "Basic <base64 of user:password>"
// (the first letter in either case), and returns where the credentials
// are.
func authCredentials(s string, i int) (start, end int, ok bool) {
	var basic bool
	switch {
	case strings.HasPrefix(s[i+1:], "earer "):
		start = i + 7
	case strings.HasPrefix(s[i+1:], "asic "):
		start, basic = i+6, true
	default:
		return 0, 0, false
	}
	for start < len(s) && s[start] == ' ' {
		start++
	}
	end = start
	for end < len(s) && !isSpace(s[end]) && strings.IndexByte("\"'<>,;", s[end]) < 0 {
		end++
	}
	cred := s[start:end]
	if cred == "" {
		return 0, 0, false
	}
	if basic && cred != Mask {
		b, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(cred)
		}
		if err != nil || bytes.IndexByte(b, ':') < 0 {
			return 0, 0, false
		}
	}
	return start, end, true
}

// telegramToken returns the end of the secret part of a Telegram bot
// token whose ":" is s[i], or 0: 5 to 12 digits before it, alone or after
// "bot" as in the Bot API's paths ("/bot123456:AAH.../getMe"), and 30 or
// more token characters after it, or Mask.
func telegramToken(s string, from, i int) int {
	if s[i] != ':' {
		return 0
	}
	j := i
	for j > from && i-j <= 12 && '0' <= s[j-1] && s[j-1] <= '9' {
		j--
	}
	if i-j < 5 || i-j > 12 {
		return 0
	}
	if j-from >= 3 && strings.EqualFold(s[j-3:j], "bot") {
		j -= 3
	}
	if j > from && (isTokenText(s[j-1:j]) || s[j-1] == '.') {
		return 0 // part of a longer word
	}
	end := i + 1
	for end < len(s) && isTokenText(s[end:end+1]) {
		end++
	}
	if end-(i+1) >= 30 {
		return end
	}
	if strings.HasPrefix(s[i+1:], Mask) && (i+1+len(Mask) == len(s) || !isTokenText(s[i+1+len(Mask):i+2+len(Mask)])) {
		return i + 1 + len(Mask)
	}
	return 0
}

// pathToken returns where the secret of a webhook URL is when s[i:] is
// the path that follows its host: the token after the id in Discord's
// "/api/webhooks/<id>/<token>", or the last part of the path of Slack's
// "hooks.slack.com/services/T.../B.../<secret>" (and "/triggers/...").
func pathToken(s string, i int) (start, end int, ok bool) {
	if i >= len(s) || s[i] != '/' {
		return 0, 0, false
	}
	h := i
	for h > 0 && (isHostByte(s[h-1]) || s[h-1] == ':') {
		h--
	}
	host := strings.ToLower(strings.TrimRight(s[h:i], ":0123456789"))
	path := s[i:]
	if n := strings.IndexFunc(path, func(r rune) bool { return r == '?' || r == '#' || unicode.IsSpace(r) }); n >= 0 {
		path = path[:n]
	}
	switch {
	case host == "discord.com" || host == "discordapp.com" ||
		strings.HasSuffix(host, ".discord.com") || strings.HasSuffix(host, ".discordapp.com"):
		w := strings.Index(path, "/webhooks/")
		if w < 0 {
			return 0, 0, false
		}
		rest := path[w+len("/webhooks/"):]
		slash := strings.IndexByte(rest, '/')
		if slash < 0 {
			return 0, 0, false
		}
		start = i + w + len("/webhooks/") + slash + 1
	case host == "hooks.slack.com":
		if strings.Count(path, "/") < 4 {
			return 0, 0, false
		}
		start = i + strings.LastIndexByte(path, '/') + 1
	default:
		return 0, 0, false
	}
	end = start
	for end < i+len(path) && s[end] != '/' {
		end++
	}
	return start, end, end > start
}

// assignment reads the "=" or ":" at s[i] as the end of the name of a
// secret, such as "BOT_TOKEN=...", "--api-key=...", "Password=...;",
// "Authorization: ...", "botToken: ..." or "\"token\": \"...\"", and
// returns where its value is in s. The name is the run of letters,
// digits, "_", "-" and "." before it (within s[from:], in quotes or not,
// white space allowed before the "=" or ":"), sensitive under p; before
// a ":", a name not in quotes must begin its line. A quoted
// value runs to its closing quote; a value after "=" runs to the end of
// the line, a ";" or "&", or white space followed by another name and
// "="; a value after ":" runs to the end of the line.
func (p *Policy) assignment(s string, from, i int) (start, end int, ok bool) {
	if s[i] == ':' && strings.HasPrefix(s[i+1:], "//") {
		return 0, 0, false // a URL's scheme
	}
	j := i
	for j > from && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	quote := byte(0)
	if j > from && (s[j-1] == '"' || s[j-1] == '\'') {
		quote = s[j-1]
		j--
	}
	nameEnd := j
	for j > from && nameEnd-j <= 64 && isNameByte(s[j-1]) {
		j--
	}
	if j == nameEnd || nameEnd-j > 64 || quote != 0 && (j == from || s[j-1] != quote) {
		return 0, 0, false
	}
	if s[i] == ':' && quote == 0 && !atLineStart(s, j) {
		// Prose ("Never say the password: it is ..."), which a prompt or
		// a template holds, not a header or a YAML line: masking it would
		// hide the text and refuse every edit of it that keeps the mask.
		return 0, 0, false
	}
	if !p.IsSensitive(s[j:nameEnd]) {
		return 0, 0, false
	}

	start = i + 1
	for start < len(s) && (s[start] == ' ' || s[start] == '\t') {
		start++
	}
	if start < len(s) && (s[start] == '"' || s[start] == '\'') {
		q := s[start]
		start++
		for end = start; end < len(s) && s[end] != q && s[end] != '\n'; end++ {
			if s[end] == '\\' && q == '"' && end+1 < len(s) {
				end++ // an escaped character, the quote among them
			}
		}
		return start, min(end, len(s)), true
	}
	for end = start; end < len(s); end++ {
		switch s[end] {
		case '\n', '\r':
			return start, end, true
		case ';', '&':
			if s[i] == '=' {
				return start, end, true
			}
		case ' ', '\t':
			if s[i] == '=' && assignmentAhead(s[end:]) {
				return start, end, true
			}
		}
	}
	return start, end, true
}

// atLineStart reports whether only blanks are between the start of the
// line and s[j].
func atLineStart(s string, j int) bool {
	for j > 0 && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	return j == 0 || s[j-1] == '\n'
}

// assignmentAhead reports whether s is white space, then a name, then
// "=" (white space allowed before it).
func assignmentAhead(s string) bool {
	s = strings.TrimLeft(s, " \t")
	n := 0
	for n < len(s) && n <= 64 && isNameByte(s[n]) {
		n++
	}
	return n > 0 && n <= 64 && strings.HasPrefix(strings.TrimLeft(s[n:], " \t"), "=")
}

func isNameByte(c byte) bool {
	return 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'
}

// pemPrivateKey reads the PEM block that begins at s[i:], and returns
// where its body is if it holds a private key ("-----BEGIN PRIVATE
// KEY-----", "... RSA PRIVATE KEY-----", "... OPENSSH PRIVATE KEY-----",
// "... PGP PRIVATE KEY BLOCK-----"): from its first line to its "-----END"
// or to the end of s, white space around it left out.
func pemPrivateKey(s string, i int) (start, end int, ok bool) {
	label := s[i+len(pemBegin):]
	n := strings.Index(label, "-----")
	if n < 0 || !strings.Contains(label[:n], "PRIVATE KEY") || strings.ContainsAny(label[:n], "\r\n") {
		return 0, 0, false
	}
	start = i + len(pemBegin) + n + len("-----")
	end = len(s)
	if e := strings.Index(s[start:], "-----END"); e >= 0 {
		end = start + e
	}
	for start < end && isSpace(s[start]) {
		start++
	}
	for end > start && isSpace(s[end-1]) {
		end--
	}
	return start, end, true
}

// scanParam reads the URL parameter that starts at s[start:], masks its
// value if its name is secret or the credentials of a URL escaped in it,
// and returns where scanURLs goes on reading.
func (p *Policy) scanParam(s string, start, escapes int, mask func(start, end int, v string)) int {
	eq := start
	for eq < len(s) && s[eq] != '=' && !isParamSep(s[eq]) {
		eq++
	}
	if eq == len(s) || s[eq] != '=' {
		return start // no parameter: read on for a URL
	}
	end := valueEnd(s, eq+1)
	if p.secretParam(s[start:eq]) {
		mask(eq+1, end, s[eq+1:end])
		return end
	}
	if escapes < maxEscapes && hasEscape(s[eq+1:end]) {
		// A URL in a query value is escaped ("next=https%3A%2F%2Fu%3Apw%40h"):
		// its credentials, and any other secret, are read in the
		// unescaped value and masked in the escaped one.
		v, at := unescapeWithOffsets(s[eq+1 : end])
		p.scanInline(v, escapes+1, func(i, j int, cred string) {
			mask(eq+1+at[i], eq+1+at[j], cred)
		})
		return end
	}
	return eq + 1 // the value may hold a URL of its own
}

// authorityEnd returns where the authority of a URL that goes on at s[i:]
// ends: at the first "/", "?", "#" or white space. Nothing in it but
// the user information is secret, and no other rule reads it, so that
// masks elsewhere never change where it ends.
func authorityEnd(s string, i int) int {
	end := len(s)
	if n := strings.IndexAny(s[i:], "/?#"); n >= 0 {
		end = i + n
	}
	if n := indexSpace(s[i:end]); n >= 0 {
		end = i + n
	}
	return end
}

// valueEnd returns where the value of a URL parameter that starts at
// s[i:] ends: at the next "&", or at the next ";", "?" or "#" that begins
// another parameter ("name="). A secret that holds a raw ";", "?" or "#"
// is so masked whole, and a fragment after a secret value is masked with
// it.
func valueEnd(s string, i int) int {
	for ; i < len(s); i++ {
		switch s[i] {
		case '&':
			return i
		case ';', '?', '#':
			if paramAhead(s[i+1:]) {
				return i
			}
		}
	}
	return len(s)
}

// paramAhead reports whether s begins with a parameter name and "=".
func paramAhead(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '=':
			return i > 0
		case isParamSep(c) || isSpace(c):
			return false
		}
	}
	return false
}

func isParamSep(c byte) bool { return c == '&' || c == ';' || c == '?' || c == '#' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// hasEscape reports whether v has a %XX escape. Such a value is read
// unescaped, which costs allocations, whatever it holds: reading it so
// only when its unescaped form looks like a URL would stop reading it
// once a mask took away what made it look so.
func hasEscape(v string) bool {
	for i := 0; i+2 < len(v); i++ {
		if v[i] == '%' && isHex(v[i+1]) && isHex(v[i+2]) {
			return true
		}
	}
	return false
}

// unescapeWithOffsets returns s with its %XX escapes decoded, and for each
// byte of the result the offset in s where it was written, followed by
// len(s). Anything else, "+" included, is kept as it is.
func unescapeWithOffsets(s string) (string, []int) {
	out := make([]byte, 0, len(s))
	at := make([]int, 0, len(s)+1)
	for i := 0; i < len(s); {
		at = append(at, i)
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 3
			continue
		}
		out = append(out, s[i])
		i++
	}
	return string(out), append(at, len(s))
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f'
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

// userInfoEnd returns the index of the "@" that ends the user information
// of the URL whose authority starts at s[a:], just past "//", or -1 if it
// has none. scheme tells whether "//" follows a scheme; without one, "//"
// may begin prose ("// see bob@example.com").
//
// The authority runs to the first "/", "?", "#" or white space, and its
// user information to the last "@" in it. A password may hold a raw "/",
// "?", "#" or space, which ends the authority early ("https://u:p/ss@h/"):
// when the authority has a ":" and no "@", the user information runs to
// the last "@" before the next "//" (and white space, without a scheme)
// if a host follows it. Such a string is no valid URL, but its secret is one all
// the same; the price is that a port followed by an "@" further on
// ("https://h:8443/users/a@b.example") masks what lies between. The
// last "@" is the one taken, as in the authority, so that a redacted
// string reads the same.
func userInfoEnd(s string, a int, scheme bool) int {
	auth := s[a:]
	if i := strings.IndexAny(auth, "/?#"); i >= 0 {
		auth = auth[:i]
	}
	if i := indexSpace(auth); i >= 0 {
		auth = auth[:i]
	}
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		return a + at
	}
	if strings.IndexByte(auth, ':') < 0 {
		return -1
	}
	rest := s[a:]
	if i := strings.Index(rest, "//"); i >= 0 {
		rest = rest[:i]
	}
	if !scheme {
		if i := indexSpace(rest); i >= 0 {
			rest = rest[:i]
		}
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 && looksLikeHost(rest[at+1:]) {
		return a + at
	}
	return -1
}

// looksLikeHost reports whether s begins with a host, with or without a
// port, that ends s or is followed by neither ":" nor "@".
func looksLikeHost(s string) bool {
	n := hostLen(s)
	return n > 0 && (n == len(s) || s[n] != ':' && s[n] != '@')
}

// hostLen returns the length of the host, with its port if it has one,
// that begins s, or 0.
func hostLen(s string) int {
	n := 0
	if strings.HasPrefix(s, "[") { // an IPv6 address
		n = strings.IndexByte(s, ']') + 1
	} else {
		for n < len(s) && isHostByte(s[n]) {
			n++
		}
	}
	if n > 0 && n < len(s) && s[n] == ':' {
		for n++; n < len(s) && '0' <= s[n] && s[n] <= '9'; n++ {
		}
	}
	return n
}

func isHostByte(c byte) bool {
	return 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || c == '%' || c >= utf8.RuneSelf
}

// hasScheme reports whether s ends with a URL scheme and ":": a letter,
// then letters, digits, "+", "-" and ".".
func hasScheme(s string) bool {
	if !strings.HasSuffix(s, ":") {
		return false
	}
	i := len(s) - 1
	start := i
	for start > 0 && isSchemeByte(s[start-1]) {
		start--
	}
	for start < i && !('a' <= s[start]|0x20 && s[start]|0x20 <= 'z') {
		start++ // a scheme starts with a letter
	}
	return start < i
}

func isSchemeByte(c byte) bool {
	return 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

// secretParam reports whether the value of the URL parameter name, as
// written in a URL, is a secret.
func (p *Policy) secretParam(name string) bool {
	if strings.IndexByte(name, ' ') >= 0 {
		return false // prose with a "?", not a URL
	}
	if strings.ContainsAny(name, "%+") {
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
	}
	var buf [64]byte
	f := fold(name, buf[:0])
	return string(f) == "sig" || bytes.HasSuffix(f, []byte("signature")) || p.sensitiveFolded(f)
}

// Restore returns a copy of cfg, a config a client sent back after reading
// it redacted, in which the masks that [Policy.Redact] writes are replaced
// by the stored values they stand for. stored is the config as stored;
// Restore never takes a value from it except as follows.
//
// Under a sensitive key, a string made only of [Mask] parts ("****",
// "****:****", ...) or "[REDACTED]" means "keep the value stored at this
// place". Under any key, a string whose URL credentials hold a Mask (see
// [Policy.Redact]) means "keep the stored string" if it equals the
// redacted form of the string stored at this place; a URL with a new
// credential and another one masked does not. Other values, and masks
// under keys that are not sensitive, are kept as sent.
//
// The place of a value is its path of object keys, with one rule for
// arrays, so that a mask never takes the secret of another element: an
// element of a sent array is the stored element
//   - at the same index, if both arrays have the same length and the
//     element's non-secret content is unchanged (its values outside
//     sensitive keys, with a redacted URL equal to the stored one); this
//     is the only rule for an array under a sensitive key, such as
//     apiKeys: ["****", "****"];
//   - otherwise, for an object outside sensitive keys, the one stored
//     object with the same identity. An object's identity is the value of
//     the first of these fields (folded like keys) that it has, is not
//     sensitive and holds a non-empty string or an integer: "id", "name",
//     "accountId", "account", "username", "phone", "phoneNumber",
//     "email", "channelId", "guildId", "botId", "clientId", "appId",
//     "userId", "uid". An identity that is not exactly once in each array
//     is ambiguous and matches nothing.
//
// Any other element has no stored counterpart: after a reorder, an insert
// or a removal, an object without an identity field keeps no secret. The
// element after a command-line flag that names a secret ("--api-key",
// see [Policy.Redact]) is the stored one only if both arrays have the
// same length and the stored element before it is the same flag.
//
// A key shown redacted (see [Policy.Redact]) stands for the stored key it
// is shown for, in the stored object at the same place; its value is
// restored against that key's. A key with a mask in it that stands for
// no stored key is refused as a mask with nothing to keep.
//
// If a mask has no stored value to keep, Restore returns an error wrapping
// [ErrInvalidConfig] that names its path, such as
// "config.accounts[0].botToken: redaction mask with no stored secret to
// keep" (of several, the first in key and index order; a key that holds a
// secret is shown there as Redact shows it), so that a mask is
// never saved as a secret nor a secret moved to another element. Neither
// cfg nor stored is changed, and the result shares nothing with them.
func Restore(cfg, stored Config) (Config, error) {
	return (*Policy)(nil).Restore(cfg, stored)
}

// Restore is [Restore] with p's rules for which keys are sensitive.
func (p *Policy) Restore(cfg, stored Config) (Config, error) {
	v, perr := p.restore(cfg, stored, true, false)
	if perr != nil {
		return nil, perr.errorAt("config")
	}
	out, _ := v.(map[string]any)
	return out, nil
}

const noStoredSecret = "redaction mask with no stored secret to keep"

// restore walks v (sent) beside old (stored at the same place, if has).
func (p *Policy) restore(v, old any, has, secret bool) (any, *pathError) {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return nil, nil
		}
		oldMap, _ := old.(map[string]any)
		storedKey := p.storedKeys(oldMap)
		out := make(map[string]any, len(v))
		// Of several problems, the one under the first key is reported,
		// so that the error does not depend on the order of the map.
		var first *pathError
		var firstKey string
		for k, e := range v {
			// A key shown redacted stands for its stored key; a key
			// with a mask in it that stands for none is refused.
			key := k
			o, ok := oldMap[k]
			if sk, found := storedKey[k]; found {
				key, o, ok = sk, oldMap[sk], true
			}
			var err *pathError
			if _, masked := p.maskInline(k, nil); masked && !ok {
				err = problem(noStoredSecret)
			}
			var r any
			if err == nil {
				r, err = p.restore(e, o, ok, secret || p.IsSensitive(key))
			}
			if err != nil {
				if first == nil || k < firstKey {
					first, firstKey = err, k
				}
				continue
			}
			out[key] = r
		}
		if first != nil {
			// The path is shown to the client and may be logged: a key
			// that is a secret is shown redacted.
			shownKey, _ := p.maskInline(firstKey, nil)
			return nil, first.at("." + shownKey)
		}
		return out, nil
	case []any:
		oldArr, _ := old.([]any)
		m := elementMatcher{p: p, sent: v, stored: oldArr, secret: secret}
		out := make([]any, len(v))
		for i, e := range v {
			o, ok := m.match(i)
			r, err := p.restore(e, o, ok, secret || p.flagValue(v, i))
			if err != nil {
				return nil, err.atIndex(i)
			}
			out[i] = r
		}
		return out, nil
	case string:
		if secret && isMask(v) {
			if !has {
				return nil, problem(noStoredSecret)
			}
			return cloneValue(old), nil
		}
		if _, masked := p.maskInline(v, nil); masked {
			if o, ok := old.(string); ok {
				if r, _ := p.maskInline(o, nil); r == v {
					return o, nil
				}
			}
			return nil, problem(noStoredSecret)
		}
		return v, nil
	default:
		return v, nil
	}
}

// isMask reports whether s is what redaction writes in place of a secret:
// Mask parts joined by ":", or "[REDACTED]".
func isMask(s string) bool {
	if s == "[REDACTED]" {
		return true
	}
	for part := range strings.SplitSeq(s, ":") {
		if part != Mask {
			return false
		}
	}
	return true
}

// identityFields are the keys that identify an object in an array, folded,
// best first. "key" is not one: it is a secret.
var identityFields = []string{
	"id", "name", "accountid", "account", "username", "phone", "phonenumber",
	"email", "channelid", "guildid", "botid", "clientid", "appid", "userid", "uid",
}

// An elementID is the value of one identity field of an object in an
// array: a string or an int64.
type elementID struct {
	field int // index in identityFields
	value any
}

// elementMatcher finds, for each element of a sent array, the stored
// element it stands for, by the rules of [Restore].
type elementMatcher struct {
	p            *Policy
	sent, stored []any
	secret       bool // the arrays are under a sensitive key

	// How often each identity occurs in sent and in stored, and where in
	// stored; built on first use.
	sentIDs, storedIDs map[elementID]idCount
}

type idCount struct{ n, last int }

// match returns the stored element that sent[i] stands for, if any.
func (m *elementMatcher) match(i int) (any, bool) {
	if !m.secret && m.p.flagValue(m.sent, i) {
		// The value of a flag that names a secret stands for the value
		// stored after the same flag, at the same place, only.
		if len(m.sent) != len(m.stored) {
			return nil, false
		}
		if flag, _ := m.stored[i-1].(string); flag != m.sent[i-1].(string) {
			return nil, false
		}
		return m.stored[i], true
	}
	if len(m.sent) == len(m.stored) && m.p.sameButSecrets(m.sent[i], m.stored[i], m.secret) {
		return m.stored[i], true
	}
	if m.secret || len(m.stored) == 0 {
		return nil, false
	}
	id, ok := m.p.identityOf(m.sent[i])
	if !ok {
		return nil, false
	}
	if m.sentIDs == nil {
		m.sentIDs = m.p.identities(m.sent)
		m.storedIDs = m.p.identities(m.stored)
	}
	s, o := m.sentIDs[id], m.storedIDs[id]
	if s.n != 1 || o.n != 1 {
		return nil, false
	}
	return m.stored[o.last], true
}

// identityOf returns the identity of e, an object with an identity field;
// of two spellings of the best field ("accountId", "account_id") the first
// in byte order counts.
func (p *Policy) identityOf(e any) (elementID, bool) {
	obj, _ := e.(map[string]any)
	best, bestKey := elementID{field: len(identityFields)}, ""
	for k, v := range obj {
		id, ok := p.fieldIdentity(k, v)
		if ok && (id.field < best.field || id.field == best.field && k < bestKey) {
			best, bestKey = id, k
		}
	}
	return best, best.field < len(identityFields)
}

// fieldIdentity returns the identity that the member k: v gives an object,
// if k is an identity field and v can identify.
func (p *Policy) fieldIdentity(k string, v any) (elementID, bool) {
	if len(k) > 32 { // longer than any spelling of an identity field
		return elementID{}, false
	}
	var buf [32]byte
	f, ok := foldASCII(k, buf[:0])
	if !ok {
		return elementID{}, false
	}
	field := slices.Index(identityFields, string(f))
	if field < 0 || p.IsSensitive(k) {
		return elementID{}, false
	}
	switch v := v.(type) {
	case string:
		if v == "" {
			return elementID{}, false
		}
	case int64:
	default:
		return elementID{}, false
	}
	return elementID{field, v}, true
}

// identities counts the identities of the objects in arr.
func (p *Policy) identities(arr []any) map[elementID]idCount {
	ids := make(map[elementID]idCount)
	for i, e := range arr {
		obj, _ := e.(map[string]any)
		for k, v := range obj {
			id, ok := p.fieldIdentity(k, v)
			if !ok {
				continue
			}
			// Two spellings of one field with one value count once.
			if o := ids[id]; o.n == 0 || o.last != i {
				ids[id] = idCount{n: o.n + 1, last: i}
			}
		}
	}
	return ids
}

// sameButSecrets reports whether sent, a value a client sent back, has the
// non-secret content of stored: equal values outside sensitive keys,
// where a sent string may be the redacted form of a stored URL. Under a
// sensitive key (secret) everything is secret, so anything is the same.
func (p *Policy) sameButSecrets(sent, stored any, secret bool) bool {
	if secret {
		return true
	}
	switch s := sent.(type) {
	case map[string]any:
		o, ok := stored.(map[string]any)
		if !ok {
			return false
		}
		storedKey := p.storedKeys(o)
		n := 0
		for k, e := range s {
			if sk, ok := storedKey[k]; ok {
				k = sk
			}
			if p.IsSensitive(k) {
				continue
			}
			n++
			if oe, ok := o[k]; !ok || !p.sameButSecrets(e, oe, false) {
				return false
			}
		}
		for k := range o {
			if !p.IsSensitive(k) {
				n--
			}
		}
		return n == 0
	case []any:
		o, ok := stored.([]any)
		if !ok || len(o) != len(s) {
			return false
		}
		for i := range s {
			if !p.sameButSecrets(s[i], o[i], p.flagValue(s, i)) {
				return false
			}
		}
		return true
	case string:
		o, ok := stored.(string)
		if !ok {
			return false
		}
		if s == o {
			return true
		}
		r, _ := p.maskInline(o, nil)
		return r == s
	case int64, float64, bool:
		return sent == stored
	default:
		return false
	}
}

// RedactText returns msg with every secret of cfg in it masked by the
// default rules; see [Policy.RedactText].
func RedactText(msg string, cfg Config) string {
	return (*Policy)(nil).RedactText(msg, cfg)
}

// RedactText returns msg with every secret of cfg in it replaced by
// [Mask], for messages that may quote a config, such as the error of a
// connector that failed to start ("401 for https://api.telegram.org/bot
// 123:AAE.../getMe"). The secrets are the parts of cfg that [Policy.Redact]
// masks: the ":"-separated parts of strings under sensitive keys, numbers
// under them (as fmt prints them and as JSON and plain decimals write
// them), and the secrets written inside other strings and keys (URL
// credentials, "name=value" text, tokens of known forms, the values
// after flags), each whole and in its parts, as written
// and escaped (Go quoting, JSON, URL escaping; for a secret beyond ASCII
// also Go's %+q and ASCII-only JSON, "\u00e4") or unescaped; and any
// piece of 8 bytes or more of one of those, as a message that cuts a
// secret short quotes it. Parts shorter than 4 bytes are left, as they would mask
// ordinary words and are no secret on their own.
//
// Of a URL under a sensitive key, the user information and all that
// follows the host are secret; the scheme and the host, with its port,
// are not, as messages name them for other reasons (every error of a
// webhook's service names its host). So
// "https://user:pass@discord.com:8443/api/x" quoted whole reads
// "https://****@discord.com:8443****". A URL that has nothing else to
// keep secret ("https://tunnel-id.example/") is secret whole, host too.
//
// The result is valid UTF-8 if msg is: a masked run of bytes is widened
// to whole characters.
func (p *Policy) RedactText(msg string, cfg Config) string {
	// The walk of redactValue, collecting what it would mask.
	var secrets []string
	add := func(s string) { secrets = append(secrets, s) }
	var walk func(v any, secret bool)
	walk = func(v any, secret bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				p.maskInline(k, add)
				walk(e, secret || p.IsSensitive(k))
			}
		case []any:
			for i, e := range x {
				walk(e, secret || p.flagValue(x, i))
			}
		case string:
			// A URL's credentials are secrets under any key; under a
			// sensitive key, so is the rest of the string but a URL's
			// scheme and host.
			p.maskInline(x, add)
			if !secret || x == "" || isEnvRef(x) {
				return
			}
			for _, s := range secretSpans(x) {
				add(s)
				for part := range strings.SplitSeq(s, ":") {
					add(part)
				}
			}
		case int64, float64:
			if secret {
				secrets = append(secrets, numberForms(x)...)
			}
		case bool, nil:
		default:
			// Outside the value model: Redact converts what it can
			// (int, uint8), and so does the walk; it hides the rest
			// ([]string, map[string]string) whole, and all of it is
			// taken for secret.
			if n, err := normalize(x, 1, false); err == nil {
				walk(n, secret)
			} else {
				for _, s := range leaves(reflect.ValueOf(x)) {
					walk(s, true)
				}
			}
		}
	}
	walk(map[string]any(cfg), false)
	// Each secret also as a message may quote it: escaped for Go, for
	// JSON (which escapes <, > and & too), and for a URL, or unescaped,
	// as a query value ("+" is a space) or as a password or path ("+"
	// is a plus). A secret with other than ASCII also as Go's %+q and
	// ASCII-only JSON (Python's default) write it: "\u00e4".
	for _, s := range secrets {
		q := strconv.Quote(s)
		j, _ := json.Marshal(s)
		secrets = append(secrets, q[1:len(q)-1], string(j[1:len(j)-1]), url.QueryEscape(s), url.PathEscape(s))
		if !isASCII(s) {
			q := strconv.QuoteToASCII(s)
			secrets = append(secrets, q[1:len(q)-1], asciiJSON(string(j[1:len(j)-1])))
		}
		if u, err := url.QueryUnescape(s); err == nil {
			secrets = append(secrets, u)
		}
		if u, err := url.PathUnescape(s); err == nil {
			secrets = append(secrets, u)
		}
		if len(s) >= 4 {
			secrets = append(secrets, base64Forms(s)...)
		}
	}
	return maskSecrets(msg, secrets)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiJSON returns j, JSON text, with every character beyond ASCII
// written as JSON escapes: "\u00e4", and a surrogate pair beyond the Basic
// Multilingual Plane.
func asciiJSON(j string) string {
	var b strings.Builder
	for _, r := range j {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			fmt.Fprintf(&b, "\\u%04x\\u%04x", r1, r2)
		} else {
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

// base64Forms returns the parts of s's base64 encodings, in the standard
// and the URL alphabet, that do not depend on the bytes around s, at each
// of the three alignments s can have in a longer encoded string: HTTP
// basic authentication sends "user:password" so (Twilio's auth token, a
// URL's password), and a dumped request or header shows it.
func base64Forms(s string) []string {
	var forms []string
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for lead := range 3 {
			e := enc.EncodeToString(append(make([]byte, lead), s...))
			// A character holds 6 bits: those from the lead's bits or
			// past s's end are not s's alone.
			forms = append(forms, e[(8*lead+5)/6:8*(lead+len(s))/6])
		}
	}
	return forms
}

// secretSpans returns the secret parts of s, a string under a sensitive
// key: s itself or, for a URL, its user information and all that follows
// its host ("user:pass" and "/api/x" of
// "https://user:pass@discord.com:8443/api/x"), or s whole where those
// are too short to mask and the host is all the URL has to keep secret.
// Of the URL the spans are cut from s as written, so that its escapes are
// kept.
func secretSpans(s string) []string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return []string{s}
	}
	// The authority runs to the first "/", "?" or "#" after the scheme;
	// its user information, to the last "@" in it, as url.Parse has it.
	_, auth, _ := strings.Cut(s, "://")
	rest := ""
	if i := strings.IndexAny(auth, "/?#"); i >= 0 {
		auth, rest = auth[:i], auth[i:]
	}
	user := ""
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		user = auth[:at]
	}
	if len(user)+len(rest) < 4 {
		// Nothing but the host to keep secret ("https://tunnel-id.example/"):
		// the host is the secret.
		return []string{s}
	}
	return []string{user, rest}
}

// pieceBytes is the length of the shortest piece of a secret that
// RedactText masks wherever it stands in a message.
const pieceBytes = 8

// maskSecrets returns msg with every run of bytes covered by a secret of
// 4 bytes or more, or by a piece of pieceBytes of one, replaced by one
// [Mask]. The pieces are what is left of a secret that a message quotes
// cut short ("token 123:AAHdqTcv... was rejected") or joined to other
// text; a secret of pieceBytes or more is covered by its own pieces. A
// run is widened to whole UTF-8 characters before it is replaced, as a
// secret's unescaped form need not be UTF-8: "%C3" is the first byte of
// "é".
func maskSecrets(msg string, secrets []string) string {
	covered := make([]bool, len(msg))
	cover := func(i, n int) {
		for k := i; k < i+n; k++ {
			covered[k] = true
		}
	}
	pieces := make(map[string]bool)
	for _, s := range secrets {
		switch {
		case len(s) < 4:
			// It would mask ordinary words, and is no secret alone.
		case len(s) < pieceBytes:
			for at := 0; ; at++ {
				i := strings.Index(msg[at:], s)
				if i < 0 {
					break
				}
				at += i
				cover(at, len(s))
			}
		default:
			for i := 0; i+pieceBytes <= len(s); i++ {
				pieces[s[i:i+pieceBytes]] = true
			}
		}
	}
	for i := 0; i+pieceBytes <= len(msg); i++ {
		if pieces[msg[i:i+pieceBytes]] {
			cover(i, pieceBytes)
		}
	}
	if !slices.Contains(covered, true) {
		return msg
	}
	// A character is masked whole if any of its bytes is.
	for i := 0; i < len(msg); {
		_, n := utf8.DecodeRuneInString(msg[i:])
		if slices.Contains(covered[i:i+n], true) {
			cover(i, n)
		}
		i += n
	}
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		switch {
		case !covered[i]:
			b.WriteByte(msg[i])
		case i == 0 || !covered[i-1]:
			b.WriteString(Mask)
		}
	}
	return b.String()
}

// leaves returns the strings and numbers in v, at any depth.
func leaves(v reflect.Value) []string {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if !v.IsNil() {
			return leaves(v.Elem())
		}
	case reflect.Slice, reflect.Array:
		var out []string
		for i := range v.Len() {
			out = append(out, leaves(v.Index(i))...)
		}
		return out
	case reflect.Map:
		var out []string
		for it := v.MapRange(); it.Next(); {
			out = append(out, leaves(it.Value())...)
		}
		return out
	case reflect.Struct:
		var out []string
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out = append(out, leaves(v.Field(i))...)
			}
		}
		return out
	case reflect.String:
		return []string{v.String()}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return numberForms(v.Interface())
	}
	return nil
}

// numberForms returns n, a number, as fmt prints it (1.23456789e+07) and
// as JSON writes it (12345678.9), and a float also in plain decimals
// (0.00000015, which JSON writes 1.5e-7).
func numberForms(n any) []string {
	j, _ := json.Marshal(n) // fails only for NaN and infinities
	forms := []string{fmt.Sprint(n), string(j)}
	switch f := n.(type) {
	case float64:
		forms = append(forms, strconv.FormatFloat(f, 'f', -1, 64))
	case float32:
		forms = append(forms, strconv.FormatFloat(float64(f), 'f', -1, 32))
	}
	return forms
}
