//! Counts for the owners' pages: each hook's recent health and its hourly chart.
//!
//! A hook can have millions of deliveries, so nothing here scans its rows by time. Delivery ids
//! grow with `created_at` (every insert stamps the current time), so a time is turned into the
//! first id created at or after it by one seek on `deliveries_by_time`, and counts are then
//! id ranges on the covering `deliveries_by_hook_status (hook_id, status, id)` index.
use rusqlite::{Connection, OptionalExtension, params};

use super::DbError;
use super::codes::{read_status, status_code};
use crate::primitives::DeliveryStatus;

/// The first delivery id created at or after `t`; past every id when none was.
pub fn first_id_since(c: &Connection, t: i64) -> Result<i64, DbError> {
    let id: Option<i64> = c
        .prepare_cached(
            "SELECT id FROM deliveries INDEXED BY deliveries_by_time WHERE created_at >= ?1
             ORDER BY created_at, id LIMIT 1",
        )?
        .query_row([t], |r| r.get(0))
        .optional()?;
    Ok(id.unwrap_or(i64::MAX))
}

/// A hook's deliveries of one status with ids in `[from, to)`.
pub fn count_range(
    c: &Connection,
    hook_id: i64,
    status: DeliveryStatus,
    from: i64,
    to: i64,
) -> Result<i64, DbError> {
    Ok(c.prepare_cached(
        "SELECT count(*) FROM deliveries INDEXED BY deliveries_by_hook_status
         WHERE hook_id = ?1 AND status = ?2 AND id >= ?3 AND id < ?4",
    )?
    .query_row(params![hook_id, status_code(status), from, to], |r| {
        r.get(0)
    })?)
}

/// The newest delivery of a hook, briefly.
#[derive(Debug, Clone)]
pub struct LastDelivery {
    pub id: i64,
    pub status: DeliveryStatus,
    pub outcome: Option<String>,
    pub created_at: i64,
}

pub fn last_delivery(c: &Connection, hook_id: i64) -> Result<Option<LastDelivery>, DbError> {
    Ok(c.prepare_cached(
        "SELECT id, status, last_outcome, created_at, due_at FROM deliveries INDEXED BY deliveries_by_hook
         WHERE hook_id = ?1 ORDER BY id DESC LIMIT 1",
    )?
    .query_row([hook_id], |r| {
        Ok(LastDelivery {
            id: r.get(0)?,
            status: read_status(r, 1, 4)?,
            outcome: r.get(2)?,
            created_at: r.get(3)?,
        })
    })
    .optional()?)
}

/// Per status (in [`DeliveryStatus::LISTED`] order), a hook's deliveries created in each of the `hours`
/// hours starting at `start` (a whole hour, in ms).
pub fn hourly_counts(
    c: &Connection,
    hook_id: i64,
    start: i64,
    hours: usize,
) -> Result<Vec<[i64; 3]>, DbError> {
    const HOUR: i64 = 3_600_000;
    let bounds: Vec<i64> = (0..=hours as i64)
        .map(|h| first_id_since(c, start + h * HOUR))
        .collect::<Result<_, _>>()?;
    let mut out = vec![[0; 3]; hours];
    for (h, slot) in out.iter_mut().enumerate() {
        let (from, to) = (bounds[h], bounds[h + 1]);
        if from >= to {
            continue; // no delivery of any hook in that hour
        }
        for (i, status) in DeliveryStatus::LISTED.into_iter().enumerate() {
            slot[i] = count_range(c, hook_id, status, from, to)?;
        }
    }
    Ok(out)
}
