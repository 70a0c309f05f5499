-- Personal contacts. A deleted contact keeps its row (deleted = 1) so that address-book sync can
-- report it; lists skip it.
CREATE TABLE contacts (
	id           INTEGER PRIMARY KEY,
	account_id   INTEGER NOT NULL,
	extension_id INTEGER NOT NULL,
	-- Names and company case-folded (Unicode, by Go), for prefix search and sorting.
	first_name   TEXT NOT NULL DEFAULT '',
	last_name    TEXT NOT NULL DEFAULT '',
	company      TEXT NOT NULL DEFAULT '',
	deleted      INTEGER NOT NULL DEFAULT 0,
	seq          INTEGER NOT NULL, -- change order, for address-book sync
	data         TEXT NOT NULL
);
CREATE INDEX contacts_extension ON contacts (extension_id, deleted, id);
CREATE INDEX contacts_first_name ON contacts (extension_id, deleted, first_name);
CREATE INDEX contacts_last_name ON contacts (extension_id, deleted, last_name);
CREATE INDEX contacts_extension_seq ON contacts (extension_id, seq);
CREATE UNIQUE INDEX contacts_seq ON contacts (seq);

-- The numbers of live contacts, for the list's phoneNumber filter.
CREATE TABLE contact_phones (
	extension_id INTEGER NOT NULL,
	phone        TEXT NOT NULL, -- E.164
	contact_id   INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	PRIMARY KEY (extension_id, phone, contact_id)
);

-- Favorites, one ordered list per extension.
CREATE TABLE favorites (
	extension_id INTEGER PRIMARY KEY,
	data         TEXT NOT NULL
);
