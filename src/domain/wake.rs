//! The delivery worker's doorbell. Every domain function that makes a delivery due now takes
//! one and rings it after its commit, so no page, API handler or source can forget to.
use std::sync::Arc;

use tokio::sync::Notify;

/// Cheap to clone; all clones ring the same worker.
#[derive(Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    /// Deliveries may be due now: the worker claims at once instead of at its next timer.
    pub fn ring(&self) {
        self.0.notify_one();
    }

    /// Waits for the next ring (one ring while nobody waits is kept for the next wait).
    pub async fn rung(&self) {
        self.0.notified().await;
    }
}
