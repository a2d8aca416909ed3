//! The attempt log: one row per attempt, its request and response as JSON documents.
//!
//! An `http` attempt's body is the event's envelope byte for byte; the log then stores a
//! reference to the event's body instead of a copy, one copy per event instead of one per
//! attempt, and puts the envelope back when the log is read.
use rusqlite::Connection;
use serde_json::Value;

use super::DbError;
use crate::primitives::ErrorKind;

/// One attempt as stored.
#[derive(Debug, Clone, Default)]
pub struct AttemptRow {
    pub number: i64,
    pub started_at: i64,
    pub duration_ms: i64,
    pub request: String,
    pub response: Option<String>,
    pub error_kind: Option<ErrorKind>,
    pub error_message: Option<String>,
}

/// Stands in a stored request for a body that is the event's envelope: the writer sets it
/// (`true`) instead of a `body`, and [`list_attempts`] puts the envelope back.
pub const BODY_IS_EVENT: &str = "body_is_event";

/// A delivery's attempts in order, each request with its body put back where the log stored
/// only a reference to the event's envelope.
pub fn list_attempts(
    c: &Connection,
    delivery_id: i64,
    envelope: &str,
) -> Result<Vec<AttemptRow>, DbError> {
    let mut st = c.prepare_cached(
        "SELECT number, started_at, duration_ms, request, response, error_kind, error_message
         FROM attempts WHERE delivery_id = ?1 ORDER BY number, id",
    )?;
    let rows = st
        .query_map([delivery_id], |r| {
            Ok(AttemptRow {
                number: r.get(0)?,
                started_at: r.get(1)?,
                duration_ms: r.get(2)?,
                request: with_envelope(r.get_ref(3)?.as_str()?, envelope),
                response: r.get(4)?,
                error_kind: r.get(5)?,
                error_message: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The stored request with the event's envelope put back as its body where it stands in.
fn with_envelope(stored_request: &str, envelope: &str) -> String {
    match serde_json::from_str::<Value>(stored_request) {
        Ok(Value::Object(mut m)) if m.contains_key(BODY_IS_EVENT) => {
            m.remove(BODY_IS_EVENT);
            m.insert("body".into(), Value::String(envelope.to_owned()));
            Value::Object(m).to_string()
        }
        _ => stored_request.to_owned(),
    }
}
