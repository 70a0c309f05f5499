-- Message-store lists filter by availability (Alive by default) and a date window, then by type,
-- direction and read status: one covering index serves the page and its count without reading
-- the rows. Conversation lists get their own.
CREATE INDEX messages_list ON messages (extension_id, availability, creation_ms, type, direction, read_status);
CREATE INDEX messages_conversation_list ON messages (extension_id, conversation_id, availability, creation_ms);
