-- The numbers of each call-log record, one row per number, so that a phoneNumber or
-- extensionNumber filter walks the records of that number (newest first) instead of testing
-- every record of the extension.
CREATE TABLE call_log_numbers (
	key          TEXT NOT NULL, -- "p16505550101" or "e101", as voice.NumberKeys writes them
	num          INTEGER NOT NULL REFERENCES call_log (num),
	account_id   INTEGER NOT NULL,
	extension_id INTEGER NOT NULL,
	start_ms     INTEGER NOT NULL
);
CREATE UNIQUE INDEX call_log_numbers_key ON call_log_numbers (key, num);
CREATE INDEX call_log_numbers_extension ON call_log_numbers (key, extension_id, start_ms, num);
CREATE INDEX call_log_numbers_account ON call_log_numbers (key, account_id, start_ms, num);

WITH RECURSIVE split (num, account_id, extension_id, start_ms, key, rest) AS (
	SELECT num, account_id, extension_id, start_ms, '', substr(numbers, 2) FROM call_log WHERE numbers != ''
	UNION ALL
	SELECT num, account_id, extension_id, start_ms, substr(rest, 1, instr(rest, ',') - 1), substr(rest, instr(rest, ',') + 1)
	FROM split WHERE rest != ''
)
INSERT OR IGNORE INTO call_log_numbers (key, num, account_id, extension_id, start_ms)
SELECT key, num, account_id, extension_id, start_ms FROM split WHERE key != '';

-- Recorded calls are few: their own partial indexes find them without walking every record.
CREATE INDEX call_log_recorded_extension ON call_log (extension_id, deleted, start_ms) WHERE recording_type != '';
CREATE INDEX call_log_recorded_account ON call_log (account_id, deleted, start_ms) WHERE recording_type != '';
