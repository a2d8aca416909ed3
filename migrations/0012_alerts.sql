-- Alerts when a hook stops: the hook another hook of the feed tells (its alert hook), and one
-- row per hook in trouble. The row is the memory that keeps alerts to one per incident, across
-- restarts: it is made when the trouble is first seen, owes the "stopped" message on each
-- channel until that is sent, then owes the "recovered" one once the trouble is gone, and goes
-- when that is sent. A crash between a send and its record sends that one message again.
ALTER TABLE hooks ADD COLUMN alert_hook INTEGER REFERENCES hooks(id) ON DELETE SET NULL;

CREATE TABLE hook_incidents (
    hook_id        INTEGER PRIMARY KEY REFERENCES hooks(id) ON DELETE CASCADE,
    cause          TEXT NOT NULL CHECK (cause IN ('disabled', 'backlog')),
    reason         TEXT NOT NULL,          -- why, in the words the message uses
    last_error     TEXT,                   -- the last failed attempt's outcome, when there is one
    opened_at      INTEGER NOT NULL,
    recovered_at   INTEGER,                -- NULL while the trouble lasts
    mail_owed      INTEGER NOT NULL,       -- 1: the owners' e-mail of the current state is unsent
    hook_owed      INTEGER NOT NULL,       -- 1: the alert hook's message of it is unsent
    tries          INTEGER NOT NULL DEFAULT 0,
    next_try_at    INTEGER NOT NULL,
    last_try_error TEXT
) STRICT;
