//! GitHub payloads recorded in `@octokit/webhooks-examples`, signed by GitHub's own library.
use serde_json::{Value, json};

use super::super::test_support::*;
use super::super::{Headers, InboundError, InboundKind, InboundRequest, Translation};

const SECRET: &str = "fhin_it's-a-secret-to-everybody";

fn headers(event: &str, body: &[u8], secret: &str, delivery: &str) -> Headers {
    json_headers()
        .with("X-GitHub-Event", event)
        .with("X-GitHub-Delivery", delivery)
        .with("X-Hub-Signature-256", octokit_sign(secret, body))
}

fn receive(event: &str, body: &[u8]) -> Translation {
    let h = headers(event, body, SECRET, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    receive_ok(InboundKind::Github, &h, body, &[SECRET])
}

fn refusal(h: &Headers, body: &[u8]) -> InboundError {
    let request = InboundRequest { headers: h, body };
    super::super::receive(InboundKind::Github, request, &[SECRET], SOURCE).unwrap_err()
}

/// The recorded `requested` run with only action, status and conclusion changed.
fn run_as(action: &str, status: &str, conclusion: Value) -> Vec<u8> {
    edited(&fixture("github/workflow_run.completed.json"), |v| {
        v["action"] = json!(action);
        v["workflow_run"]["status"] = json!(status);
        v["workflow_run"]["conclusion"] = conclusion;
    })
}

#[test]
fn signatures_agree_with_octokit_both_ways() {
    let body = fixture("github/workflow_run.completed.json");
    let ours = super::super::sign_hex(SECRET, &body);
    assert_eq!(ours, octokit_sign(SECRET, &body));
    assert!(octokit_verify(SECRET, &body, &ours));
    assert!(!octokit_verify("another secret", &body, &ours));
}

#[test]
fn a_run_from_requested_to_completed_gives_queued_started_finished() {
    let queued = one_event(receive(
        "workflow_run",
        &fixture("github/workflow_run.requested.json"),
    ));
    assert_eq!(queued["PayloadType"], "BuildQueuedWebHookEventPayloadV1");
    // The recorded run's own name is empty; the workflow's name is used.
    assert_eq!(queued["Payload"]["Name"], "test");
    assert_eq!(queued["Payload"]["Branch"], "master");
    assert_eq!(queued["Username"], "Codertocat");
    assert_eq!(queued["When"], "2020-10-05T16:33:24.000Z");

    let started = one_event(receive(
        "workflow_run",
        &run_as("in_progress", "in_progress", Value::Null),
    ));
    assert_eq!(started["PayloadType"], "BuildStartedWebHookEventPayloadV1");
    assert_eq!(started["Payload"]["Name"], "test");

    let finished = one_event(receive(
        "workflow_run",
        &fixture("github/workflow_run.completed.json"),
    ));
    assert_eq!(
        finished["PayloadType"],
        "BuildFinishedWebHookEventPayloadV1"
    );
    assert_eq!(finished["Payload"]["Result"], "success");
    assert_eq!(
        finished["Payload"]["BuildLogUrl"],
        "https://github.com/octo-org/octo-repo/actions/runs/289782451"
    );
    assert_eq!(finished["Username"], "Codertocat");

    let ids = [&queued, &started, &finished].map(|e| e["Identifier"].clone());
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
}

#[test]
fn any_conclusion_but_success_is_a_failed_build() {
    for conclusion in ["failure", "cancelled", "timed_out", "skipped"] {
        let failed = one_event(receive(
            "workflow_run",
            &run_as("completed", "completed", json!(conclusion)),
        ));
        assert_eq!(failed["Payload"]["Result"], "failed", "{conclusion}");
    }
    // Recorded as sent by GitHub: completed while its status still says queued.
    let odd = one_event(receive(
        "workflow_run",
        &fixture("github/workflow_run.completed-queued.json"),
    ));
    assert_eq!(odd["Payload"]["Result"], "failed");
    assert_eq!(odd["Payload"]["Name"], "Manually triggered workflow");
    assert_eq!(odd["Payload"]["Branch"], "main");
}

#[test]
fn a_redelivery_is_the_same_event_and_a_re_run_is_another() {
    let body = fixture("github/workflow_run.completed.json");
    let first = headers("workflow_run", &body, SECRET, "delivery-1");
    let again = headers("workflow_run", &body, SECRET, "delivery-2");
    let a = one_event(receive_ok(InboundKind::Github, &first, &body, &[SECRET]));
    let b = one_event(receive_ok(InboundKind::Github, &again, &body, &[SECRET]));
    assert_eq!(
        a, b,
        "the same run completing, delivered twice, is one event"
    );

    let rerun = edited(&body, |v| v["workflow_run"]["run_attempt"] = json!(2));
    let c = one_event(receive("workflow_run", &rerun));
    assert_ne!(a["Identifier"], c["Identifier"]);
}

#[test]
fn a_published_package_is_package_added() {
    let body = fixture("github/package.published.json");
    let added = one_event(receive("package", &body));
    assert_eq!(added["PayloadType"], "PackageAddedWebHookEventPayloadV1");
    let p = &added["Payload"];
    assert_eq!(p["PackageType"], "npm");
    assert_eq!(p["PackageIdentifier"], "hello-world-npm");
    assert_eq!(p["PackageVersion"], "1.0.0");
    assert_eq!(
        p["PackageDetailsUrl"],
        "https://github.com/Codertocat/hello-world-npm/packages/10696?version=1.0.0"
    );
    assert_eq!(
        p["PackageMetadata"]["Description"],
        "A simple npm package to demonstrate GitHub Packages"
    );
    assert_eq!(added["Username"], "Codertocat");

    // The same publish as a registry_package event (GitHub sends both when both are ticked).
    let registry = edited(&body, |v| {
        let pkg = v.as_object_mut().unwrap().remove("package").unwrap();
        v["registry_package"] = pkg;
    });
    let same = one_event(receive("registry_package", &registry));
    assert_eq!(same["Identifier"], added["Identifier"]);

    let updated = edited(&body, |v| v["action"] = json!("updated"));
    assert!(matches!(
        receive("package", &updated),
        Translation::Ignored(r) if r.contains("updated")
    ));
}

#[test]
fn ping_and_unmapped_events_make_no_event_and_say_why() {
    let ping = receive("ping", &fixture("github/ping.json"));
    assert_eq!(
        ping,
        Translation::Ping("GitHub ping from webhook 109948940".into())
    );
    match receive("push", &fixture("github/push.json")) {
        Translation::Ignored(reason) => assert!(reason.contains("\"push\""), "{reason}"),
        other => panic!("{other:?}"),
    }
    let body = fixture("github/workflow_run.completed.json");
    let unknown_action = edited(&body, |v| v["action"] = json!("archived"));
    assert!(matches!(
        receive("workflow_run", &unknown_action),
        Translation::Ignored(_)
    ));
}

#[test]
fn wrong_secret_tampered_body_and_no_signature_are_unauthorized() {
    let body = fixture("github/workflow_run.completed.json");
    let wrong = headers("workflow_run", &body, "not the secret", "d");
    assert!(matches!(
        refusal(&wrong, &body),
        InboundError::BadCredential(_)
    ));

    let signed = headers("workflow_run", &body, SECRET, "d");
    let tampered = edited(&body, |v| {
        v["workflow_run"]["conclusion"] = json!("failure")
    });
    assert!(refusal(&signed, &tampered).is_unauthorized());

    let unsigned = json_headers().with("X-GitHub-Event", "workflow_run");
    let err = refusal(&unsigned, &body);
    assert!(matches!(err, InboundError::MissingCredential(_)));
    assert!(err.to_string().contains("X-Hub-Signature-256"), "{err}");
}

#[test]
fn well_signed_but_not_json_or_not_from_github_is_refused_clearly() {
    let body = fixture("github/ping.json");
    let form = Headers::new()
        .with("Content-Type", "application/x-www-form-urlencoded")
        .with("X-GitHub-Event", "ping")
        .with("X-Hub-Signature-256", octokit_sign(SECRET, &body));
    assert_eq!(
        refusal(&form, &body),
        InboundError::UnsupportedContentType("application/x-www-form-urlencoded".into())
    );

    let no_event = json_headers().with("X-Hub-Signature-256", octokit_sign(SECRET, &body));
    assert!(
        refusal(&no_event, &body)
            .to_string()
            .contains("X-GitHub-Event")
    );

    let garbage = b"{\"action\": ";
    let h = headers("workflow_run", garbage, SECRET, "d");
    assert!(matches!(refusal(&h, garbage), InboundError::Malformed(_)));
}
