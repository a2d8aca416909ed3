//! Retention: events older than --retention-days are deleted with their deliveries and
//! attempts, in small batches so no write holds the database for long.
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::db::deliveries::prune;
use crate::db::inbound_requests::prune_inbound_requests;
use crate::db::users::delete_expired_sessions;
use crate::db::{Db, DbError};
use crate::domain::accounts::{SESSION_IDLE, SESSION_MAX};
use crate::domain::time::now_ms;

const BATCH: i64 = 500;
const EVERY: Duration = Duration::from_secs(600);

/// Deletes everything received before `cutoff`; returns how many events went.
pub async fn prune_before(db: &Db, cutoff: i64) -> Result<usize, DbError> {
    let mut total = 0;
    loop {
        let n = db.write(move |c| prune(c, cutoff, BATCH)).await?;
        total += n;
        if n < BATCH as usize {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Inbound sources' request logs are kept as long as the deliveries they led to.
    loop {
        let n = db
            .write(move |c| prune_inbound_requests(c, cutoff, BATCH))
            .await?;
        if n < BATCH as usize {
            return Ok(total);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs every ten minutes until stopped.
pub async fn run(db: Db, retention_days: u32, stop: CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
        let now = now_ms();
        let cutoff = now - i64::from(retention_days) * 86_400_000;
        match prune_before(&db, cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "pruned events past the retention period"),
            Err(e) => tracing::warn!(error = %e, "pruning failed; will try again"),
        }
        let idle = now - SESSION_IDLE.as_millis() as i64;
        let max = now - SESSION_MAX.as_millis() as i64;
        if let Err(e) = db.run(move |c| delete_expired_sessions(c, idle, max)).await {
            tracing::warn!(error = %e, "removing expired sessions failed");
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}
