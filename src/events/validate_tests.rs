//! Tests of `validate.rs`.

use super::super::test_support::example;
use super::*;
use serde_json::json;

fn errors_of(v: &Value) -> Vec<FieldError> {
    validate_envelope(v).expect_err("should fail")
}

fn fields_of(v: &Value) -> Vec<String> {
    errors_of(v).into_iter().map(|e| e.field).collect()
}

#[test]
fn every_spec_example_validates_to_its_type() {
    for t in EventType::ALL {
        assert_eq!(validate_envelope(&example(t)), Ok(t), "{t}");
    }
}

#[test]
fn build_examples_pass() {
    for t in [
        EventType::BuildQueued,
        EventType::BuildStarted,
        EventType::BuildFinished,
    ] {
        assert_eq!(validate_envelope(&example(t)), Ok(t));
    }
}

#[test]
fn each_required_field_removed_is_named() {
    for t in EventType::ALL {
        for field in t.payload_fields().iter().filter(|f| f.required) {
            let mut v = example(t);
            v["Payload"]
                .as_object_mut()
                .expect("payload")
                .remove(field.name);
            let errors = errors_of(&v);
            let want = FieldError::new(format!("Payload.{}", field.name), "is required");
            assert_eq!(errors, vec![want], "{t}");
        }
        for name in ["PayloadType", "Payload"] {
            let mut v = example(t);
            v.as_object_mut().expect("root").remove(name);
            assert_eq!(errors_of(&v), vec![FieldError::new(name, "is required")]);
        }
    }
}

#[test]
fn wrong_types_name_the_field() {
    let mut v = example(EventType::PackageAdded);
    v["Payload"]["PackageIdentifier"] = json!(42);
    v["Payload"]["PackageMetadata"] = json!("text");
    v["Payload"]["PackageDetailsUrl"] = json!(["x"]);
    v["Username"] = json!(null);
    assert_eq!(
        errors_of(&v),
        vec![
            FieldError::new("Username", "must be a string"),
            FieldError::new("Payload.PackageIdentifier", "must be a string"),
            FieldError::new("Payload.PackageDetailsUrl", "must be a string or null"),
            FieldError::new("Payload.PackageMetadata", "must be an object or null"),
        ]
    );
    let mut v = example(EventType::Ping);
    v["Payload"] = json!([]);
    assert_eq!(
        errors_of(&v),
        vec![FieldError::new("Payload", "must be an object")]
    );
}

#[test]
fn several_errors_are_all_reported() {
    let v = json!({
        "Identifier": "",
        "When": "yesterday",
        "PayloadType": "BuildFinishedWebHookEventPayloadV1",
        "Payload": {"Result": "meh", "Branch": 3, "Packages": [{}, {"PackageIdentifier": 1}, 7]}
    });
    assert_eq!(
        errors_of(&v),
        vec![
            FieldError::new("Identifier", "must not be empty"),
            FieldError::new(
                "When",
                "must be an RFC 3339 date-time, e.g. 2014-09-08T13:06:25.8446143Z"
            ),
            FieldError::new("Payload.Result", "must be one of: success, failed"),
            FieldError::new("Payload.Name", "is required"),
            FieldError::new("Payload.Branch", "must be a string or null"),
            FieldError::new("Payload.Packages[1].PackageIdentifier", "must be a string"),
            FieldError::new("Payload.Packages[2]", "must be an object"),
        ]
    );
}

#[test]
fn enumerations() {
    let mut v = example(EventType::PackageListed);
    v["Payload"]["Action"] = json!("pinned");
    assert_eq!(
        errors_of(&v),
        vec![FieldError::new(
            "Payload.Action",
            "must be one of: listed, unlisted"
        )]
    );
    v["Payload"]["Action"] = json!("listed");
    assert_eq!(validate_envelope(&v), Ok(EventType::PackageListed));
    let mut v = example(EventType::PackagePinned);
    v["Payload"]["Action"] = json!("unpinned");
    assert_eq!(validate_envelope(&v), Ok(EventType::PackagePinned));
    v["Payload"]["Action"] = json!("Pinned");
    assert_eq!(fields_of(&v), ["Payload.Action"]);
    let mut v = example(EventType::BuildFinished);
    v["Payload"]["Result"] = json!("failed");
    assert_eq!(validate_envelope(&v), Ok(EventType::BuildFinished));
}

#[test]
fn unknown_payload_type_lists_the_known_ones() {
    let v = json!({"PayloadType": "Foo", "Payload": {}});
    let errors = errors_of(&v);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "PayloadType");
    assert!(errors[0].message.starts_with(
        "unknown payload type \"Foo\"; expected one of: PingWebHookEventPayloadV1, PackageAdded"
    ));
    let v = json!({"PayloadType": "package.added", "Payload": {}});
    assert!(
        errors_of(&v)[0]
            .message
            .contains("did you mean \"PackageAddedWebHookEventPayloadV1\"")
    );
    let v = json!({"PayloadType": 1, "Payload": 2});
    assert_eq!(fields_of(&v), ["PayloadType", "Payload"]);
}

#[test]
fn non_object_root() {
    for v in [json!([]), json!("x"), json!(null), json!(1)] {
        assert_eq!(
            errors_of(&v),
            vec![FieldError::new("", "the envelope must be a JSON object")]
        );
    }
}

#[test]
fn envelope_fields() {
    let mut v = example(EventType::Ping);
    v["Identifier"] = json!("a".repeat(201));
    v["Username"] = json!("u".repeat(201));
    assert_eq!(fields_of(&v), ["Identifier", "Username"]);
    v["Identifier"] = json!("é".repeat(200)); // characters, not bytes
    v["Username"] = json!("ü".repeat(200));
    assert_eq!(validate_envelope(&v), Ok(EventType::Ping));
    v["Identifier"] = json!("abc\ndef");
    assert_eq!(
        errors_of(&v)[0].message,
        "must not contain control characters"
    );
    for when in [
        "2014-09-08T13:06:25Z",
        "2014-09-08T15:06:25.1+02:00",
        "2014-09-08T13:06:25.8446143Z",
    ] {
        let v = json!({"When": when, "PayloadType": "PingWebHookEventPayloadV1", "Payload": {}});
        assert_eq!(validate_envelope(&v), Ok(EventType::Ping), "{when}");
    }
    for when in [
        json!("2014-09-08"),
        json!("2014-09-08 13:06:25"),
        json!(1410181585),
    ] {
        let v = json!({"When": when, "PayloadType": "PingWebHookEventPayloadV1", "Payload": {}});
        assert_eq!(fields_of(&v), ["When"], "{when}");
    }
}

#[test]
fn version_is_free_text_and_unknown_fields_are_kept() {
    let mut v = example(EventType::PackageDeleted);
    for version in [
        "(≥ 2.0)",
        "≤ 1.0",
        "> 1",
        "< 2",
        "= 3",
        "(? 2.0.5364.25176)",
        "[1.0,2.0)",
    ] {
        v["Payload"]["PackageVersion"] = json!(version);
        assert_eq!(
            validate_envelope(&v),
            Ok(EventType::PackageDeleted),
            "{version}"
        );
    }
    v["Extra"] = json!({"anything": [1, 2]});
    v["Payload"]["Extra"] = json!(null);
    v["Payload"]["FeedIdentifier"] = json!(null);
    assert_eq!(fields_of(&v), ["Payload.FeedIdentifier"]);
    v["Payload"]
        .as_object_mut()
        .expect("payload")
        .remove("FeedIdentifier");
    v["Payload"]
        .as_object_mut()
        .expect("payload")
        .remove("FeedUrl");
    assert_eq!(validate_envelope(&v), Ok(EventType::PackageDeleted));
    v["Payload"]["PackageIdentifier"] = json!("");
    assert_eq!(
        errors_of(&v),
        vec![FieldError::new(
            "Payload.PackageIdentifier",
            "must not be empty"
        )]
    );
}

#[test]
fn nullable_fields_accept_null() {
    let mut v = example(EventType::BuildFinished);
    v["Payload"]["Branch"] = json!(null);
    v["Payload"]["BuildLogUrl"] = json!(null);
    v["Payload"]["Packages"][0]["TargetFramework"] = json!("net45");
    assert_eq!(validate_envelope(&v), Ok(EventType::BuildFinished));
    v["Payload"]["Packages"] = json!({});
    assert_eq!(fields_of(&v), ["Payload.Packages"]);
    let mut v = example(EventType::PackagePushed);
    v["Payload"]["PackageMetadata"] = json!(null);
    v["Payload"]["TargetPackageSourceName"] = json!(null);
    v["Payload"]["TargetPackageSourceUrl"] = json!(null);
    assert_eq!(validate_envelope(&v), Ok(EventType::PackagePushed));
}

#[test]
fn errors_display_with_their_field() {
    let e = FieldError::new("Payload.Name", "is required");
    assert_eq!(e.to_string(), "Payload.Name: is required");
    assert_eq!(
        FieldError::new("", "the envelope must be a JSON object").to_string(),
        "the envelope must be a JSON object"
    );
    let json = serde_json::to_value(&e).expect("serialize");
    assert_eq!(
        json,
        json!({"field": "Payload.Name", "message": "is required"})
    );
}
