//! One writer for accepted events, committing requests that arrive together in one transaction
//! (group commit). A lone request is written at once; under load each commit carries many, so
//! ingest is not bounded by SQLite's commits per second.
use tokio::sync::{mpsc, oneshot};

use super::DomainError;
use super::hook_filter;
use super::wake::Wake;
use crate::db::Db;
use crate::db::events::{NewEvent, Stored, store_events};

/// Most events written in one transaction.
const MAX_BATCH: usize = 512;
/// Requests waiting for the writer; beyond this, ingest answers 503 instead of queueing forever.
const QUEUE: usize = 8192;

/// Why a batch failed: whether it may pass by itself (busy, locked, disk full), and the text.
type Failure = (bool, String);
type Job = (NewEvent, oneshot::Sender<Result<Stored, Failure>>);

#[derive(Clone)]
pub struct EventWriter {
    tx: mpsc::Sender<Job>,
}

impl EventWriter {
    /// Starts the writer task. `wake` rings after each commit that created deliveries.
    pub fn start(db: Db, wake: Wake) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, rx, wake));
        EventWriter { tx }
    }

    /// Stores one event; returns once it is committed (durable) or refused.
    pub async fn store(&self, event: NewEvent) -> Result<Stored, DomainError> {
        let (reply, answer) = oneshot::channel();
        if self.tx.try_send((event, reply)).is_err() {
            return Err(DomainError::Unavailable(
                "too many events are waiting to be stored".into(),
            ));
        }
        match answer.await {
            Ok(Ok(stored)) => Ok(stored),
            Ok(Err((true, msg))) => Err(DomainError::Unavailable(msg)),
            Ok(Err((false, msg))) => Err(DomainError::Unexpected(anyhow::anyhow!(msg))),
            Err(_) => Err(DomainError::Unavailable(
                "the server is shutting down".into(),
            )),
        }
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>, wake: Wake) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (events, replies): (Vec<NewEvent>, Vec<_>) =
            std::mem::take(&mut batch).into_iter().unzip();
        match db
            .write_accepted(move |c| store_events(c, &events, hook_filter::judge))
            .await
        {
            Ok(stored) => {
                if stored
                    .iter()
                    .any(|s| matches!(s, Stored::Created { deliveries } if *deliveries > 0))
                {
                    wake.ring();
                }
                for (reply, s) in replies.into_iter().zip(stored) {
                    let _ = reply.send(Ok(s));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, count = replies.len(), "storing events failed; nothing of the batch was kept");
                let failure: Failure = (e.is_transient(), e.to_string());
                for reply in replies {
                    let _ = reply.send(Err(failure.clone()));
                }
            }
        }
    }
}
