//! Events and their fan-out into deliveries, written together in one transaction.
use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::DbError;

/// An event ready to store; `event_bit` selects the hooks subscribed to its type.
pub struct NewEvent {
    pub feed_id: i64,
    pub identifier: String,
    pub event_type: &'static str,
    pub event_bit: i64,
    pub username: Option<String>,
    pub occurred_at: Option<String>,
    pub received_at: i64,
    pub envelope: String,
    /// `Payload` of the envelope, as validated: filters read it without parsing `envelope`
    /// again in the writer's transaction. `Null` when not at hand (then it is parsed there).
    pub payload: serde_json::Value,
    pub sent_hash: [u8; 32],
    /// The source that emitted it; `None` for events posted to the API.
    pub source_id: Option<i64>,
}

/// Whether a hook's filter (its stored JSON) lets an event (its type's name and the envelope's
/// `Payload`) through; `Err` is the rule that turned it away. The domain supplies it, so the
/// store only knows where filters are kept.
pub type Judge =
    fn(filter: &str, event_type: &str, payload: &serde_json::Value) -> Result<(), String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// New: stored with this many deliveries.
    Created { deliveries: i64 },
    /// The same body under a known identifier: nothing new; the first answer again.
    Duplicate { deliveries: i64 },
    /// Another body under a known identifier.
    Conflict,
}

// The hooks an event goes to, asked per event: each reads one covering index (migration 0014),
// never the hooks' rows.
const COUNT_UNFILTERED: &str = "SELECT count(*) FROM hooks INDEXED BY hooks_unfiltered
     WHERE feed_id = ?1 AND filter IS NULL AND enabled = 1 AND (event_mask & ?2) != 0";
const FILTERED_HOOKS: &str = "SELECT id, filter FROM hooks INDEXED BY hooks_filtered
     WHERE feed_id = ?1 AND filter IS NOT NULL AND enabled = 1 AND (event_mask & ?2) != 0";
const FAN_OUT: &str =
    "INSERT INTO deliveries (hook_id, event_id, event_type, status, due_at, created_at)
     SELECT id, ?1, ?2, 'pending', ?3, ?3 FROM hooks INDEXED BY hooks_unfiltered
     WHERE feed_id = ?4 AND filter IS NULL AND enabled = 1 AND (event_mask & ?5) != 0";

/// Stores a batch of events, each with one pending delivery per enabled hook of its feed that
/// subscribes to its type and whose filter lets it through, all in one transaction (one commit
/// for many requests: group commit).
pub fn store_events(
    c: &mut Connection,
    events: &[NewEvent],
    judge: Judge,
) -> Result<Vec<Stored>, DbError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let out = store_events_in(&tx, events, judge)?;
    tx.commit()?;
    Ok(out)
}

/// [`store_events`] inside a caller's transaction, for writers that commit more with the
/// events (a source's cursor).
pub fn store_events_in(
    tx: &Transaction<'_>,
    events: &[NewEvent],
    judge: Judge,
) -> Result<Vec<Stored>, DbError> {
    let mut out = Vec::with_capacity(events.len());
    {
        let mut existing = tx.prepare_cached(
            "SELECT sent_hash, deliveries FROM events WHERE feed_id = ?1 AND identifier = ?2",
        )?;
        let mut count = tx.prepare_cached(COUNT_UNFILTERED)?;
        let mut filtered = tx.prepare_cached(FILTERED_HOOKS)?;
        let mut deliver_one = tx.prepare_cached(
            "INSERT INTO deliveries (hook_id, event_id, event_type, status, due_at, created_at)
             VALUES (?1, ?2, ?3, 'pending', ?4, ?4)",
        )?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO events (feed_id, identifier, event_type, username, occurred_at, received_at, body, sent_hash, deliveries, source_id, filtered)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        let mut fan_out = tx.prepare_cached(FAN_OUT)?;
        for e in events {
            let known: Option<(Vec<u8>, i64)> = existing
                .query_row(params![e.feed_id, e.identifier], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            if let Some((hash, deliveries)) = known {
                out.push(if hash == e.sent_hash {
                    Stored::Duplicate { deliveries }
                } else {
                    Stored::Conflict
                });
                continue;
            }
            let unfiltered: i64 = count.query_row(params![e.feed_id, e.event_bit], |r| r.get(0))?;
            let with_filters: Vec<(i64, String)> = filtered
                .query_map(params![e.feed_id, e.event_bit], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<Result<_, _>>()?;
            let verdicts = judged(e, &with_filters, judge);
            let deliveries = unfiltered + verdicts.iter().filter(|(_, v)| v.is_ok()).count() as i64;
            let filtered = turned_away(&verdicts);
            insert.execute(params![
                e.feed_id,
                e.identifier,
                e.event_type,
                e.username,
                e.occurred_at,
                e.received_at,
                e.envelope,
                &e.sent_hash[..],
                deliveries,
                e.source_id,
                filtered
            ])?;
            let event_id = tx.last_insert_rowid();
            if unfiltered > 0 {
                fan_out.execute(params![
                    event_id,
                    e.event_type,
                    e.received_at,
                    e.feed_id,
                    e.event_bit
                ])?;
            }
            for (hook, _) in verdicts.iter().filter(|(_, v)| v.is_ok()) {
                deliver_one.execute(params![hook, event_id, e.event_type, e.received_at])?;
            }
            out.push(Stored::Created { deliveries });
        }
    }
    Ok(out)
}

/// Each filtered hook's verdict on an event; the envelope is read only when some hook has a
/// filter, so unfiltered feeds pay nothing for filters.
fn judged(
    e: &NewEvent,
    filtered: &[(i64, String)],
    judge: Judge,
) -> Vec<(i64, Result<(), String>)> {
    if filtered.is_empty() {
        return vec![];
    }
    let parsed: serde_json::Value;
    let payload = if e.payload.is_null() {
        parsed = serde_json::from_str(&e.envelope).unwrap_or_default();
        &parsed["Payload"]
    } else {
        &e.payload
    };
    filtered
        .iter()
        .map(|(hook, f)| (*hook, judge(f, e.event_type, payload)))
        .collect()
}

/// The verdicts that turned the event away as `[[reason, [hook, ...]], ...]`, in the order the
/// hooks were judged: one copy of each reason, since hooks that share a filter share its reason
/// and the reasons are most of what filtered ingest writes (migration 0013).
fn turned_away(verdicts: &[(i64, Result<(), String>)]) -> Option<String> {
    let mut groups: Vec<(&str, Vec<i64>)> = vec![];
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (hook, verdict) in verdicts {
        let Err(reason) = verdict else { continue };
        let i = *index.entry(reason).or_insert_with(|| {
            groups.push((reason, vec![]));
            groups.len() - 1
        });
        groups[i].1.push(*hook);
    }
    (!groups.is_empty()).then(|| serde_json::to_string(&groups).expect("groups serialize"))
}

#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: i64,
    pub identifier: String,
    pub event_type: String,
    pub username: Option<String>,
    pub occurred_at: Option<String>,
    pub received_at: i64,
}

/// Reads `id, identifier, event_type, username, occurred_at, received_at`.
pub(super) fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        id: r.get(0)?,
        identifier: r.get(1)?,
        event_type: r.get(2)?,
        username: r.get(3)?,
        occurred_at: r.get(4)?,
        received_at: r.get(5)?,
    })
}

/// A feed's events, newest first, after the cursor (an event id) when given.
pub fn list_events(
    c: &Connection,
    feed_id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<EventRow>, DbError> {
    let mut st = c.prepare_cached(
        "SELECT id, identifier, event_type, username, occurred_at, received_at FROM events
         WHERE feed_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
    )?;
    let rows = st
        .query_map(
            params![feed_id, before.unwrap_or(i64::MAX), limit],
            event_row,
        )?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The stored envelope of an event of a feed, by its identifier.
pub fn event_envelope(
    c: &Connection,
    feed_id: i64,
    identifier: &str,
) -> Result<Option<String>, DbError> {
    Ok(c.query_row(
        "SELECT body FROM events WHERE feed_id = ?1 AND identifier = ?2",
        params![feed_id, identifier],
        |r| r.get(0),
    )
    .optional()?)
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, params_from_iter};

    use super::{COUNT_UNFILTERED, FAN_OUT, FILTERED_HOOKS};

    #[test]
    fn the_per_event_hook_queries_read_only_their_covering_index() {
        let mut c = Connection::open_in_memory().unwrap();
        crate::db::migrations::apply(&mut c).unwrap();
        for sql in [COUNT_UNFILTERED, FILTERED_HOOKS, FAN_OUT] {
            let mut explain = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let n = explain.parameter_count();
            let plan: Vec<String> = explain
                .query_map(params_from_iter(std::iter::repeat_n(1, n)), |r| r.get(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                plan.iter().any(|p| p.contains("USING COVERING INDEX")),
                "{sql}: {plan:?}"
            );
        }
    }
}
