//! One event as its page shows it: the envelope, the deliveries it made, and the hooks whose
//! filter turned it away, with the rule.
use rusqlite::{Connection, OptionalExtension, params};

use super::DbError;
use super::events::{EventRow, event_row};

pub struct EventDetail {
    pub row: EventRow,
    pub envelope: String,
    pub source_id: Option<i64>,
    pub deliveries: Vec<EventDelivery>,
    pub filtered: Vec<FilteredBy>,
}

pub struct EventDelivery {
    pub id: i64,
    pub hook_id: i64,
    pub hook_name: String,
    pub status: String,
}

pub struct FilteredBy {
    pub hook_id: i64,
    pub hook_name: String,
    pub reason: String,
}

pub fn event_detail(
    c: &Connection,
    feed_id: i64,
    identifier: &str,
) -> Result<Option<EventDetail>, DbError> {
    let found = c
        .query_row(
            "SELECT id, identifier, event_type, username, occurred_at, received_at, body, source_id
             FROM events WHERE feed_id = ?1 AND identifier = ?2",
            params![feed_id, identifier],
            |r| {
                Ok((
                    event_row(r)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<i64>>(7)?,
                ))
            },
        )
        .optional()?;
    let Some((row, envelope, source_id)) = found else {
        return Ok(None);
    };
    let deliveries = c
        .prepare_cached(
            "SELECT d.id, d.hook_id, h.name, d.status FROM deliveries d JOIN hooks h ON h.id = d.hook_id
             WHERE d.event_id = ?1 ORDER BY d.id",
        )?
        .query_map([row.id], |r| {
            Ok(EventDelivery {
                id: r.get(0)?,
                hook_id: r.get(1)?,
                hook_name: r.get(2)?,
                status: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let filtered = c
        .prepare_cached(
            "SELECT h.id, h.name, j.value ->> 1 FROM events e, json_each(e.filtered) j
             JOIN hooks h ON h.id = j.value ->> 0 WHERE e.id = ?1 ORDER BY h.id",
        )?
        .query_map([row.id], |r| {
            Ok(FilteredBy {
                hook_id: r.get(0)?,
                hook_name: r.get(1)?,
                reason: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Some(EventDetail {
        row,
        envelope,
        source_id,
        deliveries,
        filtered,
    }))
}
