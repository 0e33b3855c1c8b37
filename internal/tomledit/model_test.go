package tomledit

import (
	"bytes"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The model test keeps a document as a list of parts: the host's text and
// one block of text per connector. Setting a connector may change only
// its own block (or add one where new connectors go); every other part
// must keep its bytes, and the document must read back as expected.

type partKind int

const (
	host    partKind = iota
	section          // [connectors.name] and its sub-tables
	dotted           // name.key = ... under [connectors], or connectors.name.key = ... at the top level
)

type part struct {
	kind partKind
	name string
	text string
}

type layout int

const (
	sectionsLayout layout = iota // host, then [connectors.x] sections, then more host
	headerLayout                 // host, [connectors], dotted and inline entries, more host
	rootLayout                   // dotted and inline entries among the top-level keys
)

func TestModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	names := []string{"telegram", "discord", "team/bot", "电报", "a.b"}
	// How many edits of sections the local check judged, of how many:
	// it must judge most, or it is not what these tests hold to the
	// decoder.
	local, values, sectionEdits := 0, 0, 0
	for doc := range 120 {
		lay := layout(doc % 3)
		parts, cfgs := randomDocument(r, lay, names)
		for op := range 8 {
			src := []byte(join(parts))
			name := names[r.IntN(len(names))]
			cur, present := cfgs[name]
			var cfg map[string]any
			switch k := r.IntN(8); {
			case k < 2:
				cfg = nil
			case k < 3 && present:
				cfg = cur // write back
			case k < 6 && present:
				cfg = mutate(r, cur, 0)
			default:
				cfg = randomConfig(r, 0)
			}
			out := mustSet(t, src, "connectors", name, cfg)
			if lay == sectionsLayout && !bytes.Equal(out, src) {
				sectionEdits++
				if d, byValues := setLocal(t, src, "connectors", name, cfg); d != nil {
					local++
					if byValues {
						values++
					}
					checkCarried(t, d)
					if !bytes.Equal(d.Bytes(), out) {
						t.Fatalf("doc %d op %d: the local check passed other bytes than Set returns:\n%s\n=>\n%s", doc, op, out, d.Bytes())
					}
				}
			}
			if !present && cfg == nil || present && cfg != nil && equal(cur, cfg) {
				if !bytes.Equal(out, src) {
					t.Fatalf("doc %d op %d: a no-op changed the document:\n%s\n=>\n%s", doc, op, src, out)
				}
				continue
			}
			// The part that may change, and where a new one goes.
			i := slices.IndexFunc(parts, func(p part) bool { return p.kind != host && p.name == name })
			if i < 0 {
				i = addIndex(parts, lay)
				parts = slices.Insert(parts, i, part{kind: section, name: name})
				// A new section goes right after the last one's last line:
				// blank lines that ended the part before now end the new one.
				if i > 0 && parts[i-1].kind == section {
					blank := strings.TrimRight(parts[i-1].text, "\n")
					if blank != "" && strings.HasPrefix(string(out), join(parts[:i-1])+blank+"\n") {
						blank += "\n"
					}
					parts[i-1].text = blank
				}
			}
			prefix, suffix := join(parts[:i]), join(parts[i+1:])
			if !strings.HasPrefix(string(out), prefix) || !strings.HasSuffix(string(out), suffix) || len(out) < len(prefix)+len(suffix) {
				t.Fatalf("doc %d op %d: Set %q changed bytes outside its part\nsrc:\n%s\nout:\n%s", doc, op, name, src, out)
			}
			parts[i].text = string(out[len(prefix) : len(out)-len(suffix)])
			if cfg == nil {
				parts[i].kind = host
				delete(cfgs, name)
			} else {
				cfgs[name] = cfg
			}
		}
	}
	t.Logf("the local checks judged %d of %d edits of sections, %d by their values alone", local, sectionEdits, values)
	if values < sectionEdits/20 {
		t.Errorf("the check of values alone judged only %d of %d edits of sections", values, sectionEdits)
	}
	if local < sectionEdits*9/10 {
		t.Errorf("the local check judged only %d of %d edits of sections", local, sectionEdits)
	}
}

// addIndex returns where Set puts a new connector: after the last
// [connectors.x] section; without one, at the end of [connectors], or of
// the document.
func addIndex(parts []part, lay layout) int {
	last := -1
	for i, p := range parts {
		if p.kind == section {
			last = i
		}
	}
	if last >= 0 {
		return last + 1
	}
	if lay == headerLayout {
		for i := len(parts) - 1; i >= 0; i-- {
			if parts[i].kind == dotted {
				return i + 1
			}
		}
		return 1 // after the host part that ends with [connectors]
	}
	return len(parts)
}

func join(parts []part) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.text)
	}
	return b.String()
}

// randomDocument returns a document in the given layout with a few
// connectors written in varied styles, and their configs.
func randomDocument(r *rand.Rand, lay layout, names []string) ([]part, map[string]map[string]any) {
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	cfgs := make(map[string]map[string]any)
	var parts []part
	var before, after string
	switch lay {
	case sectionsLayout:
		before = pick("", "# host\nname = \"agent\"\n", "name = 'agent' # me\n\n[agent]\nx = 0x1F\n# [connectors.example]\n# token = \"\"\n")
		after = pick("", "\n[zhost]\nk = 1\n", "[zhost] # right after\nk = 'v'\n", "\n# [connectors.example]\n# x = 1\n", "\n# trailing\n")
	case headerLayout:
		before = pick("", "name = \"agent\"\n\n") + pick("[connectors]\n", "# managed\n[connectors] # here\n")
		after = pick("", "\n[zhost]\nk = 1\n", "# [connectors.x]\n\n[zhost]\nk = 1.5\n")
	case rootLayout:
		before = pick("", "name = \"agent\"\n", "# host\nn = 1\n\n")
		after = pick("", "model = \"m\"\n", "\n[agent]\nx = 1\n", "model = 'm'\n[connectors.sub]\nk = 1\n")
	}
	parts = append(parts, part{kind: host, text: before})
	for _, name := range names {
		if r.IntN(2) == 0 {
			continue
		}
		cfg := randomConfig(r, 0)
		cfgs[name] = cfg
		var text []byte
		var err error
		kind := dotted
		switch {
		case lay == sectionsLayout:
			kind = section
			text, err = appendSection(nil, []string{"connectors", name}, cfg)
			text = append([]byte(pick("\n", "\n# about "+name+"\n")), decorate(r, text)...)
		case r.IntN(2) == 0:
			key := []string{name}
			if lay == rootLayout {
				key = []string{"connectors", name}
			}
			text, err = appendKeyValue(nil, key, cfg)
			text = decorate(r, text)
		default:
			key := []string{name}
			if lay == rootLayout {
				key = []string{"connectors", name}
			}
			text, err = appendDotted(nil, key, cfg)
			text = decorate(r, text)
		}
		if err != nil {
			panic(err)
		}
		parts = append(parts, part{kind: kind, name: name, text: string(text)})
	}
	if lay == rootLayout && strings.Contains(after, "[connectors.sub]") {
		cfgs["sub"] = map[string]any{"k": int64(1)}
	}
	parts = append(parts, part{kind: host, text: after})
	return parts, cfgs
}

// decorate adds comment lines, trailing comments and wide spacing to
// lines written by this package, the way people edit files by hand.
func decorate(r *rand.Rand, text []byte) []byte {
	var b []byte
	for _, line := range strings.SplitAfter(string(text), "\n") {
		if line == "" || line == "\n" {
			b = append(b, line...)
			continue
		}
		if r.IntN(4) == 0 {
			b = append(b, "# note\n"...)
		}
		body := strings.TrimSuffix(line, "\n")
		if !strings.HasPrefix(body, "[") && r.IntN(3) == 0 {
			body = strings.Replace(body, " = ", "   =  ", 1)
		}
		if r.IntN(3) == 0 {
			body += "  # why"
		}
		b = append(b, body...)
		b = append(b, '\n')
	}
	return b
}

// randomConfig returns a config in the value model with awkward keys and
// strings, nested tables, arrays of tables, mixed and nested arrays.
func randomConfig(r *rand.Rand, depth int) map[string]any {
	m := make(map[string]any)
	for range r.IntN(5) {
		m[randomKey(r)] = randomValue(r, depth)
	}
	return m
}

// No empty key: the decoder (BurntSushi/toml v1.6.0) loses array
// elements around tables with an empty key, whoever wrote the file.
func randomKey(r *rand.Rand) string {
	keys := []string{"a", "botToken", "with space", "dot.ted", `quo"te`, "back\\slash", "电报", "tab\tkey", "x-y_z", "1"}
	return keys[r.IntN(len(keys))]
}

func randomValue(r *rand.Rand, depth int) any {
	strs := []string{"", "plain", "123456:ABC-DEF", `"quoted"`, "back\\slash", "new\nline", "tab\t", "\x01\x1f\x7f", "émoji 🤖", "${ENV}", "'single'", "[connectors.x]", "a = b", "# not a comment", `"""`}
	n := 6
	if depth >= 3 {
		n = 4 // leaves only
	}
	switch r.IntN(n) {
	case 0:
		return strs[r.IntN(len(strs))]
	case 1:
		return r.IntN(2) == 0
	case 2:
		return []int64{0, -1, 8080, 1<<63 - 1, -1 << 63}[r.IntN(5)]
	case 3:
		return []float64{0.5, -2.25, 1e-7, 1.0, 3e300, math.Copysign(0, -1)}[r.IntN(6)]
	case 4:
		return randomConfig(r, depth+1)
	default:
		a := make([]any, r.IntN(4))
		tables := r.IntN(2) == 0
		for i := range a {
			if tables {
				a[i] = randomConfig(r, depth+1)
			} else {
				a[i] = randomValue(r, depth+1)
			}
		}
		return a
	}
}

// mutate returns a copy of cfg with one change somewhere in it: a key
// set, a key removed, a value that is not a table replaced by a leaf (the
// commonest edit), or a change inside a nested table.
func mutate(r *rand.Rand, cfg map[string]any, depth int) map[string]any {
	m := maps.Clone(cfg)
	keys := slices.Sorted(maps.Keys(m))
	var sub, leaves []string
	for _, k := range keys {
		if _, ok := m[k].(map[string]any); ok {
			sub = append(sub, k)
		} else {
			leaves = append(leaves, k)
		}
	}
	switch k := r.IntN(4); {
	case k == 0 && len(sub) > 0:
		s := sub[r.IntN(len(sub))]
		m[s] = mutate(r, m[s].(map[string]any), depth+1)
	case k == 1 && len(keys) > 0:
		delete(m, keys[r.IntN(len(keys))])
	case k == 2 && len(leaves) > 0:
		m[leaves[r.IntN(len(leaves))]] = randomValue(r, 3)
	default:
		m[randomKey(r)] = randomValue(r, depth+1)
	}
	return m
}

// TestModelSetTable: SetTable of a random subset of the connectors, on
// the documents of TestModel, reads back as expected and keeps the bytes
// of every part it does not change, in order.
func TestModelSetTable(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	names := []string{"telegram", "discord", "team/bot", "电报", "a.b"}
	for doc := range 300 {
		lay := layout(doc % 3)
		parts, cfgs := randomDocument(r, lay, names)
		src := []byte(join(parts))
		changes := make(map[string]map[string]any)
		for _, name := range names {
			cur, present := cfgs[name]
			switch k := r.IntN(6); {
			case k < 2:
			case k < 3:
				changes[name] = nil
			case k < 5 && present:
				changes[name] = mutate(r, cur, 0)
			default:
				changes[name] = randomConfig(r, 0)
			}
		}
		d, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		next, err := d.SetTable("connectors", changes)
		if err != nil {
			t.Fatalf("doc %d: SetTable: %v\nsrc:\n%s", doc, err, src)
		}
		out := next.Bytes()
		want := maps.Clone(d.Value())
		table := withChanges(want, "connectors", changes)
		want["connectors"] = table
		got := decodeForTest(t, out)
		if len(table) == 0 {
			if g, _ := got["connectors"].(map[string]any); len(g) == 0 {
				delete(want, "connectors")
				delete(got, "connectors")
			}
		}
		if !equal(normalize(want), normalize(got)) {
			t.Fatalf("doc %d: SetTable(%v) reads back as\n%v\nwant\n%v\nsrc:\n%s\nout:\n%s", doc, changes, got, want, src, out)
		}
		checkCarried(t, next)
		rest := out
		for _, p := range parts {
			if _, changed := changes[p.name]; p.kind != host && changed {
				continue
			}
			i := bytes.Index(rest, []byte(p.text))
			if i < 0 {
				t.Fatalf("doc %d: SetTable(%v) did not keep the bytes of a part it did not change, %q\nsrc:\n%s\nout:\n%s", doc, slices.Sorted(maps.Keys(changes)), p.text, src, out)
			}
			rest = rest[i+len(p.text):]
		}
	}
}
