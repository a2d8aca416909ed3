//! Bulk replays: the snapshot of what a replay sends, and the paced step that sends the next
//! few of them as new deliveries.
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::DbError;
use super::codes::{PARKED, status_code};
use super::deliveries::{DeliveryFilter, redelivery_sql};

/// Where a replay stands; spelled as text only in this file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayState {
    Running,
    Done,
    Cancelled,
}

impl ReplayState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplayState::Running => "running",
            ReplayState::Done => "done",
            ReplayState::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Running, Self::Done, Self::Cancelled]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone)]
pub struct ReplayRow {
    pub id: i64,
    pub hook_id: i64,
    pub state: ReplayState,
    pub rate: i64,
    pub total: i64,
    pub sent: i64,
    /// The filters it was made with, as JSON.
    pub selection: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

const REPLAY_COLUMNS: &str =
    "id, hook_id, state, rate, total, sent, selection, created_at, finished_at";

fn replay_row(r: &Row<'_>) -> rusqlite::Result<ReplayRow> {
    let state: String = r.get(2)?;
    Ok(ReplayRow {
        id: r.get(0)?,
        hook_id: r.get(1)?,
        state: ReplayState::parse(&state).ok_or_else(|| {
            let e = format!("unknown replay state {state:?}");
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
        })?,
        rate: r.get(3)?,
        total: r.get(4)?,
        sent: r.get(5)?,
        selection: r.get(6)?,
        created_at: r.get(7)?,
        finished_at: r.get(8)?,
    })
}

/// The deliveries of a hook a replay with these filters would send again, oldest first: what
/// the delivery list shows for the same filters, narrowed by `package` (a predicate on the
/// event's `Payload.PackageIdentifier`, which the caller supplies so the glob rules live in
/// one place).
pub fn select_originals(
    c: &Connection,
    hook_id: i64,
    f: &DeliveryFilter,
    package: Option<&dyn Fn(&str) -> bool>,
) -> Result<Vec<i64>, DbError> {
    let mut st = c.prepare_cached(
        "SELECT d.id, CASE WHEN ?6 THEN json_extract(e.body, '$.Payload.PackageIdentifier') END
         FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE d.hook_id = ?1 AND (?2 IS NULL OR d.status = ?2) AND (?3 IS NULL OR d.event_type = ?3)
           AND (?4 IS NULL OR d.created_at >= ?4) AND (?5 IS NULL OR d.created_at < ?5)
         ORDER BY d.id",
    )?;
    let rows = st.query_map(
        params![
            hook_id,
            f.status.map(status_code),
            f.event_type,
            f.since,
            f.until,
            package.is_some()
        ],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?)),
    )?;
    let mut ids = vec![];
    for row in rows {
        let (id, pkg) = row?;
        let keep = match package {
            None => true,
            // A non-text identifier (a number, an object) matches no glob.
            Some(p) => pkg.as_deref().is_some_and(p),
        };
        if keep {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// What a new replay is made of.
pub struct NewReplay<'a> {
    pub hook_id: i64,
    pub rate: i64,
    pub selection: &'a str,
    pub filter: &'a DeliveryFilter,
    pub package: Option<&'a dyn Fn(&str) -> bool>,
    /// Refuse (answer `Err(count)`) when the selection no longer has this many deliveries.
    pub expected: Option<i64>,
    /// Refuse (answer `Err(count)`) above this many.
    pub max: i64,
}

/// Takes the snapshot and stores the replay in one transaction; `Ok(Err(n))` when the
/// selection has `n` deliveries and `expected` or `max` refuses that.
pub fn create(
    c: &mut Connection,
    r: &NewReplay<'_>,
    now: i64,
) -> Result<Result<ReplayRow, i64>, DbError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let ids = select_originals(&tx, r.hook_id, r.filter, r.package)?;
    let n = ids.len() as i64;
    if r.expected.is_some_and(|e| e != n) || n > r.max {
        return Ok(Err(n));
    }
    let state = if ids.is_empty() {
        ReplayState::Done
    } else {
        ReplayState::Running
    };
    tx.execute(
        "INSERT INTO replays (hook_id, state, rate, total, selection, next_at_us, created_at, finished_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CASE WHEN ?2 = 'done' THEN ?7 END)",
        params![r.hook_id, state.as_str(), r.rate, n, r.selection, now * 1000, now],
    )?;
    let id = tx.last_insert_rowid();
    {
        let mut item = tx.prepare_cached(
            "INSERT INTO replay_items (replay_id, seq, delivery_id) VALUES (?1, ?2, ?3)",
        )?;
        for (seq, d) in ids.iter().enumerate() {
            item.execute(params![id, seq as i64, d])?;
        }
    }
    // Read back in the transaction that inserted it, so it is there.
    let row = get_in(&tx, r.hook_id, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    tx.commit()?;
    Ok(Ok(row))
}

fn get_in(c: &Connection, hook_id: i64, id: i64) -> Result<Option<ReplayRow>, DbError> {
    Ok(c.query_row(
        &format!("SELECT {REPLAY_COLUMNS} FROM replays WHERE id = ?1 AND hook_id = ?2"),
        params![id, hook_id],
        replay_row,
    )
    .optional()?)
}

/// The replay `id` of the hook.
pub fn get(c: &Connection, hook_id: i64, id: i64) -> Result<Option<ReplayRow>, DbError> {
    get_in(c, hook_id, id)
}

/// The hook's running replays and the latest `recent` others, newest first.
pub fn list_for_hook(c: &Connection, hook_id: i64, recent: i64) -> Result<Vec<ReplayRow>, DbError> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {REPLAY_COLUMNS} FROM replays WHERE hook_id = ?1 AND state = 'running'
         UNION ALL
         SELECT * FROM (SELECT {REPLAY_COLUMNS} FROM replays WHERE hook_id = ?1 AND state != 'running'
                        ORDER BY id DESC LIMIT ?2)
         ORDER BY id DESC"
    ))?;
    let rows = st
        .query_map(params![hook_id, recent], replay_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Stops a running replay: what it has not sent yet, it never sends. False when there is no
/// such replay; a finished one stays as it is.
pub fn cancel(c: &mut Connection, hook_id: i64, id: i64, now: i64) -> Result<bool, DbError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let Some(row) = get_in(&tx, hook_id, id)? else {
        return Ok(false);
    };
    if row.state == ReplayState::Running {
        tx.execute("DELETE FROM replay_items WHERE replay_id = ?1", [id])?;
        tx.execute(
            "UPDATE replays SET state = 'cancelled', finished_at = ?2 WHERE id = ?1",
            params![id, now],
        )?;
    }
    tx.commit()?;
    Ok(true)
}

/// A running replay as the pacer sees it.
#[derive(Debug, Clone, Copy)]
pub struct Running {
    pub id: i64,
    pub rate: i64,
    pub next_at_us: i64,
}

pub fn running(c: &Connection) -> Result<Vec<Running>, DbError> {
    let mut st = c.prepare_cached(
        "SELECT id, rate, next_at_us FROM replays INDEXED BY replays_running WHERE state = 'running' ORDER BY id",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok(Running {
                id: r.get(0)?,
                rate: r.get(1)?,
                next_at_us: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Sends up to `n` more items of a running replay as new deliveries, and records the progress
/// and the next allowed time, all in one transaction: an item is gone once its delivery exists.
/// Returns how many deliveries were made; the replay is done when no item is left.
pub fn send_next(
    c: &mut Connection,
    id: i64,
    n: i64,
    next_at_us: i64,
    now: i64,
) -> Result<i64, DbError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let running: bool = tx
        .query_row(
            "SELECT state = 'running' FROM replays WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false);
    if !running {
        return Ok(0);
    }
    let items: Vec<(i64, i64)> = tx
        .prepare_cached(
            "SELECT seq, delivery_id FROM replay_items WHERE replay_id = ?1 ORDER BY seq LIMIT ?2",
        )?
        .query_map(params![id, n], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    {
        let mut insert = tx.prepare_cached(&redelivery_sql("d.id = ?3"))?;
        let mut done =
            tx.prepare_cached("DELETE FROM replay_items WHERE replay_id = ?1 AND seq = ?2")?;
        for (seq, delivery) in &items {
            insert.execute(params![now, PARKED, delivery])?;
            done.execute(params![id, seq])?;
        }
    }
    let made = items.len() as i64;
    tx.execute(
        "UPDATE replays SET sent = sent + ?2, next_at_us = ?3,
             state = CASE WHEN EXISTS (SELECT 1 FROM replay_items WHERE replay_id = ?1) THEN 'running' ELSE 'done' END,
             finished_at = CASE WHEN EXISTS (SELECT 1 FROM replay_items WHERE replay_id = ?1) THEN NULL ELSE ?4 END
         WHERE id = ?1",
        params![id, made, next_at_us, now],
    )?;
    tx.commit()?;
    Ok(made)
}
