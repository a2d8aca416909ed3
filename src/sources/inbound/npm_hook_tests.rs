//! npm hook payloads after npm/registry docs/hooks/hooks-payload.md, signed as npm's reference
//! receiver checks them.
use serde_json::json;

use super::super::test_support::*;
use super::super::{Headers, InboundError, InboundKind, InboundRequest, Translation};

const SECRET: &str = "fhin_npm-hook-secret";

fn receive(body: &[u8]) -> Translation {
    let h = json_headers().with("x-npm-signature", npm_sign(SECRET, body));
    receive_ok(InboundKind::NpmHook, &h, body, &[SECRET])
}

fn as_event(event: &str) -> Vec<u8> {
    edited(&fixture("npm-hook/package-publish.json"), |v| {
        v["event"] = json!(event)
    })
}

#[test]
fn a_publish_is_package_added_with_the_version_s_metadata() {
    let e = one_event(receive(&fixture("npm-hook/package-publish.json")));
    assert_eq!(e["PayloadType"], "PackageAddedWebHookEventPayloadV1");
    let p = &e["Payload"];
    assert_eq!(p["PackageType"], "npm");
    assert_eq!(p["PackageIdentifier"], "@kafkajs/zstd");
    // change.version, not the envelope's own format "version": "1.0.0".
    assert_eq!(p["PackageVersion"], "0.1.1");
    assert_eq!(
        p["PackageDownloadUrl"],
        "https://registry.npmjs.org/@kafkajs/zstd/-/zstd-0.1.1.tgz"
    );
    assert_eq!(
        p["PackageDetailsUrl"],
        "https://www.npmjs.com/package/@kafkajs/zstd/v/0.1.1"
    );
    let m = &p["PackageMetadata"];
    assert_eq!(
        m["Description"],
        "A KafkaJS codec for ZStandard compression"
    );
    assert_eq!(m["LicenseNames"], "MIT");
    assert_eq!(m["Tags"], "zstd compression kafka kafkajs zstandard");
    assert_eq!(m["Dependencies"][0]["PackageIdentifier"], "cppzst");
    assert_eq!(m["Dependencies"][0]["PackageVersion"], "2.0.6");
    // No _npmUser in this document: the hook's owner is the only user npm names.
    assert_eq!(e["Username"], "nevon");
    assert_eq!(e["When"], "2020-10-23T09:10:14.995Z");
}

#[test]
fn the_publisher_is_the_username_where_the_document_names_one() {
    let body = edited(&fixture("npm-hook/package-publish.json"), |v| {
        v["payload"]["versions"]["0.1.1"]["_npmUser"] = json!({"name": "tulios", "email": "x@y"})
    });
    assert_eq!(one_event(receive(&body))["Username"], "tulios");
}

#[test]
fn unpublish_and_deprecation_map_to_deleted_and_listed() {
    let deleted = one_event(receive(&as_event("package:unpublish")));
    assert_eq!(
        deleted["PayloadType"],
        "PackageDeletedWebHookEventPayloadV1"
    );
    assert_eq!(deleted["Payload"]["PackageVersion"], "0.1.1");
    for (event, action) in [
        ("package:deprecate", "unlisted"),
        ("package:deprecated", "unlisted"),
        ("package:undeprecate", "listed"),
    ] {
        let e = one_event(receive(&as_event(event)));
        assert_eq!(e["PayloadType"], "PackageListedWebHookEventPayloadV1");
        assert_eq!(e["Payload"]["Action"], action, "{event}");
    }
    for event in ["package:star", "package:owner", "package:change"] {
        assert!(matches!(receive(&as_event(event)), Translation::Ignored(_)));
    }
}

#[test]
fn the_same_change_is_one_event_and_a_later_deprecation_another() {
    let publish = fixture("npm-hook/package-publish.json");
    let id = |b: &[u8]| one_event(receive(b))["Identifier"].clone();
    assert_eq!(id(&publish), id(&publish));
    // A publish of a version happens once, whenever npm retries its delivery.
    let retried = edited(&publish, |v| v["time"] = json!(1_603_444_299_000i64));
    assert_eq!(id(&publish), id(&retried));
    let deprecate = as_event("package:deprecate");
    let deprecate_again = edited(&deprecate, |v| v["time"] = json!(1_603_999_999_000i64));
    assert_ne!(id(&deprecate), id(&deprecate_again));
}

#[test]
fn the_signature_must_match_the_body() {
    let body = fixture("npm-hook/package-publish.json");
    let refuse = |h: &Headers, b: &[u8]| {
        let request = InboundRequest {
            headers: h,
            body: b,
        };
        super::super::receive(InboundKind::NpmHook, request, &[SECRET], SOURCE).unwrap_err()
    };
    let signed = json_headers().with("x-npm-signature", npm_sign(SECRET, &body));
    let tampered = as_event("package:unpublish");
    assert!(matches!(
        refuse(&signed, &tampered),
        InboundError::BadCredential(_)
    ));
    let wrong = json_headers().with("x-npm-signature", npm_sign("other", &body));
    assert!(refuse(&wrong, &body).is_unauthorized());
    assert!(matches!(
        refuse(&json_headers(), &body),
        InboundError::MissingCredential(_)
    ));
}
