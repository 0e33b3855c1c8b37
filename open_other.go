//go:build !unix

package connectors

// nonBlock is no flag where there are no FIFOs to block on.
const nonBlock = 0

// noFollow is no flag here: os has no portable way to refuse a symlink
// at open.
const noFollow = 0
