//! WAL checkpoints in the background: every half second a passive checkpoint copies committed
//! pages into the database file, so no commit pays for it (and its fsync) on the request path.
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{Db, DbError};

const EVERY: Duration = Duration::from_millis(500);

async fn checkpoint(db: &Db, mode: &'static str) -> Result<(), DbError> {
    db.run(move |c| Ok(c.execute_batch(&format!("PRAGMA wal_checkpoint({mode});"))?))
        .await
}

/// Runs until stopped; a last full checkpoint leaves a small WAL for the next start.
pub async fn run(db: Db, stop: CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(EVERY) => {}
        }
        if let Err(e) = checkpoint(&db, "PASSIVE").await {
            tracing::warn!(error = %e, "checkpoint failed; will try again");
        }
    }
    if let Err(e) = checkpoint(&db, "TRUNCATE").await {
        tracing::debug!(error = %e, "final checkpoint did not complete");
    }
}
