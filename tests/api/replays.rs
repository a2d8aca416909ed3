//! Bulk replays against real receivers: the dry run's count is what is then sent, the rate is
//! held, cancel stops it, and a replay killed with SIGKILL resumes after a restart without
//! sending anything twice or faster than its rate.
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::cli::{Server, data_dir_with_a_user, start_server};
use crate::helpers::{TestApp, spawn_app, spec_example};
use crate::receiver::{Receiver, Reply};

const WAIT: Duration = Duration::from_secs(30);

async fn app_with_hook(rx: &Receiver) -> (TestApp, String, i64) {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds/f/hooks",
            Some(&t),
            Some(json!({"kind": "http", "events": ["package.added"], "config": {"url": rx.url}})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let hook = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    (app, t, hook)
}

/// `n` package.added events for packages named `{prefix}{i}`, delivered once each.
async fn seed(app: &TestApp, t: &str, prefix: &str, n: usize) {
    for i in 0..n {
        let mut e = spec_example("package.added");
        e["Identifier"] = json!(format!("{prefix}{i}"));
        e["Payload"]["PackageIdentifier"] = json!(format!("{prefix}{i}"));
        let res = app.post_event("f", t, &e).await;
        assert_eq!(res.status(), 202);
    }
}

async fn replay(app: &TestApp, t: &str, hook: i64, body: Value) -> (u16, Value) {
    let res = app
        .api(
            Method::POST,
            &format!("/api/v1/feeds/f/hooks/{hook}/replays"),
            Some(t),
            Some(body),
        )
        .await;
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn replay_state(app: &TestApp, t: &str, hook: i64, id: i64) -> Value {
    let res = app
        .api(
            Method::GET,
            &format!("/api/v1/feeds/f/hooks/{hook}/replays/{id}"),
            Some(t),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_dry_run_counts_what_the_replay_then_sends_at_its_rate() {
    let rx = Receiver::start(Reply::Status(200)).await;
    let (app, t, hook) = app_with_hook(&rx).await;
    seed(&app, &t, "Acme.Widgets.", 70).await;
    seed(&app, &t, "Other.", 30).await;
    rx.wait_for(100, WAIT).await;

    // The dry run: a package glob (any case) narrows the list's filters.
    let (status, v) = replay(
        &app,
        &t,
        hook,
        json!({"package": "acme.*", "dry_run": true}),
    )
    .await;
    assert_eq!((status, &v), (200, &json!({"matches": 70})));
    let (status, v) = replay(&app, &t, hook, json!({"status": "failed", "dry_run": true})).await;
    assert_eq!((status, &v), (200, &json!({"matches": 0})));
    let (status, v) = replay(
        &app,
        &t,
        hook,
        json!({"event": "package.added", "status": "succeeded", "dry_run": true}),
    )
    .await;
    assert_eq!((status, v["matches"].as_i64()), (200, Some(100)));
    // Bad input names its fields and starts nothing.
    for bad in [
        json!({"rate": 0}),
        json!({"rate": 1001}),
        json!({"rate": 2.5}),
        json!({"status": "lost"}),
        json!({"since": "yesterday"}),
    ] {
        let (status, v) = replay(&app, &t, hook, bad.clone()).await;
        assert_eq!(status, 422, "{bad}: {v}");
        assert!(v["errors"][0]["field"].is_string(), "{v}");
    }
    assert_eq!(app.count("replays").await, 0);

    let (status, r) = replay(&app, &t, hook, json!({"package": "ACME.*", "rate": 20})).await;
    assert_eq!(status, 202, "{r}");
    assert_eq!(
        (r["total"].as_i64(), r["rate"].as_i64()),
        (Some(70), Some(20))
    );
    assert_eq!(r["state"], "running");
    let got = rx.wait_for(170, WAIT).await;
    let replayed = &got[100..];
    // Each original once, and only the selected ones.
    let ids: HashSet<String> = replayed
        .iter()
        .map(|r| r.header("x-myget-eventidentifier").unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 70);
    assert!(ids.iter().all(|id| id.starts_with("Acme.Widgets.")));
    // The rate, over the arrivals of a 3-second window (60 intervals at 20/s): within 10 %.
    let window = replayed[65].at - replayed[5].at;
    assert!(
        (2.7..=3.3).contains(&window.as_secs_f64()),
        "60 deliveries took {window:?} at 20/s"
    );
    let id = r["id"].as_i64().unwrap();
    let deadline = Instant::now() + WAIT;
    let done = loop {
        let s = replay_state(&app, &t, hook, id).await;
        if s["state"] == "done" {
            break s;
        }
        assert!(Instant::now() < deadline, "{s}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(done["sent"], 70);
    assert!(done["finished_at"].is_string());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 170, "nothing more after done");
}

#[tokio::test]
async fn cancel_stops_a_replay() {
    let rx = Receiver::start(Reply::Status(200)).await;
    let (app, t, hook) = app_with_hook(&rx).await;
    seed(&app, &t, "p", 30).await;
    rx.wait_for(30, WAIT).await;
    let (status, r) = replay(&app, &t, hook, json!({"rate": 5})).await;
    assert_eq!(status, 202);
    let id = r["id"].as_i64().unwrap();
    rx.wait_for(33, WAIT).await;
    let path = format!("/api/v1/feeds/f/hooks/{hook}/replays/{id}");
    let res = app.api(Method::DELETE, &path, Some(&t), None).await;
    assert_eq!(res.status(), 204);
    let s = replay_state(&app, &t, hook, id).await;
    assert_eq!(s["state"], "cancelled");
    let sent = s["sent"].as_u64().unwrap() as usize;
    assert!((3..30).contains(&sent), "{s}");
    // What it made goes out as usual; nothing more is made.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rx.received().len(), 30 + sent);
    assert_eq!(replay_state(&app, &t, hook, id).await["sent"], sent);
    // Cancelling again changes nothing; an unknown replay is 404.
    let res = app.api(Method::DELETE, &path, Some(&t), None).await;
    assert_eq!(res.status(), 204);
    let res = app
        .api(
            Method::DELETE,
            &format!("/api/v1/feeds/f/hooks/{hook}/replays/999"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(res.status(), 404);
}

async fn start(data: std::path::PathBuf) -> Server {
    tokio::task::spawn_blocking(move || start_server(&data, &["--allow-hosts", "loopback"]))
        .await
        .unwrap()
}

async fn call(
    client: &reqwest::Client,
    method: Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replay_killed_with_sigkill_resumes_after_a_restart_without_repeats_or_a_burst() {
    let (_dir, data, token) = data_dir_with_a_user();
    let rx = Receiver::start(Reply::Status(200)).await;
    let client = reqwest::Client::new();
    let mut server = start(data.clone()).await;
    let api = |s: &Server, path: &str| format!("{}/api/v1/feeds/f{path}", s.url);
    let res = client
        .post(format!("{}/api/v1/feeds", server.url))
        .bearer_auth(&token)
        .json(&json!({"identifier": "f"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let (status, hook) = call(
        &client,
        Method::POST,
        api(&server, "/hooks"),
        &token,
        Some(json!({"kind": "http", "events": ["ping"], "config": {"url": rx.url}})),
    )
    .await;
    assert_eq!(status, 201);
    let hook = hook["id"].as_i64().unwrap();
    for i in 0..40 {
        let body = json!({"Identifier": format!("ev-{i}"), "PayloadType": "PingWebHookEventPayloadV1", "Payload": {}});
        let (status, _) = call(
            &client,
            Method::POST,
            api(&server, "/events"),
            &token,
            Some(body),
        )
        .await;
        assert_eq!(status, 202);
    }
    rx.wait_for(40, WAIT).await;

    let (status, r) = call(
        &client,
        Method::POST,
        api(&server, &format!("/hooks/{hook}/replays")),
        &token,
        Some(json!({"rate": 10})),
    )
    .await;
    assert_eq!(status, 202, "{r}");
    let id = r["id"].as_i64().unwrap();
    // Part-way through (about 1.5 s of 4 s), the process dies without a chance to tidy up.
    rx.wait_for(55, WAIT).await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let server = start(data.clone()).await;

    let path = api(&server, &format!("/hooks/{hook}/replays/{id}"));
    let deadline = Instant::now() + WAIT;
    loop {
        let (status, s) = call(&client, Method::GET, path.clone(), &token, None).await;
        assert_eq!(status, 200);
        if s["state"] == "done" {
            assert_eq!(
                (s["sent"].as_i64(), s["total"].as_i64()),
                (Some(40), Some(40))
            );
            break;
        }
        assert!(Instant::now() < deadline, "{s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // One new delivery per original: never twice within the replay.
    let (_, list) = call(
        &client,
        Method::GET,
        api(&server, &format!("/hooks/{hook}/deliveries?limit=500")),
        &token,
        None,
    )
    .await;
    let items = list["items"].as_array().unwrap();
    let replayed: Vec<&Value> = items
        .iter()
        .filter(|d| d["redelivery_of"].is_i64())
        .collect();
    let originals: HashSet<i64> = replayed
        .iter()
        .map(|d| d["redelivery_of"].as_i64().unwrap())
        .collect();
    assert_eq!((replayed.len(), originals.len()), (40, 40));
    // Never faster than the rate, before, across and after the restart: any 11 in a row span
    // at least 10 intervals of 100 ms, less the pacer's bounded catch-up of one interval.
    let mut created: Vec<i64> = replayed
        .iter()
        .map(|d| feedhooks::domain::time::parse_rfc3339(d["created_at"].as_str().unwrap()).unwrap())
        .collect();
    created.sort();
    for w in created.windows(11) {
        assert!(
            w[10] - w[0] >= 800,
            "11 deliveries within {} ms",
            w[10] - w[0]
        );
    }
    // And every one reached the receiver (an attempt in flight at the kill may go twice: the
    // queue delivers at least once).
    let deadline = Instant::now() + WAIT;
    loop {
        let mut per_event = HashMap::<String, usize>::new();
        for r in rx.received() {
            *per_event
                .entry(r.header("x-myget-eventidentifier").unwrap().to_owned())
                .or_default() += 1;
        }
        if per_event.len() == 40 && per_event.values().all(|n| *n >= 2) {
            break;
        }
        assert!(Instant::now() < deadline, "{per_event:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(server);
}

#[tokio::test]
async fn the_hook_page_counts_then_replays_then_cancels_without_script() {
    let rx = Receiver::start(Reply::Status(200)).await;
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds/f/hooks",
            Some(&t),
            Some(json!({"kind": "http", "events": ["package.added"], "config": {"url": rx.url}})),
        )
        .await;
    let hook = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    seed(&app, &t, "Acme.", 12).await;
    seed(&app, &t, "Other.", 3).await;
    rx.wait_for(15, WAIT).await;
    let b = app.sign_in(&u).await;
    let page = format!("/feeds/f/hooks/{hook}");

    // Step 1: the filters and "Count".
    let html = b.get_text(&page).await;
    assert!(html.contains("name=\"r_package\"") && html.contains(">Count</button>"));
    assert!(!html.contains("<script"), "no script on the hook page");
    // Step 2: the page again, with the count and the confirm button.
    let html = b
        .get_text(&format!(
            "{page}?r_status=succeeded&r_event=&r_since=&r_until=&r_package=acme.*&r_rate=2&count=1"
        ))
        .await;
    assert!(html.contains("12 deliveries would be sent again"), "{html}");
    assert!(html.contains("Replay 12 at 2/s"));
    // A bad rate is named, and nothing is counted.
    let res = b.get(&format!("{page}?r_rate=0&count=1")).await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("rate: deliveries per second")
    );

    // A count that no longer holds is refused, so a person never sends more than they saw.
    let fields = |expected: &'static str| {
        vec![
            ("r_status", "succeeded"),
            ("r_package", "acme.*"),
            ("r_rate", "2"),
            ("expected", expected),
        ]
    };
    let res = b.post_form(&format!("{page}/replays"), &fields("11")).await;
    assert_eq!(res.status(), 303);
    let html = b.get_text(&page).await;
    assert!(html.contains("12 deliveries match now, not 11"), "{html}");
    // Step 3: "Replay 12 at 2/s": the replay is listed with its progress and a Cancel button.
    let res = b.post_form(&format!("{page}/replays"), &fields("12")).await;
    assert_eq!(res.status(), 303);
    let html = b.get_text(&page).await;
    assert!(
        html.contains("Replay #1 started: 12 deliveries at 2/s."),
        "{html}"
    );
    assert!(html.contains("of 12 sent") && html.contains("Cancel #1"));
    rx.wait_for(16, WAIT).await;
    let res = b.post_form(&format!("{page}/replays/1/cancel"), &[]).await;
    assert_eq!(res.status(), 303);
    let html = b.get_text(&page).await;
    assert!(html.contains("Replay #1 cancelled after"), "{html}");
    assert!(!html.contains("Cancel #1"));
    let s = replay_state(&app, &t, hook, 1).await;
    assert_eq!(s["state"], "cancelled");
    assert!(s["sent"].as_i64().unwrap() < 12);
}
