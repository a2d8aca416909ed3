-- What each inbound source received, for its page: only requests that passed the kind's
-- authentication (others are answered 401 and leave no trace). Pruned with the deliveries.
CREATE TABLE inbound_requests (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    received_at INTEGER NOT NULL,          -- Unix milliseconds (UTC)
    headers     TEXT NOT NULL,             -- JSON [[name, value], ...], credentials redacted
    body        TEXT NOT NULL,             -- the first bytes of the body (lossy UTF-8)
    body_size   INTEGER NOT NULL,          -- the whole body's size in bytes
    outcome     TEXT NOT NULL,             -- accepted, repeated, ignored, ping, malformed, unsupported, invalid
    detail      TEXT,                      -- why, in plain words
    identifiers TEXT NOT NULL DEFAULT '[]', -- JSON array of the event Identifiers it became
    events      INTEGER NOT NULL DEFAULT 0, -- how many of those were new
    previous_secret INTEGER NOT NULL DEFAULT 0 -- 1 when signed with the secret being rotated out
) STRICT;
CREATE INDEX inbound_requests_by_source ON inbound_requests(source_id, id);
CREATE INDEX inbound_requests_by_time ON inbound_requests(received_at);
