// This file holds the file formats of FileStore: how a file's bytes become
// a document, and how one connector is changed in those bytes.

package connectors

import (
	"errors"
	"fmt"

	"github.com/BurntSushi/toml"
	"github.com/connectorkit/connectors/internal/json5"
	"github.com/connectorkit/connectors/internal/tomledit"
)

// A codec reads and edits one file format.
type codec interface {
	// decode returns the document that data holds.
	decode(data []byte) (map[string]any, error)
	// set returns data with doc[table][name] set to cfg, or removed when
	// cfg is nil (data unchanged if it is not there), editing in place:
	// every byte outside that connector stays as it was. doc is data's
	// document if the caller has it (nil: set decodes what it needs); the
	// result's document is returned if the codec has it, else nil.
	set(data []byte, doc map[string]any, table, name string, cfg Config) ([]byte, map[string]any, error)
}

// A tableCodec can also write a whole table again in one edit, for a
// change of many connectors (see manyChanges).
type tableCodec interface {
	setTable(data []byte, doc map[string]any, table string, t map[string]any) ([]byte, map[string]any, error)
}

type tomlCodec struct{}

func (tomlCodec) setTable(data []byte, doc map[string]any, table string, t map[string]any) ([]byte, map[string]any, error) {
	return tomledit.SetTable(data, doc, table, t)
}

func (tomlCodec) decode(data []byte) (map[string]any, error) {
	doc := make(map[string]any)
	if _, err := toml.Decode(string(data), &doc); err != nil {
		// The parser's message can quote the file, which holds secrets:
		// report only where it failed.
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, fmt.Errorf("TOML syntax error at line %d", perr.Position.Line)
		}
		return nil, errors.New("TOML syntax error")
	}
	return doc, nil
}

// set passes the document along: the TOML editor decodes the file to
// know what it edits and decodes its result to check it, and a write of
// the store's needs neither decode twice.
func (tomlCodec) set(data []byte, doc map[string]any, table, name string, cfg Config) ([]byte, map[string]any, error) {
	return tomledit.SetDoc(data, doc, table, name, cfg)
}

type jsonCodec struct{}

// jsonCodec reads JSON5, a superset of JSON, since hosts such as Milady
// write JSON5 into ".json" files, and writes strict JSON into them, so a
// strict JSON file stays strict.
func (jsonCodec) decode(data []byte) (map[string]any, error) {
	return json5.Decode(data)
}

func (jsonCodec) set(data []byte, _ map[string]any, table, name string, cfg Config) ([]byte, map[string]any, error) {
	var value any
	if cfg != nil {
		value = map[string]any(cfg)
	}
	out, err := json5.SetMember(data, table, name, value)
	return out, nil, err
}
