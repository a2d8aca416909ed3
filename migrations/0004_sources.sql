-- Event sources: upstream feeds that feedhooks polls (nuget, npm) or that push to it (inbound
-- kinds). Times are Unix milliseconds (UTC).

CREATE TABLE sources (
    id              INTEGER PRIMARY KEY,
    feed_id         INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    enabled         INTEGER NOT NULL DEFAULT 1,
    config          TEXT NOT NULL,         -- settings without secrets, JSON
    secrets         BLOB,                  -- secret settings, JSON sealed with the data dir key
    -- Where the next poll starts: a catalog commit timestamp, or a summary of the snapshot in
    -- source_versions. NULL until the first poll recorded its baseline.
    cursor          TEXT,
    last_poll_at    INTEGER,
    last_success_at INTEGER,
    last_error      TEXT,                  -- plain words, NULL after a success
    failures        INTEGER NOT NULL DEFAULT 0,  -- polls failed in a row (backoff)
    next_poll_at    INTEGER NOT NULL DEFAULT 0,
    events_emitted  INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX sources_by_feed ON sources(feed_id);
CREATE INDEX sources_due ON sources(next_poll_at) WHERE enabled = 1;

-- What a source saw of each package version at its last successful poll: the diff of the next
-- poll is taken against it. `state`: 1 listed, 0 unlisted (npm: deprecated), 2 gone (kept so
-- that a version published again is a new change). `changes` counts the committed changes of
-- the version, so a re-poll after a crash derives the same event Identifier for the same
-- change (it was not committed) and a later change a new one.
CREATE TABLE source_versions (
    source_id  INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    package    TEXT NOT NULL COLLATE NOCASE, -- as the feed spells it (NuGet ids ignore case)
    version    TEXT NOT NULL COLLATE NOCASE, -- as the feed spells it, normalized
    state      INTEGER NOT NULL CHECK (state IN (0, 1, 2)),
    changes    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source_id, package, version)
) STRICT, WITHOUT ROWID;

-- The source that emitted an event (NULL for events posted to the API).
ALTER TABLE events ADD COLUMN source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL;
CREATE INDEX events_by_source ON events(source_id, id) WHERE source_id IS NOT NULL;
