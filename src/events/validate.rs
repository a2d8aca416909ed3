//! Checks an incoming envelope against the catalog, reporting every problem at once.
//!
//! Decisions where the spec is silent (see also the comments in `catalog.rs`):
//! - A root that is not an object gives one error with the empty field name `""`.
//! - `null` is not "missing": `"Username": null` is an error, because the server only fills
//!   fields that are absent, and a `null` kept as sent would reach receivers.
//! - Required strings (PackageType, PackageIdentifier, PackageVersion, build Name) must not be
//!   empty; PackageVersion is otherwise free text (it may be a version constraint).
//! - URLs are only checked to be strings: the renderer links nothing but http(s) anyway.
//! - With an unknown `PayloadType` the envelope is still checked, the payload only for being an
//!   object, since its fields depend on the type.
//! - Fields not in the catalog are never an error, at any depth.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::catalog::{ENVELOPE, EVENTS, EventType, Field, Kind};

/// One problem with one field of an envelope.
use crate::primitives::FieldError;

/// Checks `v` as an event envelope; on success tells which event it is.
pub fn validate_envelope(v: &Value) -> Result<EventType, Vec<FieldError>> {
    let Some(root) = v.as_object() else {
        return Err(vec![FieldError::new(
            "",
            "the envelope must be a JSON object",
        )]);
    };
    let mut errors = Vec::new();
    check_fields(root, &ENVELOPE, "", &mut errors);
    let event = root
        .get("PayloadType")
        .and_then(Value::as_str)
        .and_then(EventType::from_payload_type);
    if let (Some(event), Some(Value::Object(payload))) = (event, root.get("Payload")) {
        check_fields(payload, event.payload_fields(), "Payload", &mut errors);
    }
    match event {
        Some(event) if errors.is_empty() => Ok(event),
        _ => Err(errors),
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn check_fields(
    obj: &Map<String, Value>,
    fields: &[Field],
    prefix: &str,
    errors: &mut Vec<FieldError>,
) {
    for field in fields {
        let path = join(prefix, field.name);
        match obj.get(field.name) {
            Some(value) => check_value(&path, field.kind, value, errors),
            None if field.required => errors.push(FieldError::new(path, "is required")),
            None => {}
        }
    }
}

fn check_value(path: &str, kind: Kind, value: &Value, errors: &mut Vec<FieldError>) {
    let mut fail = |message: String| errors.push(FieldError::new(path, message));
    match kind {
        Kind::Text {
            nullable,
            non_empty,
            max_chars,
            printable,
        } => match value {
            Value::Null if nullable => {}
            Value::String(s) => {
                if non_empty && s.is_empty() {
                    fail("must not be empty".into());
                }
                if let Some(max) = max_chars
                    && s.chars().count() > max
                {
                    fail(format!("must be at most {max} characters"));
                }
                if printable && s.chars().any(char::is_control) {
                    fail("must not contain control characters".into());
                }
            }
            _ if nullable => fail("must be a string or null".into()),
            _ => fail("must be a string".into()),
        },
        Kind::OneOf(values) => {
            if !value.as_str().is_some_and(|s| values.contains(&s)) {
                fail(format!("must be one of: {}", values.join(", ")));
            }
        }
        Kind::DateTime => match value.as_str() {
            None => fail("must be a string".into()),
            Some(s) => {
                if OffsetDateTime::parse(s, &Rfc3339).is_err() {
                    fail("must be an RFC 3339 date-time, e.g. 2014-09-08T13:06:25.8446143Z".into());
                }
            }
        },
        Kind::PayloadType => match value.as_str() {
            None => fail("must be a string".into()),
            Some(s) if EventType::from_payload_type(s).is_none() => fail(unknown_payload_type(s)),
            Some(_) => {}
        },
        Kind::Object { nullable, fields } => match value {
            Value::Null if nullable => {}
            Value::Object(obj) => check_fields(obj, fields, path, errors),
            _ if nullable => fail("must be an object or null".into()),
            _ => fail("must be an object".into()),
        },
        Kind::ArrayOf(fields) => match value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    match item {
                        Value::Object(obj) => check_fields(obj, fields, &item_path, errors),
                        _ => errors.push(FieldError::new(item_path, "must be an object")),
                    }
                }
            }
            _ => fail("must be an array".into()),
        },
    }
}

fn unknown_payload_type(s: &str) -> String {
    // Echo at most 100 characters of a hostile value; {:?} escapes control characters.
    let shown: String = s.chars().take(100).collect();
    let expected: Vec<&str> = EVENTS.iter().map(|e| e.payload_type).collect();
    let mut message = format!(
        "unknown payload type {shown:?}; expected one of: {}",
        expected.join(", ")
    );
    // A common slip: the short event name, or the right name in the wrong case.
    let hint = EVENTS
        .iter()
        .find(|e| e.name == s || e.payload_type.eq_ignore_ascii_case(s))
        .map(|e| e.payload_type);
    if let Some(hint) = hint {
        message.push_str(&format!(
            " (did you mean {hint:?}? names are case-sensitive)"
        ));
    }
    message
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
