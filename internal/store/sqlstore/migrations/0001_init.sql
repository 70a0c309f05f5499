-- Emulator settings: the seed in use, signing keys, id sequences.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE accounts (
	id   INTEGER PRIMARY KEY,
	data TEXT NOT NULL
);

CREATE TABLE extensions (
	id               INTEGER PRIMARY KEY,
	account_id       INTEGER NOT NULL REFERENCES accounts(id),
	extension_number TEXT NOT NULL,
	type             TEXT NOT NULL,
	status           TEXT NOT NULL,
	email            TEXT NOT NULL DEFAULT '',
	data             TEXT NOT NULL,
	UNIQUE (account_id, extension_number)
);
CREATE INDEX extensions_account ON extensions (account_id, extension_number);

CREATE TABLE phone_numbers (
	id           INTEGER PRIMARY KEY,
	account_id   INTEGER NOT NULL REFERENCES accounts(id),
	extension_id INTEGER REFERENCES extensions(id),
	phone_number TEXT NOT NULL UNIQUE,
	usage_type   TEXT NOT NULL,
	type         TEXT NOT NULL,
	status       TEXT NOT NULL,
	payment_type TEXT NOT NULL,
	data         TEXT NOT NULL
);
CREATE INDEX phone_numbers_account ON phone_numbers (account_id, extension_id);

CREATE TABLE apps (
	client_id TEXT PRIMARY KEY,
	data      TEXT NOT NULL
);

CREATE TABLE credentials (
	extension_id INTEGER PRIMARY KEY REFERENCES extensions(id),
	username     TEXT NOT NULL,
	data         TEXT NOT NULL
);
CREATE INDEX credentials_username ON credentials (username);

CREATE TABLE sessions (
	id           TEXT PRIMARY KEY,
	extension_id INTEGER NOT NULL,
	revoked      INTEGER NOT NULL DEFAULT 0,
	data         TEXT NOT NULL
);

CREATE TABLE tokens (
	token      TEXT PRIMARY KEY,
	session_id TEXT NOT NULL REFERENCES sessions(id),
	kind       TEXT NOT NULL,
	expires_at INTEGER NOT NULL, -- Unix milliseconds
	retired    INTEGER NOT NULL DEFAULT 0,
	retired_at INTEGER NOT NULL DEFAULT 0, -- Unix milliseconds
	successor  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tokens_session ON tokens (session_id);

CREATE TABLE auth_codes (
	code TEXT PRIMARY KEY,
	data TEXT NOT NULL
);
