//! The poller: one task that polls every enabled polling source on its interval, a few
//! sources at a time across the server, each source at most once at a time. A poll that fails
//! records its error in plain words and backs off; it never touches another source.
use std::collections::{HashMap, HashSet};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use tokio::sync::Semaphore;

use crate::domain::wake::Wake;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::backoff::delay_after_failure;
use super::fetch::{Auth, Upstream};
use super::poll::{Memory, PollCtx, PollError};
use super::{npm, nuget};
use crate::db::Db;
use crate::db::feeds::find_feed_by_id;
use crate::db::sources::{due_sources, next_due, record_poll_failure, source_by_id};
use crate::domain::DomainError;
use crate::domain::secret_box::SecretBox;
use crate::domain::source_config::{Mode, SourceConfig, SourceKind};
use crate::domain::sources::{Source, load};
use crate::domain::time::now_ms;

/// Sources polled at once across the server.
pub const CONCURRENT_SOURCES: usize = 4;
/// The longest the loop sleeps before it looks for due sources again (it is also woken when a
/// source is created or enabled).
const IDLE_CHECK: Duration = Duration::from_secs(5);

pub struct Poller {
    db: Db,
    secrets: SecretBox,
    wake_worker: Wake,
    upstream: Upstream,
    /// The server's public URL without a trailing slash, for the events' `FeedUrl`.
    base_url: String,
    slots: Semaphore,
    memory: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<Memory>>>>,
    /// Rung by the domain when a source may be due now (created, enabled, edited).
    due: Wake,
}

impl Poller {
    pub fn new(
        db: Db,
        secrets: SecretBox,
        wake_worker: Wake,
        due: Wake,
        upstream: Upstream,
        base_url: &str,
    ) -> Self {
        Poller {
            db,
            secrets,
            wake_worker,
            upstream,
            base_url: base_url.trim_end_matches('/').to_owned(),
            slots: Semaphore::new(CONCURRENT_SOURCES),
            memory: Mutex::default(),
            due,
        }
    }

    /// Polls due sources until `stop`; polls in flight are dropped then (each commit is one
    /// transaction, so a dropped poll loses only its uncommitted work, which the next poll
    /// redoes with the same event identifiers).
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        let polling = SourceKind::names(Mode::Polling);
        let mut running: JoinSet<i64> = JoinSet::new();
        let mut busy: HashSet<i64> = HashSet::new();
        loop {
            while let Some(done) = running.try_join_next() {
                if let Ok(id) = done {
                    busy.remove(&id);
                }
            }
            let kinds = polling.clone();
            let due = self
                .db
                .run(move |c| due_sources(c, &kinds, now_ms(), 64))
                .await;
            match due {
                Ok(ids) => {
                    for id in ids {
                        if !busy.insert(id) {
                            continue;
                        }
                        let me = self.clone();
                        running.spawn(async move {
                            let _slot = me.slots.acquire().await.expect("never closed");
                            let _ = me.poll(id).await;
                            id
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot read the sources that are due"),
            }
            let kinds = polling.clone();
            let next = self
                .db
                .run(move |c| next_due(c, &kinds))
                .await
                .ok()
                .flatten();
            let wait = next
                .map(|at| Duration::from_millis((at - now_ms()).clamp(50, 5_000) as u64))
                .unwrap_or(IDLE_CHECK)
                .min(IDLE_CHECK);
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = self.due.rung() => {}
                _ = tokio::time::sleep(wait) => {}
                Some(done) = running.join_next(), if !running.is_empty() => {
                    if let Ok(id) = done {
                        busy.remove(&id);
                    }
                }
            }
        }
        running.shutdown().await;
    }

    /// Runs one poll of a source now (waiting for one in flight to end first) and returns the
    /// events it emitted, and why it stopped if it failed (a long catch-up may have committed
    /// some of its steps before).
    pub async fn poll_now(&self, source_id: i64) -> (usize, Option<PollError>) {
        self.poll(source_id).await
    }

    fn memory(&self, source_id: i64) -> Arc<tokio::sync::Mutex<Memory>> {
        let mut all = self.memory.lock().unwrap_or_else(|p| p.into_inner());
        all.entry(source_id).or_default().clone()
    }

    async fn poll(&self, source_id: i64) -> (usize, Option<PollError>) {
        match self.poll_inner(source_id).await {
            Ok(n) => (n, None),
            Err((n, e)) => (n, Some(e)),
        }
    }

    async fn poll_inner(&self, source_id: i64) -> Result<usize, (usize, PollError)> {
        let memory = self.memory(source_id);
        let mut memory = memory.lock().await;
        let Some((source, feed)) = self.load(source_id).await.map_err(|e| (0, e))? else {
            self.memory
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&source_id);
            return Err((0, PollError::Deleted));
        };
        let interval = source.config.interval().unwrap_or(Duration::from_secs(60));
        let failures = source.state.failures;
        let auth = match &source.config {
            SourceConfig::Nuget(c) => nuget::auth(c),
            SourceConfig::Npm(c) => npm::auth(c),
            SourceConfig::Inbound(..) => Auth::none(),
        };
        let mut ctx = PollCtx {
            baseline: source.state.cursor.is_none() && !source.config.backfill(),
            feed_url: format!("{}/feeds/{}", self.base_url, feed.identifier),
            feed,
            session: self.upstream.session(auth),
            db: self.db.clone(),
            wake: self.wake_worker.clone(),
            source: source.clone(),
            events: 0,
        };
        let next_poll_at = now_ms() + interval.as_millis() as i64;
        let result = match &source.config {
            SourceConfig::Nuget(c) => nuget::poll(&mut ctx, c, &mut memory, next_poll_at).await,
            SourceConfig::Npm(c) => {
                npm::poll(&mut ctx, c, &mut memory.validators, next_poll_at).await
            }
            SourceConfig::Inbound(..) => Ok(()),
        };
        match result {
            Ok(()) => Ok(ctx.events),
            Err(PollError::Deleted) => Err((ctx.events, PollError::Deleted)),
            Err(e) => {
                let jitter = rand::thread_rng().gen_range(-1.0..=1.0);
                let retry_after = match &e {
                    PollError::Fetch(f) => f.retry_after(),
                    _ => None,
                };
                let wait = delay_after_failure(
                    interval,
                    u32::try_from(failures + 1).unwrap_or(u32::MAX),
                    retry_after,
                    jitter,
                );
                let message = e.to_string();
                tracing::warn!(source = source_id, error = %message, retry_in = ?wait, "polling a source failed");
                let now = now_ms();
                let at = now + wait.as_millis() as i64;
                let _ = self
                    .db
                    .run(move |c| record_poll_failure(c, source_id, now, &message, at))
                    .await;
                Err((ctx.events, e))
            }
        }
    }

    async fn load(
        &self,
        source_id: i64,
    ) -> Result<Option<(Source, crate::db::feeds::FeedRow)>, PollError> {
        let row = self
            .db
            .run(move |c| {
                let Some(row) = source_by_id(c, source_id)? else {
                    return Ok(None);
                };
                let feed = find_feed_by_id(c, row.feed_id)?;
                Ok::<_, crate::db::DbError>(feed.map(|f| (row, f)))
            })
            .await
            .map_err(DomainError::from)?;
        match row {
            None => Ok(None),
            Some((row, feed)) => Ok(Some((load(row, &self.secrets)?, feed))),
        }
    }
}
