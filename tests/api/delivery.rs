//! The delivery engine end to end: real HTTP receivers on 127.0.0.1, the wire format, retries,
//! failures, redeliveries and the attempt log.
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, python, spawn_app_with, spec_example};
use crate::receiver::{Receiver, Reply};

const WAIT: Duration = Duration::from_secs(20);

/// An app with a fast retry schedule and short timeouts; returns (app, owner token).
async fn app_with(schedule: &str, timeout_ms: u64) -> (TestApp, String) {
    let schedule = feedhooks::delivery::retry::parse_schedule(schedule).unwrap();
    let app = spawn_app_with(move |s| {
        s.retry_schedule = schedule;
        s.delivery_timeout = Duration::from_millis(timeout_ms);
    })
    .await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    (app, t)
}

async fn create_hook(app: &TestApp, t: &str, body: Value) -> Value {
    let res = app
        .api(Method::POST, "/api/v1/feeds/f/hooks", Some(t), Some(body))
        .await;
    let status = res.status();
    let v: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{v}");
    v
}

async fn http_hook(app: &TestApp, t: &str, url: &str, events: &[&str]) -> i64 {
    create_hook(
        app,
        t,
        json!({"kind": "http", "events": events, "config": {"url": url}}),
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

async fn hook_state(app: &TestApp, t: &str, hook: i64) -> Value {
    let res = app
        .api(
            Method::GET,
            &format!("/api/v1/feeds/f/hooks/{hook}"),
            Some(t),
            None,
        )
        .await;
    res.json().await.unwrap()
}

async fn deliveries(app: &TestApp, t: &str, hook: i64) -> Vec<Value> {
    let v: Value = app
        .api(
            Method::GET,
            &format!("/api/v1/feeds/f/hooks/{hook}/deliveries"),
            Some(t),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    v["items"].as_array().unwrap().clone()
}

async fn delivery(app: &TestApp, t: &str, id: i64) -> Value {
    app.api(
        Method::GET,
        &format!("/api/v1/feeds/f/deliveries/{id}"),
        Some(t),
        None,
    )
    .await
    .json()
    .await
    .unwrap()
}

/// Waits until the hook's newest delivery has `status`; returns it with its attempt log.
async fn settled(app: &TestApp, t: &str, hook: i64, status: &str) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(d) = deliveries(app, t, hook).await.first()
            && d["status"] == status
        {
            return delivery(app, t, d["id"].as_i64().unwrap()).await;
        }
        assert!(
            Instant::now() < deadline,
            "no {status} delivery within {WAIT:?}: {:?}",
            deliveries(app, t, hook).await
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn events_arrive_in_the_spec_wire_format_signed_with_standard_webhooks() {
    let (app, t) = app_with("1s", 5000).await;
    let rx = Receiver::start(Reply::Status(204)).await;
    // The hook's own headers can never replace the wire format's.
    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds/f/hooks",
            Some(&t),
            Some(json!({
                "kind": "http", "events": ["package.added"],
                "config": {"url": rx.url, "headers": {"Content-Type": "text/plain"}}
            })),
        )
        .await;
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "config.headers.Content-Type");
    let hook = create_hook(
        &app,
        &t,
        json!({
            "kind": "http", "name": "ci", "events": ["package.added"],
            "config": {"url": rx.url, "secret": "generate", "headers": {"X-Team": "blue"}}
        }),
    )
    .await;
    let secret = hook["secret"]
        .as_str()
        .expect("generated secret shown once")
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    assert!(!hook["config"].to_string().contains(&secret));
    let got_hook: Value = app
        .api(
            Method::GET,
            &format!("/api/v1/feeds/f/hooks/{}", hook["id"]),
            Some(&t),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(!got_hook.to_string().contains(&secret), "never shown again");
    assert!(got_hook.get("secret").is_none());

    let sent = spec_example("package.added");
    assert_eq!(app.post_event("f", &t, &sent).await.status(), 202);
    let req = rx.wait_for(1, WAIT).await.remove(0);
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.header("content-type"),
        Some("application/vnd.myget.webhooks.v1+json")
    );
    assert!(
        req.header("user-agent")
            .unwrap()
            .starts_with("MyGet Web Hook/")
    );
    assert_eq!(
        req.header("x-myget-eventidentifier"),
        Some("7a48ce8c-728d-4350-8da8-e283d6fce277")
    );
    assert_eq!(req.header("x-team"), Some("blue"));
    assert_eq!(
        req.header("webhook-id"),
        Some("7a48ce8c-728d-4350-8da8-e283d6fce277")
    );
    // The body is the stored envelope, byte for byte.
    let stored = app
        .stored_event("f", "7a48ce8c-728d-4350-8da8-e283d6fce277")
        .await;
    assert_eq!(req.json(), stored);

    // An independent verifier accepts the signature.
    let headers = json!({
        "webhook-id": req.header("webhook-id"),
        "webhook-timestamp": req.header("webhook-timestamp"),
        "webhook-signature": req.header("webhook-signature"),
    });
    let input = json!({"secret": secret, "headers": headers, "body": String::from_utf8(req.body.clone()).unwrap()}).to_string();
    let (ok, out) = python(
        "import json, sys\nfrom standardwebhooks.webhooks import Webhook\nd = json.load(sys.stdin)\nWebhook(d['secret']).verify(d['body'], d['headers'])\nprint('verified')",
        &input,
    );
    assert!(ok && out.contains("verified"), "{out}");

    let d = settled(&app, &t, hook["id"].as_i64().unwrap(), "succeeded").await;
    assert_eq!(d["attempts"], 1);
    let a = &d["attempt_log"][0];
    assert_eq!(a["response"]["status"], 204);
    assert_eq!(a["request"]["method"], "POST");
    assert_eq!(a["request"]["url"], rx.url.as_str());
    assert!(a["error"].is_null());
    assert!(
        !d.to_string().contains(&secret),
        "the attempt log never holds the secret"
    );
}

#[tokio::test]
async fn a_500_is_retried_on_schedule_until_a_200() {
    let (app, t) = app_with("100ms,100ms,100ms", 5000).await;
    let rx = Receiver::start(Reply::Status(200)).await;
    rx.script(vec![Reply::Status(500), Reply::Status(503)]);
    let hook = http_hook(&app, &t, &rx.url, &["ping"]).await;
    app.post_event("f", &t, &spec_example("ping")).await;
    let d = settled(&app, &t, hook, "succeeded").await;
    assert_eq!(d["attempts"], 3);
    let statuses: Vec<i64> = d["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["response"]["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, vec![500, 503, 200]);
    assert_eq!(d["attempt_log"][0]["error"]["kind"], "http");
    // All three carried the same event identifier, so a receiver can de-duplicate.
    let ids: Vec<String> = rx
        .received()
        .iter()
        .map(|r| r.header("x-myget-eventidentifier").unwrap().to_owned())
        .collect();
    assert!(ids.iter().all(|i| *i == ids[0]));
}

#[tokio::test]
async fn a_429_retry_after_is_honoured() {
    let (app, t) = app_with("100ms", 5000).await;
    let rx = Receiver::start(Reply::Status(200)).await;
    rx.script(vec![Reply::Full(
        429,
        vec![("Retry-After", "2".into())],
        "slow down".into(),
    )]);
    let hook = http_hook(&app, &t, &rx.url, &["ping"]).await;
    app.post_event("f", &t, &spec_example("ping")).await;
    let got = rx.wait_for(2, WAIT).await;
    let gap = got[1].at - got[0].at;
    assert!(
        gap >= Duration::from_millis(1900),
        "retried after {gap:?}, not after Retry-After: 2"
    );
    let d = settled(&app, &t, hook, "succeeded").await;
    assert_eq!(d["attempt_log"][0]["response"]["body"], "slow down");
}

#[tokio::test]
async fn other_4xx_fail_at_once_and_the_schedule_ends_in_failed() {
    let (app, t) = app_with("50ms,50ms", 5000).await;
    let bad_request = Receiver::start(Reply::Status(400)).await;
    let always_500 = Receiver::start(Reply::Status(500)).await;
    let h1 = http_hook(&app, &t, &bad_request.url, &["ping"]).await;
    let h2 = http_hook(&app, &t, &always_500.url, &["ping"]).await;
    app.post_event("f", &t, &spec_example("ping")).await;
    let d1 = settled(&app, &t, h1, "failed").await;
    assert_eq!(d1["attempts"], 1, "400 is not retried");
    let d2 = settled(&app, &t, h2, "failed").await;
    assert_eq!(
        d2["attempts"], 3,
        "500 is retried by the schedule, then fails"
    );
    assert!(d2["next_attempt_at"].is_null());
}

#[tokio::test]
async fn a_410_disables_the_hook_and_enabling_it_resumes() {
    let (app, t) = app_with("50ms", 5000).await;
    let rx = Receiver::start(Reply::Status(410)).await;
    let hook = http_hook(&app, &t, &rx.url, &["ping", "package.deleted"]).await;
    app.post_event("f", &t, &spec_example("ping")).await;
    settled(&app, &t, hook, "failed").await;
    let h = hook_state(&app, &t, hook).await;
    assert_eq!(h["enabled"], false);
    assert!(
        h["disabled_reason"].as_str().unwrap().contains("410"),
        "{h}"
    );
    // While disabled, new events make no deliveries for it.
    let res: Value = app
        .post_event("f", &t, &spec_example("package.deleted"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(res["deliveries"], 0);
    rx.set_default(Reply::Status(200));
    let res = app
        .api(
            Method::PATCH,
            &format!("/api/v1/feeds/f/hooks/{hook}"),
            Some(&t),
            Some(json!({"enabled": true})),
        )
        .await;
    let h: Value = res.json().await.unwrap();
    assert_eq!(h["enabled"], true);
    assert!(h["disabled_reason"].is_null());
    let mut e = spec_example("package.deleted");
    e["Identifier"] = json!("after-enable");
    app.post_event("f", &t, &e).await;
    settled(&app, &t, hook, "succeeded").await;
}

#[tokio::test]
async fn deliveries_of_a_disabled_hook_wait_and_go_out_when_it_is_enabled_with_its_new_settings() {
    let (app, t) = app_with("50ms", 5000).await;
    let old = Receiver::start(Reply::Status(200)).await;
    let new = Receiver::start(Reply::Status(200)).await;
    let hook = http_hook(&app, &t, &old.url, &["ping"]).await;
    let path = format!("/api/v1/feeds/f/hooks/{hook}");
    app.api(
        Method::PATCH,
        &path,
        Some(&t),
        Some(json!({"enabled": false})),
    )
    .await;
    let res: Value = app
        .post_event("f", &t, &spec_example("ping"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        res["deliveries"], 0,
        "a disabled hook gets no new deliveries"
    );
    // A delivery that exists while the hook is disabled waits (a redelivery makes one).
    app.api(
        Method::PATCH,
        &path,
        Some(&t),
        Some(json!({"enabled": true})),
    )
    .await;
    let mut e = spec_example("ping");
    e["Identifier"] = json!("second");
    app.post_event("f", &t, &e).await;
    old.wait_for(1, WAIT).await;
    let first = settled(&app, &t, hook, "succeeded").await;
    app.api(
        Method::PATCH,
        &path,
        Some(&t),
        Some(json!({"enabled": false})),
    )
    .await;
    let res = app
        .api(
            Method::POST,
            &format!("/api/v1/feeds/f/deliveries/{}/redeliver", first["id"]),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(res.status(), 202);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pending = deliveries(&app, &t, hook).await;
    assert_eq!(pending[0]["status"], "pending");
    assert_eq!(pending[0]["waiting_for_hook"], true);
    assert_eq!(old.received().len(), 1, "nothing sent while disabled");
    // Edited and enabled: the waiting delivery goes to the new URL.
    app.api(
        Method::PATCH,
        &path,
        Some(&t),
        Some(json!({"enabled": true, "config": {"url": new.url}})),
    )
    .await;
    let got = new.wait_for(1, WAIT).await;
    assert_eq!(got[0].header("x-myget-eventidentifier"), Some("second"));
}

#[tokio::test]
async fn network_failures_are_classified_and_logged() {
    let (app, t) = app_with("50ms", 800).await;
    let hang = Receiver::start(Reply::Hang).await;
    let reset = Receiver::start(Reply::Reset).await;
    let garbage = Receiver::start(Reply::Garbage).await;
    // A port nobody listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}/", l.local_addr().unwrap().port())
    };
    let cases = [
        (hang.url.clone(), "timeout"),
        (reset.url.clone(), "connect"),
        (garbage.url.clone(), "http"),
        (closed, "connect"),
    ];
    let mut hooks = vec![];
    for (url, _) in &cases {
        hooks.push(http_hook(&app, &t, url, &["ping"]).await);
    }
    app.post_event("f", &t, &spec_example("ping")).await;
    for ((url, kind), hook) in cases.iter().zip(hooks) {
        let d = settled(&app, &t, hook, "failed").await;
        assert_eq!(d["attempts"], 2, "{url}: retried once by the schedule");
        let err = &d["attempt_log"][0]["error"];
        assert_eq!(err["kind"], *kind, "{url}: {err}");
        assert!(!err["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn redirects_are_not_followed_and_huge_answers_are_capped() {
    let (app, t) = app_with("50ms", 5000).await;
    let target = Receiver::start(Reply::Status(200)).await;
    let redirect = Receiver::start(Reply::Redirect(target.url.clone())).await;
    let huge = Receiver::start(Reply::Huge(3 * 1024 * 1024)).await;
    let h1 = http_hook(&app, &t, &redirect.url, &["ping"]).await;
    let h2 = http_hook(&app, &t, &huge.url, &["ping"]).await;
    app.post_event("f", &t, &spec_example("ping")).await;
    let d = settled(&app, &t, h1, "failed").await;
    let a = &d["attempt_log"][0];
    assert_eq!(a["response"]["status"], 302);
    assert_eq!(a["response"]["headers"]["location"], target.url.as_str());
    assert!(
        a["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&target.url),
        "{a}"
    );
    assert!(
        target.received().is_empty(),
        "the redirect was not followed"
    );
    let d = settled(&app, &t, h2, "succeeded").await;
    let r = &d["attempt_log"][0]["response"];
    assert!(
        r["body_size"].as_i64().unwrap() <= 1024 * 1024,
        "{}",
        r["body_size"]
    );
    assert!(r["body"].as_str().unwrap().len() <= 64 * 1024 + 200);
}

#[tokio::test]
async fn loopback_receivers_are_blocked_unless_allowed() {
    let app = spawn_app_with(|s| s.allow_hosts = "external".parse().unwrap()).await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let rx = Receiver::start(Reply::Status(200)).await;
    let by_name = rx.url.replace("127.0.0.1", "localhost");
    let h1 = http_hook(&app, &t, &rx.url, &["ping"]).await;
    let h2 = http_hook(&app, &t, &by_name, &["ping"]).await;
    app.post_event("f", &t, &spec_example("ping")).await;
    for h in [h1, h2] {
        let d = settled(&app, &t, h, "failed").await;
        assert_eq!(d["attempt_log"][0]["error"]["kind"], "blocked", "{d}");
    }
    assert!(
        rx.received().is_empty(),
        "nothing reached the loopback receiver"
    );
}

#[tokio::test]
async fn ping_and_redeliveries_make_new_linked_deliveries() {
    let (app, t) = app_with("50ms", 5000).await;
    let rx = Receiver::start(Reply::Status(500)).await;
    let hook = http_hook(&app, &t, &rx.url, &["package.added", "package.deleted"]).await;
    let res = app
        .api(
            Method::POST,
            &format!("/api/v1/feeds/f/hooks/{hook}/ping"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(res.status(), 202);
    let ping_id = res.json::<Value>().await.unwrap()["delivery"]
        .as_i64()
        .unwrap();
    let got = rx.wait_for(1, WAIT).await;
    assert_eq!(got[0].json()["PayloadType"], "PingWebHookEventPayloadV1");
    assert_eq!(got[0].json()["Payload"]["FeedIdentifier"], "f");

    app.post_event("f", &t, &spec_example("package.added"))
        .await;
    app.post_event("f", &t, &spec_example("package.deleted"))
        .await;
    let since = feedhooks::domain::time::rfc3339(feedhooks::domain::time::now_ms() - 60_000);
    // Wait for all three to fail for good.
    let deadline = Instant::now() + WAIT;
    while deliveries(&app, &t, hook)
        .await
        .iter()
        .filter(|d| d["status"] == "failed")
        .count()
        < 3
    {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    rx.set_default(Reply::Status(200));
    // One redelivery: a new delivery pointing at the original, whose log stays.
    let res = app
        .api(
            Method::POST,
            &format!("/api/v1/feeds/f/deliveries/{ping_id}/redeliver"),
            Some(&t),
            None,
        )
        .await;
    let new_id = res.json::<Value>().await.unwrap()["delivery"]
        .as_i64()
        .unwrap();
    assert_ne!(new_id, ping_id);
    let deadline = Instant::now() + WAIT;
    loop {
        let d = delivery(&app, &t, new_id).await;
        if d["status"] == "succeeded" {
            assert_eq!(d["redelivery_of"], ping_id);
            break;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let original = delivery(&app, &t, ping_id).await;
    assert_eq!(original["status"], "failed");
    assert_eq!(original["attempt_log"].as_array().unwrap().len(), 2);

    // Bulk: every failed delivery since a time not redelivered yet (the two events).
    let res = app
        .api(
            Method::POST,
            &format!("/api/v1/feeds/f/hooks/{hook}/redeliver"),
            Some(&t),
            Some(json!({"status": "failed", "since": since})),
        )
        .await;
    assert_eq!(res.status(), 202);
    assert_eq!(res.json::<Value>().await.unwrap()["deliveries"], 2);
    let deadline = Instant::now() + WAIT;
    while deliveries(&app, &t, hook)
        .await
        .iter()
        .filter(|d| d["status"] == "succeeded")
        .count()
        < 3
    {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let bad = app
        .api(
            Method::POST,
            &format!("/api/v1/feeds/f/hooks/{hook}/redeliver"),
            Some(&t),
            Some(json!({"status": "succeeded", "since": "yesterday"})),
        )
        .await;
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn a_hook_whose_deliveries_keep_failing_is_disabled_with_a_reason() {
    let (app, t) = app_with("50ms", 5000).await;
    let rx = Receiver::start(Reply::Status(404)).await;
    let hook = http_hook(&app, &t, &rx.url, &["ping"]).await;
    for i in 0..20 {
        let e = json!({"Identifier": format!("e{i}"), "PayloadType": "PingWebHookEventPayloadV1", "Payload": {}});
        app.post_event("f", &t, &e).await;
    }
    let deadline = Instant::now() + WAIT;
    loop {
        let h = hook_state(&app, &t, hook).await;
        if h["enabled"] == false {
            let reason = h["disabled_reason"].as_str().unwrap();
            assert!(
                reason.contains("20 deliveries in a row failed") && reason.contains("404"),
                "{reason}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "not disabled: {h}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn a_hanging_receiver_does_not_delay_other_hooks() {
    let (app, t) = app_with("10s", 4000).await;
    let hang = Receiver::start(Reply::Hang).await;
    let healthy = Receiver::start(Reply::Status(200)).await;
    http_hook(&app, &t, &hang.url, &["ping"]).await;
    http_hook(&app, &t, &healthy.url, &["ping"]).await;
    for i in 0..40 {
        let e = json!({"Identifier": format!("e{i}"), "PayloadType": "PingWebHookEventPayloadV1", "Payload": {}});
        app.post_event("f", &t, &e).await;
    }
    // All 40 reach the healthy receiver while the hanging one holds only its few slots.
    healthy.wait_for(40, WAIT).await;
    let held = hang.received().len();
    assert!(
        held <= feedhooks::domain::hook_concurrency::DEFAULT_MAX_IN_FLIGHT as usize,
        "{held} attempts in flight to one hook"
    );
}

#[tokio::test]
async fn metrics_are_exposed_in_prometheus_text() {
    let (app, t) = app_with("50ms", 5000).await;
    let rx = Receiver::start(Reply::Status(200)).await;
    let hook = http_hook(&app, &t, &rx.url, &["ping"]).await;
    app.post_event("f", &t, &spec_example("ping")).await;
    settled(&app, &t, hook, "succeeded").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains("feedhooks_attempts_total{outcome=\"succeeded\"} 1"),
        "{text}"
    );
    assert!(text.contains("feedhooks_attempt_duration_seconds_count 1"));
    assert!(text.contains("feedhooks_deliveries_pending 0"));
    assert!(text.contains("feedhooks_oldest_due_delivery_age_seconds"));
    // How the worker batches: one claim took the one delivery.
    assert!(text.contains("feedhooks_claims_total 1\n"), "{text}");
    assert!(text.contains("feedhooks_claimed_deliveries_total 1\n"));
    assert!(text.contains("# TYPE feedhooks_result_commits_total counter"));
    assert!(text.contains("# TYPE feedhooks_results_total counter"));
}

#[tokio::test]
async fn retention_prunes_old_events_with_their_deliveries_and_attempts() {
    let (app, t) = app_with("50ms", 5000).await;
    let rx = Receiver::start(Reply::Status(200)).await;
    let hook = http_hook(&app, &t, &rx.url, &["ping"]).await;
    app.post_event("f", &t, &spec_example("ping")).await;
    settled(&app, &t, hook, "succeeded").await;
    assert_eq!(app.count("attempts").await, 1);
    let now = feedhooks::domain::time::now_ms();
    let kept = feedhooks::delivery::retention::prune_before(&app.state.db, now - 60_000)
        .await
        .unwrap();
    assert_eq!(kept, 0, "recent events stay");
    let gone = feedhooks::delivery::retention::prune_before(&app.state.db, now + 60_000)
        .await
        .unwrap();
    assert_eq!(gone, 1);
    for table in ["events", "deliveries", "attempts"] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
}

#[tokio::test]
async fn shutdown_lets_attempts_in_flight_finish_and_records_them() {
    let (app, t) = app_with("10s", 10_000).await;
    let rx = Receiver::start(Reply::Slow(Duration::from_millis(1500), 200)).await;
    let hook = http_hook(&app, &t, &rx.url, &["ping"]).await;
    app.post_event("f", &t, &spec_example("ping")).await;
    rx.wait_for(1, WAIT).await;
    // Stop while the receiver is still answering: the attempt finishes and is recorded.
    let state = app.state.clone();
    let dir = app.shutdown().await;
    let status: String = state
        .db
        .run(move |c| {
            c.query_row(
                "SELECT status FROM deliveries WHERE hook_id = ?1",
                [hook],
                |r| r.get(0),
            )
            .map_err(feedhooks::db::DbError::from)
        })
        .await
        .unwrap();
    assert_eq!(status, "succeeded");
    drop(dir);
}
