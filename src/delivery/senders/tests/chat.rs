//! HipChat, Slack and Teams against local fakes of their APIs.
use std::time::Duration;

use serde_json::{Value, json};

use super::fake::{Event, Fake, Reply, answer, assert_no_secret, context, example, hostile};
use crate::delivery::attempt::Attempt;
use crate::delivery::retry::AttemptClass;
use crate::delivery::senders::teams::MAX_CARD_BYTES;
use crate::domain::hook_config::{HookConfig, HookKind};
use crate::primitives::ErrorKind;

fn hook(kind: HookKind, input: Value) -> HookConfig {
    HookConfig::from_input(kind, &input, None).unwrap().config
}

/// Sends `ev` through a fake answering `reply`, returning the attempt and what the fake got.
async fn exchange(
    kind: HookKind,
    config: impl Fn(&Fake) -> Value,
    reply: Reply,
    ev: &super::fake::Event,
) -> (Attempt, Option<super::fake::Captured>) {
    let fake = Fake::start(vec![reply]).await;
    let hook = hook(kind, config(&fake));
    let attempt = hook.send(&context(Duration::from_secs(5)), &ev.out()).await;
    (attempt, fake.requests().into_iter().next())
}

fn assert_failed(a: &Attempt, class: AttemptClass, words: &str) {
    assert_eq!(a.class, class, "{a:?}");
    let e = a.error.as_ref().unwrap();
    assert_eq!(e.kind, ErrorKind::Http);
    assert!(e.message.contains(words), "{:?} lacks {words:?}", e.message);
}

const HC_TOKEN: &str = "hc-token-secret-1";

fn hipchat(fake: &Fake) -> Value {
    json!({"server": fake.url(""), "room": "Builds & Releases", "auth_token": HC_TOKEN, "notify": true})
}

#[tokio::test]
async fn hipchat_posts_a_room_notification() {
    let ev = example!("build.finished");
    let (attempt, got) = exchange(HookKind::Hipchat, hipchat, answer(204, ""), &ev).await;
    assert_eq!(attempt.class, AttemptClass::Succeeded, "{attempt:?}");
    let got = got.unwrap();
    assert_eq!(got.method, "POST");
    assert_eq!(got.path, "/v2/room/Builds%20%26%20Releases/notification");
    assert_eq!(
        got.header("authorization"),
        Some(format!("Bearer {HC_TOKEN}").as_str())
    );
    assert_eq!(got.header("content-type"), Some("application/json"));
    let html = include_str!("../../../../tests/fixtures/rendered/build.finished.html");
    let want = json!({"message": html.trim_end(), "message_format": "html", "color": "green", "notify": true});
    assert_eq!(got.json(), want);
    assert!(
        attempt
            .request
            .headers
            .contains(&("Authorization".into(), "Bearer [redacted]".into()))
    );
    assert_no_secret(&attempt, &[HC_TOKEN]);

    let (_, got) = exchange(HookKind::Hipchat, |f| json!({"server": f.url(""), "room": "1", "auth_token": "t", "color_by_status": false, "color": "purple"}), answer(204, ""), &ev).await;
    assert_eq!(got.unwrap().json()["color"], "purple");
    let (_, got) = exchange(
        HookKind::Hipchat,
        hipchat,
        answer(204, ""),
        &example!("build.started"),
    )
    .await;
    assert_eq!(got.unwrap().json()["color"], "gray");
}

#[tokio::test]
async fn hipchat_errors_carry_its_message() {
    let ev = example!("ping");
    let error = |code: u16, message: &str| {
        answer(
            code,
            &json!({"error": {"code": code, "message": message, "type": "x"}}).to_string(),
        )
    };
    let (a, _) = exchange(
        HookKind::Hipchat,
        hipchat,
        error(401, "Invalid OAuth session"),
        &ev,
    )
    .await;
    assert_failed(
        &a,
        AttemptClass::Permanent,
        "HipChat answered 401 Unauthorized: Invalid OAuth session (check the auth token)",
    );
    let (a, _) = exchange(
        HookKind::Hipchat,
        hipchat,
        error(404, "Room not found"),
        &ev,
    )
    .await;
    assert_failed(
        &a,
        AttemptClass::Permanent,
        "Room not found (check the room",
    );
    let limited = Reply::Answer(429, vec![("Retry-After", "30".into())], String::new());
    let (a, _) = exchange(HookKind::Hipchat, hipchat, limited, &ev).await;
    assert_failed(&a, AttemptClass::Retryable, "429");
    assert_eq!(a.retry_after, Some(Duration::from_secs(30)));
    let (a, _) = exchange(HookKind::Hipchat, hipchat, answer(500, "down"), &ev).await;
    assert_failed(&a, AttemptClass::Retryable, "down");
}

#[tokio::test]
async fn hipchat_escapes_hostile_values() {
    let (_, got) = exchange(HookKind::Hipchat, hipchat, answer(204, ""), &hostile()).await;
    let message = got.unwrap().json()["message"].as_str().unwrap().to_owned();
    assert!(
        !message.contains("<script") && !message.contains("<i>") && !message.contains("<b>m"),
        "{message}"
    );
    assert!(
        message.contains("Evil&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{message}"
    );
}

const SLACK_PATH: &str = "/services/T000/B000/slack-secret-path";

fn slack(fake: &Fake) -> Value {
    json!({"webhook_url": fake.url(SLACK_PATH), "channel": "#builds"})
}

#[tokio::test]
async fn slack_posts_text_and_build_attachments() {
    let ev = example!("build.finished");
    let (attempt, got) = exchange(HookKind::Slack, slack, answer(200, "ok"), &ev).await;
    assert_eq!(attempt.class, AttemptClass::Succeeded, "{attempt:?}");
    let got = got.unwrap();
    assert_eq!(
        (got.method.as_str(), got.path.as_str()),
        ("POST", SLACK_PATH)
    );
    assert_eq!(got.header("content-type"), Some("application/json"));
    let want = json!({
        "text": "Build SampleBuild (master) succeeded in feed sample-feed\n<https://www.myget.org/BuildSource/List/sample-feed#d510be3d-7803-43cc-8d15-e327ba999ba7|Build log> | <https://www.myget.org/F/sample-feed/|Feed>",
        "attachments": [{
            "fallback": "Build SampleBuild (master) succeeded in feed sample-feed",
            "color": "good",
            "fields": [
                {"title": "Build", "value": "SampleBuild", "short": true},
                {"title": "Branch", "value": "master", "short": true},
                {"title": "Result", "value": "success", "short": true},
                {"title": "Packages", "value": "GoogleAnalyticsTracker.Core 1.0.0-CI00002, GoogleAnalyticsTracker.MVC4 1.0.0-CI00002", "short": false},
                {"title": "Feed", "value": "sample-feed", "short": true},
                {"title": "User", "value": "maartenba", "short": true},
                {"title": "When", "value": "2014-09-08T13:00:10.9006808Z", "short": true},
            ],
        }],
        "channel": "#builds",
    });
    assert_eq!(got.json(), want);
    // The port stays, so the logged request (and its curl command) points at the receiver.
    let host = got.header("host").unwrap();
    assert_eq!(attempt.request.url, format!("http://{host}/[redacted]"));
    assert_no_secret(&attempt, &[SLACK_PATH, "slack-secret-path"]);

    let (_, got) = exchange(
        HookKind::Slack,
        |f| json!({"webhook_url": f.url("/x/y/z")}),
        answer(200, "ok"),
        &example!("package.deleted"),
    )
    .await;
    let body = got.unwrap().json();
    assert_eq!(
        body,
        json!({"text": "maartenba deleted NuGet package *GoogleAnalyticsTracker.Core 1.0.0-CI00002* from feed *sample-feed*\n<https://www.myget.org/F/sample-feed/|Feed>".replace('*', "")})
    );
}

#[tokio::test]
async fn slack_errors_are_its_words() {
    let ev = example!("ping");
    #[rustfmt::skip]
    let cases = [
        (400, "invalid_payload", AttemptClass::Permanent),
        (403, "action_prohibited", AttemptClass::Permanent),
        (404, "channel_not_found", AttemptClass::Permanent),
        (404, "no_service", AttemptClass::Permanent),
        (410, "channel_is_archived", AttemptClass::Permanent),
        (500, "rollup_error", AttemptClass::Retryable),
    ];
    for (status, words, class) in cases {
        let (a, _) = exchange(HookKind::Slack, slack, answer(status, words), &ev).await;
        assert_failed(&a, class, &format!("Slack answered {status}"));
        assert!(a.error.as_ref().unwrap().message.ends_with(words));
        assert_no_secret(&a, &["slack-secret-path"]);
    }
    let limited = Reply::Answer(
        429,
        vec![("Retry-After", "7".into())],
        "rate_limited".into(),
    );
    let (a, _) = exchange(HookKind::Slack, slack, limited, &ev).await;
    assert_failed(&a, AttemptClass::Retryable, "rate_limited");
    assert_eq!(a.retry_after, Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn slack_escapes_hostile_values() {
    let (_, got) = exchange(HookKind::Slack, slack, answer(200, "ok"), &hostile()).await;
    let text = got.unwrap().json()["text"].as_str().unwrap().to_owned();
    assert!(
        !text.contains("<script") && !text.contains("<b>") && !text.contains("<i>"),
        "{text}"
    );
    assert!(text.starts_with("&lt;b&gt;mallory&lt;/b&gt; added NuGet package Evil&lt;script&gt;alert(1)&lt;/script&gt; 1.0 &amp; &lt;i&gt;more&lt;/i&gt;"), "{text}");
    assert!(
        text.contains("<https://example.com/p?a=1&b=2|Details>"),
        "{text}"
    );
}

const TEAMS_SIG: &str = "teams-signature-secret";

fn teams(format: &'static str) -> impl Fn(&Fake) -> Value {
    move |f: &Fake| json!({"webhook_url": f.url(&format!("/workflows/1/triggers/manual/run?sig={TEAMS_SIG}")), "format": format})
}

#[tokio::test]
async fn teams_posts_an_adaptive_card() {
    let ev = example!("package.deleted");
    let (attempt, got) = exchange(HookKind::Teams, teams("adaptive"), answer(202, ""), &ev).await;
    assert_eq!(attempt.class, AttemptClass::Succeeded, "{attempt:?}");
    let got = got.unwrap();
    assert_eq!(got.method, "POST");
    assert_eq!(
        got.path,
        format!("/workflows/1/triggers/manual/run?sig={TEAMS_SIG}")
    );
    assert_eq!(got.header("content-type"), Some("application/json"));
    let want = json!({"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive",
        "contentUrl": null,
        "content": {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.2",
            "body": [
                {"type": "TextBlock", "text": "maartenba deleted NuGet package GoogleAnalyticsTracker.Core 1.0.0-CI00002 from feed sample-feed", "weight": "Bolder", "wrap": true},
                {"type": "FactSet", "facts": [
                    {"title": "Package", "value": "GoogleAnalyticsTracker.Core 1.0.0-CI00002"},
                    {"title": "Type", "value": "NuGet"},
                    {"title": "Feed", "value": "sample-feed"},
                    {"title": "User", "value": "maartenba"},
                    {"title": "When", "value": "2014-09-08T13:00:52.0300822Z"},
                ]},
            ],
            "actions": [{"type": "Action.OpenUrl", "title": "Feed", "url": "https://www.myget.org/F/sample-feed/"}],
        },
    }]});
    assert_eq!(got.json(), want);
    let host = got.header("host").unwrap();
    assert_eq!(attempt.request.url, format!("http://{host}/[redacted]"));
    assert_no_secret(&attempt, &[TEAMS_SIG]);
}

#[tokio::test]
async fn teams_posts_a_messagecard() {
    let ev = example!("build.finished");
    let (attempt, got) =
        exchange(HookKind::Teams, teams("messagecard"), answer(200, "1"), &ev).await;
    assert_eq!(attempt.class, AttemptClass::Succeeded, "{attempt:?}");
    let card = got.unwrap().json();
    assert_eq!(card["@type"], "MessageCard");
    assert_eq!(card["@context"], "http://schema.org/extensions");
    assert_eq!(card["themeColor"], "2EB886");
    assert_eq!(
        card["summary"],
        "Build SampleBuild (master) succeeded in feed sample-feed"
    );
    assert_eq!(card["sections"][0]["markdown"], true);
    assert_eq!(
        card["sections"][0]["facts"][0],
        json!({"name": "Build", "value": "SampleBuild"})
    );
    assert_eq!(
        card["potentialAction"][1],
        json!({"@type": "OpenUri", "name": "Feed", "targets": [{"os": "default", "uri": "https://www.myget.org/F/sample-feed/"}]})
    );
}

#[tokio::test]
async fn teams_errors_and_escaping() {
    let ev = example!("ping");
    let refused = answer(400, &json!({"error": {"code": "InvalidRequestContent", "message": "The input body for trigger 'manual' of type 'Request' did not match its schema"}}).to_string());
    let (a, _) = exchange(HookKind::Teams, teams("adaptive"), refused, &ev).await;
    assert_failed(
        &a,
        AttemptClass::Permanent,
        "Teams answered 400 Bad Request: The input body for trigger",
    );
    let (a, _) = exchange(
        HookKind::Teams,
        teams("adaptive"),
        answer(429, "Too many requests"),
        &ev,
    )
    .await;
    assert_failed(&a, AttemptClass::Retryable, "Too many requests");
    assert_no_secret(&a, &[TEAMS_SIG]);

    let (_, got) = exchange(
        HookKind::Teams,
        teams("messagecard"),
        answer(200, "1"),
        &hostile(),
    )
    .await;
    let card = got.unwrap().json().to_string();
    assert!(!card.contains("<script") && !card.contains("<b>"), "{card}");
    assert!(card.contains("Evil&lt;script&gt;"), "{card}");
    let (_, got) = exchange(
        HookKind::Teams,
        teams("adaptive"),
        answer(200, "1"),
        &hostile(),
    )
    .await;
    let card = got.unwrap().json();
    let description = card
        .pointer("/attachments/0/content/body/1/text")
        .unwrap()
        .as_str()
        .unwrap();
    assert!(
        description.contains("\\*bold\\* \\[link\\](javascript:x)"),
        "{description}"
    );
}

#[test]
fn teams_cards_stay_under_the_size_limit() {
    let packages: Vec<Value> = (0..500).map(|i| json!({"PackageIdentifier": format!("{}{i}", "P".repeat(300)), "PackageVersion": "1.0"})).collect();
    let long = "x".repeat(5000);
    let envelope = json!({"PayloadType": "BuildFinishedWebHookEventPayloadV1", "Username": long, "When": long,
        "Payload": {"Name": long, "Branch": long, "Result": "failed", "Packages": packages, "FeedIdentifier": long}});
    for format in ["adaptive", "messagecard"] {
        let HookConfig::Teams(t) = hook(
            HookKind::Teams,
            json!({"webhook_url": "https://x.example/", "format": format}),
        ) else {
            panic!()
        };
        let card = t
            .payload(&Event::from_value(&envelope).out())
            .unwrap()
            .to_string();
        assert!(card.len() <= MAX_CARD_BYTES, "{format}: {}", card.len());
        assert!(card.contains("D00000") || format == "adaptive");
    }
}

#[tokio::test]
async fn network_errors_never_show_a_secret_url() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ev = example!("ping");
    for (kind, input) in [
        (
            HookKind::Slack,
            json!({"webhook_url": format!("http://127.0.0.1:{closed}{SLACK_PATH}")}),
        ),
        (
            HookKind::Teams,
            json!({"webhook_url": format!("http://127.0.0.1:{closed}/run?sig={TEAMS_SIG}")}),
        ),
        (
            HookKind::Slack,
            json!({"webhook_url": format!("http://no-such-host.invalid{SLACK_PATH}")}),
        ),
    ] {
        let config = hook(kind, input);
        let attempt = config
            .send(
                &super::fake::context_with(Duration::from_secs(5), "*", Vec::new()),
                &ev.out(),
            )
            .await;
        assert_eq!(attempt.class, AttemptClass::Retryable, "{attempt:?}");
        assert!(matches!(
            attempt.error.as_ref().unwrap().kind,
            ErrorKind::Connect | ErrorKind::Dns
        ));
        assert_no_secret(&attempt, &["slack-secret-path", TEAMS_SIG]);
    }
}
