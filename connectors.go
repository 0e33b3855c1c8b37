// This file holds connector names, the config value model and the errors
// shared by the stores and the handler.

package connectors

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Config is one connector's configuration: a JSON object.
//
// Values are string, bool, int64, float64, []any and map[string]any, nested
// at most [MaxDepth] levels. Stores and the handler only ever hold and return
// configs in this shape; [Store.Put] converts other Go numbers (int, uint32,
// float32, ...) and drops nil object members.
type Config = map[string]any

// MaxDepth is how deeply a config may nest: the config object is level 1,
// and each object or array inside it adds one.
const MaxDepth = 32

// MaxNameBytes is the longest a connector name may be, in bytes.
const MaxNameBytes = 128

// Errors returned by this package. Match them with [errors.Is]; the errors
// returned wrap them with detail.
var (
	// ErrNotFound means no connector has the requested name.
	ErrNotFound = errors.New("connector not found")
	// ErrInvalidName means a connector name breaks the rules of [CheckName].
	ErrInvalidName = errors.New("invalid connector name")
	// ErrInvalidConfig means a config holds a value outside the value model
	// (see [Config]) or nests deeper than [MaxDepth].
	ErrInvalidConfig = errors.New("invalid connector config")
)

// reservedKeys are keys that JavaScript tools reading the same file treat
// specially (prototype pollution, file inclusion). They are refused as names
// and stripped from configs.
var reservedKeys = map[string]bool{
	"__proto__":   true,
	"constructor": true,
	"prototype":   true,
	"$include":    true,
}

// CheckName returns the canonical spelling of name if it is a valid
// connector name, and otherwise an error wrapping [ErrInvalidName] that does
// not repeat the name.
//
// The canonical spelling is name trimmed of surrounding white space and
// normalized to Unicode NFC, so that one name has one spelling: "café"
// typed with a combining accent and with a precomposed "é" is one
// connector. It must then be non-empty, at most [MaxNameBytes] bytes, valid
// UTF-8, free of control and format characters (Unicode Cc and Cf: no
// zero-width spaces, direction overrides or byte-order marks that make one
// name look like another), not "." or ".." (which URL paths cannot carry),
// and not one of the reserved keys "__proto__", "constructor", "prototype"
// and "$include". Other characters, "/" among them, are allowed; a name
// travels URL-encoded in a path.
func CheckName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) {
		return "", fmt.Errorf("%w: not valid UTF-8", ErrInvalidName)
	}
	name = norm.NFC.String(name)
	switch {
	case name == "":
		return "", fmt.Errorf("%w: missing connector name", ErrInvalidName)
	case len(name) > MaxNameBytes:
		return "", fmt.Errorf("%w: longer than %d bytes", ErrInvalidName, MaxNameBytes)
	case strings.IndexFunc(name, isControlOrFormat) >= 0:
		return "", fmt.Errorf("%w: contains a control or format character", ErrInvalidName)
	case name == "." || name == "..":
		return "", fmt.Errorf("%w: a name of dots only", ErrInvalidName)
	case reservedKeys[name]:
		return "", fmt.Errorf("%w: reserved name", ErrInvalidName)
	}
	return name, nil
}

func isControlOrFormat(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// NormalizeConfig returns a deep copy of cfg in the value model (see
// [Config]): other Go numbers converted, nil object members and the
// reserved keys "__proto__", "constructor", "prototype" and "$include"
// dropped at every depth. A nil cfg gives an empty Config. A value that
// cannot be converted (NaN, an integer beyond int64, a nil array element,
// an unknown type, nesting deeper than [MaxDepth], invalid UTF-8) gives an
// error wrapping [ErrInvalidConfig] that names its path, such as
// "config.accounts[2]: null in an array", and never the value.
func NormalizeConfig(cfg map[string]any) (Config, error) {
	return normalizeConfig(cfg, "config")
}

// CloneConfig returns a deep copy of cfg, which must be in the value model.
// CloneConfig(nil) is nil.
func CloneConfig(cfg Config) Config { return cloneConfig(cfg) }

// EqualConfig reports whether a and b, both in the value model, hold the
// same values. A nil and an empty Config are equal.
func EqualConfig(a, b Config) bool { return equalValue(map[string]any(a), map[string]any(b)) }

// normalizeConfig returns a deep copy of cfg in the value model, with
// reserved keys and nil members dropped. where names cfg in errors
// ("config"); errors wrap ErrInvalidConfig and never include a value.
func normalizeConfig(cfg map[string]any, where string) (Config, error) {
	if cfg == nil {
		return Config{}, nil
	}
	v, perr := normalize(cfg, 1, false)
	if perr != nil {
		return nil, perr.errorAt(where, nil)
	}
	return v.(map[string]any), nil
}

// A pathError is a problem at a place inside a config. The walks build
// its path only as the error returns, so a walk that finds nothing spends
// nothing on paths: a long key over a long array must not cost
// key length times elements.
type pathError struct {
	rev []string // path steps, innermost first: ".key" or "[2]"
	msg string
}

func problem(msg string) *pathError { return &pathError{msg: msg} }

// atKey adds the object key by which the caller reached the problem.
func (e *pathError) atKey(k string) *pathError {
	e.rev = append(e.rev, "."+k)
	return e
}

func (e *pathError) atIndex(i int) *pathError {
	e.rev = append(e.rev, "["+strconv.Itoa(i)+"]")
	return e
}

// errorAt returns the error, wrapping ErrInvalidConfig, with the path from
// root, such as "config.accounts[2]: null in an array". The path is shown
// to clients and may be logged: a key on it that is a secret under p (bots
// keyed by token) is shown as p.Redact shows it.
func (e *pathError) errorAt(root string, p *Policy) error {
	var b strings.Builder
	b.WriteString(root)
	for i := len(e.rev) - 1; i >= 0; i-- {
		step := e.rev[i]
		if k, ok := strings.CutPrefix(step, "."); ok {
			step, _ = p.maskInline(k, nil)
			b.WriteByte('.')
		}
		b.WriteString(step)
	}
	return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, b.String(), e.msg)
}

const outOfRange = "integer out of int64 range (send it as a string)"

// normalize converts v, found at the given depth, to the value model. It
// copies, so the result shares nothing with v, unless own is set: then
// v, which nobody else holds (a request just decoded), is converted in
// place.
func normalize(v any, depth int, own bool) (any, *pathError) {
	switch v := v.(type) {
	case string:
		// Every format we write is UTF-8; a stray byte would make the
		// file unreadable or be replaced silently.
		if !utf8.ValidString(v) {
			return nil, problem("string is not valid UTF-8")
		}
		return v, nil
	case bool, int64:
		return v, nil
	case float64:
		return normalizeFloat(v)
	case float32:
		return normalizeFloat(float64(v))
	case int:
		return int64(v), nil
	case int8:
		return int64(v), nil
	case int16:
		return int64(v), nil
	case int32:
		return int64(v), nil
	case uint8:
		return int64(v), nil
	case uint16:
		return int64(v), nil
	case uint32:
		return int64(v), nil
	case uint:
		return normalizeUint(uint64(v))
	case uint64:
		return normalizeUint(v)
	case json.Number:
		return normalizeNumber(string(v))
	case time.Time:
		// TOML datetimes written by hand become text; the value model has
		// no time type.
		return formatTime(v), nil
	case map[string]any:
		if depth > MaxDepth {
			return nil, problem("nested deeper than " + strconv.Itoa(MaxDepth) + " levels")
		}
		out := v
		if !own {
			out = make(map[string]any, len(v))
		}
		for k, e := range v {
			if e == nil || reservedKeys[k] {
				delete(out, k)
				continue
			}
			if !utf8.ValidString(k) {
				return nil, problem("a key is not valid UTF-8")
			}
			n, err := normalize(e, depth+1, own)
			if err != nil {
				return nil, err.atKey(k)
			}
			out[k] = n
		}
		return out, nil
	case []any:
		if depth > MaxDepth {
			return nil, problem("nested deeper than " + strconv.Itoa(MaxDepth) + " levels")
		}
		out := v
		if !own {
			out = make([]any, len(v))
		}
		for i, e := range v {
			if e == nil {
				return nil, problem("null in an array").atIndex(i)
			}
			n, err := normalize(e, depth+1, own)
			if err != nil {
				return nil, err.atIndex(i)
			}
			out[i] = n
		}
		return out, nil
	case []map[string]any: // arrays of tables as the TOML decoder returns them
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = e
		}
		return normalize(a, depth, own)
	case nil:
		return nil, problem("null value")
	default:
		return nil, problem(fmt.Sprintf("unsupported type %T", v))
	}
}

// formatTime spells a TOML datetime as it was written: a local date,
// time or datetime (no offset) stays local, not an instant in UTC. The
// TOML decoder marks those with a location of its own, by name.
func formatTime(t time.Time) string {
	switch t.Location().String() {
	case "date-local":
		return t.Format(time.DateOnly)
	case "time-local":
		return t.Format("15:04:05.999999999")
	case "datetime-local":
		return t.Format("2006-01-02T15:04:05.999999999")
	}
	return t.Format(time.RFC3339Nano)
}

// normalizeFloat keeps one spelling for every number: an integral float
// becomes int64, so 8080 and 8080.0 are the same value in every format.
func normalizeFloat(f float64) (any, *pathError) {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return nil, problem("number is not finite")
	case f != math.Trunc(f):
		return f, nil
	case f >= -(1<<63) && f < 1<<63:
		return int64(f), nil
	default:
		return nil, problem(outOfRange)
	}
}

func normalizeUint(u uint64) (any, *pathError) {
	if u > math.MaxInt64 {
		return nil, problem(outOfRange)
	}
	return int64(u), nil
}

// normalizeNumber converts a JSON number literal.
func normalizeNumber(s string) (any, *pathError) {
	if !strings.ContainsAny(s, ".eE") {
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, problem(outOfRange)
		}
		return i, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, problem("number out of range")
	}
	return normalizeFloat(f)
}

// cloneValue deep-copies a value already in the value model.
func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneConfig(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneValue(e)
		}
		return out
	default:
		return v
	}
}

// cloneConfig deep-copies a config already in the value model.
func cloneConfig(c Config) Config {
	if c == nil {
		return nil
	}
	out := make(Config, len(c))
	for k, v := range c {
		out[k] = cloneValue(v)
	}
	return out
}

// cloneAll deep-copies a map of configs.
func cloneAll(m map[string]Config) map[string]Config {
	out := make(map[string]Config, len(m))
	for k, v := range m {
		out[k] = cloneConfig(v)
	}
	return out
}

// equalValue reports whether two values in the value model are equal.
// A map is equal to itself without a look inside: the stores' writes
// share the configs they do not change between the states before and
// after, so comparing two states costs what their differences do.
func equalValue(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		return ok && (reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer() || maps.EqualFunc(a, b, equalValue))
	case []any:
		b, ok := b.([]any)
		return ok && slices.EqualFunc(a, b, equalValue)
	default:
		return a == b
	}
}
