// This file holds sealing: how a config becomes the bytes of its row and
// back.

package pgstore

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/connectorkit/connectors"
)

// ErrUnreadable means a stored connector could not be read with the
// store's keys: it is sealed with a key that is not in Options.Keys, or
// with another key under the same id, or its row was altered or copied
// under another name, or it is stored in the clear without
// Options.Plaintext. The error names the connector and the key id, never
// the stored bytes.
var ErrUnreadable = errors.New("pgstore: stored connector cannot be read")

// A sealer seals configs with the primary key and opens them with any
// key it has.
//
// A sealed row is nonce || AES-256-GCM(JSON of the config), with the
// connector's name as associated data, so that ciphertext moved to
// another name fails to open instead of handing one connector's secrets
// to another.
type sealer struct {
	primary   string                 // id of the key that seals; "" seals nothing
	keys      map[string]cipher.AEAD // by id
	plaintext bool                   // rows with no key id may be read
}

func newSealer(keys []Key, plaintext bool) (*sealer, error) {
	s := &sealer{keys: make(map[string]cipher.AEAD, len(keys)), plaintext: plaintext}
	for i, k := range keys {
		block, err := aes.NewCipher(bytes.Clone(k.Secret))
		if err != nil {
			return nil, fmt.Errorf("pgstore: key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("pgstore: key %q: %w", k.ID, err)
		}
		s.keys[k.ID] = aead
		if i == 0 {
			s.primary = k.ID
		}
	}
	return s, nil
}

// seal returns the key id and bytes to store for cfg, a config in the
// value model, under name.
func (s *sealer) seal(name string, cfg connectors.Config) (keyID string, data []byte, err error) {
	plain, err := json.Marshal(cfg)
	if err != nil {
		return "", nil, fmt.Errorf("pgstore: encode connector %q: %w", name, err)
	}
	if s.primary == "" {
		return "", plain, nil
	}
	aead := s.keys[s.primary]
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(out) // never fails (crypto/rand's promise since Go 1.24)
	return s.primary, aead.Seal(out, out, plain, []byte(name)), nil
}

// open returns the config stored as data under name, sealed with keyID.
func (s *sealer) open(name, keyID string, data []byte) (connectors.Config, error) {
	plain := data
	if keyID == "" {
		if !s.plaintext {
			return nil, fmt.Errorf("%w: connector %q is stored in the clear, which Options.Plaintext does not allow",
				ErrUnreadable, name)
		}
	} else {
		aead, ok := s.keys[keyID]
		if !ok {
			return nil, fmt.Errorf("%w: connector %q is sealed with key %q, which is not in Options.Keys",
				ErrUnreadable, name, keyID)
		}
		var err error
		n := aead.NonceSize()
		if len(data) < n {
			err = errors.New("too short")
		} else {
			plain, err = aead.Open(nil, data[:n], data[n:], []byte(name))
		}
		if err != nil {
			return nil, fmt.Errorf("%w: connector %q does not open with key %q: another key under that id, "+
				"or a row altered or copied from another name", ErrUnreadable, name, keyID)
		}
	}
	return decode(name, plain)
}

// decode parses a stored config into the value model.
func decode(name string, plain []byte) (connectors.Config, error) {
	d := json.NewDecoder(bytes.NewReader(plain))
	d.UseNumber() // integers stay exact: NormalizeConfig makes them int64
	var raw map[string]any
	if err := d.Decode(&raw); err != nil || raw == nil {
		return nil, fmt.Errorf("%w: connector %q does not hold a JSON object", ErrUnreadable, name)
	}
	cfg, err := connectors.NormalizeConfig(raw)
	if err != nil {
		// %v, not %w: a bad stored row is the store's failure, not an
		// invalid config from the caller (which the handler answers 400).
		return nil, fmt.Errorf("%w: connector %q: %v", ErrUnreadable, name, err)
	}
	return cfg, nil
}
