-- Bulk replays: a replay is a snapshot of the deliveries it will send again (its items), taken
-- in one transaction when it is made, so its count is what the dry run said. The pacer makes
-- one new delivery per item, deleting the item in the same transaction: an original is never
-- sent twice by one replay, whatever crashes. `next_at_us` (Unix microseconds) is the earliest
-- time the next one may be made, kept in the row so a restart cannot burst past the rate.
CREATE TABLE replays (
    id          INTEGER PRIMARY KEY,
    hook_id     INTEGER NOT NULL REFERENCES hooks(id) ON DELETE CASCADE,
    state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'cancelled')),
    rate        INTEGER NOT NULL,          -- new deliveries per second
    total       INTEGER NOT NULL,
    sent        INTEGER NOT NULL DEFAULT 0,
    selection   TEXT NOT NULL,             -- the filters it was made with, JSON, for people
    next_at_us  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER
) STRICT;
CREATE INDEX replays_by_hook ON replays(hook_id, id);
CREATE INDEX replays_running ON replays(id) WHERE state = 'running';

-- What a running replay has still to send, in order. An original pruned by retention takes
-- its item with it.
CREATE TABLE replay_items (
    replay_id   INTEGER NOT NULL REFERENCES replays(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    PRIMARY KEY (replay_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX replay_items_by_delivery ON replay_items(delivery_id);
