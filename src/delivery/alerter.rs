//! Alerts when a hook stops: one task that looks at every hook at an interval, opens an
//! incident for a hook newly in trouble (disabled by the server, or a delivery waiting longer
//! than `--alert-after`), closes it when the trouble is gone, and tells the feed's owners (the
//! server's own mail) and the hook's alert hook: once when it stops, once when it recovers.
//!
//! What was told is in the incident's row, not in memory, so a restart neither repeats an
//! alert nor forgets a recovery; a channel that fails is tried again with a growing pause,
//! without holding the other one.
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::after_attempt::outcome_line;
use super::mailer::{Mailer, OwnMail};
use super::retry::AttemptClass;
use super::senders::{OutgoingEvent, SendContext};
use crate::db::feeds::find_feed_by_id;
use crate::db::hooks::{HookRow, hook_by_id};
use crate::db::incidents::{
    IncidentRow, NewIncident, incidents, last_error, open, owner_addresses, recover, told, troubles,
};
use crate::db::{Db, DbError};
use crate::domain::alerts::{self, Alert, AlertState, reason_of, recovery_of};
use crate::domain::hooks::load;
use crate::domain::secret_box::SecretBox;
use crate::domain::time::now_ms;
use crate::events::EventType;
use crate::events::template::Extras;

/// A message that keeps failing is given up (with a log line) after this many tries.
const MAX_TRIES: i64 = 12;
/// The first pause after a failed try; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_secs(30);
const MAX_PAUSE: Duration = Duration::from_secs(3600);

pub struct Alerter {
    pub db: Db,
    pub secrets: SecretBox,
    pub ctx: SendContext,
    /// `None` without `--smtp-url`: owners are then told only through alert hooks.
    pub mailer: Option<Mailer>,
    /// The public URL without a trailing `/`.
    pub base_url: String,
    pub alert_after: Duration,
}

/// What one try of telling achieved, per channel.
struct Told {
    mail_done: bool,
    hook_done: bool,
    error: Option<String>,
}

impl Alerter {
    /// Runs until stopped, one [`Alerter::tick`] every `every`.
    pub async fn run(self, every: Duration, stop: CancellationToken) {
        loop {
            if let Err(e) = self.tick().await {
                tracing::warn!(error = %e, "checking hooks for alerts failed; trying again shortly");
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }

    /// One look: records incidents that began or ended, then sends what is owed and due.
    pub async fn tick(&self) -> Result<(), DbError> {
        let now = now_ms();
        let after = self.alert_after;
        let cutoff = now - after.as_millis() as i64;
        let mail = self.mailer.is_some();
        self.db
            .write(move |c| {
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let now_in_trouble = troubles(&tx, cutoff)?;
                let known = incidents(&tx)?;
                for t in &now_in_trouble {
                    if known.iter().any(|i| i.hook_id == t.hook_id) {
                        continue;
                    }
                    let error = last_error(&tx, t.hook_id)?;
                    let reason = reason_of(t, after, now);
                    let new = NewIncident {
                        hook_id: t.hook_id,
                        cause: t.cause,
                        reason: &reason,
                        last_error: error.as_deref(),
                        mail,
                        hook: t.alert_hook.is_some(),
                    };
                    if open(&tx, &new, now)? {
                        tracing::info!(hook = t.hook_id, cause = t.cause.as_str(), %reason, "a hook stopped; alerting its owners");
                    }
                }
                for i in known.iter().filter(|i| i.recovered_at.is_none()) {
                    if !now_in_trouble.iter().any(|t| t.hook_id == i.hook_id) {
                        tracing::info!(hook = i.hook_id, "a hook recovered; telling its owners");
                        recover(&tx, i.hook_id, now)?;
                    }
                }
                tx.commit().map_err(DbError::from)
            })
            .await?;
        let owed: Vec<IncidentRow> = self
            .db
            .run(|c| incidents(c))
            .await?
            .into_iter()
            .filter(|i| (i.mail_owed || i.hook_owed) && i.next_try_at <= now)
            .collect();
        for i in owed {
            let result = self.tell(&i).await?;
            let retry = match &result.error {
                Some(e) if i.tries + 1 < MAX_TRIES => {
                    let pause = FIRST_PAUSE
                        .saturating_mul(1 << i.tries.min(10) as u32)
                        .min(MAX_PAUSE);
                    tracing::warn!(hook = i.hook_id, error = %e, "an alert could not be sent; trying again later");
                    Some((now_ms() + pause.as_millis() as i64, e.clone()))
                }
                Some(e) => {
                    tracing::error!(hook = i.hook_id, error = %e, tries = i.tries + 1, "an alert could not be sent; giving up on it");
                    None
                }
                None => None,
            };
            let give_up = result.error.is_some() && retry.is_none();
            let (mail_done, hook_done) = (result.mail_done || give_up, result.hook_done || give_up);
            let hook_id = i.hook_id;
            self.db
                .write(move |c| {
                    told(
                        c,
                        hook_id,
                        mail_done,
                        hook_done,
                        retry.as_ref().map(|(at, e)| (*at, e.as_str())),
                    )
                })
                .await?;
        }
        Ok(())
    }

    /// Sends what the incident owes; a channel with no one to tell counts as done.
    async fn tell(&self, i: &IncidentRow) -> Result<Told, DbError> {
        let id = i.hook_id;
        let Some(hook) = self.db.run(move |c| hook_by_id(c, id)).await? else {
            return Ok(Told {
                mail_done: true,
                hook_done: true,
                error: None,
            });
        };
        let feed_id = hook.feed_id;
        let Some(feed) = self.db.run(move |c| find_feed_by_id(c, feed_id)).await? else {
            return Ok(Told {
                mail_done: true,
                hook_done: true,
                error: None,
            });
        };
        let kind_label = crate::domain::hook_config::HookKind::parse(&hook.kind)
            .map_or(hook.kind.clone(), |k| k.label().to_owned());
        let recovered = i.recovered_at.is_some();
        let alert = Alert {
            state: if recovered {
                AlertState::Recovered
            } else {
                AlertState::Stopped
            },
            cause: i.cause,
            feed_url: format!("{}/feeds/{}", self.base_url, feed.identifier),
            hook_page: format!(
                "{}/feeds/{}/hooks/{}",
                self.base_url, feed.identifier, hook.id
            ),
            feed_identifier: feed.identifier.clone(),
            hook_name: hook.name.clone(),
            hook_kind: kind_label,
            reason: if recovered {
                recovery_of(i.cause, self.alert_after)
            } else {
                i.reason.clone()
            },
            last_error: i.last_error.clone(),
            opened_at: i.opened_at,
            now: now_ms(),
        };
        let mut errors = vec![];
        let mail_done = !i.mail_owed || {
            match self.mail(&alert, feed.id).await? {
                Ok(()) => true,
                Err(e) => {
                    errors.push(format!("owners' e-mail: {e}"));
                    false
                }
            }
        };
        let hook_done = !i.hook_owed || {
            match self.alert_hook(&alert, &hook, &feed.name).await? {
                Ok(()) => true,
                Err(e) => {
                    errors.push(format!("alert hook: {e}"));
                    false
                }
            }
        };
        Ok(Told {
            mail_done,
            hook_done,
            error: (!errors.is_empty()).then(|| errors.join("; ")),
        })
    }

    async fn mail(&self, alert: &Alert, feed_id: i64) -> Result<Result<(), String>, DbError> {
        let Some(mailer) = &self.mailer else {
            return Ok(Ok(()));
        };
        let to = self.db.run(move |c| owner_addresses(c, feed_id)).await?;
        if to.is_empty() {
            tracing::warn!(feed = %alert.feed_identifier, "no owner of the feed has an e-mail address; the alert goes only to its alert hook");
            return Ok(Ok(()));
        }
        let m = OwnMail {
            to,
            subject: alert.subject(),
            text: alert.mail_text(),
        };
        Ok(mailer.send(&m).await)
    }

    async fn alert_hook(
        &self,
        alert: &Alert,
        hook: &HookRow,
        feed_name: &str,
    ) -> Result<Result<(), String>, DbError> {
        let Some(target) = hook.alert_hook else {
            return Ok(Ok(()));
        };
        let Some(row) = self.db.run(move |c| hook_by_id(c, target)).await? else {
            return Ok(Ok(()));
        };
        if row.feed_id != hook.feed_id {
            return Ok(Ok(()));
        }
        let target = match load(row, &self.secrets) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e.to_string())),
        };
        if !target.enabled {
            tracing::warn!(
                hook = hook.id,
                alert_hook = target.id,
                "the alert hook is disabled; it is not told"
            );
            return Ok(Ok(()));
        }
        let Ok(config) = &target.config else {
            return Ok(Err("its secrets cannot be decrypted".into()));
        };
        let identifier = uuid::Uuid::new_v4().to_string();
        let parsed = alert.envelope(&identifier);
        let envelope = parsed.to_string();
        let template = alerts::template();
        let ev = OutgoingEvent {
            event: EventType::Ping,
            identifier: &identifier,
            envelope: &envelope,
            parsed: &parsed,
            template: Some(&template),
            extras: Extras {
                feed_name,
                delivery_url: None,
            },
        };
        let attempt = config.send(&self.ctx, &ev).await;
        Ok(match attempt.class {
            AttemptClass::Succeeded => Ok(()),
            _ => Err(outcome_line(&attempt)),
        })
    }
}
