// This file masks a config's secrets in free text, such as an error
// message, in the forms they may be written there.

package connectors

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

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
				walk(e, secret || p.memberSecret(x, k))
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
// RedactText masks wherever it stands in a message: the eight bytes of
// a uint64, which maskSecrets holds one in.
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
	// The message's pieces, each with where it starts: the secrets' are
	// looked up among them, so that the memory this takes grows with the
	// message alone, however long a secret (a message is short; a
	// service account's key can be a megabyte, in a dozen forms).
	// A bit per hash of a piece tells most of the secrets' pieces apart
	// from the message's without a lookup.
	starts := make(map[uint64][]int)
	var seen pieceFilter
	var piece uint64
	for i := 0; i < len(msg); i++ {
		if piece = nextPiece(piece, msg[i]); i >= pieceBytes-1 {
			starts[piece] = append(starts[piece], i-(pieceBytes-1))
			seen.add(piece)
		}
	}
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
			for i := 0; i < len(s) && len(starts) > 0; i++ {
				if piece = nextPiece(piece, s[i]); i < pieceBytes-1 {
					continue
				}
				if !seen.has(piece) {
					continue
				}
				if at, ok := starts[piece]; ok {
					for _, j := range at {
						cover(j, pieceBytes)
					}
					delete(starts, piece) // covered once for all
				}
			}
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

// nextPiece returns the piece of pieceBytes bytes that ends with b, where
// piece is the one that ends with the byte before it: the bytes in
// order, the last in the top byte.
func nextPiece(piece uint64, b byte) uint64 {
	return piece>>8 | uint64(b)<<56
}

// A pieceFilter is a set of pieces that may report a piece it does not
// hold, one in a thousand for a message of a hundred bytes, and never
// misses one it holds.
type pieceFilter [1 << 10]uint64

func (f *pieceFilter) add(piece uint64) {
	h := pieceHash(piece)
	f[h>>6] |= 1 << (h & 63)
}

func (f *pieceFilter) has(piece uint64) bool {
	h := pieceHash(piece)
	return f[h>>6]&(1<<(h&63)) != 0
}

// pieceHash is 16 bits of piece, mixed (Fibonacci hashing).
func pieceHash(piece uint64) uint64 {
	return piece * 0x9e3779b97f4a7c15 >> 48
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
