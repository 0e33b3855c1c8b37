// This file decides which config keys hold secrets and masks their values.

package connectors

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mask is what one ":"-separated part of a secret string reads as after
// redaction: a Telegram token "123456:ABC-DEF" reads "****:****".
const Mask = "****"

// A Policy decides which config keys hold secrets. The zero Policy (and a
// nil *Policy) applies the default rules; the fields add rules on top of
// them, never remove any. A Policy must not be changed once in use; its
// methods are safe for concurrent use.
//
// The default rules: a key is sensitive when, ignoring case and the
// separators "_", "-", "." and " ", it
//   - contains "password", "secret", "apikey", "privatekey", "seedphrase",
//     "passphrase", "authorization", "connectionstring", "credential" or
//     "cookie";
//   - ends with "token", or with "tokens" unless it starts with "max" or
//     "min" (maxTokens, max_output_tokens and the like count tokens, they
//     are not secrets);
//   - is one of "nsec", "streamkey", "rtmpkey", "serviceaccount",
//     "serviceaccountkey", "sessionstring".
type Policy struct {
	// Keys are extra key names that hold secrets, matched as whole keys
	// with the same folding as the default rules ("signingKey" matches
	// "signing_key" and "SIGNINGKEY").
	Keys []string
	// Contains are extra fragments: a key holds a secret when it contains
	// one of them, with the same folding.
	Contains []string
}

// defaultContains and defaultKeys are the default rules, already folded.
var (
	defaultContains = []string{
		"password", "secret", "apikey", "privatekey", "seedphrase",
		"passphrase", "authorization", "connectionstring", "credential", "cookie",
	}
	defaultKeys = map[string]bool{
		"nsec": true, "streamkey": true, "rtmpkey": true,
		"serviceaccount": true, "serviceaccountkey": true, "sessionstring": true,
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

// IsSensitive reports whether values under key are secrets by the default
// rules (see [Policy]).
func IsSensitive(key string) bool {
	return (*Policy)(nil).IsSensitive(key)
}

// IsSensitive reports whether values under key are secrets under p.
func (p *Policy) IsSensitive(key string) bool {
	// Keys are short and mostly ASCII: fold them on the stack.
	var buf [64]byte
	f, ok := foldASCII(key, buf[:0])
	if !ok {
		f = []byte(foldKey(key))
	}
	if defaultKeys[string(f)] { // no allocation for a map lookup
		return true
	}
	for _, s := range defaultContains {
		if bytes.Contains(f, []byte(s)) {
			return true
		}
	}
	if bytes.HasSuffix(f, []byte("token")) {
		return true
	}
	if bytes.HasSuffix(f, []byte("tokens")) && !bytes.HasPrefix(f, []byte("max")) && !bytes.HasPrefix(f, []byte("min")) {
		return true
	}
	if p == nil {
		return false
	}
	for _, k := range p.Keys {
		if string(f) == foldKey(k) {
			return true
		}
	}
	for _, s := range p.Contains {
		// A fragment of only separators folds to "" and would match
		// every key; it is ignored.
		if s := foldKey(s); s != "" && bytes.Contains(f, []byte(s)) {
			return true
		}
	}
	return false
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
		for k, e := range x {
			out[k] = p.redactValue(e, secret || p.IsSensitive(k))
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = p.redactValue(e, secret)
		}
		return out
	case string:
		if secret {
			return maskString(x)
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

// Restore returns a copy of cfg, a config a client sent back after reading
// it redacted, in which every mask under a sensitive key is replaced by the
// value stored at the same path in stored: a string made only of [Mask]
// parts ("****", "****:****", ...) or "[REDACTED]" means "keep what is
// there". Paths follow object keys and array indexes, at any depth. Values
// that are not masks, and masks under keys that are not sensitive, are
// kept as sent.
//
// If stored has no value at the path of a mask, Restore returns an error
// wrapping [ErrInvalidConfig] that names the path ("config.botToken"), so
// that a mask is never saved as a secret. Neither cfg nor stored is
// changed, and the result shares nothing with them.
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

// restore walks v (sent) beside old (stored at the same place, if has).
func (p *Policy) restore(v, old any, has, secret bool) (any, *pathError) {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return nil, nil
		}
		oldMap, _ := old.(map[string]any)
		out := make(map[string]any, len(v))
		for k, e := range v {
			o, ok := oldMap[k]
			r, err := p.restore(e, o, ok, secret || p.IsSensitive(k))
			if err != nil {
				return nil, err.at("." + k)
			}
			out[k] = r
		}
		return out, nil
	case []any:
		oldArr, _ := old.([]any)
		out := make([]any, len(v))
		for i, e := range v {
			var o any
			ok := i < len(oldArr)
			if ok {
				o = oldArr[i]
			}
			r, err := p.restore(e, o, ok, secret)
			if err != nil {
				return nil, err.atIndex(i)
			}
			out[i] = r
		}
		return out, nil
	case string:
		if !secret || !isMask(v) {
			return v, nil
		}
		if !has {
			return nil, problem("redaction mask with no stored secret to keep")
		}
		return cloneValue(old), nil
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
