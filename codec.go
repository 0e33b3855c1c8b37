// This file holds the file formats of FileStore: how a file's bytes become
// a document, and how one connector is changed in those bytes.

package connectors

import (
	"github.com/connectorkit/connectors/internal/json5"
	"github.com/connectorkit/connectors/internal/tomledit"
)

// A codec reads and edits one file format.
type codec interface {
	// decode returns the document that data holds, and the codec's own
	// parsed form of data (nil if it has none), to pass to set with data.
	decode(data []byte) (doc map[string]any, parsed any, err error)
	// set returns data with doc[table][name] set to cfg, or removed when
	// cfg is nil (data unchanged if it is not there), editing in place:
	// every byte outside that connector stays as it was. parsed is data's
	// parsed form from decode or an earlier set (nil: set parses what it
	// needs); the result's is returned, nil if the codec has none.
	set(data []byte, parsed any, table, name string, cfg Config) ([]byte, any, error)
}

// A tableCodec can also change many connectors of a table in one edit
// and one check (see manyChanges), keeping the bytes of the others as
// set does. changes maps each name to its new config, nil to remove it.
type tableCodec interface {
	setTable(data []byte, parsed any, table string, changes map[string]Config) ([]byte, any, error)
}

// tomlCodec's parsed form is a *tomledit.Doc: the document and where its
// expressions are, carried from one write to the next, so that a write
// neither decodes nor parses the whole file.
type tomlCodec struct{}

func (tomlCodec) decode(data []byte) (map[string]any, any, error) {
	d, err := tomledit.Parse(data)
	if err != nil {
		return nil, nil, err
	}
	return d.Value(), d, nil
}

func (tomlCodec) set(data []byte, parsed any, table, name string, cfg Config) ([]byte, any, error) {
	d, err := tomlDoc(data, parsed)
	if err != nil {
		return nil, nil, err
	}
	if d, err = d.Set(table, name, cfg); err != nil {
		return nil, nil, err
	}
	return d.Bytes(), d, nil
}

func (tomlCodec) setTable(data []byte, parsed any, table string, changes map[string]Config) ([]byte, any, error) {
	d, err := tomlDoc(data, parsed)
	if err != nil {
		return nil, nil, err
	}
	m := make(map[string]map[string]any, len(changes))
	for name, cfg := range changes {
		m[name] = cfg
	}
	if d, err = d.SetTable(table, m); err != nil {
		return nil, nil, err
	}
	return d.Bytes(), d, nil
}

// tomlDoc returns the tomledit.Doc of data: parsed if it is one, else a
// new one.
func tomlDoc(data []byte, parsed any) (*tomledit.Doc, error) {
	if d, ok := parsed.(*tomledit.Doc); ok {
		return d, nil
	}
	return tomledit.Parse(data)
}

type jsonCodec struct{}

// jsonCodec reads JSON5, a superset of JSON, since hosts such as Milady
// write JSON5 into ".json" files, and writes strict JSON into them, so a
// strict JSON file stays strict.
func (jsonCodec) decode(data []byte) (map[string]any, any, error) {
	doc, err := json5.Decode(data)
	return doc, nil, err
}

func (jsonCodec) set(data []byte, _ any, table, name string, cfg Config) ([]byte, any, error) {
	var value any
	if cfg != nil {
		value = map[string]any(cfg)
	}
	out, err := json5.SetMember(data, table, name, value)
	return out, nil, err
}
