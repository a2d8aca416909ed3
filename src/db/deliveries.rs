//! The delivery queue: claim due deliveries, record attempt results in batches, and read the
//! log back.
use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::DbError;
use super::attempts::AttemptRow;
use super::codes::{HELD, PARKED, read_status, status_code};
use super::digests::finish_carried;
use super::hooks::disable_hook;
use crate::primitives::DeliveryStatus;

/// A claimed delivery with what sending it needs, read in the same snapshot as the claim.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery_id: i64,
    pub hook_id: i64,
    pub hook_updated_at: i64,
    pub hook_enabled: bool,
    /// Attempts the hook may have in flight at once (1 for an ordered hook).
    pub hook_limit: i64,
    /// The hook's next delivery waits for this one to be recorded.
    pub hook_ordered: bool,
    /// Attempts made before this one.
    pub attempts: i64,
    pub event_identifier: String,
    pub event_type: String,
    /// The event's envelope; of a digest delivery, the digest's listing.
    pub envelope: String,
    /// A digest delivery: sent as the digest, never held.
    pub digest: bool,
    /// A redelivery (by hand or a replay): sent at once, never held for a digest.
    pub redelivery: bool,
}

/// How one claim takes deliveries.
pub struct ClaimPlan<'a> {
    pub now: i64,
    pub limit: i64,
    /// Attempts in flight, by hook (hooks not named have none); each hook's own
    /// `max_in_flight` (1 when ordered) bounds what it gets.
    pub in_flight: &'a HashMap<i64, i64>,
    /// Deliveries the worker holds, by hook (being sent, or their result not yet recorded):
    /// pending and due in the store, but not to be claimed again.
    pub taken: &'a HashMap<i64, HashSet<i64>>,
    /// The hook served last; the walk starts after it, so hooks take turns.
    pub after: i64,
}

/// Claims due deliveries hook by hook, at most each hook's free slots, and returns them with
/// the last hook served. Each hook costs one seek on `deliveries_pending_by_hook` (and one on
/// its row for its limits), so a hook with a large backlog (a hanging receiver) is stepped
/// over, never scanned, and nothing is claimed only to be handed back. An ordered hook gets
/// its oldest pending delivery only, and only when it is due and nothing of the hook is in
/// flight or taken: a retrying (or taken) head holds the rest.
///
/// A claim only reads (one snapshot): what it returns the caller marks taken, and nothing in
/// the store changes until the result is recorded. A process that dies leaves its taken
/// deliveries pending and due, so the next start sends them.
pub fn claim_due(c: &mut Connection, plan: &ClaimPlan<'_>) -> Result<(Vec<Claimed>, i64), DbError> {
    let none = HashSet::new();
    let taken = |hook: i64| plan.taken.get(&hook).unwrap_or(&none);
    let tx = c.transaction()?;
    let mut ids: Vec<i64> = Vec::new();
    let mut last = plan.after;
    {
        let mut next_hook = tx.prepare_cached(
            "SELECT hook_id, due_at FROM deliveries WHERE status = 'pending' AND hook_id > ?1
             ORDER BY hook_id, due_at LIMIT 1",
        )?;
        let mut limits_of_hook =
            tx.prepare_cached("SELECT max_in_flight, ordered FROM hooks WHERE id = ?1")?;
        // The head of an ordered hook: its oldest pending delivery, due or not.
        let mut head_of_hook = tx.prepare_cached(
            "SELECT id, due_at FROM deliveries WHERE hook_id = ?1 AND status = 'pending'
             ORDER BY id LIMIT 1",
        )?;
        // No LIMIT: SQLite re-prepares a statement whose bound LIMIT changes (to plan for the
        // value), which cost 5 % of the delivery CPU. Rows stream from the index in due order,
        // and the loop below stops reading once it has what it takes.
        let mut due_of_hook = tx.prepare_cached(
            "SELECT id FROM deliveries WHERE status = 'pending' AND hook_id = ?1 AND due_at <= ?2
             ORDER BY due_at",
        )?;
        let (mut after, mut wrapped) = (plan.after, false);
        while (ids.len() as i64) < plan.limit {
            let next: Option<(i64, Option<i64>)> = next_hook
                .query_row([after], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((hook, due)) = next else {
                if wrapped || plan.after == 0 {
                    break;
                }
                (after, wrapped) = (0, true);
                continue;
            };
            if wrapped && hook > plan.after {
                break;
            }
            after = hook;
            if due.is_none_or(|d| d > plan.now) {
                continue;
            }
            let Some((max, ordered)) = limits_of_hook
                .query_row([hook], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, bool>(1)?)))
                .optional()?
            else {
                continue;
            };
            let busy = plan.in_flight.get(&hook).copied().unwrap_or(0);
            let skip = taken(hook);
            if ordered {
                if busy > 0 || !skip.is_empty() {
                    continue;
                }
                let head: Option<(i64, Option<i64>)> = head_of_hook
                    .query_row([hook], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                if let Some((id, Some(d))) = head
                    && d <= plan.now
                {
                    ids.push(id);
                    last = hook;
                }
                continue;
            }
            let free = max - busy;
            if free <= 0 {
                continue;
            }
            let take = free.min(plan.limit - ids.len() as i64) as usize;
            // Read past the hook's taken deliveries, which are still pending and due.
            let mut rows = due_of_hook.query(params![hook, plan.now])?;
            let mut took = 0;
            while took < take
                && let Some(row) = rows.next()?
            {
                let id: i64 = row.get(0)?;
                if !skip.contains(&id) {
                    ids.push(id);
                    took += 1;
                }
            }
            last = hook;
        }
    }
    if ids.is_empty() {
        tx.commit()?;
        return Ok((vec![], last));
    }
    // The ids travel as one JSON array, so the statement stays prepared and cached.
    let list = serde_json::to_string(&ids).expect("integers serialize");
    let claimed = {
        let mut st = tx.prepare_cached(
            "SELECT d.id, d.hook_id, h.updated_at, h.enabled, d.attempts, e.identifier, d.event_type, coalesce(d.digest_body, e.body),
                    CASE WHEN h.ordered THEN 1 ELSE h.max_in_flight END, h.ordered,
                    d.digest_body IS NOT NULL, d.redelivery_of IS NOT NULL
             FROM deliveries d JOIN hooks h ON h.id = d.hook_id JOIN events e ON e.id = d.event_id
             WHERE d.id IN (SELECT value FROM json_each(?1)) ORDER BY d.id",
        )?;
        st.query_map([list], |r| {
            Ok(Claimed {
                delivery_id: r.get(0)?,
                hook_id: r.get(1)?,
                hook_updated_at: r.get(2)?,
                hook_enabled: r.get(3)?,
                attempts: r.get(4)?,
                event_identifier: r.get(5)?,
                event_type: r.get(6)?,
                envelope: r.get(7)?,
                hook_limit: r.get(8)?,
                hook_ordered: r.get(9)?,
                digest: r.get(10)?,
                redelivery: r.get(11)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?
    };
    tx.commit()?;
    Ok((claimed, last))
}

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

/// At start-up, before the worker runs: deliveries that an earlier build, which wrote its
/// claims into rows as a lease (`claimed = 1`, `due_at` at the lease's end), left unfinished
/// are due again now. Claims are no longer written, so a database only this build used has
/// none.
pub fn release_claims(c: &Connection, now: i64) -> Result<usize, DbError> {
    Ok(c.execute(
        "UPDATE deliveries SET claimed = 0, due_at = CASE WHEN due_at >= ?2 THEN due_at ELSE ?1 END
         WHERE claimed = 1 AND status = 'pending'",
        params![now, PARKED],
    )?)
}

/// The earliest due time after `now` of any pending delivery (parked and held ones
/// excluded). What is due already is either taken by the worker or waits for a slot of its
/// hook, and a finishing attempt wakes the worker for those.
pub fn next_due(c: &Connection, now: i64) -> Result<Option<i64>, DbError> {
    Ok(c.prepare_cached(
        "SELECT min(due_at) FROM deliveries WHERE status = 'pending' AND due_at > ?1 AND due_at < ?2",
    )?
    .query_row(params![now, HELD.min(PARKED)], |r| r.get(0))?)
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
        "INSERT INTO deliveries (hook_id, event_id, event_type, status, due_at, redelivery_of, created_at, digest_body)
         SELECT d.hook_id, d.event_id, d.event_type, 'pending', CASE WHEN h.enabled THEN ?3 ELSE ?4 END, d.id, ?3, d.digest_body
         FROM deliveries d JOIN hooks h ON h.id = d.hook_id WHERE d.id = ?1 AND h.feed_id = ?2",
        params![delivery_id, feed_id, now, PARKED],
    )?;
    Ok((n == 1).then(|| c.last_insert_rowid()))
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
        "INSERT INTO deliveries (hook_id, event_id, event_type, status, due_at, redelivery_of, created_at, digest_body)
         SELECT d.hook_id, d.event_id, d.event_type, 'pending',
                CASE WHEN (SELECT enabled FROM hooks WHERE id = ?1) THEN ?3 ELSE ?4 END, d.id, ?3, d.digest_body
         FROM deliveries d
         WHERE d.hook_id = ?1 AND d.status = 'failed' AND d.created_at >= ?2
           AND NOT EXISTS (SELECT 1 FROM deliveries r WHERE r.redelivery_of = d.id)",
        params![hook_id, since, now, PARKED],
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

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        crate::db::migrations::apply(&mut c).unwrap();
        c.execute_batch(
            "INSERT INTO users (id, username, password_hash, created_at) VALUES (1, 'u', 'x', 0);
             INSERT INTO feeds (id, identifier, name, owner_id, created_at) VALUES (1, 'f', 'f', 1, 0);
             INSERT INTO hooks (id, feed_id, kind, name, events, event_mask, config, max_in_flight, ordered, created_at, updated_at)
                 VALUES (1, 1, 'http', 'a', '[]', 1, '{}', 3, 0, 0, 0), (2, 1, 'http', 'b', '[]', 1, '{}', 8, 1, 0, 0);
             INSERT INTO events (id, feed_id, identifier, event_type, received_at, body, sent_hash, deliveries)
                 VALUES (1, 1, 'e', 'ping', 0, '{}', x'01', 2);
             INSERT INTO deliveries (id, hook_id, event_id, event_type, status, due_at, created_at)
                 VALUES (10, 1, 1, 'ping', 'pending', 1, 0), (11, 1, 1, 'ping', 'pending', 2, 0),
                        (12, 1, 1, 'ping', 'pending', 3, 0), (13, 1, 1, 'ping', 'pending', 4, 0),
                        (20, 2, 1, 'ping', 'pending', 1, 0), (21, 2, 1, 'ping', 'pending', 2, 0);",
        )
        .unwrap();
        c
    }

    fn claim(c: &mut Connection, in_flight: &[(i64, i64)], taken: &[(i64, &[i64])]) -> Vec<i64> {
        let in_flight = in_flight.iter().copied().collect();
        let taken = taken
            .iter()
            .map(|(h, ids)| (*h, ids.iter().copied().collect()))
            .collect();
        let plan = ClaimPlan {
            now: 100,
            limit: 100,
            in_flight: &in_flight,
            taken: &taken,
            after: 0,
        };
        let (claimed, _) = claim_due(c, &plan).unwrap();
        claimed.iter().map(|d| d.delivery_id).collect()
    }

    /// A claim writes nothing, so what the worker holds (being sent, or its result waiting to
    /// be recorded) is skipped by the set it passes: never claimed twice, and the hook's
    /// limit still counts only what is in flight.
    #[test]
    fn a_claim_reads_past_what_is_taken_and_an_ordered_head_taken_holds_its_hook() {
        let mut c = store();
        assert_eq!(
            claim(&mut c, &[], &[]),
            [10, 11, 12, 20],
            "3 slots, and one ordered"
        );
        // 10 and 11 finished, their results not yet committed; 12 is in flight.
        let claimed = claim(&mut c, &[(1, 1)], &[(1, &[10, 11, 12]), (2, &[20])]);
        assert_eq!(claimed, [13], "two free slots, one delivery not taken");
        let changed: i64 = c
            .query_row(
                "SELECT count(*) FROM deliveries WHERE due_at > 4 OR claimed",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(changed, 0, "the store is not written");
    }
}
