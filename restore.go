// This file puts stored secrets back where a client returned the masks
// that redaction wrote.

package connectors

import (
	"slices"
	"strings"
)

// Restore returns a copy of cfg, a config a client sent back after reading
// it redacted, in which the masks that [Policy.Redact] writes are replaced
// by the stored values they stand for. stored is the config as stored;
// Restore never takes a value from it except as follows.
//
// Under a sensitive key, or as the value of a pair whose name is one (see
// [Policy.Redact]), a string made only of [Mask] parts ("****",
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
// see [Policy.Redact]) is the stored one at the same index if both arrays
// have the same length and the stored element before it is the same
// flag; otherwise the stored element after the same flag, if that flag
// is given once in each array.
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
		return nil, perr.errorAt("config", p)
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
		// The value of a name/value pair last, so that whether it is
		// secret is decided on the name as restored (a URL in it sent
		// masked stands for the stored one), never on the name as sent.
		for _, pairValues := range []bool{false, true} {
			for k, e := range v {
				if isPairValue(k) != pairValues {
					continue
				}
				// A key shown redacted stands for its stored key; a key
				// with a mask in it that stands for none is refused.
				key := k
				o, ok := oldMap[k]
				if sk, found := storedKey[k]; found {
					key, o, ok = sk, oldMap[sk], true
				}
				var err *pathError
				if !ok {
					if _, masked := p.maskInline(k, nil); masked {
						err = problem(noStoredSecret)
					}
				}
				var r any
				if err == nil {
					r, err = p.restore(e, o, ok, secret || p.memberSecret(out, key))
				}
				if err != nil {
					if first == nil || k < firstKey {
						first, firstKey = err, k
					}
					continue
				}
				out[key] = r
			}
		}
		if first != nil {
			return nil, first.atKey(firstKey)
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
	// How often each string that is followed by another element occurs
	// in sent and in stored, and where in stored; built on first use.
	sentFlags, storedFlags map[string]idCount
}

// flagCounts counts the strings of arr that another element follows: the
// flags that may take a value.
func flagCounts(arr []any) map[string]idCount {
	flags := make(map[string]idCount)
	for i := 0; i+1 < len(arr); i++ {
		if f, ok := arr[i].(string); ok {
			flags[f] = idCount{n: flags[f].n + 1, last: i}
		}
	}
	return flags
}

type idCount struct{ n, last int }

// match returns the stored element that sent[i] stands for, if any.
func (m *elementMatcher) match(i int) (any, bool) {
	if !m.secret && m.p.flagValue(m.sent, i) {
		// The value of a flag that names a secret stands for the value
		// stored after the same flag: at the same place, or anywhere if
		// the flag is given once in each array, so that adding or
		// moving another argument keeps it.
		flag := m.sent[i-1].(string)
		if len(m.sent) == len(m.stored) {
			if f, _ := m.stored[i-1].(string); f == flag {
				return m.stored[i], true
			}
		}
		if m.sentFlags == nil {
			m.sentFlags, m.storedFlags = flagCounts(m.sent), flagCounts(m.stored)
		}
		s, o := m.sentFlags[flag], m.storedFlags[flag]
		if s.n != 1 || o.n != 1 {
			return nil, false
		}
		return m.stored[o.last+1], true
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
		// A pair's value is secret if either side names a secret: a
		// name sent masked (a URL with its password) or changed shows
		// nothing to compare by.
		secretKey := func(k string) bool { return p.memberSecret(s, k) || p.memberSecret(o, k) }
		n := 0
		for k, e := range s {
			if sk, ok := storedKey[k]; ok {
				k = sk
			}
			if secretKey(k) {
				continue
			}
			n++
			if oe, ok := o[k]; !ok || !p.sameButSecrets(e, oe, false) {
				return false
			}
		}
		for k := range o {
			if !secretKey(k) {
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
