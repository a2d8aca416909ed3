//! Hooks: a feed's subscriptions, with their settings (secrets encrypted by the caller).
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::DbError;
use super::codes::PARKED;

#[derive(Debug, Clone)]
pub struct HookRow {
    pub id: i64,
    pub feed_id: i64,
    pub kind: String,
    pub name: String,
    pub enabled: bool,
    pub events: String,
    pub config: String,
    pub secrets: Option<Vec<u8>>,
    /// The filter's JSON; `None` lets every event of its types through.
    pub filter: Option<String>,
    /// The templates' JSON; `None` keeps the built-in wording.
    pub templates: Option<String>,
    /// The digest setting's JSON; `None` sends every event on its own.
    pub digest: Option<String>,
    /// Attempts it may have in flight at once (1..=64).
    pub max_in_flight: i64,
    /// One delivery at a time, in the order the events were accepted.
    pub ordered: bool,
    /// Another hook of the feed that is told when this one stops or recovers.
    pub alert_hook: Option<i64>,
    pub disabled_reason: Option<String>,
    pub consecutive_failures: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub struct HookWrite<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub enabled: bool,
    pub events: &'a str,
    pub event_mask: i64,
    pub config: &'a str,
    pub secrets: Option<&'a [u8]>,
    pub filter: Option<&'a str>,
    pub templates: Option<&'a str>,
    pub digest: Option<&'a str>,
    pub max_in_flight: i64,
    pub ordered: bool,
    pub alert_hook: Option<i64>,
}

const HOOK_COLUMNS: &str = "id, feed_id, kind, name, enabled, events, config, secrets, disabled_reason, \
                            consecutive_failures, created_at, updated_at, filter, templates, max_in_flight, ordered, alert_hook, digest";

fn hook_row(r: &Row<'_>) -> rusqlite::Result<HookRow> {
    Ok(HookRow {
        id: r.get(0)?,
        feed_id: r.get(1)?,
        kind: r.get(2)?,
        name: r.get(3)?,
        enabled: r.get(4)?,
        events: r.get(5)?,
        config: r.get(6)?,
        secrets: r.get(7)?,
        disabled_reason: r.get(8)?,
        consecutive_failures: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
        filter: r.get(12)?,
        templates: r.get(13)?,
        max_in_flight: r.get(14)?,
        ordered: r.get(15)?,
        alert_hook: r.get(16)?,
        digest: r.get(17)?,
    })
}

pub fn insert_hook(
    c: &Connection,
    feed_id: i64,
    h: &HookWrite<'_>,
    now: i64,
) -> Result<i64, DbError> {
    c.execute(
        "INSERT INTO hooks (feed_id, kind, name, enabled, events, event_mask, config, secrets, created_at, updated_at, filter, templates, max_in_flight, ordered, alert_hook, digest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![feed_id, h.kind, h.name, h.enabled, h.events, h.event_mask, h.config, h.secrets, now, h.filter, h.templates, h.max_in_flight, h.ordered, h.alert_hook, h.digest],
    )?;
    Ok(c.last_insert_rowid())
}

/// Replaces a hook's settings. Enabling clears the disabled reason and failure count and
/// releases its parked deliveries; disabling parks them.
pub fn update_hook(
    c: &mut Connection,
    feed_id: i64,
    id: i64,
    h: &HookWrite<'_>,
    now: i64,
) -> Result<bool, DbError> {
    // Immediate: a read-then-write transaction that starts deferred fails at once ("database
    // is locked") when another writer commits between its read and its write.
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let was_enabled: Option<bool> = tx
        .query_row(
            "SELECT enabled FROM hooks WHERE id = ?1 AND feed_id = ?2",
            [id, feed_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(was_enabled) = was_enabled else {
        return Ok(false);
    };
    tx.execute(
        "UPDATE hooks SET name = ?2, enabled = ?3, events = ?4, event_mask = ?5, config = ?6, secrets = ?7, updated_at = ?8, filter = ?9, templates = ?10, max_in_flight = ?11, ordered = ?12, alert_hook = ?13, digest = ?14,
                disabled_reason = CASE WHEN ?3 THEN NULL ELSE disabled_reason END,
                consecutive_failures = CASE WHEN ?3 AND NOT enabled THEN 0 ELSE consecutive_failures END
         WHERE id = ?1",
        params![id, h.name, h.enabled, h.events, h.event_mask, h.config, h.secrets, now, h.filter, h.templates, h.max_in_flight, h.ordered, h.alert_hook, h.digest],
    )?;
    if was_enabled != h.enabled {
        park_or_release(&tx, id, h.enabled, now)?;
    }
    tx.commit()?;
    Ok(true)
}

fn park_or_release(c: &Connection, hook_id: i64, enabled: bool, now: i64) -> Result<(), DbError> {
    if enabled {
        c.execute("UPDATE deliveries SET due_at = ?2 WHERE hook_id = ?1 AND status = 'pending' AND due_at >= ?3", params![hook_id, now, PARKED])?;
    } else {
        c.execute(
            "UPDATE deliveries SET due_at = ?2 WHERE hook_id = ?1 AND status = 'pending'",
            params![hook_id, PARKED],
        )?;
    }
    Ok(())
}

/// Disables a hook with a reason the owner sees, parking its pending deliveries. Callers
/// run it inside their transaction.
pub fn disable_hook(c: &Connection, id: i64, reason: &str, now: i64) -> Result<(), DbError> {
    let n = c.execute(
        "UPDATE hooks SET enabled = 0, disabled_reason = ?2, updated_at = ?3 WHERE id = ?1 AND enabled = 1",
        params![id, reason, now],
    )?;
    if n == 1 {
        park_or_release(c, id, false, now)?;
    }
    Ok(())
}

pub fn find_hook(c: &Connection, feed_id: i64, id: i64) -> Result<Option<HookRow>, DbError> {
    Ok(c.query_row(
        &format!("SELECT {HOOK_COLUMNS} FROM hooks WHERE id = ?1 AND feed_id = ?2"),
        [id, feed_id],
        hook_row,
    )
    .optional()?)
}

pub fn hook_by_id(c: &Connection, id: i64) -> Result<Option<HookRow>, DbError> {
    Ok(c.query_row(
        &format!("SELECT {HOOK_COLUMNS} FROM hooks WHERE id = ?1"),
        [id],
        hook_row,
    )
    .optional()?)
}

/// The hooks of these ids that exist, in one statement (the worker loads a claim's hooks at
/// once rather than one blocking call each).
pub fn hooks_by_ids(c: &Connection, ids: &[i64]) -> Result<Vec<HookRow>, DbError> {
    let list = serde_json::to_string(ids).expect("ids serialize");
    let mut st = c.prepare_cached(&format!(
        "SELECT {HOOK_COLUMNS} FROM hooks WHERE id IN (SELECT value FROM json_each(?1))"
    ))?;
    let rows = st.query_map([list], hook_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn list_hooks(c: &Connection, feed_id: i64) -> Result<Vec<HookRow>, DbError> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {HOOK_COLUMNS} FROM hooks WHERE feed_id = ?1 ORDER BY id"
    ))?;
    let rows = st
        .query_map([feed_id], hook_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn delete_hook(c: &Connection, feed_id: i64, id: i64) -> Result<bool, DbError> {
    Ok(c.execute(
        "DELETE FROM hooks WHERE id = ?1 AND feed_id = ?2",
        [id, feed_id],
    )? == 1)
}

/// Every hook's sealed secrets, to check at start-up that the key file opens them.
pub fn sealed_secrets(c: &Connection) -> Result<Vec<(i64, Vec<u8>)>, DbError> {
    let mut stmt =
        c.prepare("SELECT id, secrets FROM hooks WHERE secrets IS NOT NULL ORDER BY id")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
