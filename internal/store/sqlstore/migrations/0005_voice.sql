-- Serial numbers handed out in blocks (call sessions and what derives from them).
CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);

-- Live telephony sessions; a session's row goes when the call ends.
CREATE TABLE calls (
	id         TEXT PRIMARY KEY, -- telephonySessionId
	account_id INTEGER NOT NULL,
	due_ms     INTEGER NOT NULL DEFAULT 0, -- when the next scheduled step is due; 0: none
	data       TEXT NOT NULL
);
CREATE INDEX calls_due ON calls (due_ms) WHERE due_ms > 0;

-- Who takes part in a live session, for active calls and presence.
CREATE TABLE call_parties (
	call_id      TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
	account_id   INTEGER NOT NULL,
	extension_id INTEGER NOT NULL,
	PRIMARY KEY (call_id, account_id, extension_id)
);
CREATE INDEX call_parties_extension ON call_parties (extension_id, call_id);
CREATE INDEX call_parties_account ON call_parties (account_id, call_id);

-- Call-log records, one per hosted party of a finished call.
CREATE TABLE call_log (
	num                  INTEGER PRIMARY KEY,
	id                   TEXT NOT NULL UNIQUE,
	account_id           INTEGER NOT NULL,
	extension_id         INTEGER NOT NULL,
	start_ms             INTEGER NOT NULL,
	type                 TEXT NOT NULL,
	direction            TEXT NOT NULL,
	transport            TEXT NOT NULL,
	result               TEXT NOT NULL,
	session_id           TEXT NOT NULL,
	telephony_session_id TEXT NOT NULL DEFAULT '',
	numbers              TEXT NOT NULL DEFAULT '', -- ",p16505550101,e101," for phoneNumber and extensionNumber filters
	recording_type       TEXT NOT NULL DEFAULT '',
	deleted              INTEGER NOT NULL DEFAULT 0,
	seq                  INTEGER NOT NULL, -- change order, for call-log sync
	data                 TEXT NOT NULL
);
-- Lists walk one of these backwards from dateTo and stop at the page's end.
CREATE INDEX call_log_extension ON call_log (extension_id, deleted, start_ms);
CREATE INDEX call_log_account ON call_log (account_id, deleted, start_ms);
CREATE INDEX call_log_extension_seq ON call_log (extension_id, seq);
CREATE INDEX call_log_account_seq ON call_log (account_id, seq);
CREATE UNIQUE INDEX call_log_seq ON call_log (seq);

CREATE TABLE ringouts (
	id           INTEGER PRIMARY KEY,
	extension_id INTEGER NOT NULL,
	data         TEXT NOT NULL
);

-- Recording metadata; the audio is generated from it when read.
CREATE TABLE recordings (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL,
	data       TEXT NOT NULL
);
