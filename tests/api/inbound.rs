//! Inbound sources end to end: other systems' own webhooks, signed as those systems sign them,
//! become deliveries to a receiver on 127.0.0.1; every way a request can be wrong answers as
//! API.md says and stores nothing new; the request log (API and page) says what each became.
//! The real Verdaccio, configured with the `notify` block the page gives, arrives through
//! `notify` as package.added.
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app};
use crate::receiver::{Receiver, Reply};
use crate::verdaccio::Verdaccio;

const FEED: &str = "inbound";

fn fixture(path: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/inbound")
        .join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn edited(bytes: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(bytes).unwrap();
    edit(&mut v);
    serde_json::to_vec(&v).unwrap()
}

/// `X-Hub-Signature-256` as GitHub makes it: `@octokit/webhooks-methods`' `sign`, an
/// implementation independent of the server's.
fn octokit_sign(secret: &str, body: &[u8]) -> String {
    let tools = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tools");
    assert!(
        tools
            .join("node_modules/@octokit/webhooks-methods")
            .is_dir(),
        "the test tools are missing: run .ci/install-test-tools"
    );
    let mut child = Command::new("node")
        .args(["--input-type=module", "-e"])
        .arg(
            "import { sign } from '@octokit/webhooks-methods';
             import fs from 'node:fs';
             console.log(await sign(process.env.SECRET, fs.readFileSync(0, 'utf8')));",
        )
        .current_dir(tools)
        .env("SECRET", secret)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node is installed (.ci/install-test-tools)");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `x-npm-signature` as npm's reference receiver computes it.
fn npm_sign(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

struct Setup {
    app: TestApp,
    token: String,
    rx: Receiver,
    user: TestUser,
}

async fn setup(events: &[&str]) -> Setup {
    let app = spawn_app().await;
    let user = app.create_user("ann", false).await;
    let token = app.token_for(&user).await;
    app.create_feed(&token, FEED).await;
    let rx = Receiver::start(Reply::Status(200)).await;
    let res = app
        .api(
            Method::POST,
            &format!("/api/v1/feeds/{FEED}/hooks"),
            Some(&token),
            Some(
                json!({"kind": "http", "name": "rx", "events": events, "config": {"url": rx.url}}),
            ),
        )
        .await;
    assert_eq!(res.status(), 201);
    Setup {
        app,
        token,
        rx,
        user,
    }
}

impl Setup {
    /// Creates an inbound source; returns its id, inbound URL and secret.
    async fn source(&self, kind: &str) -> (i64, String, String) {
        let res = self
            .app
            .api(
                Method::POST,
                &format!("/api/v1/feeds/{FEED}/sources"),
                Some(&self.token),
                Some(json!({"kind": kind, "name": kind})),
            )
            .await;
        assert_eq!(res.status(), 201);
        let s: Value = res.json().await.unwrap();
        let id = s["id"].as_i64().unwrap();
        let url = s["inbound_url"].as_str().unwrap().to_owned();
        assert!(url.ends_with(&format!("/api/v1/inbound/{id}")), "{url}");
        (id, url, s["secret"].as_str().unwrap().to_owned())
    }

    async fn post(
        &self,
        id: i64,
        headers: &[(&str, String)],
        content_type: &str,
        body: Vec<u8>,
    ) -> (u16, Option<String>, Value) {
        let mut req = self
            .app
            .client
            .post(self.app.url(&format!("/api/v1/inbound/{id}")))
            .header("content-type", content_type);
        for (n, v) in headers {
            req = req.header(*n, v);
        }
        let res = req.body(body).send().await.unwrap();
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, ct, res.json().await.unwrap_or(Value::Null))
    }

    async fn requests(&self, id: i64) -> Vec<Value> {
        let res = self
            .app
            .api(
                Method::GET,
                &format!("/api/v1/feeds/{FEED}/sources/{id}/requests"),
                Some(&self.token),
                None,
            )
            .await;
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// Rows of the tables an inbound request can write.
    async fn stored(&self) -> (i64, i64, i64) {
        (
            self.app.count("events").await,
            self.app.count("deliveries").await,
            self.app.count("inbound_requests").await,
        )
    }
}

fn github(event: &str, secret: &str, body: &[u8], delivery: &str) -> Vec<(&'static str, String)> {
    vec![
        ("X-GitHub-Event", event.to_owned()),
        ("X-GitHub-Delivery", delivery.to_owned()),
        ("X-Hub-Signature-256", octokit_sign(secret, body)),
        ("User-Agent", "GitHub-Hookshot/044aadd".to_owned()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_github_workflow_run_becomes_queued_started_and_finished_deliveries() {
    let s = setup(&["build.queued", "build.started", "build.finished"]).await;
    let (id, _, secret) = s.source("github").await;
    let requested = fixture("github/workflow_run.requested.json");
    let in_progress = edited(&requested, |v| {
        v["action"] = json!("in_progress");
        v["workflow_run"]["status"] = json!("in_progress");
    });
    let completed = edited(&requested, |v| {
        v["action"] = json!("completed");
        v["workflow_run"]["status"] = json!("completed");
        v["workflow_run"]["conclusion"] = json!("success");
    });
    for (n, body) in [&requested, &in_progress, &completed]
        .into_iter()
        .enumerate()
    {
        let headers = github("workflow_run", &secret, body, &format!("d-{n}"));
        let (status, _, answer) = s.post(id, &headers, "application/json", body.clone()).await;
        assert_eq!((status, answer), (202, json!({"events": 1})));
    }
    let got = s.rx.wait_for(3, Duration::from_secs(10)).await;
    let mut types: Vec<String> = got
        .iter()
        .map(|r| r.json()["PayloadType"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "BuildFinishedWebHookEventPayloadV1",
            "BuildQueuedWebHookEventPayloadV1",
            "BuildStartedWebHookEventPayloadV1"
        ]
    );
    let run: Value = serde_json::from_slice(&requested).unwrap();
    let finished = got
        .iter()
        .map(|r| r.json())
        .find(|e| e["PayloadType"] == "BuildFinishedWebHookEventPayloadV1")
        .unwrap();
    assert_eq!(finished["Payload"]["Result"], "success");
    assert_eq!(
        finished["Payload"]["Branch"],
        run["workflow_run"]["head_branch"]
    );
    assert_eq!(
        finished["Payload"]["BuildLogUrl"],
        run["workflow_run"]["html_url"]
    );
    assert_eq!(finished["Username"], run["sender"]["login"]);

    // GitHub's "Redeliver": the same delivery again makes no second event.
    let before = s.stored().await;
    let headers = github("workflow_run", &secret, &completed, "d-2");
    let (status, _, answer) = s
        .post(id, &headers, "application/json", completed.clone())
        .await;
    assert_eq!((status, answer), (202, json!({"events": 0})));
    let after = s.stored().await;
    assert_eq!(
        (after.0, after.1),
        (before.0, before.1),
        "no new event nor delivery"
    );
    let log = s.requests(id).await;
    assert_eq!(log[0]["outcome"], "repeated");
    assert_eq!(log.len(), 4);
    // Secrets never come back: the signature header is redacted, the secret appears nowhere.
    let text = serde_json::to_string(&log).unwrap();
    assert!(!text.contains(&secret));
    let sig = log[0]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| {
            h[0].as_str()
                .unwrap()
                .eq_ignore_ascii_case("x-hub-signature-256")
        })
        .unwrap();
    assert_eq!(sig[1], "[redacted]");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.rx.received().len(), 3, "one delivery per run state");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_requests_answer_as_specified_and_store_nothing_new() {
    let s = setup(&["build.queued", "build.started", "build.finished"]).await;
    let (id, _, secret) = s.source("github").await;
    let body = fixture("github/workflow_run.completed.json");
    let start = s.stored().await;

    // Wrong secret, tampered body, no signature: 401 problem+json, nothing stored at all.
    let wrong = github("workflow_run", "not-the-secret", &body, "a");
    let mut tampered_body = body.clone();
    tampered_body.extend_from_slice(b" ");
    let tampered = github("workflow_run", &secret, &body, "b");
    let unsigned = vec![("X-GitHub-Event", "workflow_run".to_owned())];
    for (headers, b) in [
        (wrong, body.clone()),
        (tampered, tampered_body),
        (unsigned, body.clone()),
    ] {
        let (status, ct, problem) = s.post(id, &headers, "application/json", b).await;
        assert_eq!(status, 401, "{problem}");
        assert_eq!(ct.as_deref(), Some("application/problem+json"));
        assert_eq!(problem["status"], 401);
        assert_eq!(s.stored().await, start);
    }

    // Over 1 MiB: 413 before anything is read or stored.
    let big = vec![b' '; 1024 * 1024 + 1];
    let headers = github("workflow_run", &secret, &big, "c");
    let (status, ct, _) = s.post(id, &headers, "application/json", big).await;
    assert_eq!(status, 413);
    assert_eq!(ct.as_deref(), Some("application/problem+json"));
    assert_eq!(s.stored().await, start);

    // GitHub's default content type (form-encoded): 415, no event; the log says why, since
    // that is the one mistake an owner makes on GitHub's settings page.
    let form = format!("payload={}", String::from_utf8_lossy(&body)).into_bytes();
    let headers = github("workflow_run", &secret, &form, "d");
    let (status, ct, _) = s
        .post(id, &headers, "application/x-www-form-urlencoded", form)
        .await;
    assert_eq!(status, 415);
    assert_eq!(ct.as_deref(), Some("application/problem+json"));
    let now = s.stored().await;
    assert_eq!((now.0, now.1), (start.0, start.1));

    // A well-signed event the kind does not map: 202 {"events": 0}, listed as ignored.
    let push = fixture("github/push.json");
    let headers = github("push", &secret, &push, "e");
    let (status, _, answer) = s.post(id, &headers, "application/json", push).await;
    assert_eq!((status, answer), (202, json!({"events": 0})));
    let ping = fixture("github/ping.json");
    let headers = github("ping", &secret, &ping, "f");
    let (status, _, answer) = s.post(id, &headers, "application/json", ping).await;
    assert_eq!((status, answer), (200, json!({"events": 0})));
    let now = s.stored().await;
    assert_eq!(
        (now.0, now.1),
        (start.0, start.1),
        "no event from push or ping"
    );
    let log = s.requests(id).await;
    let outcomes: Vec<&str> = log.iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["ping", "ignored", "unsupported"]);
    assert!(
        log[1]["detail"].as_str().unwrap().contains("push"),
        "{}",
        log[1]
    );
    // Paged like every list: a full page names where the next starts.
    let res = s
        .app
        .api(
            Method::GET,
            &format!("/api/v1/feeds/{FEED}/sources/{id}/requests?limit=2"),
            Some(&s.token),
            None,
        )
        .await;
    let page: Value = res.json().await.unwrap();
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let res = s
        .app
        .api(
            Method::GET,
            &format!("/api/v1/feeds/{FEED}/sources/{id}/requests?limit=2&cursor={cursor}"),
            Some(&s.token),
            None,
        )
        .await;
    let rest: Value = res.json().await.unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["outcome"], "unsupported");
    assert!(rest["next_cursor"].is_null());

    // An unknown source: 404, nothing stored.
    let headers = github("workflow_run", &secret, &body, "g");
    let (status, _, _) = s
        .post(id + 100, &headers, "application/json", body.clone())
        .await;
    assert_eq!(status, 404);

    // Rotation: the old secret works on (marked so), the new one too.
    let res = s
        .app
        .api(
            Method::POST,
            &format!("/api/v1/feeds/{FEED}/sources/{id}/rotate-secret"),
            Some(&s.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let new_secret = res.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_secret, secret);
    let headers = github("workflow_run", &secret, &body, "h");
    let (status, _, answer) = s.post(id, &headers, "application/json", body.clone()).await;
    assert_eq!((status, answer), (202, json!({"events": 1})));
    assert_eq!(s.requests(id).await[0]["previous_secret"], true);
    let headers = github("workflow_run", &new_secret, &body, "i");
    let (status, _, answer) = s.post(id, &headers, "application/json", body).await;
    assert_eq!(
        (status, answer),
        (202, json!({"events": 0})),
        "the same run again"
    );
    assert_eq!(s.requests(id).await[0]["previous_secret"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gitlab_pipeline_hook_becomes_build_deliveries() {
    let s = setup(&["build.started", "build.finished"]).await;
    let (id, _, secret) = s.source("gitlab").await;
    let success = fixture("gitlab/pipeline.success.json");
    let running = edited(&success, |v| {
        v["object_attributes"]["status"] = json!("running")
    });
    let hdrs = |token: &str| {
        vec![
            ("X-Gitlab-Event", "Pipeline Hook".to_owned()),
            ("X-Gitlab-Token", token.to_owned()),
        ]
    };
    let start = s.stored().await;
    let (status, _, _) = s
        .post(id, &hdrs("wrong"), "application/json", success.clone())
        .await;
    assert_eq!(status, 401);
    assert_eq!(s.stored().await, start);
    for body in [&running, &success, &success] {
        let (status, _, _) = s
            .post(id, &hdrs(&secret), "application/json", body.clone())
            .await;
        assert_eq!(status, 202);
    }
    let got = s.rx.wait_for(2, Duration::from_secs(10)).await;
    let types: Vec<Value> = got
        .iter()
        .map(|r| r.json()["PayloadType"].clone())
        .collect();
    assert!(types.contains(&json!("BuildStartedWebHookEventPayloadV1")));
    assert!(types.contains(&json!("BuildFinishedWebHookEventPayloadV1")));
    let outcomes: Vec<Value> = s
        .requests(id)
        .await
        .iter()
        .map(|r| r["outcome"].clone())
        .collect();
    assert_eq!(
        outcomes,
        [json!("repeated"), json!("accepted"), json!("accepted")]
    );
    let log = serde_json::to_string(&s.requests(id).await).unwrap();
    assert!(!log.contains(&secret), "X-Gitlab-Token is redacted");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        s.rx.received().len(),
        2,
        "the repeated pipeline status is not delivered again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_npm_hook_publish_becomes_package_added() {
    let s = setup(&["package.added"]).await;
    let (id, _, secret) = s.source("npm-hook").await;
    let body = fixture("npm-hook/package-publish.json");
    let start = s.stored().await;
    let bad = vec![("x-npm-signature", npm_sign("other", &body))];
    assert_eq!(
        s.post(id, &bad, "application/json", body.clone()).await.0,
        401
    );
    assert_eq!(s.stored().await, start);
    let good = vec![("x-npm-signature", npm_sign(&secret, &body))];
    let (status, _, answer) = s.post(id, &good, "application/json", body).await;
    assert_eq!((status, answer), (202, json!({"events": 1})));
    let got = s.rx.wait_for(1, Duration::from_secs(10)).await;
    let e = got[0].json();
    assert_eq!(e["PayloadType"], "PackageAddedWebHookEventPayloadV1");
    assert_eq!(e["Payload"]["PackageIdentifier"], "@kafkajs/zstd");
}

/// The step of the Verdaccio kind that holds the notify block, as the source page shows it.
fn notify_block(url: &str, secret: &str) -> String {
    use feedhooks::sources::inbound::InboundKind;
    InboundKind::Verdaccio
        .definition()
        .steps
        .iter()
        .find_map(|s| s.render(url, Some(secret)).1)
        .expect("the Verdaccio steps give the notify block")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_real_verdaccio_publish_arrives_through_notify_as_package_added() {
    let s = setup(&["package.added"]).await;
    let (id, url, secret) = s.source("verdaccio").await;
    // The URL the server answered, pointing at this test's server on 127.0.0.1.
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let registry = Verdaccio::start(Some(&notify_block(&url, &secret))).await;
    let registry = std::sync::Arc::new(registry);
    let r = registry.clone();
    tokio::task::spawn_blocking(move || {
        r.publish("fh-notified", "1.2.3", json!({"description": "via notify"}))
    })
    .await
    .unwrap();
    let got = s.rx.wait_for(1, Duration::from_secs(20)).await;
    let e = got[0].json();
    assert_eq!(e["PayloadType"], "PackageAddedWebHookEventPayloadV1");
    assert_eq!(e["Payload"]["PackageIdentifier"], "fh-notified");
    assert_eq!(e["Payload"]["PackageVersion"], "1.2.3");
    let log = s.requests(id).await;
    assert_eq!(log[0]["outcome"], "accepted");
    assert!(!serde_json::to_string(&log).unwrap().contains(&secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_creates_an_inbound_source_in_the_browser_and_sees_url_steps_and_requests() {
    let s = setup(&["build.finished"]).await;
    let b = s.app.sign_in(&s.user).await;
    let res = b
        .post_form(
            &format!("/feeds/{FEED}/sources"),
            &[("kind", "github"), ("name", "octo"), ("enabled", "true")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let created = res.text().await.unwrap();
    // The one answer that shows the secret fills it into the steps; later views do not.
    let secret = created
        .split("<code class=\"wrap\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    assert_eq!(secret.len(), 64, "{created}");
    let url = created
        .split("id=\"inbound-url\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    let id: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(url, s.app.url(&format!("/api/v1/inbound/{id}")));
    assert!(
        created.matches(&secret).count() >= 2,
        "the Secret step holds it"
    );

    let body = fixture("github/workflow_run.completed.json");
    let headers = github("workflow_run", &secret, &body, "p");
    assert_eq!(s.post(id, &headers, "application/json", body).await.0, 202);
    let push = fixture("github/push.json");
    let headers = github("push", &secret, &push, "q");
    assert_eq!(s.post(id, &headers, "application/json", push).await.0, 202);

    let page = b.get_text(&format!("/feeds/{FEED}/sources/{id}")).await;
    assert!(page.contains(&url), "the inbound URL");
    for field in [
        "Payload URL",
        "Content type",
        "application/json",
        "Secret",
        "Workflow runs",
    ] {
        assert!(page.contains(field), "the step naming {field}");
    }
    assert!(page.contains("Requests received"));
    assert!(
        page.contains("accepted") && page.contains("ignored"),
        "what each became"
    );
    assert!(page.contains("push"), "why the push was ignored");
    assert!(
        page.contains("[redacted]"),
        "the signature header, redacted"
    );
    assert!(!page.contains(&secret), "the secret is not shown again");

    // Rotating keeps the old secret, and the page says until when.
    let res = b
        .post_form(&format!("/feeds/{FEED}/sources/{id}/rotate-secret"), &[])
        .await;
    assert_eq!(res.status(), 200);
    let page = b.get_text(&format!("/feeds/{FEED}/sources/{id}")).await;
    assert!(
        page.contains("the previous secret still works until"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generic_source_takes_envelopes_with_its_bearer_secret() {
    let s = setup(&["build.started"]).await;
    let (id, _, secret) = s.source("generic").await;
    let envelope = crate::helpers::spec_example("build.started");
    let body = serde_json::to_vec(&envelope).unwrap();
    let bearer = |secret: &str| vec![("Authorization", format!("Bearer {secret}"))];
    let start = s.stored().await;
    assert_eq!(
        s.post(id, &bearer("nope"), "application/json", body.clone())
            .await
            .0,
        401
    );
    assert_eq!(s.stored().await, start);
    let (status, _, answer) = s
        .post(id, &bearer(&secret), "application/json", body.clone())
        .await;
    assert_eq!((status, answer), (202, json!({"events": 1})));
    let (status, _, answer) = s.post(id, &bearer(&secret), "application/json", body).await;
    assert_eq!(
        (status, answer),
        (202, json!({"events": 0})),
        "the same Identifier again"
    );
    let mut bad = envelope.clone();
    bad["Identifier"] = json!("another");
    bad["Payload"] = json!("not an object");
    let bad = serde_json::to_vec(&bad).unwrap();
    let (status, ct, problem) = s.post(id, &bearer(&secret), "application/json", bad).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(ct.as_deref(), Some("application/problem+json"));
    s.rx.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(s.app.count("events").await, start.0 + 1);
    let outcomes: Vec<Value> = s
        .requests(id)
        .await
        .iter()
        .map(|r| r["outcome"].clone())
        .collect();
    assert_eq!(
        outcomes,
        [json!("invalid"), json!("repeated"), json!("accepted")]
    );
}
