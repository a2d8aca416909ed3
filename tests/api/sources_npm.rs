//! npm sources against a real registry: Verdaccio on 127.0.0.1, driven by the real npm CLI.
//! Each step (publish, second version, deprecate, undeprecate, unpublish; scoped and unscoped)
//! reaches a receiver as the right event with the right payload, exactly once, across a
//! kill -9 of feedhooks between two steps.
use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cli::{Server, run_command, start_server};
use crate::receiver::{Receiver, Reply};
use crate::verdaccio::Verdaccio;

async fn start(data: std::path::PathBuf) -> Server {
    tokio::task::spawn_blocking(move || {
        start_server(
            &data,
            &[
                "--allow-hosts",
                "loopback",
                "--retry-schedule",
                "200ms,500ms,1s",
            ],
        )
    })
    .await
    .unwrap()
}

struct Api {
    url: String,
    token: String,
    client: reqwest::Client,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, format!("{}/api/v1{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn wait_succeeded(&self, hook: i64, n: usize) {
        for _ in 0..100 {
            let (_, list) = self
                .call(
                    reqwest::Method::GET,
                    &format!("/feeds/f/hooks/{hook}/deliveries?status=succeeded"),
                    None,
                )
                .await;
            if list["items"].as_array().map_or(0, Vec::len) >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{n} deliveries did not succeed within 10 s");
    }

    /// One poll now; returns the events it emitted (and fails on a poll error).
    async fn poll(&self, source: i64) -> i64 {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                &format!("/feeds/f/sources/{source}/poll"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert!(body["error"].is_null(), "the poll failed: {body}");
        body["events"].as_i64().unwrap()
    }
}

fn deliveries_by_id(received: &[crate::receiver::Received]) -> Vec<Value> {
    received.iter().map(|r| r.json()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn npm_registry_changes_arrive_once_each_across_kill_9() {
    let registry = Verdaccio::start(None).await;
    registry.publish(
        "fh-demo",
        "1.0.0",
        json!({"description": "first", "license": "MIT"}),
    );
    registry.publish("@acme/widgets", "1.0.0", json!({}));

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start(data.clone()).await;
    let (code, _, err) = run_command(
        &data,
        &["user", "add", "olivia", "--password-stdin"],
        "a long enough password\n",
    );
    assert_eq!(code, 0, "{err}");
    let (_, token, _) = run_command(&data, &["token", "create", "--user", "olivia"], "");
    let api = Api {
        url: server.url.clone(),
        token: token.trim().to_owned(),
        client: reqwest::Client::new(),
    };
    let rx = Receiver::start(Reply::Status(200)).await;
    let (s, b) = api
        .call(
            reqwest::Method::POST,
            "/feeds",
            Some(json!({"identifier": "f"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = api
        .call(
            reqwest::Method::POST,
            "/feeds/f/hooks",
            Some(json!({"kind": "http", "events": ["package.added", "package.deleted", "package.listed"],
                        "config": {"url": rx.url}})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let hook = b["id"].as_i64().unwrap();
    let (s, source) = api
        .call(
            reqwest::Method::POST,
            "/feeds/f/sources",
            Some(json!({"kind": "npm", "name": "verdaccio",
                        "config": {"registry": registry.url, "packages": ["fh-demo", "@acme/*"], "interval": "1h"}})),
        )
        .await;
    assert_eq!(s, 201, "{source}");
    let id = source["id"].as_i64().unwrap();

    // The first poll records what is there and emits nothing.
    assert_eq!(api.poll(id).await, 0);
    let (_, state) = api
        .call(
            reqwest::Method::GET,
            &format!("/feeds/f/sources/{id}"),
            None,
        )
        .await;
    assert_eq!(
        state["state"]["cursor"], "2 versions of 2 packages",
        "{state}"
    );
    assert!(state["state"]["last_success_at"].is_string());

    // A second version, unscoped.
    registry.publish(
        "fh-demo",
        "1.1.0",
        json!({"description": "the second", "license": "MIT", "keywords": ["demo", "hooks"],
               "author": "Ann Example <ann@example.com>", "homepage": "https://example.com/fh-demo",
               "dependencies": {"left-pad": "^1.3.0"}}),
    );
    assert_eq!(api.poll(id).await, 1);
    let first = rx.wait_for(1, Duration::from_secs(20)).await;
    let added = &first[0].json();
    assert_eq!(added["PayloadType"], "PackageAddedWebHookEventPayloadV1");
    let p = &added["Payload"];
    assert_eq!(p["PackageType"], "npm");
    assert_eq!(p["PackageIdentifier"], "fh-demo");
    assert_eq!(p["PackageVersion"], "1.1.0");
    assert_eq!(
        p["PackageDownloadUrl"],
        format!("{}/fh-demo/-/fh-demo-1.1.0.tgz", registry.url)
    );
    let m = &p["PackageMetadata"];
    assert_eq!(m["Description"], "the second");
    assert_eq!(m["Authors"], "Ann Example");
    assert_eq!(m["LicenseNames"], "MIT");
    assert_eq!(m["Tags"], "demo hooks");
    assert_eq!(m["ProjectUrl"], "https://example.com/fh-demo");
    assert!(m["Size"].as_u64().unwrap() > 100, "the tarball's size: {m}");
    assert_eq!(
        m["Dependencies"],
        json!([{"PackageIdentifier": "left-pad", "PackageVersion": "^1.3.0", "TargetFramework": null}])
    );
    // Verdaccio records no `_npmUser`: the source's name stands in.
    assert_eq!(added["Username"], "verdaccio");
    assert_eq!(p["FeedIdentifier"], "f");

    // kill -9 between two steps (once the delivery is recorded, so that the at-least-once
    // redelivery of an attempt in flight does not blur what is counted here: events made
    // once); the changes made while it is down arrive after the restart.
    api.wait_succeeded(hook, 1).await;
    drop(server);
    registry.publish("@acme/widgets", "1.1.0", json!({"description": "scoped"}));
    registry.deprecate("fh-demo@1.0.0", "use 1.1.0");
    let server = start(data.clone()).await;
    let api = Api {
        url: server.url.clone(),
        ..api
    };
    assert_eq!(api.poll(id).await, 2);
    // Polling again finds nothing new.
    assert_eq!(api.poll(id).await, 0);

    registry.deprecate("fh-demo@1.0.0", "");
    registry.unpublish("fh-demo@1.1.0");
    assert_eq!(api.poll(id).await, 2);

    let all = deliveries_by_id(&rx.wait_for(5, Duration::from_secs(20)).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all_now = deliveries_by_id(&rx.received());
    assert_eq!(all_now.len(), 5, "exactly five deliveries: {all_now:#?}");
    let ids: HashSet<&str> = all
        .iter()
        .map(|e| e["Identifier"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 5, "five different events");
    let summary: Vec<(String, String, String, String)> = all
        .iter()
        .map(|e| {
            (
                e["PayloadType"]
                    .as_str()
                    .unwrap()
                    .replace("WebHookEventPayloadV1", ""),
                e["Payload"]["PackageIdentifier"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                e["Payload"]["PackageVersion"].as_str().unwrap().to_owned(),
                e["Payload"]["Action"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let want: Vec<(String, String, String, String)> = [
        ("PackageAdded", "fh-demo", "1.1.0", ""),
        ("PackageAdded", "@acme/widgets", "1.1.0", ""),
        ("PackageListed", "fh-demo", "1.0.0", "unlisted"),
        ("PackageListed", "fh-demo", "1.0.0", "listed"),
        ("PackageDeleted", "fh-demo", "1.1.0", ""),
    ]
    .iter()
    .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
    .collect();
    let mut got_sorted = summary.clone();
    got_sorted.sort();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(got_sorted, want_sorted);

    // The source's page data: events emitted, newest first.
    let (_, events) = api
        .call(
            reqwest::Method::GET,
            &format!("/feeds/f/sources/{id}/events"),
            None,
        )
        .await;
    assert_eq!(events["items"].as_array().unwrap().len(), 5);
    assert_eq!(events["items"][0]["event"], "package.deleted");
    let (_, state) = api
        .call(
            reqwest::Method::GET,
            &format!("/feeds/f/sources/{id}"),
            None,
        )
        .await;
    assert_eq!(state["state"]["events_emitted"], 5);
    drop(server);
}
