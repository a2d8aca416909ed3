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
            "SELECT h.id, h.name, g.value ->> 0
             FROM events e, json_each(e.filtered) g, json_each(g.value, '$[1]') k
             JOIN hooks h ON h.id = k.value WHERE e.id = ?1 ORDER BY h.id",
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

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::event_detail;
    use crate::db::events::{NewEvent, store_events};

    /// The filter of this test: the hook's filter text is the reason it turns every event away.
    fn refuse(filter: &str, _: &str, _: &serde_json::Value) -> Result<(), String> {
        Err(filter.to_owned())
    }

    #[test]
    fn each_hook_that_turned_an_event_away_is_listed_with_its_reason_shared_or_not() {
        let mut c = Connection::open_in_memory().unwrap();
        crate::db::migrations::apply(&mut c).unwrap();
        c.execute_batch(
            "INSERT INTO users (id, username, password_hash, created_at) VALUES (1, 'u', 'x', 0);
             INSERT INTO feeds (id, identifier, name, owner_id, created_at) VALUES (1, 'f', 'f', 1, 0);
             INSERT INTO hooks (id, feed_id, kind, name, events, event_mask, config, filter, created_at, updated_at)
                 VALUES (1, 1, 'http', 'one', '[]', 1, '{}', 'not ours', 0, 0),
                        (2, 1, 'http', 'two', '[]', 1, '{}', 'a prerelease', 0, 0),
                        (3, 1, 'http', 'three', '[]', 1, '{}', 'not ours', 0, 0),
                        (4, 1, 'http', 'four', '[]', 1, '{}', NULL, 0, 0);",
        )
        .unwrap();
        let event = NewEvent {
            feed_id: 1,
            identifier: "e".into(),
            event_type: "ping",
            event_bit: 1,
            username: None,
            occurred_at: None,
            received_at: 0,
            envelope: "{}".into(),
            payload: serde_json::json!({}),
            sent_hash: [0; 32],
            source_id: None,
        };
        store_events(&mut c, &[event], refuse).unwrap();
        let stored: String = c
            .query_row("SELECT filtered FROM events", [], |r| r.get(0))
            .unwrap();
        // One copy of each reason, with the hooks it turned away (groups in judging order).
        let mut groups: Vec<(String, Vec<i64>)> = serde_json::from_str(&stored).unwrap();
        groups.sort();
        assert_eq!(
            groups,
            [
                ("a prerelease".into(), vec![2]),
                ("not ours".into(), vec![1, 3])
            ]
        );

        let detail = event_detail(&c, 1, "e").unwrap().unwrap();
        let listed: Vec<(i64, &str, &str)> = detail
            .filtered
            .iter()
            .map(|f| (f.hook_id, f.hook_name.as_str(), f.reason.as_str()))
            .collect();
        assert_eq!(
            listed,
            [
                (1, "one", "not ours"),
                (2, "two", "a prerelease"),
                (3, "three", "not ours")
            ]
        );
        assert_eq!(detail.deliveries.len(), 1, "the unfiltered hook delivers");
    }
}
