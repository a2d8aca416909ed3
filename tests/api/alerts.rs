//! Alerts: a hook the server disables tells its alert hook once, nothing more while it lasts,
//! and once when it is enabled again.
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{spawn_app_with, spec_example};
use crate::receiver::{Receiver, Reply};

#[tokio::test]
async fn a_disabled_hook_tells_its_alert_hook_once_and_once_when_it_recovers() {
    let app = spawn_app_with(|s| {
        s.retry_schedule = feedhooks::delivery::retry::parse_schedule("50ms").unwrap();
        s.alert_check_every = Duration::from_millis(100);
    })
    .await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let alerts = Receiver::start(Reply::Status(200)).await;
    let gone = Receiver::start(Reply::Status(410)).await;
    let mk = |body: Value| {
        let (app, t) = (&app, &t);
        async move {
            let res = app
                .api(Method::POST, "/api/v1/feeds/f/hooks", Some(t), Some(body))
                .await;
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
        }
    };
    let alert_hook =
        mk(json!({"kind": "http", "events": ["build.finished"], "config": {"url": alerts.url}}))
            .await;
    let hook = mk(json!({"kind": "http", "name": "Gone one", "events": ["ping"], "config": {"url": gone.url}, "alert_hook": alert_hook})).await;
    app.post_event("f", &t, &spec_example("ping")).await;
    let got = alerts.wait_for(1, Duration::from_secs(10)).await;
    let p = got[0].json()["Payload"].clone();
    assert_eq!(
        got[0].json()["PayloadType"],
        "HookAlertWebHookEventPayloadV1"
    );
    assert_eq!(p["State"], "disabled");
    assert_eq!(p["HookName"], "Gone one");
    assert!(p["Reason"].as_str().unwrap().contains("410"), "{p}");
    assert!(
        p["HookPage"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/feeds/f/hooks/{hook}"))
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(alerts.received().len(), 1, "no second alert while it lasts");
    gone.set_default(Reply::Status(200));
    let res = app
        .api(
            Method::PATCH,
            &format!("/api/v1/feeds/f/hooks/{hook}"),
            Some(&t),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let got = alerts.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got[1].json()["Payload"]["State"], "recovered");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(alerts.received().len(), 2, "one message on recovery");
}

#[tokio::test]
async fn an_alert_hook_of_another_feed_or_itself_is_a_422_naming_the_field() {
    let app = spawn_app_with(|_| {}).await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    app.create_feed(&t, "g").await;
    let hook = |feed: &'static str, extra: Value| {
        let (app, t) = (&app, &t);
        async move {
            let mut body = json!({"kind": "http", "events": ["ping"], "config": {"url": "http://127.0.0.1:9/"}});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            app.api(
                Method::POST,
                &format!("/api/v1/feeds/{feed}/hooks"),
                Some(t),
                Some(body),
            )
            .await
        }
    };
    let other = hook("g", json!({})).await.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let res = hook("f", json!({"alert_hook": other})).await;
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    assert!(text.contains("alert_hook"), "{text}");
    let own = hook("f", json!({})).await.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let res = app
        .api(
            Method::PATCH,
            &format!("/api/v1/feeds/f/hooks/{own}"),
            Some(&t),
            Some(json!({"alert_hook": own})),
        )
        .await;
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    assert!(text.contains("another hook"), "{text}");
    let res = hook("f", json!({"alert_hook": "x"})).await;
    assert_eq!(res.status(), 422);
}
