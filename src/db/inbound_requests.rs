//! The request log of inbound sources: what each source received and what it became, written
//! in the same transaction as the events it made.
use rusqlite::{Connection, TransactionBehavior, params};

use super::DbError;
use super::events::{Judge, NewEvent, Stored, store_events_in};

/// A request to record. `headers` and `body` are already redacted and capped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInboundRequest {
    pub source_id: i64,
    pub received_at: i64,
    pub headers: String,
    pub body: String,
    pub body_size: i64,
    pub outcome: &'static str,
    /// The outcome instead, when the request carried events and none of them was new.
    pub repeat_outcome: &'static str,
    pub detail: Option<String>,
    pub identifiers: String,
    pub previous_secret: bool,
}

/// A recorded request, as the source page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundRequestRow {
    pub id: i64,
    pub received_at: i64,
    pub headers: String,
    pub body: String,
    pub body_size: i64,
    pub outcome: String,
    pub detail: Option<String>,
    pub identifiers: String,
    pub events: i64,
    pub previous_secret: bool,
}

/// Commits what one inbound request made: its events with their deliveries, the source's
/// state (events emitted, last contact, last error) and the log line, in one transaction.
/// `None` when the source was deleted meanwhile (nothing is written).
pub fn commit_inbound(
    c: &mut Connection,
    log: &NewInboundRequest,
    events: &[NewEvent],
    error: Option<&str>,
    judge: Judge,
) -> Result<Option<Vec<Stored>>, DbError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let exists: bool = tx.query_row(
        "SELECT count(*) FROM sources WHERE id = ?1",
        [log.source_id],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(None);
    }
    let stored = store_events_in(&tx, events, judge)?;
    let created = stored
        .iter()
        .filter(|s| matches!(s, Stored::Created { .. }))
        .count() as i64;
    match error {
        None => tx.execute(
            "UPDATE sources SET events_emitted = events_emitted + ?2, last_poll_at = ?3,
                    last_success_at = ?3, last_error = NULL
             WHERE id = ?1",
            params![log.source_id, created, log.received_at],
        )?,
        Some(error) => tx.execute(
            "UPDATE sources SET last_poll_at = ?2, last_error = ?3 WHERE id = ?1",
            params![log.source_id, log.received_at, error],
        )?,
    };
    let outcome = if !events.is_empty() && created == 0 {
        log.repeat_outcome
    } else {
        log.outcome
    };
    insert(&tx, log, outcome, created)?;
    tx.commit()?;
    Ok(Some(stored))
}

fn insert(
    c: &Connection,
    r: &NewInboundRequest,
    outcome: &str,
    events: i64,
) -> Result<i64, DbError> {
    c.prepare_cached(
        "INSERT INTO inbound_requests (source_id, received_at, headers, body, body_size, outcome,
             detail, identifiers, events, previous_secret)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        r.source_id,
        r.received_at,
        r.headers,
        r.body,
        r.body_size,
        outcome,
        r.detail,
        r.identifiers,
        events,
        r.previous_secret,
    ])?;
    Ok(c.last_insert_rowid())
}

/// The newest `limit` requests of a source, newest first.
/// Newest first; `before` (a row id) starts the page after the one that ended there.
pub fn list_inbound_requests(
    c: &Connection,
    source_id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<InboundRequestRow>, DbError> {
    let mut st = c.prepare_cached(
        "SELECT id, received_at, headers, body, body_size, outcome, detail, identifiers, events,
                previous_secret
         FROM inbound_requests WHERE source_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
    )?;
    let rows = st
        .query_map(params![source_id, before.unwrap_or(i64::MAX), limit], |r| {
            Ok(InboundRequestRow {
                id: r.get(0)?,
                received_at: r.get(1)?,
                headers: r.get(2)?,
                body: r.get(3)?,
                body_size: r.get(4)?,
                outcome: r.get(5)?,
                detail: r.get(6)?,
                identifiers: r.get(7)?,
                events: r.get(8)?,
                previous_secret: r.get(9)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Deletes up to `batch` requests received before `cutoff`; returns how many.
pub fn prune_inbound_requests(c: &Connection, cutoff: i64, batch: i64) -> Result<usize, DbError> {
    Ok(c.execute(
        "DELETE FROM inbound_requests WHERE id IN
             (SELECT id FROM inbound_requests WHERE received_at < ?1 ORDER BY received_at LIMIT ?2)",
        params![cutoff, batch],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(_: &str, _: &str, _: &serde_json::Value) -> Result<(), String> {
        Ok(())
    }

    fn store() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::migrations::apply(&mut c).unwrap();
        c.execute_batch(
            "INSERT INTO users (id, username, password_hash, created_at) VALUES (1, 'u', 'x', 0);
             INSERT INTO feeds (id, identifier, name, owner_id, created_at) VALUES (1, 'f', 'f', 1, 0);
             INSERT INTO hooks (id, feed_id, kind, name, events, event_mask, config, created_at, updated_at)
                 VALUES (1, 1, 'http', 'h', '[]', -1, '{}', 0, 0);
             INSERT INTO sources (id, feed_id, kind, name, config, created_at, updated_at)
                 VALUES (5, 1, 'github', 'gh', '{}', 0, 0);",
        )
        .unwrap();
        c
    }

    fn log(at: i64) -> NewInboundRequest {
        NewInboundRequest {
            source_id: 5,
            received_at: at,
            headers: "[]".into(),
            body: "{}".into(),
            body_size: 2,
            outcome: "accepted",
            repeat_outcome: "repeated",
            detail: None,
            identifiers: "[\"e1\"]".into(),
            previous_secret: false,
        }
    }

    fn event() -> NewEvent {
        NewEvent {
            feed_id: 1,
            identifier: "e1".into(),
            event_type: "build.started",
            event_bit: 1 << 7,
            username: None,
            occurred_at: None,
            received_at: 10,
            envelope: "{}".into(),
            payload: serde_json::Value::Null,
            sent_hash: [0; 32],
            source_id: Some(5),
        }
    }

    #[test]
    fn events_state_and_log_line_commit_together_and_a_repeat_is_named_so() {
        let mut c = store();
        let first = commit_inbound(&mut c, &log(10), &[event()], None, pass)
            .unwrap()
            .unwrap();
        assert!(matches!(first[0], Stored::Created { deliveries: 1, .. }));
        let again = commit_inbound(&mut c, &log(20), &[event()], None, pass)
            .unwrap()
            .unwrap();
        assert!(matches!(again[0], Stored::Duplicate { .. }));
        let rows = list_inbound_requests(&c, 5, None, 10).unwrap();
        assert_eq!(
            rows.iter()
                .map(|r| (r.outcome.as_str(), r.events))
                .collect::<Vec<_>>(),
            [("repeated", 0), ("accepted", 1)]
        );
        let (emitted, success): (i64, i64) = c
            .query_row(
                "SELECT events_emitted, last_success_at FROM sources WHERE id = 5",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((emitted, success), (1, 20));
    }

    #[test]
    fn an_error_is_the_source_s_last_error_and_a_deleted_source_takes_nothing() {
        let mut c = store();
        let mut bad = log(30);
        bad.outcome = "malformed";
        commit_inbound(&mut c, &bad, &[], Some("the body is not valid JSON"), pass).unwrap();
        let error: Option<String> = c
            .query_row("SELECT last_error FROM sources WHERE id = 5", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(error.as_deref(), Some("the body is not valid JSON"));
        c.execute("DELETE FROM sources WHERE id = 5", []).unwrap();
        assert!(
            commit_inbound(&mut c, &log(40), &[event()], None, pass)
                .unwrap()
                .is_none()
        );
        let events: i64 = c
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(events, 0);
        assert_eq!(
            c.query_row("SELECT count(*) FROM inbound_requests", [], |r| r
                .get::<_, i64>(0))
                .unwrap(),
            0
        );
    }

    #[test]
    fn pruning_takes_only_what_is_older_than_the_cutoff() {
        let mut c = store();
        for at in [1, 2, 3, 100] {
            commit_inbound(&mut c, &log(at), &[], None, pass).unwrap();
        }
        assert_eq!(prune_inbound_requests(&c, 50, 2).unwrap(), 2);
        assert_eq!(prune_inbound_requests(&c, 50, 2).unwrap(), 1);
        assert_eq!(list_inbound_requests(&c, 5, None, 10).unwrap().len(), 1);
    }
}
