// This file holds the file formats of FileStore: how a file's bytes become
// a document, and how one connector is changed in those bytes.

package connectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"

	"github.com/BurntSushi/toml"
)

// A codec reads and edits one file format.
type codec interface {
	// decode returns the document that data holds.
	decode(data []byte) (map[string]any, error)
	// set returns data with doc[table][name] set to cfg, or removed when
	// cfg is nil (data unchanged if it is not there).
	set(data []byte, table, name string, cfg Config) ([]byte, error)
}

// rewrite is set for a codec that can only write whole documents.
func rewrite(c codec, encode func(map[string]any) ([]byte, error), data []byte, table, name string, cfg Config) ([]byte, error) {
	doc, err := c.decode(data)
	if err != nil {
		return nil, err
	}
	t, _ := doc[table].(map[string]any)
	if _, ok := t[name]; !ok && cfg == nil {
		return data, nil
	}
	t = maps.Clone(t)
	if t == nil {
		t = make(map[string]any)
	}
	if cfg == nil {
		delete(t, name)
	} else {
		t[name] = map[string]any(cfg)
	}
	doc[table] = t
	return encode(doc)
}

type tomlCodec struct{}

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

func (c tomlCodec) set(data []byte, table, name string, cfg Config) ([]byte, error) {
	return rewrite(c, func(doc map[string]any) ([]byte, error) {
		var b bytes.Buffer
		enc := toml.NewEncoder(&b)
		enc.Indent = ""
		if err := enc.Encode(doc); err != nil {
			return nil, err
		}
		return bytes.TrimLeft(b.Bytes(), "\n"), nil
	}, data, table, name, cfg)
}

type jsonCodec struct{}

func (jsonCodec) decode(data []byte) (map[string]any, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]any{}, nil
	}
	// json.Number keeps the host's numbers exactly as written.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	err := dec.Decode(&doc)
	if err == nil {
		if _, err = dec.Token(); err == io.EOF {
			err = nil
		} else if err == nil {
			err = errors.New("data after the top-level value")
		}
	}
	if err != nil {
		var serr *json.SyntaxError
		if errors.As(err, &serr) {
			line := 1 + bytes.Count(data[:serr.Offset], []byte("\n"))
			return nil, fmt.Errorf("JSON syntax error at line %d", line)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errors.New("JSON ends early")
		}
		return nil, errors.New("not a JSON object")
	}
	if doc == nil {
		return nil, errors.New("not a JSON object")
	}
	return doc, nil
}

func (c jsonCodec) set(data []byte, table, name string, cfg Config) ([]byte, error) {
	return rewrite(c, func(doc map[string]any) ([]byte, error) {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		err := enc.Encode(doc)
		return b.Bytes(), err
	}, data, table, name, cfg)
}
