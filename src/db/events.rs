//! Events and their fan-out into deliveries, written together in one transaction.
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

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
    pub sent_hash: [u8; 32],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// New: stored with this many deliveries.
    Created { deliveries: i64 },
    /// The same body under a known identifier: nothing new; the first answer again.
    Duplicate { deliveries: i64 },
    /// Another body under a known identifier.
    Conflict,
}

/// Stores a batch of events, each with one pending delivery per enabled hook of its feed that
/// subscribes to its type, all in one transaction (one commit for many requests: group commit).
pub fn store_events(c: &mut Connection, events: &[NewEvent]) -> Result<Vec<Stored>, DbError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut out = Vec::with_capacity(events.len());
    {
        let mut existing = tx.prepare_cached(
            "SELECT sent_hash, deliveries FROM events WHERE feed_id = ?1 AND identifier = ?2",
        )?;
        let mut count = tx.prepare_cached(
            "SELECT count(*) FROM hooks WHERE feed_id = ?1 AND enabled = 1 AND (event_mask & ?2) != 0",
        )?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO events (feed_id, identifier, event_type, username, occurred_at, received_at, body, sent_hash, deliveries)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut fan_out = tx.prepare_cached(
            "INSERT INTO deliveries (hook_id, event_id, event_type, status, due_at, created_at)
             SELECT id, ?1, ?2, 'pending', ?3, ?3 FROM hooks
             WHERE feed_id = ?4 AND enabled = 1 AND (event_mask & ?5) != 0",
        )?;
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
            let deliveries: i64 = count.query_row(params![e.feed_id, e.event_bit], |r| r.get(0))?;
            insert.execute(params![
                e.feed_id,
                e.identifier,
                e.event_type,
                e.username,
                e.occurred_at,
                e.received_at,
                e.envelope,
                &e.sent_hash[..],
                deliveries
            ])?;
            let event_id = tx.last_insert_rowid();
            if deliveries > 0 {
                fan_out.execute(params![
                    event_id,
                    e.event_type,
                    e.received_at,
                    e.feed_id,
                    e.event_bit
                ])?;
            }
            out.push(Stored::Created { deliveries });
        }
    }
    tx.commit()?;
    Ok(out)
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
        .query_map(params![feed_id, before.unwrap_or(i64::MAX), limit], |r| {
            Ok(EventRow {
                id: r.get(0)?,
                identifier: r.get(1)?,
                event_type: r.get(2)?,
                username: r.get(3)?,
                occurred_at: r.get(4)?,
                received_at: r.get(5)?,
            })
        })?
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
