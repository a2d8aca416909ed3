//! The attempt writer: records the worker's delivery updates in batches, one transaction for
//! all that finished together, so a busy worker costs a commit per batch, not per attempt.
//! The same batching writer as the domain's `EventWriter`, for the other end of the queue.
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::taken::Taken;
use crate::db::Db;
use crate::db::deliveries::{DeliveryUpdate, record};
use crate::domain::time::now_ms;
use crate::domain::wake::Wake;

const MAX_BATCH: usize = 512;

pub struct AttemptWriter {
    tx: mpsc::UnboundedSender<DeliveryUpdate>,
    /// What the worker took; each delivery is given back once its result is committed.
    pub taken: Taken,
}

impl AttemptWriter {
    /// Starts the recording task; it ends once every `AttemptWriter` is dropped and the queue is
    /// written out.
    pub fn start(db: Db, wake: Wake) -> (AttemptWriter, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let taken = Taken::default();
        let task = tokio::spawn(run(db, wake, rx, taken.clone()));
        (AttemptWriter { tx, taken }, task)
    }

    pub fn send(&self, c: DeliveryUpdate) {
        // Only fails once the task ended, which happens after every sender is gone.
        let _ = self.tx.send(c);
    }
}

async fn run(db: Db, wake: Wake, mut rx: mpsc::UnboundedReceiver<DeliveryUpdate>, taken: Taken) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let done = std::sync::Arc::new(std::mem::take(&mut batch));
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
