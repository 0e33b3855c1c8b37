// Package json5 reads JSON5 documents and edits one member of a
// top-level object in place, keeping every other byte of the file.
//
// JSON5 (https://spec.json5.org) is JSON with the syntax of ECMAScript 5
// object literals: comments, unquoted keys, single-quoted strings,
// trailing commas, hexadecimal numbers, Infinity and NaN. Hosts such as
// Milady write their config files in it, under a .json name.
//
// [Decode] reads a whole document into plain Go values. [SetMember] sets
// or deletes one member of one top-level object, say
// doc["connectors"]["telegram"], by splicing new text into the old:
//
//	out, err := json5.SetMember(src, "connectors", "telegram", cfg)
//
// # Guarantees
//
//   - Errors say where (line and column) and what was expected. They never
//     quote the document, which may hold secrets.
//   - SetMember changes only the bytes of the member it sets or deletes.
//     Comments, quoting, order and layout elsewhere stay byte for byte.
//   - New text is strict JSON (double-quoted keys and strings), in the
//     file's own indentation and line endings, so a file that was strict
//     JSON stays strict JSON.
//   - SetMember never returns a document that does not parse.
//
// # What it does not do
//
// It does not write JSON5 syntax (unquoted keys, single quotes), keep the
// comments inside a value it replaces, or edit anything deeper than a
// member of a top-level object. Decode keeps no positions; numbers are
// returned as text for the caller to judge. JavaScript strings may hold
// lone UTF-16 surrogates; Go strings cannot, so an escaped lone surrogate
// reads as U+FFFD, as in encoding/json.
package json5
