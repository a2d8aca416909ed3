//! Server-side request forgery: by default no delivery reaches loopback, private, link-local
//! (cloud metadata) or special addresses, whatever the spelling; --allow-hosts opens exactly
//! what it names.
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with, spec_example};
use crate::receiver::{Receiver, Reply};

async fn app(allow: &str) -> (TestApp, String) {
    let allow = allow.parse().unwrap();
    let app = spawn_app_with(move |s| {
        s.allow_hosts = allow;
        s.delivery_timeout = Duration::from_secs(2);
        s.retry_schedule = vec![Duration::from_millis(50)];
    })
    .await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    (app, t)
}

/// Creates one hook per URL, sends a ping to all, and returns each URL's first error kind
/// ("" when the attempt got an answer).
async fn first_outcomes(app: &TestApp, t: &str, urls: &[String]) -> Vec<(String, String)> {
    let mut hooks = vec![];
    for url in urls {
        let res = app
            .api(
                Method::POST,
                "/api/v1/feeds/f/hooks",
                Some(t),
                Some(json!({"kind": "http", "events": ["ping"], "config": {"url": url}})),
            )
            .await;
        let v: Value = res.json().await.unwrap();
        hooks.push((
            url.clone(),
            v["id"].as_i64().unwrap_or_else(|| panic!("{url}: {v}")),
        ));
    }
    app.post_event("f", t, &spec_example("ping")).await;
    let mut out = vec![];
    for (url, hook) in hooks {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let list: Value = app
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
            let d = &list["items"][0];
            if d["attempts"].as_i64().unwrap_or(0) >= 1 {
                let full: Value = app
                    .api(
                        Method::GET,
                        &format!("/api/v1/feeds/f/deliveries/{}", d["id"]),
                        Some(t),
                        None,
                    )
                    .await
                    .json()
                    .await
                    .unwrap();
                let kind = full["attempt_log"][0]["error"]["kind"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                out.push((url, kind));
                break;
            }
            assert!(Instant::now() < deadline, "{url}: no attempt");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    out
}

fn loopback_spellings(port: u16) -> Vec<String> {
    [
        "127.0.0.1",
        "localhost",
        "127.1",
        "2130706433",
        "0177.0.0.1",
        "0x7f.0.0.1",
        "[::ffff:127.0.0.1]",
    ]
    .iter()
    .map(|h| format!("http://{h}:{port}/hook"))
    .collect()
}

#[tokio::test]
async fn by_default_no_spelling_of_an_internal_address_is_reached() {
    let (app, t) = app("external").await;
    let rx = Receiver::start(Reply::Status(200)).await;
    let port: u16 = rx
        .url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches("/hook")
        .parse()
        .unwrap();
    let mut urls = loopback_spellings(port);
    // Never contacted: refused before any connection is made.
    urls.extend(
        [
            "http://10.0.0.1/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fe80::1]/",
            "http://[fc00::1]/",
            "http://[::1]/",
            "http://127.127.127.127/",
            "http://0.0.0.0/",
            "http://[::]/",
            "http://[::ffff:10.0.0.1]/",
            "http://[::ffff:169.254.169.254]/",
        ]
        .map(String::from),
    );
    for (url, kind) in first_outcomes(&app, &t, &urls).await {
        assert_eq!(kind, "blocked", "{url} was not blocked");
    }
    assert!(
        rx.received().is_empty(),
        "a request reached the loopback receiver"
    );
}

#[tokio::test]
async fn allow_hosts_opens_loopback_by_class_cidr_or_name() {
    for allow in ["loopback", "127.0.0.0/8,::ffff:127.0.0.0/104", "*"] {
        let (app, t) = app(allow).await;
        let rx = Receiver::start(Reply::Status(200)).await;
        let port: u16 = rx
            .url
            .rsplit(':')
            .next()
            .unwrap()
            .trim_end_matches("/hook")
            .parse()
            .unwrap();
        let urls = loopback_spellings(port);
        for (url, kind) in first_outcomes(&app, &t, &urls).await {
            assert_eq!(kind, "", "{allow}: {url} should be reached");
        }
        assert_eq!(rx.received().len(), urls.len(), "{allow}");
    }
    // A host glob allows that name, and only that name.
    let (app, t) = app("localhost").await;
    let rx = Receiver::start(Reply::Status(200)).await;
    let port: u16 = rx
        .url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches("/hook")
        .parse()
        .unwrap();
    let out = first_outcomes(
        &app,
        &t,
        &[
            format!("http://localhost:{port}/hook"),
            format!("http://127.0.0.1:{port}/hook"),
        ],
    )
    .await;
    assert_eq!(out[0].1, "", "localhost is allowed by name");
    assert_eq!(out[1].1, "blocked", "the bare address is not");
}
