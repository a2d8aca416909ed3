//! The pipeline event documented in gitlabhq's doc/user/project/integrations/webhook_events.md.
use serde_json::json;

use super::super::test_support::*;
use super::super::{Headers, InboundError, InboundKind, InboundRequest, Translation};

const SECRET: &str = "fhin_gitlab-secret-token";

fn headers(event: &str, token: &str) -> Headers {
    json_headers()
        .with("X-Gitlab-Event", event)
        .with("X-Gitlab-Token", token)
        .with(
            "X-Gitlab-Event-UUID",
            "13792a34-cac6-4fda-95a8-c58e00a3954e",
        )
}

fn pipeline(status: &str) -> Vec<u8> {
    edited(&fixture("gitlab/pipeline.success.json"), |v| {
        v["object_attributes"]["status"] = json!(status)
    })
}

fn receive(body: &[u8]) -> Translation {
    receive_ok(
        InboundKind::Gitlab,
        &headers("Pipeline Hook", SECRET),
        body,
        &[SECRET],
    )
}

#[test]
fn the_documented_pipeline_is_a_successful_build_finished() {
    let e = one_event(receive(&fixture("gitlab/pipeline.success.json")));
    assert_eq!(e["PayloadType"], "BuildFinishedWebHookEventPayloadV1");
    let p = &e["Payload"];
    assert_eq!(p["Result"], "success");
    assert_eq!(p["Name"], "gitlab-org/gitlab-test");
    assert_eq!(p["Branch"], "master");
    assert_eq!(
        p["BuildLogUrl"],
        "http://example.com/gitlab-org/gitlab-test/-/pipelines/31"
    );
    assert_eq!(e["Username"], "root");
    assert_eq!(e["When"], "2016-08-12T15:26:29.000Z");
}

#[test]
fn each_status_becomes_its_event() {
    let cases = [
        ("created", "BuildQueuedWebHookEventPayloadV1", None),
        ("pending", "BuildQueuedWebHookEventPayloadV1", None),
        ("running", "BuildStartedWebHookEventPayloadV1", None),
        (
            "failed",
            "BuildFinishedWebHookEventPayloadV1",
            Some("failed"),
        ),
        (
            "canceled",
            "BuildFinishedWebHookEventPayloadV1",
            Some("failed"),
        ),
    ];
    for (status, payload_type, result) in cases {
        let e = one_event(receive(&pipeline(status)));
        assert_eq!(e["PayloadType"], payload_type, "{status}");
        assert_eq!(e["Payload"].get("Result").and_then(|r| r.as_str()), result);
    }
    // Running: the latest job start of the payload is when the pipeline ran.
    let running = one_event(receive(&pipeline("running")));
    assert_eq!(running["When"], "2016-08-12T15:26:12.000Z");
    for status in ["manual", "skipped", "scheduled"] {
        assert!(
            matches!(receive(&pipeline(status)), Translation::Ignored(r) if r.contains(status)),
            "{status}"
        );
    }
}

#[test]
fn one_pipeline_and_status_is_one_event_however_often_it_is_sent() {
    let ids = |body: &[u8]| one_event(receive(body))["Identifier"].clone();
    let success = fixture("gitlab/pipeline.success.json");
    assert_eq!(ids(&success), ids(&success));
    // created then pending is one queued build.
    assert_eq!(ids(&pipeline("created")), ids(&pipeline("pending")));
    assert_ne!(ids(&pipeline("pending")), ids(&pipeline("running")));
    // A retried pipeline keeps its id but finishes again later: a second build.finished.
    let retried = edited(&success, |v| {
        v["object_attributes"]["finished_at"] = json!("2016-08-12 16:01:02 UTC")
    });
    assert_ne!(ids(&success), ids(&retried));
    // Another pipeline of the project.
    let other = edited(&success, |v| v["object_attributes"]["id"] = json!(32));
    assert_ne!(ids(&success), ids(&other));
}

#[test]
fn other_gitlab_events_are_ignored_with_the_reason() {
    let body = fixture("gitlab/pipeline.success.json");
    let job = receive_ok(
        InboundKind::Gitlab,
        &headers("Job Hook", SECRET),
        &body,
        &[SECRET],
    );
    assert!(matches!(job, Translation::Ignored(r) if r.contains("Job Hook")));
}

#[test]
fn the_token_must_be_one_of_the_valid_secrets() {
    let body = fixture("gitlab/pipeline.success.json");
    let refuse = |h: &Headers| {
        let request = InboundRequest {
            headers: h,
            body: &body,
        };
        super::super::receive(InboundKind::Gitlab, request, &[SECRET, "fhin_old"], SOURCE)
    };
    assert!(matches!(
        refuse(&headers("Pipeline Hook", "fhin_wrong")),
        Err(InboundError::BadCredential(_))
    ));
    assert!(matches!(
        refuse(&json_headers().with("X-Gitlab-Event", "Pipeline Hook")),
        Err(InboundError::MissingCredential(_))
    ));
    // During a rotation the previous secret still works, and is reported as such.
    assert_eq!(
        refuse(&headers("Pipeline Hook", "fhin_old"))
            .unwrap()
            .secret_index,
        1
    );
}
