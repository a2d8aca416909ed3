//! Event ingest: parse, validate, fill the envelope, and store it with its deliveries.
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::DomainError;
use super::access::{Caller, FeedAccess};
use super::time::{now_ms, rfc3339};
use crate::db::events::{NewEvent, Stored};
use crate::db::feeds::FeedRow;
use crate::events::validate_envelope;
use crate::primitives::FieldError;

/// An accepted event: what the API answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub identifier: String,
    pub deliveries: i64,
    /// False when the same body was accepted before (the answer is repeated, nothing stored).
    pub created: bool,
}

/// Parses and validates a request body and fills the missing envelope fields as the contract
/// says. Fields the catalog does not know are kept exactly as sent.
pub fn prepare(
    raw: &[u8],
    access: &FeedAccess,
    caller: &Caller,
    feed_url: &str,
) -> Result<NewEvent, DomainError> {
    let sent: Value = serde_json::from_slice(raw)
        .map_err(|e| DomainError::Malformed(format!("malformed JSON: {e}")))?;
    let from = Origin {
        feed: &access.feed,
        feed_url,
        username: caller.display_name(),
        source_id: None,
    };
    prepare_envelope(sent, &from)
}

/// Where an event comes from: its feed, and who or what sent it.
pub struct Origin<'a> {
    pub feed: &'a FeedRow,
    pub feed_url: &'a str,
    /// `Username` when the envelope has none.
    pub username: &'a str,
    pub source_id: Option<i64>,
}

/// Validates a parsed envelope and fills its missing fields: the one path every event takes,
/// whether posted to the API or made by a source.
pub fn prepare_envelope(sent: Value, from: &Origin<'_>) -> Result<NewEvent, DomainError> {
    let event = validate_envelope(&sent).map_err(DomainError::Invalid)?;
    // Hashed as sent, before the missing fields are filled: a repeat of the same request
    // must hash the same although its filled-in Identifier or When would differ.
    let sent_hash = canonical_hash(&sent);
    let mut envelope = sent;
    // The validator has checked both are objects; an error rather than a panic should it
    // ever let another shape through.
    let not_object =
        |field: &str| DomainError::Invalid(vec![FieldError::new(field, "must be a JSON object")]);
    let root = envelope.as_object_mut().ok_or_else(|| not_object(""))?;
    let identifier = fill(root, "Identifier", || uuid::Uuid::new_v4().to_string());
    let occurred_at = fill(root, "When", || rfc3339(now_ms()));
    let username = fill(root, "Username", || from.username.to_owned());
    let payload = root
        .get_mut("Payload")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| not_object("Payload"))?;
    fill(payload, "FeedIdentifier", || from.feed.identifier.clone());
    fill(payload, "FeedUrl", || from.feed_url.to_owned());
    let text = envelope.to_string();
    // Moved, not cloned: the writer's filters read it.
    let payload = envelope
        .as_object_mut()
        .and_then(|root| root.remove("Payload"))
        .unwrap_or_default();
    Ok(NewEvent {
        feed_id: from.feed.id,
        identifier,
        event_type: event.name(),
        event_bit: event.bit(),
        username: Some(username),
        occurred_at: Some(occurred_at),
        received_at: now_ms(),
        envelope: text,
        payload,
        sent_hash,
        source_id: from.source_id,
    })
}

/// Sets `key` when absent, and returns its string value.
fn fill(obj: &mut Map<String, Value>, key: &str, make: impl FnOnce() -> String) -> String {
    let v = obj.entry(key).or_insert_with(|| Value::String(make()));
    v.as_str().map(str::to_owned).unwrap_or_default()
}

/// The answer for a stored event.
pub fn answer(identifier: &str, stored: Stored) -> Result<Accepted, DomainError> {
    let identifier = identifier.to_owned();
    match stored {
        Stored::Created { deliveries } => Ok(Accepted {
            identifier,
            deliveries,
            created: true,
        }),
        Stored::Duplicate { deliveries } => Ok(Accepted {
            identifier,
            deliveries,
            created: false,
        }),
        Stored::Conflict => Err(DomainError::Conflict(format!(
            "an event with Identifier {identifier} was already accepted with a different body"
        ))),
    }
}

/// SHA-256 of the JSON with object keys sorted: two bodies that differ only in key order or
/// whitespace are the same event.
pub fn canonical_hash(v: &Value) -> [u8; 32] {
    fn write(v: &Value, out: &mut Vec<u8>) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push(b'{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(Value::String(k.clone()).to_string().as_bytes());
                    out.push(b':');
                    write(&m[k], out);
                }
                out.push(b'}');
            }
            Value::Array(a) => {
                out.push(b'[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write(x, out);
                }
                out.push(b']');
            }
            other => out.extend_from_slice(other.to_string().as_bytes()),
        }
    }
    let mut buf = Vec::new();
    write(v, &mut buf);
    Sha256::digest(&buf).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_and_whitespace_do_not_change_the_hash() {
        let a: Value = serde_json::from_str(r#"{"a": 1, "b": {"x": [1, 2], "y": null}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"b":{"y":null,"x":[1,2]},"a":1}"#).unwrap();
        let c: Value = serde_json::from_str(r#"{"b":{"y":null,"x":[2,1]},"a":1}"#).unwrap();
        assert_eq!(canonical_hash(&a), canonical_hash(&b));
        assert_ne!(canonical_hash(&a), canonical_hash(&c));
    }
}
