-- Team messaging. Personal and Everyone chats are derived from the directory and have a row
-- here only once changed (an Everyone chat renamed); teammessaging/access.go derives their ids.
CREATE TABLE tm_chats (
	id         TEXT PRIMARY KEY,
	account_id INTEGER NOT NULL,
	type       TEXT NOT NULL,
	public     INTEGER NOT NULL DEFAULT 0,
	member_key TEXT NOT NULL DEFAULT '', -- a conversation's member set, unique in the account
	data       TEXT NOT NULL
);
CREATE UNIQUE INDEX tm_chats_conversation ON tm_chats (account_id, member_key) WHERE member_key != '';
CREATE INDEX tm_chats_public ON tm_chats (account_id, type) WHERE public = 1;

CREATE TABLE tm_members (
	chat_id   TEXT NOT NULL REFERENCES tm_chats(id) ON DELETE CASCADE,
	person_id INTEGER NOT NULL,
	PRIMARY KEY (chat_id, person_id)
); -- with a rowid: members list in the order they joined
CREATE INDEX tm_members_person ON tm_members (person_id, chat_id);

-- Posts of every chat, derived ones included (so no foreign key on chat_id); num orders them
-- and gives their ids, never reused. A chat's list walks tm_posts_chat backwards from the newest.
CREATE TABLE tm_posts (
	num       INTEGER PRIMARY KEY AUTOINCREMENT,
	chat_id   TEXT NOT NULL,
	thread_id TEXT NOT NULL DEFAULT '',
	data      TEXT NOT NULL
);
CREATE INDEX tm_posts_chat ON tm_posts (chat_id, num);
CREATE INDEX tm_posts_thread ON tm_posts (chat_id, thread_id, num) WHERE thread_id != '';

CREATE TABLE tm_favorites (
	person_id INTEGER NOT NULL,
	chat_id   TEXT NOT NULL,
	added     INTEGER NOT NULL,
	PRIMARY KEY (person_id, chat_id)
);

-- Tasks, notes, calendar events, adaptive cards and incoming webhooks: a document each, of a
-- chat (chat_id) or, for a user's own calendar events, of its creator alone.
CREATE TABLE tm_items (
	num        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	kind       TEXT NOT NULL,
	account_id INTEGER NOT NULL,
	chat_id    TEXT NOT NULL DEFAULT '',
	creator_id INTEGER NOT NULL,
	data       TEXT NOT NULL
);
CREATE INDEX tm_items_chat ON tm_items (kind, chat_id, num);
CREATE INDEX tm_items_creator ON tm_items (kind, creator_id, num);
