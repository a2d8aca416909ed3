//! The delivery worker: claims due deliveries, sends each with its hook's sender, and hands
//! the result to the attempt writer. Concurrency is bounded overall and per hook (the hook's
//! `max_in_flight`, one for an ordered hook), so a hanging receiver holds at most its own few
//! slots and never delays the others.
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::after_attempt::{decide, outcome_line, to_row};
use super::attempt_writer::AttemptWriter;
use super::metrics::Metrics;
use super::retry::{AttemptClass, RetryPolicy};
use super::senders::x::weighted_length;
use super::senders::{OutgoingEvent, SendContext};
use crate::db::claims::{ClaimPlan, Claimed, claim_due, next_due};
use crate::db::deliveries::{DeliveryUpdate, NextStep};
use crate::db::feeds::{FeedRow, find_feed_by_id};
use crate::db::hooks::{hook_by_id, hooks_by_ids};
use crate::db::{Db, DbError};
use crate::domain::digest_message;
use crate::domain::hook_config::{HookConfig, HookKind};
use crate::domain::hooks::{Hook, load};
use crate::domain::secret_box::SecretBox;
use crate::domain::time::now_ms;
use crate::domain::wake::Wake;
use crate::events::EventType;
use crate::events::template::Extras;

/// Attempts in flight at once, over all hooks. Large enough that more than a hundred hanging
/// receivers, each holding its default 8 slots until the timeout, leave room for the others.
pub const MAX_IN_FLIGHT: usize = 1024;
const CLAIM_BATCH: usize = 128;

/// What a claim found.
#[derive(Default)]
pub struct Tick {
    /// It filled every free slot: there may be more to claim at once.
    more: bool,
    /// The earliest due time after the claim of anything pending.
    next_due: Option<i64>,
}

pub struct Worker {
    db: Db,
    secrets: SecretBox,
    ctx: SendContext,
    policy: RetryPolicy,
    wake: Wake,
    writer: AttemptWriter,
    pub metrics: Arc<Metrics>,
    slots: Arc<Semaphore>,
    in_flight: Mutex<HashMap<i64, usize>>,
    /// Hooks as last loaded, by id, with the `updated_at` they were loaded at.
    hooks: Mutex<HashMap<i64, (i64, Arc<Hook>)>>,
    tasks: TaskTracker,
    /// The hook the last claim served last: the next claim starts after it.
    claim_after: AtomicI64,
}

impl Worker {
    pub fn new(
        db: Db,
        secrets: SecretBox,
        ctx: SendContext,
        policy: RetryPolicy,
        wake: Wake,
        writer: AttemptWriter,
        metrics: Arc<Metrics>,
    ) -> Self {
        Worker {
            db,
            secrets,
            ctx,
            policy,
            wake,
            writer,
            metrics,
            slots: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            in_flight: Mutex::new(HashMap::new()),
            hooks: Mutex::new(HashMap::new()),
            tasks: TaskTracker::new(),
            claim_after: AtomicI64::new(0),
        }
    }

    /// One step: claims as many due deliveries as there are free slots and starts sending
    /// them.
    pub async fn tick(self: &Arc<Self>) -> Result<Tick, DbError> {
        let free = self.slots.available_permits().min(CLAIM_BATCH);
        if free == 0 {
            // A finishing attempt frees a slot and rings.
            return Ok(Tick::default());
        }
        let busy: HashMap<i64, i64> = {
            let map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            map.iter().map(|(id, n)| (*id, *n as i64)).collect()
        };
        let now = now_ms();
        let after = self.claim_after.load(Ordering::Relaxed);
        let taken = self.writer.taken.clone();
        // A read beside the writers; the lock on what is taken spans the read and the marking,
        // so the attempt writer gives nothing back in between. The next due time comes from
        // the same trip to the blocking pool.
        let (claimed, last, next_due) = self
            .db
            .run(move |c| {
                let mut taken = taken.lock();
                let plan = ClaimPlan {
                    now,
                    limit: free as i64,
                    in_flight: &busy,
                    taken: &taken,
                    after,
                };
                let (claimed, last) = claim_due(c, &plan)?;
                for d in &claimed {
                    taken.entry(d.hook_id).or_default().insert(d.delivery_id);
                }
                Ok::<_, DbError>((claimed, last, next_due(c, now)?))
            })
            .await?;
        self.claim_after.store(last, Ordering::Relaxed);
        self.metrics.claimed(claimed.len());
        self.load_hooks(&claimed).await;
        let mut started = 0;
        for c in claimed {
            let permit = {
                let mut map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
                let n = map.entry(c.hook_id).or_default();
                // The batch may bring a hook more deliveries than it has free slots.
                let permit = if (*n as i64) < c.hook_limit {
                    self.slots.clone().try_acquire_owned().ok()
                } else {
                    None
                };
                if permit.is_some() {
                    *n += 1;
                }
                permit
            };
            match permit {
                Some(permit) => {
                    let me = self.clone();
                    self.tasks.spawn(async move { me.deliver(c, permit).await });
                    started += 1;
                }
                // Unchanged in the store: given back, it is claimable again at once.
                None => self.writer.taken.give_back(c.hook_id, c.delivery_id),
            }
        }
        Ok(Tick {
            more: started == free,
            next_due,
        })
    }

    fn release(&self, hook_id: i64) {
        let mut map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&hook_id) {
            *n -= 1;
            if *n == 0 {
                map.remove(&hook_id);
            }
        }
    }

    async fn deliver(self: Arc<Self>, c: Claimed, permit: OwnedSemaphorePermit) {
        let done = self.attempt(&c).await;
        self.writer.send(done);
        self.release(c.hook_id);
        drop(permit);
        // A slot is free: claim more now instead of at the next timer.
        self.wake.ring();
    }

    /// Loads the claimed deliveries' hooks that are not cached (or changed since) in one
    /// blocking call: a first event to 10,000 hooks would otherwise make 10,000 of them, each a
    /// thread of the blocking pool waiting for a connection. A hook that fails to load here is
    /// loaded (and its error reported) by [`Worker::hook`].
    async fn load_hooks(&self, claimed: &[Claimed]) {
        let stale: Vec<i64> = {
            let cache = self.hooks.lock().unwrap_or_else(|p| p.into_inner());
            let mut ids: Vec<i64> = claimed
                .iter()
                .filter(|c| {
                    cache
                        .get(&c.hook_id)
                        .is_none_or(|(at, _)| *at != c.hook_updated_at)
                })
                .map(|c| c.hook_id)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        if stale.is_empty() {
            return;
        }
        let Ok(rows) = self.db.run(move |c| hooks_by_ids(c, &stale)).await else {
            return;
        };
        let loaded: Vec<(i64, i64, Arc<Hook>)> = rows
            .into_iter()
            .filter_map(|row| {
                let (id, at) = (row.id, row.updated_at);
                load(row, &self.secrets).ok().map(|h| (id, at, Arc::new(h)))
            })
            .collect();
        let mut cache = self.hooks.lock().unwrap_or_else(|p| p.into_inner());
        for (id, at, hook) in loaded {
            cache.insert(id, (at, hook));
        }
    }

    async fn hook(&self, id: i64, updated_at: i64) -> Result<Arc<Hook>, String> {
        if let Some((at, h)) = self
            .hooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            && *at == updated_at
        {
            return Ok(h.clone());
        }
        let row = self
            .db
            .run(move |c| hook_by_id(c, id))
            .await
            .map_err(|e| e.to_string())?;
        let row = row.ok_or("the hook was deleted")?;
        let at = row.updated_at;
        let hook = Arc::new(load(row, &self.secrets).map_err(|e| e.to_string())?);
        self.hooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, (at, hook.clone()));
        Ok(hook)
    }

    /// The feed's identifier and name, for templates; `None` when it cannot be read (the
    /// template then prints no name or link rather than failing the attempt).
    async fn feed_names(&self, feed_id: i64) -> Option<FeedRow> {
        self.db
            .run(move |c| find_feed_by_id(c, feed_id))
            .await
            .ok()
            .flatten()
    }

    async fn attempt(&self, c: &Claimed) -> DeliveryUpdate {
        let park = |outcome: &str| DeliveryUpdate {
            delivery_id: c.delivery_id,
            hook_id: c.hook_id,
            attempt: None,
            next: NextStep::Park,
            outcome: outcome.into(),
            ordered: c.hook_ordered,
            digest: c.digest,
        };
        if !c.hook_enabled {
            return park("waiting: the hook is disabled");
        }
        let hook = match self.hook(c.hook_id, c.hook_updated_at).await {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(hook = c.hook_id, error = %e, "cannot load the hook's settings");
                return park("waiting: the hook's settings cannot be read");
            }
        };
        // Only the service senders read the envelope; http hooks send the stored bytes as they
        // are, so they skip the parse (a measurable share of each delivery's CPU).
        let Ok(config) = &hook.config else {
            return park("waiting: the hook's secrets cannot be decrypted; enter them again");
        };
        let event = EventType::from_name(&c.event_type).unwrap_or(EventType::Ping);
        // Redeliveries, replays and pings go at once: the owner asked for them now (a ping is
        // how the settings are tried).
        let now_asked = c.digest || c.redelivery || event == EventType::Ping;
        if !now_asked && hook.digest.as_ref().is_some_and(|d| d.holds(now_ms())) {
            return DeliveryUpdate {
                next: NextStep::Hold,
                ..park("held for the hook's digest")
            };
        }
        // A digest is worded by this server for its channel; the owner's templates are per event.
        let digest_words = c.digest.then(|| digest_message::template(hook.kind()));
        let template = match &digest_words {
            Some(t) => Some(t),
            None => hook.templates.get(event),
        };
        let templated = (template.is_some() && !c.digest)
            || matches!(config, HookConfig::Http(h) if h.has_templated_headers());
        let parsed: Value = match config {
            HookConfig::Http(_) if !templated => Value::Null,
            _ if c.digest => {
                let stored = serde_json::from_str(&c.envelope).unwrap_or(Value::Null);
                let room = hook.kind().def().digest_room.unwrap_or(usize::MAX);
                let measure: &dyn Fn(&str) -> usize = match hook.kind() {
                    HookKind::X => &weighted_length,
                    _ => &|s: &str| s.chars().count(),
                };
                digest_message::fit(&stored, room, measure)
            }
            _ => serde_json::from_str(&c.envelope).unwrap_or(Value::Null),
        };
        // Only templates print the feed's name and the delivery's link: looked up for them.
        let feed = match templated {
            true => self.feed_names(hook.feed_id).await,
            false => None,
        };
        let delivery_url = feed.as_ref().map(|f| {
            format!(
                "{}/feeds/{}/deliveries/{}",
                self.ctx.base_url, f.identifier, c.delivery_id
            )
        });
        let ev = OutgoingEvent {
            event,
            identifier: &c.event_identifier,
            envelope: &c.envelope,
            parsed: &parsed,
            template,
            extras: Extras {
                feed_name: feed.as_ref().map_or("", |f| f.name.as_str()),
                delivery_url: delivery_url.as_deref(),
            },
        };
        let started_at = now_ms();
        let attempt = config.send(&self.ctx, &ev).await;
        let number = c.attempts + 1;
        let unit: f64 = rand::thread_rng().r#gen();
        let next = decide(
            &self.policy,
            attempt.class,
            attempt.retry_after,
            number as u32,
            now_ms(),
            unit,
        );
        self.metrics.observe(
            attempt.class,
            matches!(next, NextStep::RetryAt(_)),
            attempt.duration,
        );
        if attempt.class != AttemptClass::Succeeded {
            tracing::debug!(delivery = c.delivery_id, hook = c.hook_id, outcome = %outcome_line(&attempt), "attempt did not succeed");
        }
        DeliveryUpdate {
            delivery_id: c.delivery_id,
            hook_id: c.hook_id,
            attempt: Some(to_row(number, started_at, &attempt, &c.envelope)),
            next,
            outcome: outcome_line(&attempt),
            ordered: c.hook_ordered,
            digest: c.digest,
        }
    }

    /// Claims and sends until stopped: woken by new events and freed slots, or at the next
    /// retry's due time. On stop, in-flight attempts get `grace` to finish; the rest come back
    /// at the next start.
    pub async fn run(self: Arc<Self>, stop: CancellationToken, grace: Duration) {
        loop {
            let next_due = loop {
                match self.tick().await {
                    Ok(Tick { more: true, .. }) => {}
                    Ok(t) => break t.next_due,
                    Err(e) => {
                        tracing::warn!(error = %e, "claiming deliveries failed; retrying shortly");
                        break None;
                    }
                }
            };
            // Due now but not claimable (hooks at their limit, no free slot): a finishing
            // attempt wakes us; at the latest, a look every second.
            let wait = next_due.map_or(Duration::from_secs(1), |t| {
                Duration::from_millis((t - now_ms()).max(0) as u64).min(Duration::from_secs(1))
            });
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = self.wake.rung() => {
                    // Woken while attempts are in flight (most often by one finishing): let the
                    // others that finish now run first, so one claim serves them all (about 50
                    // deliveries per claim instead of 15 in the benchmark's delivery phase).
                    if self.slots.available_permits() < MAX_IN_FLIGHT {
                        tokio::task::yield_now().await;
                    }
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
        self.tasks.close();
        if tokio::time::timeout(grace, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                "attempts still running at shutdown; they will be retried after the next start"
            );
        }
    }
}
