//! A hook's digest: the events of a window sent as one message listing them, and quiet hours
//! in a named time zone, during which events are held and sent as one digest when they end.
//! People channels only: an HTTP receiver depends on one envelope per request.
//!
//! A window starts with the first event held after the previous digest went; the digest goes
//! when it ends, or, if that falls in quiet hours, when they end. With quiet hours alone (no
//! window), events outside them go one by one as usual.
use std::time::Duration;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde_json::{Map, Value, json};

use super::hook_config::HookKind;
use crate::primitives::FieldError;

pub const MIN_WINDOW: Duration = Duration::from_secs(60);
pub const MAX_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// The setting as stored and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct HookDigest {
    pub window: Option<Duration>,
    pub quiet_hours: Option<QuietHours>,
}

/// Local times `from` (included) to `to` (excluded) in `tz`; `from` later than `to` spans
/// midnight.
#[derive(Debug, Clone)]
pub struct QuietHours {
    pub from: Time,
    pub to: Time,
    /// The IANA name as given, which the API answers with.
    pub tz_name: String,
    tz: TimeZone,
}

impl PartialEq for QuietHours {
    fn eq(&self, other: &Self) -> bool {
        (self.from, self.to, &self.tz_name) == (other.from, other.to, &other.tz_name)
    }
}

impl QuietHours {
    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }

    fn contains(&self, t: Time) -> bool {
        if self.from <= self.to {
            self.from <= t && t < self.to
        } else {
            t >= self.from || t < self.to
        }
    }

    /// When the quiet hours holding `at` end, or `None` if `at` is not in quiet hours.
    fn end_after(&self, at: &Zoned) -> Option<Zoned> {
        let t = at.time();
        if !self.contains(t) {
            return None;
        }
        // Past midnight in hours that began yesterday (or hours within one day): they end
        // today; before midnight in hours that span it: tomorrow.
        let day: Date = if self.from > self.to && t >= self.from {
            at.date().tomorrow().ok()?
        } else {
            at.date()
        };
        // `compatible` moves a `to` that falls in a daylight-saving gap forward past it, and
        // takes the first of a repeated hour.
        self.tz
            .to_ambiguous_zoned(day.to_datetime(self.to))
            .compatible()
            .ok()
    }
}

impl HookDigest {
    /// Whether a delivery made at `now_ms` is held for a digest rather than sent now.
    pub fn holds(&self, now_ms: i64) -> bool {
        self.window.is_some() || self.is_quiet(now_ms)
    }

    pub fn is_quiet(&self, at_ms: i64) -> bool {
        match (&self.quiet_hours, Timestamp::from_millisecond(at_ms)) {
            (Some(q), Ok(ts)) => q.contains(ts.to_zoned(q.tz.clone()).time()),
            _ => false,
        }
    }

    /// When the digest of a window whose first event was held at `first_ms` goes: the end of
    /// the window, moved past quiet hours it falls in.
    pub fn send_at(&self, first_ms: i64) -> i64 {
        let end = first_ms.saturating_add(self.window.map_or(0, |w| w.as_millis() as i64));
        let Some(q) = &self.quiet_hours else {
            return end;
        };
        let Ok(ts) = Timestamp::from_millisecond(end) else {
            return end;
        };
        q.end_after(&ts.to_zoned(q.tz.clone()))
            .map_or(end, |z| z.timestamp().as_millisecond())
    }

    /// The API's `digest` object.
    pub fn to_json(&self) -> Value {
        json!({
            "window": self.window.map(format_window),
            "quiet_hours": self.quiet_hours.as_ref().map(|q| json!({
                "from": hhmm(q.from),
                "to": hhmm(q.to),
                "tz": q.tz_name,
            })),
        })
    }

    /// One line for pages: "every 15m; quiet 22:00–07:00 Europe/Brussels".
    pub fn describe(&self) -> String {
        let mut parts = vec![];
        if let Some(w) = self.window {
            parts.push(format!("one message per {}", format_window(w)));
        }
        if let Some(q) = &self.quiet_hours {
            parts.push(format!(
                "quiet {}–{} {}",
                hhmm(q.from),
                hhmm(q.to),
                q.tz_name
            ));
        }
        parts.join("; ")
    }

    /// Reads and checks `digest` for a hook of `kind`: `null` or absent is none.
    pub fn from_json(kind: HookKind, v: Option<&Value>) -> Result<Option<Self>, Vec<FieldError>> {
        let obj: &Map<String, Value> = match v {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Object(o)) => o,
            Some(_) => {
                return Err(vec![FieldError::new(
                    "digest",
                    "must be an object {\"window\", \"quiet_hours\"} or null",
                )]);
            }
        };
        if kind.def().digest_room.is_none() {
            return Err(vec![FieldError::new(
                "digest",
                format!(
                    "{} hooks never batch: each event goes as its own request with the spec's envelope",
                    kind.label()
                ),
            )]);
        }
        let mut errors = vec![];
        for key in obj.keys() {
            if key != "window" && key != "quiet_hours" {
                errors.push(FieldError::new(
                    format!("digest.{key}"),
                    "is not a digest setting; they are window and quiet_hours",
                ));
            }
        }
        let window = match obj.get("window") {
            None | Some(Value::Null) => None,
            Some(w) => parse_window(w).map_err(|e| errors.push(e)).ok(),
        };
        let quiet_hours = match obj.get("quiet_hours") {
            None | Some(Value::Null) => None,
            Some(q) => parse_quiet(q, &mut errors),
        };
        if errors.is_empty() && window.is_none() && quiet_hours.is_none() {
            errors.push(FieldError::new(
                "digest",
                "give a window, quiet hours or both; null turns digests off",
            ));
        }
        if errors.is_empty() {
            Ok(Some(HookDigest {
                window,
                quiet_hours,
            }))
        } else {
            Err(errors)
        }
    }
}

fn window_error() -> FieldError {
    FieldError::new(
        "digest.window",
        "must be a duration from 1m to 24h, such as \"15m\" or \"1h\"",
    )
}

fn parse_window(v: &Value) -> Result<Duration, FieldError> {
    let w = v
        .as_str()
        .and_then(|s| humantime::parse_duration(s.trim()).ok())
        .ok_or_else(window_error)?;
    if (MIN_WINDOW..=MAX_WINDOW).contains(&w) {
        Ok(w)
    } else {
        Err(window_error())
    }
}

pub fn format_window(w: Duration) -> String {
    humantime::format_duration(w).to_string()
}

fn parse_quiet(v: &Value, errors: &mut Vec<FieldError>) -> Option<QuietHours> {
    let Some(obj) = v.as_object() else {
        errors.push(FieldError::new(
            "digest.quiet_hours",
            "must be an object {\"from\": \"22:00\", \"to\": \"07:00\", \"tz\": \"Europe/Brussels\"} or null",
        ));
        return None;
    };
    let before = errors.len();
    let mut time_of = |field: &str| {
        let t = obj.get(field).and_then(Value::as_str).and_then(parse_hhmm);
        if t.is_none() {
            errors.push(FieldError::new(
                format!("digest.quiet_hours.{field}"),
                "must be a local time HH:MM, from 00:00 to 23:59",
            ));
        }
        t
    };
    let (from, to) = (time_of("from"), time_of("to"));
    let tz_name = obj.get("tz").and_then(Value::as_str).unwrap_or("").trim();
    let tz = jiff::tz::db().get(tz_name).ok();
    if tz.is_none() {
        errors.push(FieldError::new(
            "digest.quiet_hours.tz",
            "must be a time zone name of the IANA database, such as Europe/Brussels or UTC",
        ));
    }
    if from.is_some() && from == to {
        errors.push(FieldError::new(
            "digest.quiet_hours.to",
            "must differ from `from`: quiet hours that end when they begin hold nothing, or everything",
        ));
    }
    if errors.len() > before {
        return None;
    }
    Some(QuietHours {
        from: from?,
        to: to?,
        tz_name: tz_name.to_owned(),
        tz: tz?,
    })
}

/// "07:30" (24-hour, two digits each).
fn parse_hhmm(s: &str) -> Option<Time> {
    let (h, m) = s.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
}

/// The IANA zone names the server knows, sorted, for the form's suggestions.
pub fn zone_names() -> &'static [String] {
    static NAMES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let mut v: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.as_str().to_owned())
            .collect();
        v.sort();
        v
    });
    &NAMES
}

fn hhmm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(v: Value) -> HookDigest {
        HookDigest::from_json(HookKind::Twilio, Some(&v))
            .unwrap()
            .unwrap()
    }

    fn ms(rfc: &str) -> i64 {
        rfc.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn errors(v: Value) -> Vec<String> {
        HookDigest::from_json(HookKind::Email, Some(&v))
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn settings_round_trip_and_each_mistake_names_its_field() {
        let v = json!({"window": "15m", "quiet_hours": {"from": "22:00", "to": "07:00", "tz": "Europe/Brussels"}});
        assert_eq!(digest(v.clone()).to_json(), v);
        assert_eq!(
            digest(json!({"window": "1h"})).to_json(),
            json!({"window": "1h", "quiet_hours": null})
        );
        assert_eq!(
            HookDigest::from_json(HookKind::Email, Some(&Value::Null)).unwrap(),
            None
        );
        assert_eq!(errors(json!({"window": "30s"})), ["digest.window"]);
        assert_eq!(errors(json!({"window": "25h"})), ["digest.window"]);
        assert_eq!(errors(json!({"window": 15})), ["digest.window"]);
        assert_eq!(errors(json!({})), ["digest"]);
        assert_eq!(errors(json!({"windows": "1m"})), ["digest.windows"]);
        assert_eq!(
            errors(
                json!({"quiet_hours": {"from": "24:00", "to": "7:00", "tz": "Europe/Bruxelles"}})
            ),
            [
                "digest.quiet_hours.from",
                "digest.quiet_hours.to",
                "digest.quiet_hours.tz"
            ]
        );
        assert_eq!(
            errors(json!({"quiet_hours": {"from": "07:00", "to": "07:00", "tz": "UTC"}})),
            ["digest.quiet_hours.to"]
        );
        let http = HookDigest::from_json(HookKind::Http, Some(&json!({"window": "15m"})));
        assert!(http.unwrap_err()[0].message.contains("never batch"));
    }

    #[test]
    fn a_window_goes_when_it_ends() {
        let d = digest(json!({"window": "15m"}));
        let t = ms("2026-12-04T10:00:00Z");
        assert_eq!(d.send_at(t), t + 15 * 60_000);
        assert!(d.holds(t));
    }

    /// The fixed clock: each case is a window's first event and when its digest goes.
    #[test]
    fn quiet_hours_hold_until_they_end_in_their_time_zone() {
        let d = digest(
            json!({"window": "15m", "quiet_hours": {"from": "22:00", "to": "07:00", "tz": "Europe/Brussels"}}),
        );
        // Brussels is UTC+1 in December, UTC+2 in summer.
        for (first, goes) in [
            // 20:00 + 15m: before quiet hours.
            ("2026-12-04T19:00:00Z", "2026-12-04T19:15:00Z"),
            // 21:50 + 15m = 22:05: held until 07:00 the next morning.
            ("2026-12-04T20:50:00Z", "2026-12-05T06:00:00Z"),
            // 02:00 (past midnight): until 07:00 the same day.
            ("2026-12-05T01:00:00Z", "2026-12-05T06:00:00Z"),
            // 06:50 + 15m = 07:05: quiet hours are over.
            ("2026-12-05T05:50:00Z", "2026-12-05T06:05:00Z"),
            // 06:45 + 15m = 07:00 exactly: `to` is not quiet.
            ("2026-12-05T05:45:00Z", "2026-12-05T06:00:00Z"),
            // 21:45 + 15m = 22:00 exactly: `from` is quiet.
            ("2026-12-04T20:45:00Z", "2026-12-05T06:00:00Z"),
            // Summer time: 23:00 local is 21:00 UTC; 07:00 local is 05:00 UTC.
            ("2026-07-01T21:00:00Z", "2026-07-02T05:00:00Z"),
        ] {
            assert_eq!(d.send_at(ms(first)), ms(goes), "first event at {first}");
        }
    }

    #[test]
    fn quiet_hours_within_a_day_and_across_a_daylight_saving_change() {
        let d = digest(json!({"quiet_hours": {"from": "12:00", "to": "14:00", "tz": "UTC"}}));
        assert!(!d.holds(ms("2026-12-04T11:59:00Z")));
        assert!(d.holds(ms("2026-12-04T12:00:00Z")));
        assert!(!d.holds(ms("2026-12-04T14:00:00Z")));
        assert_eq!(
            d.send_at(ms("2026-12-04T13:00:00Z")),
            ms("2026-12-04T14:00:00Z")
        );
        assert_eq!(
            d.send_at(ms("2026-12-04T15:00:00Z")),
            ms("2026-12-04T15:00:00Z")
        );
        // Quiet until 02:30 in Brussels on 29 March 2026, when 02:00-03:00 does not exist:
        // they end as long after 01:00 UTC as the clock said, at 03:30 CEST (01:30 UTC).
        let gap = digest(
            json!({"quiet_hours": {"from": "01:00", "to": "02:30", "tz": "Europe/Brussels"}}),
        );
        assert_eq!(
            gap.send_at(ms("2026-03-29T00:30:00Z")),
            ms("2026-03-29T01:30:00Z")
        );
    }
}
