package pgstore

import (
	"testing"

	"github.com/connectorkit/connectors"
	"github.com/connectorkit/connectors/connectorstest"
)

// TestConformance runs the contract every store keeps against a sealed
// Store on a schema of its own per check.
func TestConformance(t *testing.T) {
	connectorstest.Run(t, func(t *testing.T) connectors.Store {
		db := newTestDB(t)
		return db.store(t, uniqueAppName("conformance"), db.options())
	})
}
