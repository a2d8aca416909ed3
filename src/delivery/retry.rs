//! The retry policy of deliveries, after Svix's `calculate_retry_delay`.
//!
//! Everything here is pure: the caller passes the clock (`now`) and the randomness (`unit`), so the
//! worker stays testable and a delivery's schedule can be replayed exactly in tests.

use std::time::Duration;

use time::OffsetDateTime;
use time::macros::format_description;

/// The default `--retry-schedule`: 7 retries, 8 attempts in all, spread over about 21 hours.
///
/// Why this shape: the first retry (10 s) catches a dropped connection or a receiver that was
/// restarting; 1 m and 5 m ride out a deploy or a short rate limit; 30 m and 2 h cover an incident
/// someone is working on; 6 h and 12 h carry a delivery over a night or a weekend-morning outage.
/// Svix (5 s, 5 m, 30 m, 2 h, 5 h, 10 h, 10 h) and GitHub's manual redeliveries sit in the same
/// range. Stopping at about a day keeps a dead receiver from accumulating work indefinitely, and
/// any failed delivery can still be redelivered by hand within `--retention-days`.
pub const DEFAULT_SCHEDULE: &str = "10s,1m,5m,30m,2h,6h,12h";

/// Default jitter: ±20 % spreads the retries of many deliveries that failed together (one
/// receiver outage) so they do not all come back in the same second.
pub const DEFAULT_JITTER: f64 = 0.2;

/// Default cap on a receiver's `Retry-After`: a receiver may slow us down, but not park a
/// delivery for days.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

/// Longest single delay accepted in a schedule.
pub const MAX_DELAY: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Most entries accepted in a schedule, so attempt counts stay small and logs readable.
pub const MAX_ENTRIES: usize = 100;

/// `DEFAULT_SCHEDULE` as values, without parsing (and so without a failure path at run time).
pub fn default_schedule() -> Vec<Duration> {
    [10, 60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600, 12 * 3600]
        .into_iter()
        .map(Duration::from_secs)
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("the retry schedule is empty: give a comma list of delays, e.g. \"10s,1m,10m,1h\"")]
    Empty,
    #[error(
        "entry {position} of the retry schedule is empty (two commas in a row, or a comma at an end)"
    )]
    EmptyEntry { position: usize },
    #[error(
        "entry {position} of the retry schedule, {entry:?}, is not a duration ({reason}); use values like 30s, 10m, 2h"
    )]
    Invalid {
        position: usize,
        entry: String,
        reason: String,
    },
    #[error(
        "entry {position} of the retry schedule, {entry:?}, is zero; every delay must be longer than that"
    )]
    Zero { position: usize, entry: String },
    #[error(
        "entry {position} of the retry schedule, {entry:?}, is longer than the maximum of 7 days"
    )]
    TooLong { position: usize, entry: String },
    #[error("the retry schedule has {count} entries; at most {MAX_ENTRIES} are allowed")]
    TooMany { count: usize },
}

/// Parses `--retry-schedule`: a comma list of humantime durations ("10s,1m,10m,1h").
/// Positions in errors count from 1, as a person reads the list.
pub fn parse_schedule(s: &str) -> Result<Vec<Duration>, ScheduleError> {
    if s.trim().is_empty() {
        return Err(ScheduleError::Empty);
    }
    let entries: Vec<&str> = s.split(',').map(str::trim).collect();
    if entries.len() > MAX_ENTRIES {
        return Err(ScheduleError::TooMany {
            count: entries.len(),
        });
    }
    let mut out = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let position = i + 1;
        if entry.is_empty() {
            return Err(ScheduleError::EmptyEntry { position });
        }
        let d = humantime::parse_duration(entry).map_err(|e| ScheduleError::Invalid {
            position,
            entry: entry.to_owned(),
            reason: e.to_string(),
        })?;
        if d.is_zero() {
            return Err(ScheduleError::Zero {
                position,
                entry: entry.to_owned(),
            });
        }
        if d > MAX_DELAY {
            return Err(ScheduleError::TooLong {
                position,
                entry: entry.to_owned(),
            });
        }
        out.push(d);
    }
    Ok(out)
}

/// What one attempt's HTTP status means for the delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptClass {
    Succeeded,
    /// Try again later (408, 429, 5xx).
    Retryable,
    /// Fail the delivery now: retrying the same request would get the same answer.
    Permanent,
    /// HTTP 410: the receiver says the endpoint is gone for good; fail and disable the hook.
    Gone,
}

/// 2xx succeed; 408, 429 and 5xx are worth retrying; 410 is Gone; everything else, including
/// 3xx (redirects are not followed, so a redirect is a misconfigured URL), is permanent.
pub fn classify_status(status: u16) -> AttemptClass {
    match status {
        200..=299 => AttemptClass::Succeeded,
        408 | 429 | 500..=599 => AttemptClass::Retryable,
        410 => AttemptClass::Gone,
        _ => AttemptClass::Permanent,
    }
}

/// Parses a `Retry-After` value (RFC 9110 §10.2.3): delta-seconds or an IMF-fixdate such as
/// `Sun, 06 Nov 1994 08:49:37 GMT`. A date in the past gives zero. Anything else gives `None`.
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // A number too large for u64 is still a valid "very long" answer; the policy clamps it.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    // The weekday is redundant; skipping it means a receiver that gets it wrong is still understood.
    let (weekday, rest) = value.split_once(", ")?;
    if weekday.len() != 3 || !weekday.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let format =
        format_description!("[day] [month repr:short] [year] [hour]:[minute]:[second] GMT");
    let when = time::PrimitiveDateTime::parse(rest, &format)
        .ok()?
        .assume_utc();
    let delta = when - now;
    if delta.is_negative() {
        return Some(Duration::ZERO);
    }
    Duration::try_from(delta).ok()
}

/// When to try a failed delivery again.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Delay before retry n (index n-1), i.e. after attempt n failed.
    pub schedule: Vec<Duration>,
    /// Fraction of each delay by which it may move either way, e.g. 0.2 for ±20 %.
    pub jitter: f64,
    /// The most a receiver's `Retry-After` may stretch a delay to.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::new(default_schedule())
    }
}

impl RetryPolicy {
    /// A policy with the given schedule and the default jitter and `Retry-After` cap.
    pub fn new(schedule: Vec<Duration>) -> Self {
        Self {
            schedule,
            jitter: DEFAULT_JITTER,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }

    /// `attempts_made` counts attempts already made including the one that just failed (1 after
    /// the first failure; 0 is treated as 1). Returns `None` when the schedule is exhausted.
    /// `unit` is a random number in [0,1) used for jitter (±jitter·delay); values outside are
    /// clamped, NaN means no jitter. A `Retry-After` larger than the scheduled delay is honoured
    /// up to `max_retry_after`; smaller ones never shorten the schedule.
    pub fn next_delay(
        &self,
        attempts_made: u32,
        retry_after: Option<Duration>,
        unit: f64,
    ) -> Option<Duration> {
        let index = usize::try_from(attempts_made.max(1) - 1).ok()?;
        let base = *self.schedule.get(index)?;
        let scheduled = jittered(base, self.jitter, unit);
        Some(match retry_after {
            Some(asked) => scheduled.max(asked.min(self.max_retry_after)),
            None => scheduled,
        })
    }

    /// Attempts a delivery gets in all: the first one plus one per schedule entry.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.schedule.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    }
}

/// `base` moved by up to ±`jitter`·`base`; `unit` 0 gives the shortest, 0.5 exactly `base`.
/// Inputs are sanitised rather than trusted, since a NaN or negative factor would make
/// `Duration` arithmetic panic.
fn jittered(base: Duration, jitter: f64, unit: f64) -> Duration {
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let unit = if unit.is_nan() {
        0.5
    } else {
        unit.clamp(0.0, 1.0)
    };
    let factor = 1.0 + jitter * (2.0 * unit - 1.0);
    Duration::try_from_secs_f64(base.as_secs_f64() * factor).unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn parses_schedules() {
        let ms = Duration::from_millis;
        let ok: &[(&str, &[Duration])] = &[
            ("10s,1m,10m,1h", &[S(10), S(60), S(600), S(3600)]),
            (" 10s , 1m ", &[S(10), S(60)]),
            ("1h 30m", &[S(5400)]),
            ("7days", &[S(7 * 86400)]),
            ("500ms", &[ms(500)]),
        ];
        for (input, want) in ok {
            assert_eq!(parse_schedule(input).as_deref(), Ok(*want), "{input}");
        }
    }

    #[test]
    fn rejects_bad_schedules() {
        let zero = ScheduleError::Zero {
            position: 1,
            entry: "0s".into(),
        };
        let long = ScheduleError::TooLong {
            position: 2,
            entry: "8days".into(),
        };
        #[rustfmt::skip]
        let cases: &[(&str, ScheduleError)] = &[
            ("", ScheduleError::Empty), ("  ", ScheduleError::Empty),
            ("10s,,1m", ScheduleError::EmptyEntry { position: 2 }),
            ("10s,", ScheduleError::EmptyEntry { position: 2 }),
            ("0s", zero), ("1m,8days", long),
        ];
        for (input, want) in cases {
            assert_eq!(parse_schedule(input).as_ref(), Err(want), "{input:?}");
        }
        for input in ["10", "ten seconds", "10s;1m", "-5s"] {
            let err = parse_schedule(input).unwrap_err();
            assert!(
                matches!(err, ScheduleError::Invalid { position: 1, .. }),
                "{input}: {err:?}"
            );
            assert!(err.to_string().contains("is not a duration"), "{err}");
        }
        let many = vec!["1s"; MAX_ENTRIES + 1].join(",");
        let count = MAX_ENTRIES + 1;
        assert_eq!(parse_schedule(&many), Err(ScheduleError::TooMany { count }));
        let err = parse_schedule("1s,2s,0m").unwrap_err().to_string();
        assert!(
            err.starts_with("entry 3 of the retry schedule, \"0m\", is zero"),
            "{err}"
        );
    }

    #[test]
    fn default_schedule_matches_its_text() {
        assert_eq!(
            parse_schedule(DEFAULT_SCHEDULE).unwrap(),
            default_schedule()
        );
        assert_eq!(RetryPolicy::default().max_attempts(), 8);
    }

    #[test]
    fn classifies_statuses() {
        use AttemptClass::*;
        #[rustfmt::skip]
        let cases = [
            (200, Succeeded), (201, Succeeded), (204, Succeeded), (299, Succeeded),
            (408, Retryable), (429, Retryable), (500, Retryable), (502, Retryable),
            (503, Retryable), (599, Retryable), (410, Gone), (100, Permanent),
            (301, Permanent), (302, Permanent), (304, Permanent), (400, Permanent),
            (401, Permanent), (403, Permanent), (404, Permanent), (413, Permanent),
            (422, Permanent), (600, Permanent), (0, Permanent),
        ];
        for (status, want) in cases {
            assert_eq!(classify_status(status), want, "{status}");
        }
    }

    #[test]
    fn parses_retry_after() {
        let now = datetime!(2024-03-01 12:00:00 UTC);
        let cases: &[(&str, Option<Duration>)] = &[
            ("120", Some(S(120))),
            (" 0 ", Some(S(0))),
            ("99999999999999999999999", Some(S(u64::MAX))),
            ("Fri, 01 Mar 2024 12:00:30 GMT", Some(S(30))),
            ("Sat, 02 Mar 2024 12:00:00 GMT", Some(S(86400))),
            ("Mon, 01 Mar 2024 12:01:00 GMT", Some(S(60))), // wrong weekday tolerated
            ("Fri, 01 Mar 2024 11:00:00 GMT", Some(S(0))),  // past
            ("Sun, 06 Nov 1994 08:49:37 GMT", Some(S(0))),
            ("", None),
            ("-5", None),
            ("1.5", None),
            ("soon", None),
            ("Fri, 01 Mar 2024 12:00:30 +0000", None),
            ("Friday, 01-Mar-24 12:00:30 GMT", None),
            ("Fri, 31 Feb 2024 12:00:30 GMT", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_retry_after(input, now), *want, "{input:?}");
        }
    }

    fn policy(jitter: f64) -> RetryPolicy {
        RetryPolicy {
            schedule: vec![S(10), S(60), S(600)],
            jitter,
            max_retry_after: S(300),
        }
    }

    #[test]
    fn follows_schedule_without_jitter() {
        let p = policy(0.0);
        assert_eq!(p.max_attempts(), 4);
        #[rustfmt::skip]
        let cases = [
            (0, Some(S(10))), (1, Some(S(10))), (2, Some(S(60))), (3, Some(S(600))),
            (4, None), (u32::MAX, None),
        ];
        for (made, want) in cases {
            assert_eq!(p.next_delay(made, None, 0.9), want, "attempts_made={made}");
        }
        assert_eq!(RetryPolicy::new(vec![]).next_delay(1, None, 0.5), None);
        assert_eq!(RetryPolicy::new(vec![]).max_attempts(), 1);
    }

    #[test]
    fn jitter_stays_within_bounds() {
        let p = policy(0.2);
        #[rustfmt::skip]
        let cases = [
            (0.0, S(48)), (0.25, S(54)), (0.5, S(60)), (0.75, S(66)),
            (-3.0, S(48)), (7.0, S(72)), (f64::NAN, S(60)), (f64::INFINITY, S(72)),
        ];
        for (unit, want) in cases {
            let got = p.next_delay(2, None, unit).unwrap();
            assert!(
                got.abs_diff(want) < Duration::from_millis(1),
                "unit={unit}: {got:?}"
            );
        }
        for i in 0..1000 {
            let unit = i as f64 / 1000.0;
            let got = p.next_delay(3, None, unit).unwrap();
            assert!(got >= S(480) && got < S(720), "unit={unit}: {got:?}");
        }
        // Out-of-range or NaN jitter must not panic nor go negative.
        for jitter in [f64::NAN, -1.0, 5.0, f64::INFINITY] {
            let got = policy(jitter).next_delay(1, None, 0.0).unwrap();
            assert!(got <= S(20), "jitter={jitter}: {got:?}");
        }
    }

    #[test]
    fn honours_retry_after_within_cap() {
        let p = policy(0.0);
        let cases = [
            (1, Some(S(5)), S(10)),     // smaller: schedule wins
            (1, Some(S(30)), S(30)),    // larger: honoured
            (1, Some(S(300)), S(300)),  // exactly the cap
            (1, Some(S(9999)), S(300)), // clamped to the cap
            (1, Some(Duration::MAX), S(300)),
            (3, Some(S(9999)), S(600)), // the cap never shortens the schedule either
            (2, Some(S(0)), S(60)),
        ];
        for (made, ra, want) in cases {
            assert_eq!(p.next_delay(made, ra, 0.5), Some(want), "{made} {ra:?}");
        }
        assert_eq!(
            p.next_delay(4, Some(S(30)), 0.5),
            None,
            "exhausted despite Retry-After"
        );
        // With jitter, Retry-After beats the jittered delay only when it is larger.
        let p = policy(0.2);
        assert_eq!(p.next_delay(2, Some(S(50)), 0.0), Some(S(50)));
        assert_eq!(
            p.next_delay(2, Some(S(50)), 0.99).map(|d| d > S(71)),
            Some(true)
        );
    }
}
