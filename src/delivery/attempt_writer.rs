//! The attempt writer: records the worker's delivery updates in batches, one transaction for
//! all that finished together, so a busy worker costs a commit per batch, not per attempt.
//! The same batching writer as the domain's `EventWriter`, for the other end of the queue.
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::metrics::Metrics;
use super::taken::Taken;
use crate::db::Db;
use crate::db::deliveries::{DeliveryUpdate, record};
use crate::domain::time::now_ms;
use crate::domain::wake::Wake;

const MAX_BATCH: usize = 512;
/// How long a result waits for others to share its commit. A commit rewrites every page it
/// touches, among them a page of each busy hook's indexes, so a few hundred results cost
/// little more to commit than thirty; nothing waits on these commits but the log and the
/// next retry, and an ordered hook's result is committed at once (its next delivery waits).
const GATHER: Duration = Duration::from_millis(2);

pub struct AttemptWriter {
    tx: mpsc::UnboundedSender<DeliveryUpdate>,
    /// What the worker took; each delivery is given back once its result is committed.
    pub taken: Taken,
}

impl AttemptWriter {
    /// Starts the recording task; it ends once every `AttemptWriter` is dropped and the queue is
    /// written out.
    pub fn start(db: Db, wake: Wake, metrics: Arc<Metrics>) -> (AttemptWriter, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let taken = Taken::default();
        let task = tokio::spawn(run(db, wake, rx, taken.clone(), metrics));
        (AttemptWriter { tx, taken }, task)
    }

    pub fn send(&self, c: DeliveryUpdate) {
        // Only fails once the task ended, which happens after every sender is gone.
        let _ = self.tx.send(c);
    }
}

async fn run(
    db: Db,
    wake: Wake,
    mut rx: mpsc::UnboundedReceiver<DeliveryUpdate>,
    taken: Taken,
    metrics: Arc<Metrics>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let until = tokio::time::Instant::now() + GATHER;
        while batch.len() < MAX_BATCH && !batch.iter().any(|d| d.ordered) {
            let room = MAX_BATCH - batch.len();
            let more = rx.recv_many(&mut batch, room);
            match tokio::time::timeout_at(until, more).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let done = Arc::new(std::mem::replace(&mut batch, Vec::with_capacity(MAX_BATCH)));
        // A result must not be lost: a busy or full database is retried until it takes it.
        // (Were the process to die meanwhile, the delivery is still pending: it goes again.)
        let mut wait = Duration::from_millis(50);
        loop {
            let (chunk, taken) = (done.clone(), taken.clone());
            match db
                .write(move |c| {
                    record(c, chunk.as_slice(), now_ms())?;
                    // Committed: claims may see these rows as the store now has them.
                    taken.give_back_all(&chunk);
                    Ok::<_, crate::db::DbError>(())
                })
                .await
            {
                Ok(()) => {
                    metrics.committed(done.len());
                    // The next delivery of an ordered hook is claimable only from now on.
                    if done.iter().any(|d| d.ordered) {
                        wake.ring();
                    }
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, results = done.len(), "recording attempt results failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}
