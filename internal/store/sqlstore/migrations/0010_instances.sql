-- What instances sharing one database need beyond the state itself. None of it is state: a
-- reset, an export or an import leaves it alone.

-- Serial numbers handed out in blocks that running instances hold in memory, so that no reset
-- or import may hand them out again (WebHook delivery ids).
CREATE TABLE serials (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);

-- The instance delivering each pending WebHook notification (its key; 0: none, as before).
ALTER TABLE deliveries ADD COLUMN owner INTEGER NOT NULL DEFAULT 0;

-- WebSocket notifications on their way to the instance that holds the session.
CREATE TABLE ws_relay (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	session    TEXT NOT NULL,
	body       TEXT NOT NULL,
	created_ms INTEGER NOT NULL
);
CREATE INDEX ws_relay_session ON ws_relay (session, id);

-- WebSocket access tokens, so that a socket may open on another instance than the one that
-- handed its token out.
CREATE TABLE ws_tokens (
	token        TEXT PRIMARY KEY,
	access_token TEXT NOT NULL,
	expires_ms   INTEGER NOT NULL
);

-- Rate-limit counts exchanged between instances: each row is what one instance counted since
-- its previous row (a JSON array), in the rate limiter's epoch (its resets) it counted them in.
CREATE TABLE rate_counts (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	instance   INTEGER NOT NULL,
	epoch      INTEGER NOT NULL,
	created_ms INTEGER NOT NULL,
	data       TEXT NOT NULL
);

-- Settings instances share that are not state (the control plane's, as one document a key).
CREATE TABLE shared_settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- WebSocket sessions on their way from the instance that held them to the one a client
-- recovered them on.
CREATE TABLE ws_handoffs (
	session    TEXT NOT NULL,
	requester  INTEGER NOT NULL,
	data       TEXT NOT NULL,
	created_ms INTEGER NOT NULL
);
