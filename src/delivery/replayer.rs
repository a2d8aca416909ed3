//! The replay pacer: one task that makes the due deliveries of every running replay, at no more
//! than each replay's rate, and sleeps until the next one is due or a replay starts. It keeps
//! nothing in memory that matters: progress and the next allowed time are in the replay's row,
//! so after a restart (even `kill -9`) it carries on where it stopped, at the same pace.
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::db::replays::{running, send_next};
use crate::db::{Db, DbError};
use crate::domain::replays::due;
use crate::domain::time::now_us;
use crate::domain::wake::Wake;

/// Steps closer together than this gain nothing: the worker batches claims anyway.
const MIN_STEP: Duration = Duration::from_millis(5);
/// With no replay running, look again this often even if no doorbell rang.
const IDLE: Duration = Duration::from_secs(30);

/// Runs until stopped; `replays_due` rings when a replay starts, `deliveries_due` is the
/// worker's doorbell.
pub async fn run(db: Db, replays_due: Wake, deliveries_due: Wake, stop: CancellationToken) {
    loop {
        let wait = match step(&db, &deliveries_due).await {
            Ok(Some(next_us)) => {
                Duration::from_micros((next_us - now_us()).max(0) as u64).clamp(MIN_STEP, IDLE)
            }
            Ok(None) => IDLE,
            Err(e) => {
                tracing::warn!(error = %e, "a replay step failed; trying again shortly");
                Duration::from_secs(1)
            }
        };
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
            _ = replays_due.rung() => {}
        }
    }
}

/// Makes what is due now of each running replay; returns the earliest next allowed time.
async fn step(db: &Db, deliveries_due: &Wake) -> Result<Option<i64>, DbError> {
    let replays = db.run(|c| running(c)).await?;
    let mut earliest: Option<i64> = None;
    let mut made = 0;
    for r in replays {
        let now = now_us();
        let (n, next) = due(r.rate, r.next_at_us, now);
        if n > 0 {
            made += db
                .write(move |c| send_next(c, r.id, n, next, now / 1000))
                .await?;
        }
        earliest = Some(earliest.map_or(next, |e| e.min(next)));
    }
    if made > 0 {
        deliveries_due.ring();
    }
    Ok(earliest)
}
