//! The request log of inbound sources: what each source received and what it became.
use rusqlite::{Connection, params};

use super::DbError;

/// A request to record. `headers` and `body` are already redacted and capped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInboundRequest {
    pub source_id: i64,
    pub received_at: i64,
    pub headers: String,
    pub body: String,
    pub body_size: i64,
    pub outcome: &'static str,
    pub detail: Option<String>,
    pub identifiers: String,
    pub events: i64,
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

pub fn record_inbound_request(c: &Connection, r: &NewInboundRequest) -> Result<i64, DbError> {
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
        r.outcome,
        r.detail,
        r.identifiers,
        r.events,
        r.previous_secret,
    ])?;
    Ok(c.last_insert_rowid())
}

/// The newest `limit` requests of a source, newest first.
pub fn list_inbound_requests(
    c: &Connection,
    source_id: i64,
    limit: i64,
) -> Result<Vec<InboundRequestRow>, DbError> {
    let mut st = c.prepare_cached(
        "SELECT id, received_at, headers, body, body_size, outcome, detail, identifiers, events,
                previous_secret
         FROM inbound_requests WHERE source_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = st
        .query_map(params![source_id, limit], |r| {
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
