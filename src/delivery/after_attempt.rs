//! What an attempt means for its delivery: its next step (a pure function of the attempt's
//! class, the retry policy and the attempts made), its outcome line, and its log row.
//!
//! The words: an attempt's *class* says how it went, the delivery's *next step* follows from
//! it, the *outcome* is the line lists show, and a *delivery update* carries all three to the
//! attempt writer.
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::attempt::Attempt;
use super::retry::{AttemptClass, RetryPolicy};
use crate::db::attempts::{AttemptRow, BODY_IS_EVENT};
use crate::db::deliveries::NextStep;

pub const GONE_REASON: &str =
    "disabled because the receiver answered 410 Gone: it no longer accepts these events";

/// `attempts_made` includes the attempt just finished; `unit` in [0, 1) drives the jitter.
pub fn decide(
    policy: &RetryPolicy,
    class: AttemptClass,
    retry_after: Option<Duration>,
    attempts_made: u32,
    now_ms: i64,
    unit: f64,
) -> NextStep {
    match class {
        AttemptClass::Succeeded => NextStep::Succeeded,
        AttemptClass::Gone => NextStep::FailedAndDisable(GONE_REASON.into()),
        AttemptClass::Permanent => NextStep::Failed,
        AttemptClass::Retryable => match policy.next_delay(attempts_made, retry_after, unit) {
            Some(d) => NextStep::RetryAt(now_ms + d.as_millis() as i64),
            None => NextStep::Failed,
        },
    }
}

fn headers_json(headers: &[(String, String)]) -> Value {
    let mut m = Map::new();
    for (k, v) in headers {
        match m.get_mut(k) {
            Some(Value::String(prev)) => {
                prev.push_str(", ");
                prev.push_str(v);
            }
            _ => {
                m.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    Value::Object(m)
}

/// The attempt as stored: request and response as JSON documents, secrets already redacted
/// by the sender.
pub fn to_row(number: i64, started_at: i64, a: &Attempt, envelope: &str) -> AttemptRow {
    let mut request = json!({
        "url": a.request.url, "method": a.request.method, "headers": headers_json(&a.request.headers),
    });
    if a.request.body == envelope {
        request[BODY_IS_EVENT] = Value::Bool(true);
    } else {
        request["body"] = Value::String(a.request.body.clone());
    }
    let response = a.response.as_ref().map(|r| {
        json!({"status": r.status, "headers": headers_json(&r.headers), "body": r.body, "body_size": r.body_size})
            .to_string()
    });
    AttemptRow {
        number,
        started_at,
        duration_ms: a.duration.as_millis() as i64,
        request: request.to_string(),
        response,
        error_kind: a.error.as_ref().map(|e| e.kind),
        error_message: a.error.as_ref().map(|e| e.message.clone()),
    }
}

/// One line for lists and the disabled reason: "200", "500 then retry", "timeout: ...".
pub fn outcome_line(a: &Attempt) -> String {
    let line = match (&a.response, &a.error) {
        (_, Some(e)) => format!("{}: {}", e.kind.as_str(), e.message),
        (Some(r), None) => format!("answered {}", r.status),
        (None, None) => "sent".to_owned(),
    };
    line.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            schedule: vec![Duration::from_secs(10), Duration::from_secs(60)],
            jitter: 0.0,
            max_retry_after: Duration::from_secs(3600),
        }
    }

    #[test]
    fn retryable_attempts_follow_the_schedule_then_fail() {
        let p = policy();
        assert_eq!(
            decide(&p, AttemptClass::Retryable, None, 1, 1000, 0.5),
            NextStep::RetryAt(11_000)
        );
        assert_eq!(
            decide(&p, AttemptClass::Retryable, None, 2, 1000, 0.5),
            NextStep::RetryAt(61_000)
        );
        assert_eq!(
            decide(&p, AttemptClass::Retryable, None, 3, 1000, 0.5),
            NextStep::Failed
        );
        assert_eq!(
            decide(
                &p,
                AttemptClass::Retryable,
                Some(Duration::from_secs(120)),
                1,
                0,
                0.5
            ),
            NextStep::RetryAt(120_000)
        );
    }

    #[test]
    fn success_permanent_and_gone() {
        let p = policy();
        assert_eq!(
            decide(&p, AttemptClass::Succeeded, None, 1, 0, 0.0),
            NextStep::Succeeded
        );
        assert_eq!(
            decide(&p, AttemptClass::Permanent, None, 1, 0, 0.0),
            NextStep::Failed
        );
        assert!(matches!(
            decide(&p, AttemptClass::Gone, None, 1, 0, 0.0),
            NextStep::FailedAndDisable(_)
        ));
    }
}
