//! The deliveries this process has taken from the queue and not yet recorded: being sent, or
//! sent with their result waiting in the attempt writer's batch. The store still shows them
//! pending and due; claims skip them by this set instead of writing a lease into each row, so
//! a claim is a read beside the writers rather than one more write transaction. Nothing is
//! lost if the process dies: what was taken is still pending, due, and goes at the next start.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::db::deliveries::DeliveryUpdate;

/// Delivery ids by hook.
pub type TakenMap = HashMap<i64, HashSet<i64>>;

#[derive(Clone, Default)]
pub struct Taken(Arc<Mutex<TakenMap>>);

impl Taken {
    /// Held by a claim from its read to its marking what it took, so that nothing is taken
    /// twice.
    pub fn lock(&self) -> MutexGuard<'_, TakenMap> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Gives back one delivery: called once its result is committed (or when it was taken
    /// and not started), so the next claim sees what the store now says of it.
    pub fn give_back(&self, hook_id: i64, delivery_id: i64) {
        remove(&mut self.lock(), hook_id, delivery_id);
    }

    /// Gives back a committed batch.
    pub fn give_back_all(&self, done: &[DeliveryUpdate]) {
        let mut map = self.lock();
        for d in done {
            remove(&mut map, d.hook_id, d.delivery_id);
        }
    }
}

fn remove(map: &mut TakenMap, hook_id: i64, delivery_id: i64) {
    if let Some(ids) = map.get_mut(&hook_id) {
        ids.remove(&delivery_id);
        if ids.is_empty() {
            map.remove(&hook_id);
        }
    }
}
