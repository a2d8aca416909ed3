//! Event sources and what each saw upstream (secrets encrypted by the caller). A poll's events,
//! its snapshot changes and its cursor are committed in one transaction, so a cursor is never
//! ahead of the events it produced.
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::DbError;
use super::events::{EventRow, Judge, NewEvent, Stored, event_row, store_events_in};

#[derive(Debug, Clone)]
pub struct SourceRow {
    pub id: i64,
    pub feed_id: i64,
    pub kind: String,
    pub name: String,
    pub enabled: bool,
    pub config: String,
    pub secrets: Option<Vec<u8>>,
    pub cursor: Option<String>,
    pub last_poll_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    pub failures: i64,
    pub next_poll_at: i64,
    pub events_emitted: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub struct SourceWrite<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub enabled: bool,
    pub config: &'a str,
    pub secrets: Option<&'a [u8]>,
}

const COLUMNS: &str = "id, feed_id, kind, name, enabled, config, secrets, cursor, last_poll_at, \
     last_success_at, last_error, failures, next_poll_at, events_emitted, created_at, updated_at";

fn source_row(r: &Row<'_>) -> rusqlite::Result<SourceRow> {
    Ok(SourceRow {
        id: r.get(0)?,
        feed_id: r.get(1)?,
        kind: r.get(2)?,
        name: r.get(3)?,
        enabled: r.get(4)?,
        config: r.get(5)?,
        secrets: r.get(6)?,
        cursor: r.get(7)?,
        last_poll_at: r.get(8)?,
        last_success_at: r.get(9)?,
        last_error: r.get(10)?,
        failures: r.get(11)?,
        next_poll_at: r.get(12)?,
        events_emitted: r.get(13)?,
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
    })
}

pub fn insert_source(
    c: &Connection,
    feed_id: i64,
    s: &SourceWrite<'_>,
    now: i64,
) -> Result<i64, DbError> {
    c.execute(
        "INSERT INTO sources (feed_id, kind, name, enabled, config, secrets, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![feed_id, s.kind, s.name, s.enabled, s.config, s.secrets, now],
    )?;
    Ok(c.last_insert_rowid())
}

/// Replaces a source's settings. A changed upstream (`reset`) forgets the cursor and what was
/// seen, so the next poll records a new baseline; enabling makes it due now.
pub fn update_source(
    c: &mut Connection,
    feed_id: i64,
    id: i64,
    s: &SourceWrite<'_>,
    reset: bool,
    now: i64,
) -> Result<bool, DbError> {
    let tx = c.transaction()?;
    let changed = tx.execute(
        "UPDATE sources SET name = ?3, enabled = ?4, config = ?5, secrets = ?6, updated_at = ?7,
                next_poll_at = CASE WHEN ?4 AND NOT enabled THEN 0 ELSE next_poll_at END,
                failures = CASE WHEN ?4 AND NOT enabled THEN 0 ELSE failures END
         WHERE feed_id = ?1 AND id = ?2",
        params![feed_id, id, s.name, s.enabled, s.config, s.secrets, now],
    )? > 0;
    if changed && reset {
        tx.execute(
            "UPDATE sources SET cursor = NULL, next_poll_at = 0, failures = 0, last_error = NULL
             WHERE id = ?1",
            [id],
        )?;
        tx.execute("DELETE FROM source_versions WHERE source_id = ?1", [id])?;
    }
    tx.commit()?;
    Ok(changed)
}

pub fn find_source(c: &Connection, feed_id: i64, id: i64) -> Result<Option<SourceRow>, DbError> {
    Ok(c.query_row(
        &format!("SELECT {COLUMNS} FROM sources WHERE feed_id = ?1 AND id = ?2"),
        params![feed_id, id],
        source_row,
    )
    .optional()?)
}

/// A source by id alone: for the poller, which works across feeds.
pub fn source_by_id(c: &Connection, id: i64) -> Result<Option<SourceRow>, DbError> {
    Ok(c.query_row(
        &format!("SELECT {COLUMNS} FROM sources WHERE id = ?1"),
        [id],
        source_row,
    )
    .optional()?)
}

pub fn list_sources(c: &Connection, feed_id: i64) -> Result<Vec<SourceRow>, DbError> {
    let mut st = c.prepare(&format!(
        "SELECT {COLUMNS} FROM sources WHERE feed_id = ?1 ORDER BY id"
    ))?;
    let rows = st
        .query_map([feed_id], source_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn delete_source(c: &Connection, feed_id: i64, id: i64) -> Result<bool, DbError> {
    Ok(c.execute(
        "DELETE FROM sources WHERE feed_id = ?1 AND id = ?2",
        params![feed_id, id],
    )? > 0)
}

/// Enabled sources of the given kinds whose next poll is due, soonest first.
pub fn due_sources(
    c: &Connection,
    kinds: &[&str],
    now: i64,
    limit: i64,
) -> Result<Vec<i64>, DbError> {
    let kinds = serde_json::to_string(kinds).expect("strings serialize");
    let mut st = c.prepare_cached(
        "SELECT id FROM sources WHERE enabled = 1 AND next_poll_at <= ?1
           AND kind IN (SELECT value FROM json_each(?2))
         ORDER BY next_poll_at LIMIT ?3",
    )?;
    let rows = st
        .query_map(params![now, kinds, limit], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The soonest next poll among enabled sources of the given kinds.
pub fn next_due(c: &Connection, kinds: &[&str]) -> Result<Option<i64>, DbError> {
    let kinds = serde_json::to_string(kinds).expect("strings serialize");
    Ok(c.query_row(
        "SELECT min(next_poll_at) FROM sources WHERE enabled = 1
           AND kind IN (SELECT value FROM json_each(?1))",
        [kinds],
        |r| r.get(0),
    )?)
}

/// How a source last saw a package version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionState {
    Unlisted,
    Listed,
    /// Deleted upstream.
    Gone,
}

impl VersionState {
    fn code(self) -> i64 {
        match self {
            VersionState::Unlisted => 0,
            VersionState::Listed => 1,
            VersionState::Gone => 2,
        }
    }

    fn from_code(code: i64) -> Self {
        match code {
            0 => VersionState::Unlisted,
            1 => VersionState::Listed,
            _ => VersionState::Gone,
        }
    }
}

/// One package version as a source last saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenVersion {
    pub package: String,
    pub version: String,
    pub state: VersionState,
    /// Committed changes of this version so far.
    pub changes: i64,
}

fn seen_row(r: &Row<'_>) -> rusqlite::Result<SeenVersion> {
    Ok(SeenVersion {
        package: r.get(0)?,
        version: r.get(1)?,
        state: VersionState::from_code(r.get(2)?),
        changes: r.get(3)?,
    })
}

pub fn seen_versions(c: &Connection, source_id: i64) -> Result<Vec<SeenVersion>, DbError> {
    let mut st = c.prepare_cached(
        "SELECT package, version, state, changes FROM source_versions WHERE source_id = ?1",
    )?;
    let rows = st
        .query_map([source_id], seen_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The versions a source saw of some packages (case-insensitive names).
pub fn seen_versions_of(
    c: &Connection,
    source_id: i64,
    packages: &[String],
) -> Result<Vec<SeenVersion>, DbError> {
    let names = serde_json::to_string(packages).expect("strings serialize");
    let mut st = c.prepare_cached(
        "SELECT package, version, state, changes FROM source_versions
         WHERE source_id = ?1 AND package IN (SELECT value FROM json_each(?2))",
    )?;
    let rows = st
        .query_map(params![source_id, names], seen_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// What one successful poll commits, all at once.
pub struct PollCommit {
    pub events: Vec<NewEvent>,
    /// Versions whose state changed (inserted or replaced).
    pub seen: Vec<SeenVersion>,
    pub cursor: Option<String>,
    pub now: i64,
    pub next_poll_at: i64,
    /// False for a partial step of a long catch-up: the poll goes on, its state is unchanged.
    pub finished: bool,
}

/// Commits a poll: its events (with their deliveries), the snapshot and the cursor. `None`
/// when the source was deleted meanwhile (nothing is written).
pub fn commit_poll(
    c: &mut Connection,
    source_id: i64,
    p: &PollCommit,
    judge: Judge,
) -> Result<Option<Vec<Stored>>, DbError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let exists: bool = tx.query_row(
        "SELECT count(*) FROM sources WHERE id = ?1",
        [source_id],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(None);
    }
    let stored = store_events_in(&tx, &p.events, judge)?;
    let created = stored
        .iter()
        .filter(|s| matches!(s, Stored::Created { .. }))
        .count() as i64;
    {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO source_versions (source_id, package, version, state, changes)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (source_id, package, version)
             DO UPDATE SET package = excluded.package, version = excluded.version,
                           state = excluded.state, changes = excluded.changes",
        )?;
        for v in &p.seen {
            upsert.execute(params![
                source_id,
                v.package,
                v.version,
                v.state.code(),
                v.changes
            ])?;
        }
    }
    if p.finished {
        tx.execute(
            "UPDATE sources SET cursor = ?2, events_emitted = events_emitted + ?3,
                    last_poll_at = ?4, last_success_at = ?4, last_error = NULL, failures = 0,
                    next_poll_at = ?5
             WHERE id = ?1",
            params![source_id, p.cursor, created, p.now, p.next_poll_at],
        )?;
    } else {
        tx.execute(
            "UPDATE sources SET cursor = ?2, events_emitted = events_emitted + ?3 WHERE id = ?1",
            params![source_id, p.cursor, created],
        )?;
    }
    tx.commit()?;
    Ok(Some(stored))
}

/// Records a failed poll: the error in plain words and when to try again.
pub fn record_poll_failure(
    c: &Connection,
    source_id: i64,
    now: i64,
    error: &str,
    next_poll_at: i64,
) -> Result<(), DbError> {
    c.execute(
        "UPDATE sources SET last_poll_at = ?2, last_error = ?3, failures = failures + 1,
                next_poll_at = ?4
         WHERE id = ?1",
        params![source_id, now, error, next_poll_at],
    )?;
    Ok(())
}

/// Events a source emitted, newest first, before the cursor (an event id) when given.
pub fn list_source_events(
    c: &Connection,
    source_id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<EventRow>, DbError> {
    let mut st = c.prepare_cached(
        "SELECT id, identifier, event_type, username, occurred_at, received_at FROM events
         WHERE source_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
    )?;
    let rows = st
        .query_map(
            params![source_id, before.unwrap_or(i64::MAX), limit],
            event_row,
        )?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
