//! How a hook has been doing: its last delivery, its success rate of the last day, and its
//! deliveries per hour, for the feed and hook pages.
use super::DomainError;
use super::hooks::Hook;
use crate::db::Db;
use crate::db::stats::{self, LastDelivery};
use crate::primitives::DeliveryStatus;

const HOUR: i64 = 3_600_000;
/// The chart's span: a week shows both daily rhythm and a bad day.
pub const CHART_HOURS: usize = 7 * 24;

#[derive(Debug, Clone)]
pub struct HookHealth {
    pub last: Option<LastDelivery>,
    /// Deliveries created in the last 24 hours, by outcome.
    pub succeeded: i64,
    pub failed: i64,
    pub pending: i64,
}

impl HookHealth {
    /// Succeeded out of finished deliveries, in percent; None when none finished.
    pub fn success_rate(&self) -> Option<u32> {
        let done = self.succeeded + self.failed;
        (done > 0).then(|| ((self.succeeded * 100) as f64 / done as f64).floor() as u32)
    }
}

/// The health of each hook, in the order given.
pub async fn health(db: &Db, hooks: &[Hook], now: i64) -> Result<Vec<HookHealth>, DomainError> {
    let ids: Vec<i64> = hooks.iter().map(|h| h.id).collect();
    db.run(move |c| {
        let since = stats::first_id_since(c, now - 24 * HOUR)?;
        ids.iter()
            .map(|&id| {
                let count = |s| stats::count_range(c, id, s, since, i64::MAX);
                Ok(HookHealth {
                    last: stats::last_delivery(c, id)?,
                    succeeded: count(DeliveryStatus::Succeeded)?,
                    failed: count(DeliveryStatus::Failed)?,
                    pending: count(DeliveryStatus::Pending)?,
                })
            })
            .collect()
    })
    .await
}

/// Deliveries per hour of the last [`CHART_HOURS`] hours, the current hour last.
#[derive(Debug, Clone)]
pub struct HourlyChart {
    /// Start of the first hour, in Unix ms.
    pub start: i64,
    /// Per hour, the count of each of [`DeliveryStatus::LISTED`].
    pub hours: Vec<[i64; 3]>,
}

pub async fn hourly(db: &Db, hook: &Hook, now: i64) -> Result<HourlyChart, DomainError> {
    let start = (now.div_euclid(HOUR) + 1 - CHART_HOURS as i64) * HOUR;
    let hook_id = hook.id;
    let hours = db
        .run(move |c| stats::hourly_counts(c, hook_id, start, CHART_HOURS))
        .await?;
    Ok(HourlyChart { start, hours })
}
