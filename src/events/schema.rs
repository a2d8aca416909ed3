//! JSON Schema (draft 2020-12) of each event's envelope, generated from the catalog so that it
//! says exactly what `validate_envelope` checks. Unknown properties are allowed everywhere,
//! as the server keeps fields it does not know.

use serde_json::{Map, Value, json};

use super::catalog::{ENVELOPE, EventType, Field, Kind};

/// Printable text: no C0 or C1 control characters, the same test as `char::is_control`.
const PRINTABLE_PATTERN: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";

/// The JSON Schema of `t`'s envelope, as served at `GET /api/v1/schemas/{event}`.
pub fn json_schema(t: EventType) -> Value {
    let mut schema = object_schema(&ENVELOPE, Some(t));
    let mut head = Map::new();
    head.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    head.insert(
        "title".into(),
        json!(format!("{} ({})", t.title(), t.name())),
    );
    head.insert(
        "description".into(),
        json!(format!(
            "{}. Envelope of a MyGet webhook event with PayloadType {}.",
            t.description(),
            t.payload_type()
        )),
    );
    // Put the header first so the document reads well (preserve_order keeps insertion order).
    if let Value::Object(body) = &mut schema {
        head.append(body);
    }
    Value::Object(head)
}

/// Schema of an object with `fields`; `event` is set only for the envelope, whose `Payload`
/// takes that event's fields.
fn object_schema(fields: &[Field], event: Option<EventType>) -> Value {
    let mut properties = Map::new();
    for field in fields {
        let mut prop = match (field.kind, event) {
            (Kind::PayloadType, Some(t)) => json!({ "const": t.payload_type() }),
            (Kind::Object { .. }, Some(t)) if field.name == "Payload" => {
                object_schema(t.payload_fields(), None)
            }
            (kind, _) => kind_schema(kind),
        };
        if let Value::Object(prop) = &mut prop {
            prop.insert("description".into(), json!(field.doc));
        }
        properties.insert(field.name.into(), prop);
    }
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    json!({
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": true,
    })
}

fn kind_schema(kind: Kind) -> Value {
    match kind {
        Kind::Text {
            nullable,
            non_empty,
            max_chars,
            printable,
        } => {
            let mut s = Map::new();
            s.insert("type".into(), nullable_type("string", nullable));
            if non_empty {
                s.insert("minLength".into(), json!(1));
            }
            if let Some(max) = max_chars {
                s.insert("maxLength".into(), json!(max));
            }
            if printable {
                s.insert("pattern".into(), json!(PRINTABLE_PATTERN));
            }
            Value::Object(s)
        }
        Kind::OneOf(values) => json!({ "type": "string", "enum": values }),
        Kind::DateTime => json!({ "type": "string", "format": "date-time" }),
        // Only reached without an event: any known payload type.
        Kind::PayloadType => {
            let names: Vec<&str> = EventType::ALL.iter().map(|t| t.payload_type()).collect();
            json!({ "type": "string", "enum": names })
        }
        Kind::Object { nullable, fields } => {
            let mut s = object_schema(fields, None);
            if nullable {
                s["type"] = nullable_type("object", true);
            }
            s
        }
        Kind::ArrayOf(fields) => json!({ "type": "array", "items": object_schema(fields, None) }),
    }
}

fn nullable_type(name: &str, nullable: bool) -> Value {
    if nullable {
        json!([name, "null"])
    } else {
        json!(name)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::example;
    use super::super::validate::validate_envelope;
    use super::*;
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    /// Every `required` list anywhere in `schema` is satisfied by `value` at that place.
    fn check_required(schema: &Value, value: &Value, path: &str) {
        if let (Some(required), Some(obj)) = (schema["required"].as_array(), value.as_object()) {
            for name in required {
                let name = name.as_str().expect("required names are strings");
                assert!(obj.contains_key(name), "{path}.{name} missing");
            }
        }
        if let (Some(props), Some(obj)) = (schema["properties"].as_object(), value.as_object()) {
            for (name, sub) in props {
                if let Some(v) = obj.get(name) {
                    check_required(sub, v, &format!("{path}.{name}"));
                }
            }
        }
        if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
            arr.iter().for_each(|v| check_required(items, v, path));
        }
    }

    /// A small checker for the subset of JSON Schema we generate, to prove that schema and
    /// validator agree on valid and broken envelopes.
    fn conforms(schema: &Value, v: &Value) -> bool {
        let type_ok = |t: &Value| match t.as_str() {
            Some("string") => v.is_string(),
            Some("object") => v.is_object(),
            Some("array") => v.is_array(),
            Some("null") => v.is_null(),
            _ => false,
        };
        let len = v.as_str().map(|s| s.chars().count());
        match &schema["type"] {
            Value::Array(ts) if !ts.iter().any(type_ok) => return false,
            t @ Value::String(_) if !type_ok(t) => return false,
            _ => {}
        }
        if schema.get("const").is_some_and(|c| c != v)
            || schema["enum"].as_array().is_some_and(|e| !e.contains(v))
            || schema["minLength"]
                .as_u64()
                .is_some_and(|m| len.is_some_and(|l| (l as u64) < m))
            || schema["maxLength"]
                .as_u64()
                .is_some_and(|m| len.is_some_and(|l| l as u64 > m))
            || (schema.get("pattern").is_some()
                && v.as_str().is_some_and(|s| s.chars().any(char::is_control)))
            || (schema["format"] == "date-time"
                && v.as_str()
                    .is_some_and(|s| OffsetDateTime::parse(s, &Rfc3339).is_err()))
        {
            return false;
        }
        if let Some(obj) = v.as_object() {
            let required = schema["required"].as_array().cloned().unwrap_or_default();
            if required
                .iter()
                .any(|r| r.as_str().is_some_and(|r| !obj.contains_key(r)))
            {
                return false;
            }
            let props = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            if props
                .iter()
                .any(|(k, s)| obj.get(k).is_some_and(|x| !conforms(s, x)))
            {
                return false;
            }
        }
        match (schema.get("items"), v.as_array()) {
            (Some(items), Some(arr)) => arr.iter().all(|x| conforms(items, x)),
            _ => true,
        }
    }

    #[test]
    fn required_fields_and_examples_agree() {
        for t in EventType::ALL {
            let schema = json_schema(t);
            let required = schema["properties"]["Payload"]["required"]
                .as_array()
                .expect("list");
            for field in t.payload_fields().iter().filter(|f| f.required) {
                assert!(required.contains(&json!(field.name)), "{t}: {}", field.name);
            }
            let top = schema["required"].as_array().expect("top-level required");
            assert_eq!(top, &vec![json!("PayloadType"), json!("Payload")]);
            check_required(&schema, &example(t), "");
            assert!(conforms(&schema, &example(t)), "{t}");
        }
    }

    #[test]
    fn header_and_enumerations() {
        let s = json_schema(EventType::PackageListed);
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert!(s.get("$id").is_none());
        assert_eq!(s["title"], "Package listed/unlisted (package.listed)");
        assert!(
            s["description"]
                .as_str()
                .expect("text")
                .contains("PackageListedWebHookEventPayloadV1")
        );
        assert_eq!(s["additionalProperties"], true);
        assert_eq!(
            s["properties"]["PayloadType"]["const"],
            "PackageListedWebHookEventPayloadV1"
        );
        let payload = &s["properties"]["Payload"];
        assert_eq!(payload["additionalProperties"], true);
        assert_eq!(
            payload["properties"]["Action"]["enum"],
            json!(["listed", "unlisted"])
        );
        let s = json_schema(EventType::BuildFinished);
        let payload = &s["properties"]["Payload"]["properties"];
        assert_eq!(payload["Result"]["enum"], json!(["success", "failed"]));
        assert_eq!(payload["Branch"]["type"], json!(["string", "null"]));
        assert_eq!(payload["Packages"]["items"]["type"], "object");
        assert_eq!(s["properties"]["When"]["format"], "date-time");
        assert_eq!(s["properties"]["Identifier"]["maxLength"], 200);
    }

    #[test]
    fn schema_and_validator_agree_on_broken_envelopes() {
        let bad_values = [
            json!(null),
            json!(7),
            json!(""),
            json!("x\u{1}"),
            json!({}),
            json!([{}]),
        ];
        for t in EventType::ALL {
            let schema = json_schema(t);
            let base = example(t);
            let mut cases = vec![base.clone()];
            for name in base["Payload"].as_object().expect("payload").keys() {
                let mut v = base.clone();
                v["Payload"].as_object_mut().expect("payload").remove(name);
                cases.push(v);
                for bad in &bad_values {
                    let mut v = base.clone();
                    v["Payload"][name] = bad.clone();
                    cases.push(v);
                }
            }
            for name in ["Identifier", "Username", "When", "PayloadType", "Payload"] {
                for bad in &bad_values {
                    let mut v = base.clone();
                    v[name] = bad.clone();
                    cases.push(v);
                }
            }
            for v in cases {
                let valid = validate_envelope(&v).is_ok();
                assert_eq!(conforms(&schema, &v), valid, "{t}: {v}");
            }
        }
    }
}
