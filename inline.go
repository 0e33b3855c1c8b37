// This file finds the secrets written inside strings under any key: the
// credentials of URLs, "name=value" text, authorization headers, PEM
// private keys and tokens of well-known forms.

package connectors

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

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
		case v == "" || isEnvRef(v) || isShellRef(v) || isTemplateRef(v):
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
	p.scanInline(s, 0, mask)
	if b.Len() == 0 {
		return s, masked
	}
	b.WriteString(s[done:])
	return b.String(), masked
}

// isShellRef reports whether s is exactly "$NAME" with NAME in capitals,
// digits and "_" (not first a digit), as in a command line or an
// environment file: a reference to a secret, not a secret.
func isShellRef(s string) bool {
	if len(s) < 2 || s[0] != '$' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 1:
		default:
			return false
		}
	}
	return true
}

// isTemplateRef reports whether s is exactly one template placeholder,
// "{{name}}" or "{{ env.API_KEY }}": a reference to a secret that a
// template fills in, not a secret.
func isTemplateRef(s string) bool {
	if len(s) < 5 || !strings.HasPrefix(s, "{{") || !strings.HasSuffix(s, "}}") {
		return false
	}
	inner := strings.TrimSpace(s[2 : len(s)-2])
	if inner == "" {
		return false
	}
	for i := 0; i < len(inner); i++ {
		if !isNameByte(inner[i]) {
			return false
		}
	}
	return true
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
// token characters (letters, digits, "_" and "-"); a JWT, "eyJ...", and a
// Discord bot token, three parts joined by "." whose first is public. (A
// Telegram bot token, "123456:" and 30 or more, is found at its ":": see
// telegramToken.)
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
		if !isTokenByte(s[i]) {
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
		case '?', '=', ':', '/', '-', ' ', '\t':
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
			authEnd := authorityEnd(s, a)
			at := userInfoEnd(s, a, authEnd, hasScheme(s[:i]))
			host := a
			if at < 0 {
				inURL = inURL || a < len(s) && s[a] != '/' && !isSpace(s[a])
				i = authEnd
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
				host = at + 1
				i = authorityEnd(s, host)
			}
			if start, end, ok := pathToken(s, host, i); ok {
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
		case isTokenByte(s[i]) && (i == 0 || !isWordByte(s[i-1])):
			if start, end, ok := p.flagArgument(s, i); ok {
				mask(start, end, s[start:end])
				i, from = end, end
				break
			}
			// A word that is a token of a well-known form, as in a
			// command line ("bot --token xoxb-...") or prose.
			end := i
			for end < len(s) && isWordByte(s[end]) {
				end++
			}
			for end > i && s[end-1] == '.' {
				end-- // the end of a sentence
			}
			if n := knownToken(s[i:end]); n >= 0 {
				mask(i+n, end, s[i+n:end])
				i, from = end, end
				break
			}
			i++
		default:
			i++
		}
	}
}

// flagArgument reads s[i:] as a command-line flag that names a secret
// under p and its value as the next argument, "--api-key sk-..." or
// "-password 'a b'", and returns where the value is: to its closing
// quote, or to white space. A word of up to three letters after the
// flag is prose ("pass --token to the bot"), not a value.
func (p *Policy) flagArgument(s string, i int) (start, end int, ok bool) {
	if s[i] != '-' {
		return 0, 0, false
	}
	n := i
	for n < len(s) && s[n] == '-' {
		n++
	}
	nameEnd := n
	for nameEnd < len(s) && nameEnd-n <= 64 && isNameByte(s[nameEnd]) {
		nameEnd++
	}
	if nameEnd == n || nameEnd-n > 64 || nameEnd+1 >= len(s) || s[nameEnd] != ' ' || !p.IsSensitive(s[n:nameEnd]) {
		return 0, 0, false
	}
	start = nameEnd + 1
	if q := s[start]; q == '"' || q == '\'' {
		end = strings.IndexByte(s[start+1:], q)
		if end < 0 {
			return 0, 0, false
		}
		return start + 1, start + 1 + end, true
	}
	if s[start] == '-' {
		return 0, 0, false // another flag
	}
	end = start
	for end < len(s) && !isSpace(s[end]) {
		end++
	}
	if end-start <= 3 && isWord(s[start:end]) {
		return 0, 0, false // prose about the flag: "use --token to ..."
	}
	return start, end, end > start
}

// isWordByte reports whether c may be part of a token of a well-known
// form, or of one redacted: a name byte or "*".
func isWordByte(c byte) bool { return isNameByte(c) || c == '*' }

// maxUserPassword is how far after its ":" userPassword looks for the
// "@" and the host that end a password.
const maxUserPassword = 256

// userPassword reads the ":" at s[i] as the one between a user name and a
// password written without a scheme, "user:password@host" (a proxy,
// "user:pass@proxy:3128", or Go's MySQL DSN,
// "user:pass@tcp(localhost:3306)/db"), and returns where the password is:
// the name begins a word, the password runs to the last "@" before
// white space, and a host or "tcp(", "tcp6(", "udp(" or "unix(" follows
// it. Addresses after "mailto:", "sip:" and the like, and after the mail
// search operators "from:", "to:", "cc:" and the like, are not passwords.
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
	case "mailto", "sip", "sips", "tel", "xmpp", "im", "pres", "matrix",
		// Mail search operators, as in an e-mail connector's filter
		// ("from:boss@corp.example is:unread").
		"from", "to", "cc", "bcc", "deliveredto", "list":
		return 0, 0, false
	}
	// The password and its host are short: reading no further than
	// maxUserPassword keeps a long word of "name:" pairs from costing
	// time in its square.
	word := s[i+1 : min(len(s), i+1+maxUserPassword)]
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
// (the scheme in any case, as HTTP has it, then spaces or tabs), and
// returns where the credentials are. A token that is a short word of
// letters only is prose ("the bearer of bad news").
func authCredentials(s string, i int) (start, end int, ok bool) {
	var basic bool
	switch {
	case hasPrefixFold(s[i:], "bearer"):
		start = i + len("bearer")
	case hasPrefixFold(s[i:], "basic"):
		start, basic = i+len("basic"), true
	default:
		return 0, 0, false
	}
	if start == len(s) || s[start] != ' ' && s[start] != '\t' {
		return 0, 0, false
	}
	for start < len(s) && (s[start] == ' ' || s[start] == '\t') {
		start++
	}
	end = start
	for end < len(s) && !isSpace(s[end]) && strings.IndexByte("\"'<>,;", s[end]) < 0 {
		end++
	}
	cred := s[start:end]
	if cred == "" || !basic && isWord(cred) {
		return 0, 0, false // prose: "the bearer of bad news"
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

// isWord reports whether s is a word of prose rather than a token: fewer
// than 20 letters and nothing else.
func isWord(s string) bool {
	if len(s) >= 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('a' <= s[i]|0x20 && s[i]|0x20 <= 'z') {
			return false
		}
	}
	return true
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
	if j > from && isNameByte(s[j-1]) {
		return 0 // part of a longer word
	}
	end := i + 1
	for end < len(s) && isTokenByte(s[end]) {
		end++
	}
	if end-(i+1) >= 30 {
		return end
	}
	if strings.HasPrefix(s[i+1:], Mask) && (i+1+len(Mask) == len(s) || !isTokenByte(s[i+1+len(Mask)])) {
		return i + 1 + len(Mask)
	}
	return 0
}

// maxWebhookPath is how much of the path of a Discord or Slack webhook
// URL pathToken reads.
const maxWebhookPath = 512

// pathToken returns where the secret of a webhook URL is when s[i:] is
// the path that follows its host: the token after the id in Discord's
// "/api/webhooks/<id>/<token>", the last part of the path of Slack's
// "hooks.slack.com/services/T.../B.../<secret>" (and "/triggers/..."),
// or the part after "/IncomingWebhook/" in a Microsoft Teams webhook
// ("<tenant>.webhook.office.com/webhookb2/<ids>/IncomingWebhook/<secret>/<id>",
// and the older "outlook.office.com/webhook/..."). The host, with its
// port, is s[h:i].
func pathToken(s string, h, i int) (start, end int, ok bool) {
	if i >= len(s) || s[i] != '/' {
		return 0, 0, false
	}
	// A name may end with the root's dot ("discord.com."), which leads
	// to the same server.
	host := strings.ToLower(strings.TrimSuffix(strings.TrimRight(s[h:i], ":0123456789"), "."))
	discord := host == "discord.com" || host == "discordapp.com" ||
		strings.HasSuffix(host, ".discord.com") || strings.HasSuffix(host, ".discordapp.com")
	teams := strings.HasSuffix(host, ".webhook.office.com") ||
		host == "outlook.office.com" || host == "outlook.office365.com"
	if !discord && !teams && host != "hooks.slack.com" {
		return 0, 0, false
	}
	// A webhook's path is short: reading no further than maxWebhookPath
	// keeps a long string of URLs from costing time in its square.
	path := s[i:min(len(s), i+maxWebhookPath)]
	if n := strings.IndexAny(path, "?#"); n >= 0 {
		path = path[:n]
	}
	if n := indexSpace(path); n >= 0 {
		path = path[:n]
	}
	switch {
	case discord:
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
	case teams:
		w := strings.Index(path, "/IncomingWebhook/")
		if w < 0 {
			return 0, 0, false
		}
		start = i + w + len("/IncomingWebhook/")
	default: // hooks.slack.com
		if strings.Count(path, "/") < 4 {
			return 0, 0, false
		}
		start = i + strings.LastIndexByte(path, '/') + 1
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
// "=" (or any white space, if white space that does not begin the line
// comes before the name); a value after ":" runs to the end of the line.
// A name that begins a quoted argument ("curl -H 'X-Api-Key: k'") may
// be followed by a ":" too, and its value ends at the closing quote.
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
	// A name that begins a quoted argument, as in a command line
	// ("curl -H 'X-Api-Key: k' ..."), begins a header or a line of its
	// own, and its value ends at the closing quote.
	open := byte(0)
	if quote == 0 && j > from && (s[j-1] == '"' || s[j-1] == '\'') {
		open = s[j-1]
	}
	if s[i] == ':' && quote == 0 && open == 0 && !atLineStart(s, j) {
		// Prose ("Never say the password: it is ..."), which a prompt or
		// a template holds, not a header or a YAML line: masking it would
		// hide the text and refuse every edit of it that keeps the mask.
		return 0, 0, false
	}
	if !p.IsSensitive(s[j:nameEnd]) {
		return 0, 0, false
	}
	if s[i] == ':' && quote == 0 && open == 0 && proseLabel(s[j:nameEnd], s[i+1:]) {
		return 0, 0, false
	}
	// A name after white space in a line of text is a word of prose or
	// of a command line, whose value is a word too.
	inText := quote == 0 && j > 0 && (s[j-1] == ' ' || s[j-1] == '\t') && !atLineStart(s, j)

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
	if s[i] == '=' && start < len(s) && s[start] == '{' && !strings.HasPrefix(s[start:], "{{") { // "{{" begins a template
		// An ODBC connection string quotes a value with ";" in braces,
		// "}}" a brace within: "Pwd={a;b}}c};". Only where the brace
		// closes the value; else ("={abc}def", a JSON object) the rules
		// below take it, to the end of the line at most.
		if end, ok := braceEnd(s, start); ok {
			return start + 1, end, true
		}
	}
	for end = start; end < len(s); end++ {
		if open != 0 && s[end] == open {
			return start, end, true
		}
		switch s[end] {
		case '\n', '\r':
			return start, end, true
		case ';', '&':
			if s[i] == '=' {
				return start, end, true
			}
		case ' ', '\t':
			// In a line of text ("when the user says token=X, answer
			// ..."), the value is one word; a line of its own
			// ("password = hunter 2") or a part of a connection string
			// (";Password=hunter 2;") may hold spaces.
			if s[i] == '=' && (inText || assignmentAhead(s[end:])) {
				return start, end, true
			}
		}
	}
	return start, end, true
}

// proseLabels are whole names of secrets that are also words a prompt
// begins a line with ("Code: always in fenced blocks.").
var proseLabels = []string{"Code", "Key", "Session", "Auth", "Pass", "Token", "Tokens"}

// proseLabel reports whether name, a capitalized word of proseLabels, and
// the rest of its line after the ":" read as prose: words with spaces
// between them, as no YAML secret is written.
func proseLabel(name, rest string) bool {
	if !slices.Contains(proseLabels, name) {
		return false
	}
	if n := strings.IndexAny(rest, "\r\n"); n >= 0 {
		rest = rest[:n]
	}
	return strings.ContainsAny(strings.TrimSpace(rest), " \t")
}

// atLineStart reports whether only blanks are between the start of the
// line (after "\n", or "\r" alone, as old Macs end lines) and s[j].
func atLineStart(s string, j int) bool {
	for j > 0 && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	return j == 0 || s[j-1] == '\n' || s[j-1] == '\r'
}

// braceEnd returns where the value in braces that opens at s[start]
// ends, before its closing brace ("}}" is a brace within), if that brace
// ends the value: the end of s, a ";" or "&", or white space follows it.
// An unclosed value runs to the end of its line.
func braceEnd(s string, start int) (int, bool) {
	for end := start + 1; end < len(s); end++ {
		switch {
		case s[end] == '\n' || s[end] == '\r':
			return end, true
		case s[end] != '}':
		case end+1 < len(s) && s[end+1] == '}':
			end++
		default:
			after := end + 1
			return end, after == len(s) || s[after] == ';' || s[after] == '&' || isSpace(s[after])
		}
	}
	return len(s), true
}

// hasPrefixFold reports whether s begins with prefix, ASCII letters in
// either case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
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

func isNameByte(c byte) bool { return isTokenByte(c) || c == '.' }

// isTokenByte reports whether c is a letter, a digit, "_" or "-", of
// which tokens are made.
func isTokenByte(c byte) bool { return isLetter(c) || '0' <= c && c <= '9' || c == '_' || c == '-' }

// isLetter reports whether c is an ASCII letter.
func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

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
	if eq == start || eq == len(s) || s[eq] != '=' {
		// No parameter, or one with no name, which names no secret and
		// whose value, read to its end, would make "?=?=?=..." cost
		// time in its square: read on for a URL.
		return start
	}
	end := valueEnd(s, eq+1)
	if p.secretParam(s[start:eq]) {
		mask(eq+1, end, s[eq+1:end])
		return end
	}
	if escapes < maxEscapes && hasEscape(s[eq+1:end]) {
		p.scanEscaped(s[eq+1:end], escapes, func(i, j int, cred string) {
			mask(eq+1+i, eq+1+j, cred)
		})
		return end
	}
	return eq + 1 // the value may hold a URL of its own
}

// scanEscaped calls mask, as scanInline does, with the place in v, a
// parameter's value written with %XX escapes (escapes deep already), of
// each secret in it: a URL in a query value is escaped
// ("next=https%3A%2F%2Fu%3Apw%40h"), and its credentials, and any other
// secret, are read in the unescaped value and masked in the escaped one.
// A value in which that finds nothing and that still holds escapes is
// unescaped again, as one escaped twice over is
// ("https%253A%252F%252Fu%253Apw%2540h"), up to maxEscapes in all.
func (p *Policy) scanEscaped(v string, escapes int, mask func(start, end int, cred string)) {
	u, at := unescapeWithOffsets(v)
	type secret struct {
		start, end int
		cred       string
	}
	var found []secret
	p.scanInline(u, escapes+1, func(i, j int, cred string) {
		found = append(found, secret{i, j, cred})
	})
	if escapes+1 < maxEscapes && hasEscape(u) {
		// The secrets of what is escaped twice over, beside those
		// found: where they overlap, those found are kept, so that
		// the places stay apart and in order.
		first := len(found)
		p.scanEscaped(u, escapes+1, func(i, j int, cred string) {
			for _, f := range found[:first] {
				if i < f.end && f.start < j {
					return
				}
			}
			found = append(found, secret{i, j, cred})
		})
		slices.SortFunc(found, func(a, b secret) int { return a.start - b.start })
	}
	for _, f := range found {
		mask(at[f.start], at[f.end], f.cred)
	}
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
// user information to the last "@" in it; authEnd is where it ends (see
// authorityEnd). A password may hold a raw "/",
// "?", "#" or space, which ends the authority early ("https://u:p/ss@h/"):
// when the authority has a ":" and no "@", the user information runs to
// the last "@" before the next "//" (and white space, without a scheme)
// if a host follows it. Such a string is no valid URL, but its secret is
// one all the same. A ":" that is part of an IPv6 address or that a port
// follows ("https://h:8443/users/a@b.example") begins no password: a
// password of digits with a raw "/" after them is taken for a port and
// left as it is. The last "@" is the one taken, as in the authority, so
// that a redacted string reads the same.
func userInfoEnd(s string, a, authEnd int, scheme bool) int {
	auth := s[a:authEnd]
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		return a + at
	}
	colon := strings.LastIndexByte(auth, ':')
	if colon < 0 || strings.HasPrefix(auth, "[") || isPort(auth[colon+1:]) {
		// No password, or the ":" of an IPv6 address or of a port:
		// "https://h:8443/users/@alice" and "see http://h:80, mail
		// bob@example.com" hold no user information.
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

// isPort reports whether s begins with a port number, one to five
// digits that end s or are followed by punctuation, as in prose
// ("https://h:8443, or ...").
func isPort(s string) bool {
	n := 0
	for n < len(s) && '0' <= s[n] && s[n] <= '9' {
		n++
	}
	if n == 0 || n > 5 {
		return false
	}
	return n == len(s) || !isTokenByte(s[n])
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
	return isNameByte(c) || c == '~' || c == '%' || c >= utf8.RuneSelf
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
	for start < i && !isLetter(s[start]) {
		start++ // a scheme starts with a letter
	}
	return start < i
}

func isSchemeByte(c byte) bool {
	return isLetter(c) || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
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
	// A list or a map in PHP's and Rails' way: "token[]", "auth[token]".
	if n := strings.IndexByte(name, '['); n > 0 && strings.HasSuffix(name, "]") {
		if inner := name[n+1 : len(name)-1]; strings.TrimLeft(inner, "0123456789") != "" { // not "[]" nor "[0]"
			return p.secretParam(name[:n]) || p.secretParam(inner)
		}
		name = name[:n]
	}
	var buf [64]byte
	f := fold(name, buf[:0])
	return string(f) == "sig" || bytes.HasSuffix(f, []byte("signature")) || p.IsSensitive(name)
}
