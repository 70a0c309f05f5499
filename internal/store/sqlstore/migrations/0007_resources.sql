-- Records of the spec-served collections and singletons (internal/resources): each under the
-- concrete path of its collection, its id "" for a singleton.
CREATE TABLE resources (
	collection  TEXT NOT NULL,
	id          TEXT NOT NULL,
	created_ms  INTEGER NOT NULL,
	modified_ms INTEGER NOT NULL,
	data        TEXT NOT NULL,
	PRIMARY KEY (collection, id)
);
-- A collection's records in creation order (an index on a column is ordered by rowid within a
-- value), so that a page of a list reads only that page.
CREATE INDEX resources_order ON resources (collection);

-- Named snapshots of the whole state (the control plane's /_rcemu/snapshots): kept across
-- resets, which is what they are for.
CREATE TABLE snapshots (
	name       TEXT PRIMARY KEY,
	created_ms INTEGER NOT NULL,
	data       TEXT NOT NULL
);
