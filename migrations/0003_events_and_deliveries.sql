-- Events as received, the hooks that subscribe to them, and the durable delivery queue with
-- its attempt log. Times are Unix milliseconds (UTC).

CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    feed_id      INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    identifier   TEXT NOT NULL,
    event_type   TEXT NOT NULL,            -- short name, e.g. package.added
    username     TEXT,
    occurred_at  TEXT,                     -- the envelope's When, as sent or filled
    received_at  INTEGER NOT NULL,
    body         TEXT NOT NULL,            -- the envelope as delivered (sent fields kept as sent)
    sent_hash    BLOB NOT NULL,            -- SHA-256 of the canonical JSON as sent: idempotency
    deliveries   INTEGER NOT NULL,         -- how many deliveries the first acceptance created
    UNIQUE (feed_id, identifier)
) STRICT;
CREATE INDEX events_by_feed ON events(feed_id, id);
CREATE INDEX events_by_time ON events(received_at);

CREATE TABLE hooks (
    id                   INTEGER PRIMARY KEY,
    feed_id              INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    kind                 TEXT NOT NULL,
    name                 TEXT NOT NULL,
    enabled              INTEGER NOT NULL DEFAULT 1,
    events               TEXT NOT NULL,    -- JSON array of event names
    event_mask           INTEGER NOT NULL, -- one bit per event type, for fan-out in SQL
    config               TEXT NOT NULL,    -- settings without secrets, JSON
    secrets              BLOB,             -- secret settings, JSON encrypted with the data dir key
    disabled_reason      TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
) STRICT;
CREATE INDEX hooks_by_feed ON hooks(feed_id);

-- A delivery is pending until it succeeds or fails for good. `due_at` is when a worker may
-- claim it next; a claim moves it past the lease, so a crashed worker's claims come back.
-- Deliveries of a disabled hook are parked at a far-future due time until it is enabled.
CREATE TABLE deliveries (
    id            INTEGER PRIMARY KEY,
    hook_id       INTEGER NOT NULL REFERENCES hooks(id) ON DELETE CASCADE,
    event_id      INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    event_type    TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    due_at        INTEGER,
    claimed       INTEGER NOT NULL DEFAULT 0,  -- 1 while a worker holds it (released at start-up)
    redelivery_of INTEGER REFERENCES deliveries(id) ON DELETE SET NULL,
    last_outcome  TEXT,                    -- short text of the last attempt's result
    created_at    INTEGER NOT NULL,
    finished_at   INTEGER
) STRICT;
CREATE INDEX deliveries_due ON deliveries(due_at) WHERE status = 'pending';
-- The claim walks hooks with pending deliveries one seek each (see db::deliveries::claim_due).
CREATE INDEX deliveries_pending_by_hook ON deliveries(hook_id, due_at) WHERE status = 'pending';
CREATE INDEX deliveries_by_hook ON deliveries(hook_id, id);
CREATE INDEX deliveries_by_hook_status ON deliveries(hook_id, status, id);
CREATE INDEX deliveries_by_event ON deliveries(event_id);
CREATE INDEX deliveries_by_time ON deliveries(created_at);
CREATE INDEX deliveries_by_origin ON deliveries(redelivery_of) WHERE redelivery_of IS NOT NULL;

CREATE TABLE attempts (
    id            INTEGER PRIMARY KEY,
    delivery_id   INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    started_at    INTEGER NOT NULL,
    duration_ms   INTEGER NOT NULL,
    request       TEXT NOT NULL,           -- JSON {url, method, headers, body}, secrets redacted
    response      TEXT,                    -- JSON {status, headers, body, body_size} or NULL
    error_kind    TEXT,
    error_message TEXT
) STRICT;
CREATE INDEX attempts_by_delivery ON attempts(delivery_id, number);
