//! A hook's delivery log as the pages and the API list it, with every filter turned into bounds that an
//! index can seek to, so a filter that matches little does not walk a million rows.
//!
//! Times become id bounds (ids grow with `created_at`, see [`super::stats`]); a status filter
//! uses `deliveries_by_hook_status (hook_id, status, id)`, anything else `deliveries_by_hook`.
use rusqlite::{Connection, params};

use super::DbError;
use super::codes::status_code;
use super::deliveries::{DELIVERY_COLUMNS, DeliveryFilter, DeliveryRow, delivery_row};
use super::stats::first_id_since;

/// Up to `limit` deliveries of a hook with ids below `before`, newest first.
pub fn page(
    c: &Connection,
    hook_id: i64,
    f: &DeliveryFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, DbError> {
    let mut upper = before.unwrap_or(i64::MAX);
    if let Some(until) = f.until {
        upper = upper.min(first_id_since(c, until)?);
    }
    let lower = match f.since {
        Some(since) => first_id_since(c, since)?,
        None => 0,
    };
    let mut st = c.prepare_cached(&sql(f.status.is_some()))?;
    let rows = st
        .query_map(
            params![
                hook_id,
                upper,
                f.status.map(status_code),
                lower,
                f.event_type,
                f.since,
                f.until,
                limit
            ],
            delivery_row,
        )?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Two statements rather than `(? IS NULL OR status = ?)`, which no index can serve.
fn sql(by_status: bool) -> String {
    // Named, so the plan does not hang on statistics the planner may not have.
    let (index, by_status) = if by_status {
        ("deliveries_by_hook_status", "d.status = ?3")
    } else {
        ("deliveries_by_hook", "?3 IS NULL")
    };
    format!(
        "SELECT {DELIVERY_COLUMNS}
         FROM deliveries d INDEXED BY {index} JOIN events e ON e.id = d.event_id
         WHERE d.hook_id = ?1 AND d.id < ?2 AND d.id >= ?4 AND {by_status}
           AND (?5 IS NULL OR d.event_type = ?5)
           AND (?6 IS NULL OR d.created_at >= ?6) AND (?7 IS NULL OR d.created_at < ?7)
         ORDER BY d.id DESC LIMIT ?8"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::DeliveryStatus;

    fn store(n: i64) -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::migrations::apply(&mut c).unwrap();
        c.execute_batch(
            "INSERT INTO users (id, username, password_hash, created_at) VALUES (1, 'u', 'x', 0);
             INSERT INTO feeds (id, identifier, name, owner_id, created_at) VALUES (1, 'f', 'f', 1, 0);
             INSERT INTO hooks (id, feed_id, kind, name, events, event_mask, config, created_at, updated_at)
                 VALUES (1, 1, 'http', 'h', '[]', 0, '{}', 0, 0), (2, 1, 'http', 'h2', '[]', 0, '{}', 0, 0);
             INSERT INTO events (id, feed_id, identifier, event_type, received_at, body, sent_hash, deliveries)
                 VALUES (1, 1, 'e', 'ping', 0, '{}', x'', 1);",
        )
        .unwrap();
        for i in 0..n {
            c.execute(
                "INSERT INTO deliveries (hook_id, event_id, event_type, status, created_at) VALUES (?1, 1, ?2, ?3, ?4)",
                params![1 + i % 2, if i % 3 == 0 { "ping" } else { "package.added" },
                    if i % 5 == 0 { "failed" } else { "succeeded" }, 1000 * i],
            )
            .unwrap();
        }
        c
    }

    #[test]
    fn every_filter_is_an_index_seek() {
        let c = store(10);
        for by_status in [false, true] {
            let plan: Vec<String> = c
                .prepare(&format!("EXPLAIN QUERY PLAN {}", sql(by_status)))
                .unwrap()
                .query_map(
                    params![
                        1,
                        9,
                        "failed",
                        0,
                        None::<String>,
                        None::<i64>,
                        None::<i64>,
                        5
                    ],
                    |r| r.get(3),
                )
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let index = if by_status {
                "deliveries_by_hook_status"
            } else {
                "deliveries_by_hook"
            };
            assert!(
                plan[0].starts_with(&format!("SEARCH d USING INDEX {index} (hook_id=?")),
                "{plan:?}"
            );
            assert!(plan[0].contains("id>? AND id<?"), "{plan:?}");
        }
    }

    #[test]
    fn filters_and_bounds_pick_the_right_rows() {
        let c = store(400);
        let f = |status: Option<DeliveryStatus>,
                 event: Option<&str>,
                 since: Option<i64>,
                 until: Option<i64>| DeliveryFilter {
            status,
            event_type: event.map(Into::into),
            since,
            until,
        };
        let ids = |f: &DeliveryFilter, before| -> Vec<i64> {
            page(&c, 1, f, before, 1000)
                .unwrap()
                .iter()
                .map(|d| d.id)
                .collect()
        };
        // Hook 1 has the odd-numbered rows (i even): ids 1, 3, 5, ...
        assert_eq!(ids(&f(None, None, None, None), None).len(), 200);
        assert_eq!(
            ids(&f(None, None, None, None), Some(11)),
            vec![9, 7, 5, 3, 1]
        );
        let failed = ids(&f(Some(DeliveryStatus::Failed), None, None, None), None);
        assert!(failed.iter().all(|id| (id - 1) % 10 == 0) && failed.len() == 40);
        let window = ids(&f(None, Some("ping"), Some(100_000), Some(160_000)), None);
        assert_eq!(
            window,
            vec![157, 151, 145, 139, 133, 127, 121, 115, 109, 103]
        );
        assert!(ids(&f(None, None, Some(1_000_000), None), None).is_empty());
    }
}
