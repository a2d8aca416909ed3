//! Service hooks through the API and the worker: secrets are write-only, kept on edit, sealed
//! in the database; unsupported events are refused with a clear message.
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{spawn_app, spec_example};
use crate::receiver::{Receiver, Reply};

#[tokio::test]
async fn service_secrets_are_write_only_kept_on_edit_and_sealed_in_the_database() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let slack = Receiver::start(Reply::Full(200, vec![], "ok".into())).await;
    let secret_path = "T0001/B0001/sEcReTsLaCkToKeN42";
    let webhook_url = format!("{}/{secret_path}", slack.url);
    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds/f/hooks",
            Some(&t),
            Some(json!({
                "kind": "slack", "events": ["package.added"], "config": {"webhook_url": webhook_url}
            })),
        )
        .await;
    assert_eq!(res.status(), 201);
    let hook: Value = res.json().await.unwrap();
    let id = hook["id"].as_i64().unwrap();
    let shown = hook.to_string();
    assert!(!shown.contains("sEcReTsLaCkToKeN42"), "{shown}");
    assert_eq!(hook["config"]["secrets_set"], json!(["webhook_url"]));

    // An edit that leaves the secret out keeps it.
    let res = app
        .api(
            Method::PATCH,
            &format!("/api/v1/feeds/f/hooks/{id}"),
            Some(&t),
            Some(json!({"config": {"channel": "#builds"}})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let edited: Value = res.json().await.unwrap();
    assert_eq!(edited["config"]["channel"], "#builds");
    assert!(!edited.to_string().contains("sEcReTsLaCkToKeN42"));

    app.post_event("f", &t, &spec_example("package.added"))
        .await;
    let got = slack.wait_for(1, Duration::from_secs(20)).await;
    assert!(
        got[0].path.ends_with(secret_path),
        "sent to the kept URL: {}",
        got[0].path
    );
    let msg = got[0].json();
    assert_eq!(msg["channel"], "#builds");
    assert!(
        msg["text"]
            .as_str()
            .unwrap()
            .contains("GoogleAnalyticsTracker.WP8"),
        "{msg}"
    );

    // The attempt log shows what was sent, with the secret redacted.
    let deadline = Instant::now() + Duration::from_secs(20);
    let log = loop {
        let list: Value = app
            .api(
                Method::GET,
                &format!("/api/v1/feeds/f/hooks/{id}/deliveries"),
                Some(&t),
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        if list["items"][0]["status"] == "succeeded" {
            let d = list["items"][0]["id"].as_i64().unwrap();
            break app
                .api(
                    Method::GET,
                    &format!("/api/v1/feeds/f/deliveries/{d}"),
                    Some(&t),
                    None,
                )
                .await
                .text()
                .await
                .unwrap();
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert!(
        log.contains("GoogleAnalyticsTracker.WP8") && !log.contains("sEcReTsLaCkToKeN42"),
        "{log}"
    );

    // Sealed in the database file: the secret's bytes are nowhere in it.
    let dir = app.shutdown().await;
    for file in ["feedhooks.db", "feedhooks.db-wal"] {
        let bytes = std::fs::read(dir.path().join("data").join(file)).unwrap_or_default();
        assert!(
            !bytes.windows(18).any(|w| w == b"sEcReTsLaCkToKeN42"),
            "{file} holds the secret in clear"
        );
    }
}

#[tokio::test]
async fn a_service_refuses_events_it_cannot_say_anything_useful_about() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let res = app
        .api(Method::POST, "/api/v1/feeds/f/hooks", Some(&t), Some(json!({
            "kind": "twitter", "events": ["ping", "package.pushed"],
            "config": {"consumer_key": "ck", "consumer_secret": "cs", "token": "tk", "token_secret": "ts"}
        })))
        .await;
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "events");
    let msg = p["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("cannot send ping") && msg.contains("package.pushed"),
        "{msg}"
    );
}

#[tokio::test]
async fn teams_hooks_post_an_adaptive_card_through_the_worker() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let teams = Receiver::start(Reply::Status(202)).await;
    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds/f/hooks",
            Some(&t),
            Some(json!({
                "kind": "teams", "events": ["build.finished"], "config": {"webhook_url": teams.url}
            })),
        )
        .await;
    assert_eq!(res.status(), 201);
    app.post_event("f", &t, &spec_example("build.finished"))
        .await;
    let got = teams.wait_for(1, Duration::from_secs(20)).await;
    let card = got[0].json();
    assert_eq!(card["type"], "message");
    assert_eq!(
        card["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert!(card.to_string().contains("SampleBuild"));
}
