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

-- Named snapshots of the whole state (the control plane's /_rcemu/snapshots): kept across
-- resets, which is what they are for.
CREATE TABLE snapshots (
	name       TEXT PRIMARY KEY,
	created_ms INTEGER NOT NULL,
	data       TEXT NOT NULL
);
