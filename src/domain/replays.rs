//! Bulk replays: count what a selection of a hook's deliveries holds (the dry run), then send
//! it again at a chosen rate as new deliveries linked to the originals. The pacing itself runs
//! in [`crate::delivery::replayer`]; the rule it follows is [`due`], here.
use std::ops::RangeInclusive;

use serde_json::{Value, json};

use super::DomainError;
use super::hooks::Hook;
use super::time::{now_ms, rfc3339};
use super::wake::Wake;
use crate::db::Db;
use crate::db::deliveries::DeliveryFilter;
use crate::db::replays::{self, NewReplay, ReplayRow};
use crate::primitives::FieldError;
use crate::sources::glob;

/// New deliveries per second when the request names no rate.
pub const DEFAULT_RATE: i64 = 10;
/// Whole numbers only: 1/s is the gentlest useful pace, 1000/s is past what one receiver
/// that needed a replay wants, and the pacer makes at most a tenth of a second's worth per step.
pub const RATES: RangeInclusive<i64> = 1..=1000;
/// One replay snapshots at most this many deliveries (one transaction); narrow the filters,
/// or make several, for more.
pub const MAX_DELIVERIES: i64 = 100_000;
/// Longest package glob.
const MAX_GLOB: usize = 200;
/// Finished replays a hook's page lists beside the running ones.
const RECENT: i64 = 5;

/// Which deliveries of a hook a replay sends again: the delivery list's filters plus a package
/// identifier glob (`*`, `?`, case-insensitive, as hook filters read them).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub filter: DeliveryFilter,
    pub package: Option<String>,
}

impl Selection {
    /// Validates the package glob (the other filters come parsed).
    pub fn new(filter: DeliveryFilter, package: Option<&str>) -> Result<Self, FieldError> {
        let package = package.map(str::trim).filter(|p| !p.is_empty());
        if package.is_some_and(|p| p.chars().count() > MAX_GLOB) {
            return Err(FieldError::new(
                "package",
                format!("a glob of at most {MAX_GLOB} characters"),
            ));
        }
        Ok(Selection {
            filter,
            package: package.map(str::to_owned),
        })
    }

    fn to_json(&self) -> Value {
        let f = &self.filter;
        json!({
            "status": f.status.map(|s| s.as_str()),
            "event": f.event_type,
            "since": f.since.map(rfc3339),
            "until": f.until.map(rfc3339),
            "package": self.package,
        })
    }
}

/// A rate as the API sends it: absent means [`DEFAULT_RATE`].
pub fn parse_rate(v: Option<&Value>) -> Result<i64, FieldError> {
    match v {
        None | Some(Value::Null) => Ok(DEFAULT_RATE),
        Some(v) => v
            .as_i64()
            .filter(|r| RATES.contains(r))
            .ok_or_else(rate_error),
    }
}

/// A rate as a form sends it.
pub fn parse_rate_text(s: &str) -> Result<i64, FieldError> {
    match s.trim() {
        "" => Ok(DEFAULT_RATE),
        t => t
            .parse::<i64>()
            .ok()
            .filter(|r| RATES.contains(r))
            .ok_or_else(rate_error),
    }
}

fn rate_error() -> FieldError {
    FieldError::new(
        "rate",
        format!(
            "deliveries per second: a whole number from {} to {}",
            RATES.start(),
            RATES.end()
        ),
    )
}

/// How many deliveries the selection holds now: the dry run.
pub async fn count(db: &Db, hook: &Hook, sel: Selection) -> Result<i64, DomainError> {
    let hook_id = hook.id;
    db.run(move |c| {
        let package = sel.package.clone();
        let matcher = package
            .as_deref()
            .map(|p| move |id: &str| glob::matches(p, id));
        let ids = replays::select_originals(
            c,
            hook_id,
            &sel.filter,
            matcher.as_ref().map(|m| m as &dyn Fn(&str) -> bool),
        )?;
        Ok(ids.len() as i64)
    })
    .await
}

/// Takes the snapshot and starts the replay. With `expected`, refuses (409) when the selection
/// no longer holds that many: a person confirmed that count.
pub async fn start(
    db: &Db,
    replays_due: &Wake,
    hook: &Hook,
    sel: Selection,
    rate: i64,
    expected: Option<i64>,
) -> Result<ReplayRow, DomainError> {
    let hook_id = hook.id;
    let selection = sel.to_json().to_string();
    let made = db
        .write(move |c| {
            let package = sel.package.clone();
            let matcher = package
                .as_deref()
                .map(|p| move |id: &str| glob::matches(p, id));
            let r = NewReplay {
                hook_id,
                rate,
                selection: &selection,
                filter: &sel.filter,
                package: matcher.as_ref().map(|m| m as &dyn Fn(&str) -> bool),
                expected,
                max: MAX_DELIVERIES,
            };
            replays::create(c, &r, now_ms())
        })
        .await?;
    match made {
        Ok(row) => {
            replays_due.ring();
            Ok(row)
        }
        Err(n) if n > MAX_DELIVERIES => Err(DomainError::invalid(
            "filter",
            format!(
                "{n} deliveries match; one replay sends at most {MAX_DELIVERIES}: narrow the filters"
            ),
        )),
        Err(n) => Err(DomainError::Conflict(format!(
            "{n} deliveries match now, not {}: count again",
            expected.unwrap_or_default()
        ))),
    }
}

pub async fn get(db: &Db, hook: &Hook, id: i64) -> Result<ReplayRow, DomainError> {
    let hook_id = hook.id;
    db.run(move |c| replays::get(c, hook_id, id))
        .await?
        .ok_or(DomainError::NotFound)
}

/// The hook's running replays and its latest finished ones, newest first.
pub async fn list(db: &Db, hook: &Hook) -> Result<Vec<ReplayRow>, DomainError> {
    let hook_id = hook.id;
    Ok(db
        .run(move |c| replays::list_for_hook(c, hook_id, RECENT))
        .await?)
}

/// Stops a replay; deliveries it made already go as usual. A finished one stays as it was.
pub async fn cancel(db: &Db, hook: &Hook, id: i64) -> Result<(), DomainError> {
    let hook_id = hook.id;
    if db
        .write(move |c| replays::cancel(c, hook_id, id, now_ms()))
        .await?
    {
        Ok(())
    } else {
        Err(DomainError::NotFound)
    }
}

/// A late step may catch up on this much missed time, no more: a pacer that woke a little late
/// keeps its rate, and one that was stopped (a restart, a long database wait) does not burst.
pub const CATCH_UP_US: i64 = 100_000;

/// How many deliveries a replay at `rate` per second may make at `now_us`, given the earliest
/// time `next_at_us` its next one was allowed, and the next allowed time after those: each
/// delivery takes one interval of the rate, and missed time counts only up to [`CATCH_UP_US`].
pub fn due(rate: i64, next_at_us: i64, now_us: i64) -> (i64, i64) {
    let interval = 1_000_000 / rate.clamp(*RATES.start(), *RATES.end());
    let start = next_at_us.max(now_us - CATCH_UP_US);
    if now_us < start {
        return (0, next_at_us);
    }
    let n = (now_us - start) / interval + 1;
    (n, start + n * interval)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacing_holds_the_rate_and_never_bursts_after_a_stop() {
        // On time: one per interval.
        assert_eq!(due(10, 1_000_000, 1_000_000), (1, 1_100_000));
        assert_eq!(due(10, 1_100_000, 1_050_000), (0, 1_100_000));
        // A little late: what was missed is made up.
        assert_eq!(due(20, 1_000_000, 1_060_000), (2, 1_100_000));
        // Stopped for an hour: a tenth of a second's worth, not an hour's.
        let (n, next) = due(10, 0, 3_600_000_000);
        assert_eq!(n, 2);
        assert_eq!(next, 3_600_000_000 + 100_000);
        // Simulated steps every 7 ms for 10 s at 100/s: 1000 made, give or take one.
        let (mut next, mut made, mut now) = (0i64, 0i64, 0i64);
        while now < 10_000_000 {
            let (n, at) = due(100, next, now);
            (made, next) = (made + n, at);
            now += 7_000;
        }
        assert!((999..=1001).contains(&made), "{made}");
    }

    #[test]
    fn rates_are_whole_numbers_in_bounds() {
        assert_eq!(parse_rate(None).unwrap(), DEFAULT_RATE);
        assert_eq!(parse_rate(Some(&json!(20))).unwrap(), 20);
        for bad in [json!(0), json!(1001), json!(2.5), json!("10"), json!(-1)] {
            assert!(parse_rate(Some(&bad)).is_err(), "{bad}");
        }
        assert_eq!(parse_rate_text(" 5 ").unwrap(), 5);
        assert!(parse_rate_text("fast").is_err());
    }
}
