//! Bodies as Verdaccio 6.8 renders the notify template (recorded from a real Verdaccio).
use serde_json::json;

use super::super::test_support::*;
use super::super::{InboundError, InboundKind, InboundRequest, Translation};
use super::split_name_version;

const SECRET: &str = "fhin_verdaccio";

fn bearer() -> super::super::Headers {
    json_headers().with("Authorization", format!("Bearer {SECRET}"))
}

fn receive(body: &[u8]) -> Translation {
    receive_ok(InboundKind::Verdaccio, &bearer(), body, &[SECRET])
}

#[test]
fn names_and_versions_split_at_the_last_at() {
    assert_eq!(
        split_name_version("left-pad@1.3.0"),
        Some(("left-pad", "1.3.0"))
    );
    assert_eq!(
        split_name_version("@acme/pad@2.0.0-rc.1+b7"),
        Some(("@acme/pad", "2.0.0-rc.1+b7"))
    );
    assert_eq!(split_name_version("@acme/pad"), None);
    assert_eq!(split_name_version("left-pad"), None);
    assert_eq!(split_name_version("left-pad@"), None);
}

#[test]
fn a_publish_is_package_added_by_its_publisher() {
    let e = one_event(receive(&fixture("verdaccio/publish.json")));
    assert_eq!(e["PayloadType"], "PackageAddedWebHookEventPayloadV1");
    assert_eq!(e["Payload"]["PackageType"], "npm");
    assert_eq!(e["Payload"]["PackageIdentifier"], "@acme/widget");
    assert_eq!(e["Payload"]["PackageVersion"], "1.0.0");
    assert_eq!(e["Username"], "alice");
    let again = one_event(receive(&fixture("verdaccio/publish.json")));
    assert_eq!(e["Identifier"], again["Identifier"]);
}

#[test]
fn an_unpublished_version_is_deleted_and_a_whole_package_ignored() {
    let version = fixture("verdaccio/unpublish.json");
    let e = one_event(receive(&version));
    assert_eq!(e["PayloadType"], "PackageDeletedWebHookEventPayloadV1");
    let whole = edited(&version, |v| v["publishedPackage"] = json!("@acme/widget"));
    assert!(matches!(receive(&whole), Translation::Ignored(r) if r.contains("no version")));
}

#[test]
fn a_body_not_made_by_the_template_or_a_wrong_token_is_refused() {
    let other = br#"{"color":"green","message":"New package published"}"#;
    let request = InboundRequest {
        headers: &bearer(),
        body: other,
    };
    let err = super::super::receive(InboundKind::Verdaccio, request, &[SECRET], SOURCE);
    assert!(matches!(err, Err(InboundError::Malformed(m)) if m.contains("publishedPackage")));
    let body = fixture("verdaccio/publish.json");
    let wrong = json_headers().with("Authorization", "Bearer fhin_guess");
    let request = InboundRequest {
        headers: &wrong,
        body: &body,
    };
    let err = super::super::receive(InboundKind::Verdaccio, request, &[SECRET], SOURCE);
    assert!(matches!(err, Err(InboundError::BadCredential(_))));
}
