-- Message stores. A message between two hosted extensions is two rows, one per store.
CREATE TABLE messages (
	id              INTEGER PRIMARY KEY,
	account_id      INTEGER NOT NULL,
	extension_id    INTEGER NOT NULL,
	type            TEXT NOT NULL,
	direction       TEXT NOT NULL,
	availability    TEXT NOT NULL,
	read_status     TEXT NOT NULL,
	message_status  TEXT NOT NULL,
	conversation_id INTEGER NOT NULL DEFAULT 0,
	creation_ms     INTEGER NOT NULL,
	seq             INTEGER NOT NULL,         -- change order, for message-sync
	numbers         TEXT NOT NULL DEFAULT '', -- ",+1...,+1...," every party's number, for phoneNumber filters
	external        INTEGER NOT NULL DEFAULT 0,
	pending_ms      INTEGER NOT NULL DEFAULT 0, -- when the next scheduled status change is due; 0: none
	data            TEXT NOT NULL
);
CREATE INDEX messages_store ON messages (extension_id, creation_ms);
CREATE INDEX messages_sync ON messages (extension_id, seq);
CREATE INDEX messages_conversation ON messages (extension_id, conversation_id);
CREATE INDEX messages_pending ON messages (pending_ms) WHERE pending_ms > 0;
CREATE INDEX messages_outbox ON messages (external, id) WHERE external = 1;
CREATE UNIQUE INDEX messages_seq ON messages (seq);

CREATE TABLE attachments (
	id         INTEGER PRIMARY KEY,
	message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	content    BLOB NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);
