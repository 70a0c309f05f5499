// Package storetest is the storage contract: one suite that every engine behind sqlstore's
// interfaces passes (SQLite always, PostgreSQL when RCEMU_TEST_POSTGRES names a server).
// The domain packages state what they need of storage in their own Store interfaces; these
// tests check that an engine keeps those promises, not how it keeps them.
package storetest

import (
	"context"
	"testing"

	"github.com/rcemu/rcemu/internal/addressbook"
	"github.com/rcemu/rcemu/internal/resources"
	"github.com/rcemu/rcemu/internal/seed"
	"github.com/rcemu/rcemu/internal/store"
	tm "github.com/rcemu/rcemu/internal/teammessaging"
	"github.com/rcemu/rcemu/internal/voice"
)

// Store is everything the suite checks: the app's store and the domains' own interfaces.
type Store interface {
	store.Store
	voice.Store
	addressbook.Store
	tm.Store
	resources.Store
}

// Opener gives a test an empty, migrated store of its own, closed when the test ends.
type Opener func(t *testing.T) Store

// Run runs every contract test against the engine open gives.
func Run(t *testing.T, open Opener) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"ListExtensionsFiltersAndPages", testListExtensionsFiltersAndPages},
		{"UpdateExtensionConflict", testUpdateExtensionConflict},
		{"ExportImportRoundTripAndBadSnapshotChangesNothing", testExportImportRoundTripAndBadSnapshotChangesNothing},
		{"ContactStore", testContactStore},
		{"ContactPrefixIgnoresCaseBeyondASCII", testContactPrefixIgnoresCaseBeyondASCII},
		{"TeamMessagingStore", testTeamMessagingStore},
		{"MessageStore", testMessageStore},
		{"ConcurrentWritesEachGetTheirOwnAnswer", testConcurrentWritesEachGetTheirOwnAnswer},
		{"SessionsAndTokens", testSessionsAndTokens},
		{"Subscriptions", testSubscriptions},
		{"CallSessions", testCallSessions},
		{"CallPartiesFollowUpdates", testCallPartiesFollowUpdates},
		{"DueCalls", testDueCalls},
		{"CallLog", testCallLog},
		{"RingOuts", testRingOuts},
		{"ReserveIDsNeverOverlap", testReserveIDsNeverOverlap},
		{"Resources", testResources},
		{"Snapshots", testSnapshots},
		{"SnapshotDocumentRoundTrip", testSnapshotDocumentRoundTrip},
		{"SnapshotSizeCountsBytes", testSnapshotSizeCountsBytes},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open) })
	}
}

// seeded opens a store holding the default seed.
func seeded(t *testing.T, open Opener) Store {
	t.Helper()
	db := open(t)
	res, err := seed.Parse(seed.Default())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Load(context.Background(), res.Dataset); err != nil {
		t.Fatal(err)
	}
	return db
}
