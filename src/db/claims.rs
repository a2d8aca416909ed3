//! Claims: the due deliveries the worker takes next, hook by hook within each hook's free
//! slots, read in one snapshot; and the next due time it sleeps until.
use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension, params};

use super::DbError;
use super::codes::{HELD, PARKED};

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
