// This file holds how database errors become the store's errors.

package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/connectorkit/connectors"
	"github.com/jackc/pgx/v5/pgconn"
)

// dbError returns the error of a database call made for op: ctx's error
// if ctx has ended, or err with op, wrapping connectors.ErrUnavailable if
// it shows that the database cannot be reached, or gave no answer within
// a deadline of the store's own (ctx's has not passed), which leaves the
// outcome unknown: the database may have done the work.
func dbError(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("pgstore: %s: %w: no answer in time; it may have been done", op, connectors.ErrUnavailable)
	case unreachable(err):
		return fmt.Errorf("pgstore: %s: %w: %w", op, connectors.ErrUnavailable, err)
	case errors.As(err, &pe) && pe.Code == "42P01": // undefined_table
		return fmt.Errorf("pgstore: %s: %w (run Migrate)", op, err)
	}
	return fmt.Errorf("pgstore: %s: %w", op, err)
}

// unreachable reports whether err shows that the database cannot be
// reached or used now: a failed connection attempt, a connection lost or
// refused, a server shutting down or starting, or out of connection slots.
func unreachable(err error) bool {
	var (
		ce *pgconn.ConnectError
		pe *pgconn.PgError
		ne net.Error
	)
	switch {
	case errors.As(err, &pe):
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection_exception
			pe.Code == "57P01", // admin_shutdown
			pe.Code == "57P02", // crash_shutdown
			pe.Code == "57P03", // cannot_connect_now
			pe.Code == "53300": // too_many_connections
			return true
		}
		return false
	case errors.As(err, &ce), errors.As(err, &ne),
		errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	return false
}

// lost reports whether err shows that a connection the pool gave out was
// lost (closed by the server, or reset), not that a new one could not be
// made nor that one timed out: another connection of the pool may work.
func lost(err error) bool {
	var (
		ce *pgconn.ConnectError
		ne net.Error
	)
	return unreachable(err) && !errors.As(err, &ce) && !(errors.As(err, &ne) && ne.Timeout())
}
