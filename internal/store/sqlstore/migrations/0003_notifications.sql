-- Subscriptions to event filters, and the durable outbox of their WebHook deliveries.
CREATE TABLE subscriptions (
	id           TEXT PRIMARY KEY,
	account_id   INTEGER NOT NULL,
	extension_id INTEGER NOT NULL,
	client_id    TEXT NOT NULL,
	transport    TEXT NOT NULL,
	status       TEXT NOT NULL,
	expires_ms   INTEGER NOT NULL,
	data         TEXT NOT NULL
);
CREATE INDEX subscriptions_owner ON subscriptions (extension_id, client_id);

CREATE TABLE deliveries (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	subscription_id TEXT NOT NULL,
	body            TEXT NOT NULL,
	created_ms      INTEGER NOT NULL, -- real time the notification was made
	next_ms         INTEGER NOT NULL, -- real time of the next attempt
	attempts        INTEGER NOT NULL DEFAULT 0,
	state           TEXT NOT NULL DEFAULT 'pending' -- pending, delivered, failed
);
CREATE INDEX deliveries_pending ON deliveries (state, subscription_id, id);

-- Presence of each extension, where it differs from the default (Available, TakeAllCalls).
CREATE TABLE presence (
	extension_id INTEGER PRIMARY KEY,
	data         TEXT NOT NULL
);
