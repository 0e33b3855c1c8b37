// Package tomledit edits one entry of a top-level table of a TOML
// document in place, leaving every other byte of the document as it was.
//
// A host keeps its own configuration in a TOML file, with its comments,
// key order, quoting and number formats, and the connectors live in one
// of its tables:
//
//	# the host's settings, comments and all
//	model = "large"
//
//	[connectors.telegram]
//	botToken = "123456:ABC-DEF"
//
// [Set] changes, adds or removes one connector:
//
//	out, err := tomledit.Set(src, "connectors", "telegram", cfg)
//
// A caller that edits the same file again and again (a store) keeps a
// [Doc] instead, which carries what one edit learned to the next:
//
//	d, err := tomledit.Parse(src)
//	d, err = d.Set("connectors", "telegram", cfg)
//	out := d.Bytes()
//
// # What changes
//
// Only the expressions that define the entry (its pieces) are touched,
// and within them only what changed:
//
//   - An entry written as a [table.name] section is merged key by key:
//     an unchanged key keeps its bytes and the comment beside it, a changed
//     plain value has only its value's bytes replaced, a removed key goes
//     with the comment lines directly above it, and new keys are added at
//     the end of the section (new sub-tables after its last sub-table).
//     Sub-tables ([table.name.x]) are merged the same way wherever they
//     are in the file; an array of tables ([[table.name.x]]) that changed
//     is merged element by element (an unchanged element keeps its bytes,
//     new ones are added after the last, those gone from the end are
//     removed), or, written otherwise, is written again at the place of
//     its first element. An entry
//     written only as sub-tables is written again as a whole at the place
//     of its first one when it needs a [table.name] section.
//   - An entry written as dotted keys (table.name.key = ..., at the top
//     level, or name.key = ... under [table]) is merged the same way, new
//     keys added as dotted keys after the last one.
//   - An entry written as an inline value (name = { ... } under [table],
//     or the whole table as table = { ... }) has that value replaced by a
//     new inline value on one line.
//   - A new entry is added as a [table.name] section after the last
//     section of the table, or at the end of the document, in the
//     document's spacing: after a blank line where one follows (or at the
//     end), and with no blank lines at all where a line that is not blank
//     follows, as in a document written without them; at the end of a
//     document that ends without a line break, without one. Its keys are
//     sorted, plain values first, then sub-tables and arrays of tables.
//   - A removed entry goes with all its pieces, and with the comment lines
//     directly above each (no blank line between). One blank line around a
//     removed section goes too, so that adding an entry and removing it
//     again gives back the document as it was.
//
// The comment lines above an entry's header stay when the entry is
// changed. Comments elsewhere, commented-out sections ("# [connectors.x]"),
// text inside multi-line strings, other tables, a byte-order mark and
// CRLF line breaks are left as they are; new text uses the document's
// line breaks.
//
// # Guarantees
//
// The result of Set decodes with github.com/BurntSushi/toml, the decoder
// the store reads with, to the original document with exactly the one
// entry changed (a table left empty may disappear). Set makes sure of it
// before it returns anything. Where the table is written as standard
// sections, the entry's sections are one run of them and the edit stays
// within their lines, it decodes only the lines it wrote, and checks
// that they hold exactly the new entry, open no table outside it, and
// cannot change the meaning of the bytes around them (see checkLocal for
// the argument). Otherwise it decodes the whole result and compares it
// with the expected document. If the precise edit fails its check, Set
// writes the whole table again, as sections at the place of its first
// piece (or as dotted keys if that is a top-level key), and checks that;
// if that fails too it returns [ErrVerify]. A wrong document is never
// returned.
//
// Set is a function of its arguments only: it is safe for concurrent use
// and changes neither src nor the config it is given. A Doc is never
// changed once made.
//
// The positions of the document's expressions come from the parser of
// github.com/pelletier/go-toml/v2/unstable. A document the BurntSushi
// decoder accepts but that parser does not (a UTF-16 byte-order mark) is
// an error; both read all of the TOML test suite's valid documents. The
// local check rests on those positions too: FuzzSet and the model test
// hold it to a decode of the whole result.
package tomledit
