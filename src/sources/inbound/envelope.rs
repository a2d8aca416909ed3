//! Building the spec's envelopes from upstream webhooks: deterministic identifiers, the
//! envelope shape, and small readers for the upstream JSON.
use serde_json::{Map, Value, json};
use time::PrimitiveDateTime;
use time::macros::format_description;
use uuid::Uuid;

use crate::domain::time::{parse_rfc3339, rfc3339};
use crate::events::EventType;

/// Namespace of every inbound event identifier (fixed forever: changing it would turn every
/// redelivery after an upgrade into a second event).
const NAMESPACE: Uuid = Uuid::from_u128(0x2f0c_7d4e_8b1a_5c39_9e6f_41d2_a8b7_30c5);

/// The longest `Username` the envelope allows.
const MAX_USERNAME_CHARS: usize = 200;

/// UUID v5 of the source and the upstream's own ids for one change, so the same change sent
/// again (a redelivery, a retry) gets the same `Identifier` and is stored once. Each part is
/// length-prefixed so that no two different lists of parts give the same name.
pub fn identifier(source_id: i64, parts: &[&str]) -> String {
    let mut name = format!("inbound:{source_id}");
    for part in parts {
        name.push_str(&format!("|{}:{part}", part.len()));
    }
    Uuid::new_v5(&NAMESPACE, name.as_bytes()).to_string()
}

/// One envelope. A missing `Username` or `When` is left out for the ingest path to fill.
pub fn envelope(
    event: EventType,
    identifier: String,
    username: Option<&str>,
    when: Option<String>,
    payload: Map<String, Value>,
) -> Value {
    let mut root = Map::new();
    root.insert("Identifier".into(), Value::String(identifier));
    if let Some(user) = username.map(str::trim).filter(|u| !u.is_empty()) {
        let user: String = user.chars().take(MAX_USERNAME_CHARS).collect();
        root.insert("Username".into(), Value::String(user));
    }
    if let Some(when) = when {
        root.insert("When".into(), Value::String(when));
    }
    root.insert("PayloadType".into(), json!(event.payload_type()));
    root.insert("Payload".into(), Value::Object(payload));
    Value::Object(root)
}

/// The string at `pointer` (JSON Pointer), if it is a non-empty string.
pub fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// The value at `pointer` as an id: a number or a non-empty string, spelled as text.
pub fn id(v: &Value, pointer: &str) -> Option<String> {
    match v.pointer(pointer)? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// An upstream time as the envelope's `When` (RFC 3339 UTC, milliseconds): RFC 3339 as
/// GitHub sends it, or `2016-08-12 15:23:28 UTC` as GitLab's pipeline hooks do.
pub fn when(s: &str) -> Option<String> {
    let s = s.trim();
    if let Some(ms) = parse_rfc3339(s) {
        return Some(rfc3339(ms));
    }
    let gitlab = format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    let t = PrimitiveDateTime::parse(s, &gitlab).ok()?.assume_utc();
    Some(rfc3339((t.unix_timestamp_nanos() / 1_000_000) as i64))
}

/// `When` from Unix milliseconds, as npm's hooks send `time`.
pub fn when_ms(ms: i64) -> String {
    rfc3339(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_stable_and_differ_by_source_and_part() {
        let a = identifier(
            1,
            &["github", "workflow_run", "289782451", "1", "completed"],
        );
        assert_eq!(
            a,
            identifier(
                1,
                &["github", "workflow_run", "289782451", "1", "completed"]
            )
        );
        assert_ne!(
            a,
            identifier(
                2,
                &["github", "workflow_run", "289782451", "1", "completed"]
            )
        );
        assert_ne!(identifier(1, &["ab", "c"]), identifier(1, &["a", "bc"]));
        assert_eq!(Uuid::parse_str(&a).unwrap().get_version_num(), 5);
    }

    #[test]
    fn upstream_times_become_rfc3339() {
        assert_eq!(
            when("2020-10-05T16:33:49Z").as_deref(),
            Some("2020-10-05T16:33:49.000Z")
        );
        assert_eq!(
            when("2016-08-12 15:23:28 UTC").as_deref(),
            Some("2016-08-12T15:23:28.000Z")
        );
        assert_eq!(
            when("2016-08-12T17:23:21+02:00").as_deref(),
            Some("2016-08-12T15:23:21.000Z")
        );
        assert_eq!(when("yesterday"), None);
        assert_eq!(when_ms(1_603_444_214_995), "2020-10-23T09:10:14.995Z");
    }

    #[test]
    fn blank_usernames_are_left_for_the_server_to_fill() {
        let e = envelope(
            EventType::BuildStarted,
            "x".into(),
            Some("  "),
            None,
            Map::new(),
        );
        assert!(e.get("Username").is_none() && e.get("When").is_none());
        assert_eq!(e["PayloadType"], "BuildStartedWebHookEventPayloadV1");
    }
}
