//! The delivery queue: record attempt results in batches, redeliver, and read the log back
//! (claims are in `claims.rs`).
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::DbError;
use super::attempts::AttemptRow;
use super::codes::{HELD, PARKED, read_status, status_code};
use super::digests::finish_carried;
use super::hooks::disable_hook;
use crate::primitives::DeliveryStatus;

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum NextStep {
    Succeeded,
    /// Try again at this time (parked instead if the hook was disabled meanwhile).
    RetryAt(i64),
    Failed,
    /// Failed, and the hook is disabled with this reason (e.g. the receiver answered 410).
    FailedAndDisable(String),
    /// Not attempted: the hook was disabled after the claim; wait until it is enabled.
    Park,
    /// Not attempted: its hook sends digests; it waits, held, until the digester gathers it.
    Hold,
}

/// What changes in a claimed delivery: the attempt made (if any) for the log, the next step,
/// and the outcome line lists show. The worker makes one per claim; the attempt writer
/// records them in batches.
#[derive(Debug, Clone)]
pub struct DeliveryUpdate {
    pub delivery_id: i64,
    pub hook_id: i64,
    /// None when nothing was attempted (`NextStep::Park`).
    pub attempt: Option<AttemptRow>,
    pub next: NextStep,
    /// The outcome line, for lists: "answered 200", "timeout: no answer within 15s"...
    pub outcome: String,
    /// Of an ordered hook: its next delivery becomes claimable once this is recorded, so the
    /// writer rings the worker then.
    pub ordered: bool,
    /// A digest delivery: when it finishes for good, what it carried takes its outcome.
    pub digest: bool,
}

/// A hook is disabled when this many deliveries in a row have failed for good.
pub const DISABLE_AFTER_FAILED_DELIVERIES: i64 = 20;

/// Records a batch of delivery updates in one transaction.
pub fn record(c: &mut Connection, done: &[DeliveryUpdate], now: i64) -> Result<(), DbError> {
    const FAILED: &str = status_code(DeliveryStatus::Failed);
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO attempts (delivery_id, number, started_at, duration_ms, request, response, error_kind, error_message)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut finish = tx.prepare_cached(
            "UPDATE deliveries SET status = ?2, attempts = attempts + 1, due_at = NULL, finished_at = ?3, last_outcome = ?4
             WHERE id = ?1",
        )?;
        let mut retry = tx.prepare_cached(
            "UPDATE deliveries SET attempts = attempts + 1, last_outcome = ?4,
                 due_at = CASE WHEN (SELECT enabled FROM hooks WHERE id = ?2) THEN ?3 ELSE ?5 END
             WHERE id = ?1",
        )?;
        // Parks a delivery without counting an attempt.
        let mut park = tx.prepare_cached("UPDATE deliveries SET due_at = ?2 WHERE id = ?1")?;
        let mut hold = tx
            .prepare_cached("UPDATE deliveries SET due_at = ?2, last_outcome = ?3 WHERE id = ?1")?;
        let mut healthy = tx.prepare_cached(
            "UPDATE hooks SET consecutive_failures = 0 WHERE id = ?1 AND consecutive_failures != 0",
        )?;
        let mut failing = tx.prepare_cached(
            "UPDATE hooks SET consecutive_failures = consecutive_failures + 1 WHERE id = ?1 RETURNING consecutive_failures",
        )?;
        for d in done {
            if let Some(a) = &d.attempt {
                insert.execute(params![
                    d.delivery_id,
                    a.number,
                    a.started_at,
                    a.duration_ms,
                    a.request,
                    a.response,
                    a.error_kind,
                    a.error_message
                ])?;
            }
            match &d.next {
                NextStep::Succeeded => {
                    finish.execute(params![
                        d.delivery_id,
                        status_code(DeliveryStatus::Succeeded),
                        now,
                        d.outcome
                    ])?;
                    healthy.execute([d.hook_id])?;
                }
                NextStep::RetryAt(at) => {
                    retry.execute(params![d.delivery_id, d.hook_id, at, d.outcome, PARKED])?;
                }
                NextStep::Failed => {
                    finish.execute(params![d.delivery_id, FAILED, now, d.outcome])?;
                    let streak: Option<i64> =
                        failing.query_row([d.hook_id], |r| r.get(0)).optional()?;
                    if streak.is_some_and(|n| n >= DISABLE_AFTER_FAILED_DELIVERIES) {
                        let reason = format!(
                            "disabled after {DISABLE_AFTER_FAILED_DELIVERIES} deliveries in a row failed; the last: {}",
                            d.outcome
                        );
                        disable_hook(&tx, d.hook_id, &reason, now)?;
                    }
                }
                NextStep::FailedAndDisable(reason) => {
                    finish.execute(params![d.delivery_id, FAILED, now, d.outcome])?;
                    disable_hook(&tx, d.hook_id, reason, now)?;
                }
                NextStep::Park => {
                    park.execute(params![d.delivery_id, PARKED])?;
                }
                NextStep::Hold => {
                    hold.execute(params![d.delivery_id, HELD, d.outcome])?;
                }
            }
            if d.digest {
                match &d.next {
                    NextStep::Succeeded => finish_carried(
                        &tx,
                        d.delivery_id,
                        status_code(DeliveryStatus::Succeeded),
                        &d.outcome,
                        now,
                    )?,
                    NextStep::Failed | NextStep::FailedAndDisable(_) => {
                        finish_carried(&tx, d.delivery_id, FAILED, &d.outcome, now)?
                    }
                    _ => {}
                }
            }
        }
    }
    tx.commit()?;
    Ok(())
}

/// Of an ordered hook: its oldest pending delivery, which holds the others, and how many
/// pending deliveries wait behind it.
pub fn ordered_head(c: &Connection, hook_id: i64) -> Result<Option<(DeliveryRow, i64)>, DbError> {
    let head = c
        .query_row(
            &format!(
                "SELECT {DELIVERY_COLUMNS} {DELIVERY_FROM}
                 WHERE d.hook_id = ?1 AND d.status = 'pending' ORDER BY d.id LIMIT 1"
            ),
            [hook_id],
            delivery_row,
        )
        .optional()?;
    let Some(head) = head else {
        return Ok(None);
    };
    let behind: i64 = c.query_row(
        "SELECT count(*) FROM deliveries WHERE hook_id = ?1 AND status = 'pending' AND id > ?2",
        [hook_id, head.id],
        |r| r.get(0),
    )?;
    Ok(Some((head, behind)))
}

/// (pending deliveries, due time of the oldest one due now) for metrics.
pub fn queue_stats(c: &Connection, now: i64) -> Result<(i64, Option<i64>), DbError> {
    let pending: i64 = c.query_row(
        "SELECT count(*) FROM deliveries WHERE status = 'pending'",
        [],
        |r| r.get(0),
    )?;
    let oldest: Option<i64> = c.query_row(
        "SELECT min(due_at) FROM deliveries WHERE status = 'pending' AND due_at <= ?1",
        [now],
        |r| r.get(0),
    )?;
    Ok((pending, oldest))
}

/// A new delivery of the same event to the same hook, linked to the original.
pub fn redeliver(
    c: &Connection,
    feed_id: i64,
    delivery_id: i64,
    now: i64,
) -> Result<Option<i64>, DbError> {
    let n = c.execute(
        &redelivery_sql("d.id = ?3 AND h.feed_id = ?4"),
        params![now, PARKED, delivery_id, feed_id],
    )?;
    Ok((n == 1).then(|| c.last_insert_rowid()))
}

/// The one statement every redelivery makes (by hand, the failed of a hook, a replay): a new
/// delivery of each `d` that `selector` picks, for the same hook and event and with the same
/// digest listing, linked to `d`, due at `?1` or parked (`?2`) while the hook is disabled.
/// The selector's own parameters start at `?3`.
pub(super) fn redelivery_sql(selector: &str) -> String {
    format!(
        "INSERT INTO deliveries (hook_id, event_id, event_type, status, due_at, redelivery_of, created_at, digest_body)
         SELECT d.hook_id, d.event_id, d.event_type, 'pending', CASE WHEN h.enabled THEN ?1 ELSE ?2 END, d.id, ?1, d.digest_body
         FROM deliveries d JOIN hooks h ON h.id = d.hook_id WHERE {selector}"
    )
}

/// Redelivers every failed delivery of a hook created since `since` that was not redelivered
/// already; returns how many.
pub fn redeliver_failed(
    c: &Connection,
    hook_id: i64,
    since: i64,
    now: i64,
) -> Result<i64, DbError> {
    Ok(c.execute(
        &redelivery_sql(
            "d.hook_id = ?3 AND d.status = 'failed' AND d.created_at >= ?4
             AND NOT EXISTS (SELECT 1 FROM deliveries r WHERE r.redelivery_of = d.id)",
        ),
        params![now, PARKED, hook_id, since],
    )? as i64)
}

/// A ping: an event for one hook only, whatever events it subscribes to.
pub struct Ping<'a> {
    pub feed_id: i64,
    pub hook_id: i64,
    pub identifier: &'a str,
    pub username: &'a str,
    pub occurred_at: &'a str,
    pub envelope: &'a str,
}

/// Stores a ping event with its one delivery; returns the delivery id.
pub fn insert_ping(c: &mut Connection, p: &Ping<'_>, now: i64) -> Result<i64, DbError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO events (feed_id, identifier, event_type, username, occurred_at, received_at, body, sent_hash, deliveries)
         VALUES (?1, ?2, 'ping', ?3, ?4, ?5, ?6, x'', 1)",
        params![p.feed_id, p.identifier, p.username, p.occurred_at, now, p.envelope],
    )?;
    let event_id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO deliveries (hook_id, event_id, event_type, status, due_at, created_at) VALUES (?1, ?2, 'ping', 'pending', ?3, ?3)",
        params![p.hook_id, event_id, now],
    )?;
    let id = tx.last_insert_rowid();
    tx.commit()?;
    Ok(id)
}

#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: i64,
    pub hook_id: i64,
    pub event_identifier: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub due_at: Option<i64>,
    pub redelivery_of: Option<i64>,
    pub last_outcome: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// The digest delivery that carried it (or carries it, once gathered).
    pub digest_id: Option<i64>,
    /// Held for the hook's digest: pending with no attempt time of its own.
    pub held: bool,
}

/// The columns of a [`DeliveryRow`], in order.
pub(super) const DELIVERY_COLUMNS: &str =
    "d.id, d.hook_id, e.identifier, d.event_type, d.status, d.attempts, d.due_at,
        d.redelivery_of, d.last_outcome, d.created_at, d.finished_at, d.digest_id";
pub(super) const DELIVERY_FROM: &str = "FROM deliveries d JOIN events e ON e.id = d.event_id";

pub(super) fn delivery_row(r: &Row<'_>) -> rusqlite::Result<DeliveryRow> {
    let due_at: Option<i64> = r.get(6)?;
    Ok(DeliveryRow {
        id: r.get(0)?,
        hook_id: r.get(1)?,
        event_identifier: r.get(2)?,
        event_type: r.get(3)?,
        status: read_status(r, 4, 6)?,
        attempts: r.get(5)?,
        due_at: due_at.filter(|t| *t != HELD),
        redelivery_of: r.get(7)?,
        last_outcome: r.get(8)?,
        created_at: r.get(9)?,
        finished_at: r.get(10)?,
        digest_id: r.get(11)?,
        held: due_at == Some(HELD),
    })
}

/// Filters of a hook's delivery list; each is optional.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Pending includes the waiting deliveries: both are stored as pending.
    pub status: Option<DeliveryStatus>,
    pub event_type: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// A delivery of a feed, with the stored envelope of its event.
pub fn get_delivery(
    c: &Connection,
    feed_id: i64,
    id: i64,
) -> Result<Option<(DeliveryRow, String)>, DbError> {
    Ok(c.query_row(
        &format!("SELECT {DELIVERY_COLUMNS}, coalesce(d.digest_body, e.body) {DELIVERY_FROM} JOIN hooks h ON h.id = d.hook_id WHERE d.id = ?1 AND h.feed_id = ?2"),
        params![id, feed_id],
        |r| Ok((delivery_row(r)?, r.get(12)?)),
    )
    .optional()?)
}

/// Deletes up to `batch` events received before `cutoff`, with their deliveries and attempts;
/// returns how many. Small batches keep each write short, so ingest never waits long.
pub fn prune(c: &Connection, cutoff: i64, batch: i64) -> Result<usize, DbError> {
    Ok(c.execute(
        "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < ?1 ORDER BY received_at LIMIT ?2)",
        params![cutoff, batch],
    )?)
}
