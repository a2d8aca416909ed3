//! How a hook's deliveries go out: `max_in_flight` bounds the requests open at once to its
//! receiver, and an ordered hook sends one at a time in the order the events were accepted,
//! a retrying delivery holding the later ones while other hooks go on.
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app_with};
use crate::receiver::{Receiver, Reply};

const WAIT: Duration = Duration::from_secs(30);

/// An app with `schedule` as its retry schedule; returns (app, owner, owner's token).
async fn app_with(schedule: &str) -> (TestApp, TestUser, String) {
    let schedule = feedhooks::delivery::retry::parse_schedule(schedule).unwrap();
    let app = spawn_app_with(move |s| {
        s.retry_schedule = schedule;
        s.delivery_timeout = Duration::from_secs(10);
    })
    .await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    (app, u, t)
}

async fn create(app: &TestApp, t: &str, body: Value) -> reqwest::Response {
    app.api(Method::POST, "/api/v1/feeds/f/hooks", Some(t), Some(body))
        .await
}

async fn hook(app: &TestApp, t: &str, url: &str, extra: Value) -> i64 {
    let mut body = json!({"kind": "http", "events": ["ping"], "config": {"url": url}});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let res = create(app, t, body).await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn patch(app: &TestApp, t: &str, id: i64, body: Value) -> reqwest::Response {
    app.api(
        Method::PATCH,
        &format!("/api/v1/feeds/f/hooks/{id}"),
        Some(t),
        Some(body),
    )
    .await
}

async fn get(app: &TestApp, t: &str, id: i64) -> Value {
    app.api(
        Method::GET,
        &format!("/api/v1/feeds/f/hooks/{id}"),
        Some(t),
        None,
    )
    .await
    .json()
    .await
    .unwrap()
}

async fn post_pings(app: &TestApp, t: &str, n: usize) {
    for i in 1..=n {
        let e = json!({"Identifier": format!("e{i}"), "PayloadType": "PingWebHookEventPayloadV1", "Payload": {}});
        assert_eq!(app.post_event("f", t, &e).await.status(), 202);
    }
}

/// The hook's deliveries, oldest first, once none is pending any more.
async fn settled(app: &TestApp, t: &str, id: i64, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let v: Value = app
            .api(
                Method::GET,
                &format!("/api/v1/feeds/f/hooks/{id}/deliveries?limit=100"),
                Some(t),
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        let mut items = v["items"].as_array().unwrap().clone();
        if items.len() == n && items.iter().all(|d| d["status"] != "pending") {
            items.reverse();
            return items;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries of hook {id} not settled within {WAIT:?}: {items:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn identifiers(rx: &Receiver) -> Vec<String> {
    rx.received()
        .iter()
        .map(|r| r.json()["Identifier"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn max_in_flight_and_ordered_round_trip_and_bad_values_are_422() {
    let (app, _, t) = app_with("1s").await;
    let plain = hook(&app, &t, "http://127.0.0.1:9/h", json!({})).await;
    let h = get(&app, &t, plain).await;
    assert_eq!(
        (h["max_in_flight"].clone(), h["ordered"].clone()),
        (json!(8), json!(false))
    );

    let set = hook(
        &app,
        &t,
        "http://127.0.0.1:9/h",
        json!({"max_in_flight": 3, "ordered": true}),
    )
    .await;
    let h = get(&app, &t, set).await;
    assert_eq!(
        (h["max_in_flight"].clone(), h["ordered"].clone()),
        (json!(3), json!(true))
    );
    // A PATCH that leaves them out keeps them; one that names them changes only those.
    assert_eq!(
        patch(&app, &t, set, json!({"name": "renamed"}))
            .await
            .status(),
        200
    );
    assert_eq!(get(&app, &t, set).await["max_in_flight"], 3);
    let res = patch(
        &app,
        &t,
        set,
        json!({"max_in_flight": 64, "ordered": false}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let h: Value = res.json().await.unwrap();
    assert_eq!(
        (h["max_in_flight"].clone(), h["ordered"].clone()),
        (json!(64), json!(false))
    );

    for bad in [
        json!(0),
        json!(65),
        json!(-3),
        json!(1.5),
        json!("8"),
        json!(null),
    ] {
        for res in [
            patch(&app, &t, set, json!({"max_in_flight": bad})).await,
            create(&app, &t, json!({"kind": "http", "events": ["ping"], "config": {"url": "http://127.0.0.1:9/h"}, "max_in_flight": bad})).await,
        ] {
            assert_eq!(res.status(), 422, "{bad}");
            let p: Value = res.json().await.unwrap();
            let e = &p["errors"][0];
            assert_eq!(e["field"], "max_in_flight", "{p}");
            assert!(e["message"].as_str().unwrap().contains("from 1 to 64"), "{p}");
        }
    }
    let res = patch(&app, &t, set, json!({"ordered": "yes"})).await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().await.unwrap()["errors"][0]["field"],
        "ordered"
    );
    // Nothing of the refused edits was written, and no hook was made by the refused creates.
    let h = get(&app, &t, set).await;
    assert_eq!(
        (h["max_in_flight"].clone(), h["ordered"].clone()),
        (json!(64), json!(false))
    );
    assert_eq!(app.count("hooks").await, 2);
}

#[tokio::test]
async fn a_hook_has_at_most_its_max_in_flight_requests_open() {
    let (app, _, t) = app_with("1s").await;
    let slow = |n| {
        let mut first = vec![Reply::Slow(Duration::from_secs(3), 200); n];
        first.push(Reply::Slow(Duration::from_millis(200), 200));
        first
    };
    // Each hook's first round is held for 3 s, so all 20 events are queued behind it whatever
    // the pace of the posts; the rest answer quicker.
    let three = Receiver::start(Reply::Slow(Duration::from_millis(200), 200)).await;
    three.script(slow(3));
    let default = Receiver::start(Reply::Slow(Duration::from_millis(200), 200)).await;
    default.script(slow(8));
    hook(&app, &t, &three.url, json!({"max_in_flight": 3})).await;
    hook(&app, &t, &default.url, json!({})).await;
    post_pings(&app, &t, 20).await;
    three.wait_for(20, WAIT).await;
    default.wait_for(20, WAIT).await;
    assert_eq!(three.peak(), 3, "max_in_flight 3");
    assert_eq!(default.peak(), 8, "the default");
}

#[tokio::test]
async fn an_ordered_hook_delivers_in_order_each_once_after_retries_and_a_final_failure_lets_the_next_go()
 {
    let (app, _, t) = app_with("100ms,100ms,100ms").await;
    let rx = Receiver::start(Reply::Status(200)).await;
    // e1 succeeds, e2 fails for good (a 400), e3 fails twice then succeeds, the rest succeed.
    // The first answer takes a while, so the later events queue up behind it.
    rx.script(vec![
        Reply::Slow(Duration::from_millis(500), 200),
        Reply::Status(400),
        Reply::Status(500),
        Reply::Status(500),
    ]);
    let id = hook(
        &app,
        &t,
        &rx.url,
        json!({"ordered": true, "max_in_flight": 16}),
    )
    .await;
    const N: usize = 12;
    post_pings(&app, &t, N).await;
    let done = settled(&app, &t, id, N).await;

    let mut expected: Vec<String> = vec!["e1".into(), "e2".into(), "e3".into(), "e3".into()];
    expected.extend((3..=N).map(|i| format!("e{i}")));
    assert_eq!(identifiers(&rx), expected);
    assert_eq!(
        rx.peak(),
        1,
        "one request at a time, whatever max_in_flight says"
    );
    let status: Vec<(&str, i64)> = done
        .iter()
        .map(|d| {
            (
                d["status"].as_str().unwrap(),
                d["attempts"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(status[1], ("failed", 1), "e2 failed for good");
    assert_eq!(status[2], ("succeeded", 3), "e3 after two retries");
    assert!(
        status
            .iter()
            .enumerate()
            .all(|(i, s)| i == 1 || s.0 == "succeeded"),
        "{status:?}"
    );
}

#[tokio::test]
async fn a_held_ordered_hook_says_what_it_waits_behind_and_does_not_hold_other_hooks() {
    // The second retry is an hour away: the ordered hook stays held for the whole test.
    let (app, user, t) = app_with("100ms,1h").await;
    let ordered_rx = Receiver::start(Reply::Status(500)).await;
    ordered_rx.script(vec![Reply::Status(200), Reply::Status(200)]);
    let other_rx = Receiver::start(Reply::Status(200)).await;
    let ordered = hook(&app, &t, &ordered_rx.url, json!({"ordered": true})).await;
    let other = hook(&app, &t, &other_rx.url, json!({})).await;
    const N: usize = 10;
    post_pings(&app, &t, N).await;

    // e3 has been tried twice (once now, once after 100ms) and waits an hour for its third.
    let deadline = Instant::now() + WAIT;
    let head = loop {
        let v: Value = app
            .api(
                Method::GET,
                &format!("/api/v1/feeds/f/hooks/{ordered}/deliveries?limit=100"),
                Some(&t),
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        let e3 = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["event"]["identifier"] == "e3" && d["attempts"] == 2)
            .cloned();
        if let Some(d) = e3 {
            break d;
        }
        assert!(
            Instant::now() < deadline,
            "e3 not retried within {WAIT:?}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(head["status"], "pending");

    // The other hook of the feed got every event meanwhile...
    let done = settled(&app, &t, other, N).await;
    assert!(done.iter().all(|d| d["status"] == "succeeded"));
    // ...while the ordered one is still held at e3: nothing after it was sent.
    assert_eq!(identifiers(&ordered_rx), ["e1", "e2", "e3", "e3"]);

    let page = app
        .sign_in(&user)
        .await
        .get_text(&format!("/feeds/f/hooks/{ordered}"))
        .await;
    let head_id = head["id"].as_i64().unwrap();
    assert!(
        page.contains(&format!(
            "waiting behind\n    <a href=\"/feeds/f/deliveries/{head_id}\">#{head_id}</a>"
        )),
        "{page}"
    );
    assert!(page.contains("7 deliveries are waiting"), "{page}");
    assert!(
        page.contains(
            "being retried (2 attempts so far; the last: http: the receiver answered 500"
        ),
        "{page}"
    );
    // The unordered hook's page has no such line.
    let other_page = app
        .sign_in(&user)
        .await
        .get_text(&format!("/feeds/f/hooks/{other}"))
        .await;
    assert!(!other_page.contains("waiting behind"));
}

#[tokio::test]
async fn the_hook_form_sets_both_and_names_a_bad_number_beside_its_box() {
    let (app, user, t) = app_with("1s").await;
    let owner = app.sign_in(&user).await;
    let form = owner.get_text("/feeds/f/hooks/new?kind=http").await;
    assert!(
        form.contains("name=\"max_in_flight\" value=\"8\""),
        "{form}"
    );
    assert!(form.contains("Deliver in order, one at a time"));
    let fields = |max: &'static str| {
        vec![
            ("kind", "http"),
            ("config.url", "http://127.0.0.1:9/"),
            ("events", "ping"),
            ("enabled", "true"),
            ("max_in_flight", max),
            ("ordered", "true"),
        ]
    };
    let res = owner.post_form("/feeds/f/hooks", &fields("65")).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("must be a whole number from 1 to 64"),
        "{page}"
    );
    assert!(page.contains("name=\"max_in_flight\" value=\"65\""));
    assert_eq!(app.count("hooks").await, 0);

    let res = owner.post_form("/feeds/f/hooks", &fields("12")).await;
    assert_eq!(res.status(), 303);
    let hooks: Value = app
        .api(Method::GET, "/api/v1/feeds/f/hooks", Some(&t), None)
        .await
        .json()
        .await
        .unwrap();
    let h = &hooks["items"][0];
    assert_eq!(
        (h["max_in_flight"].clone(), h["ordered"].clone()),
        (json!(12), json!(true))
    );
    let edit = owner
        .get_text(&format!("/feeds/f/hooks/{}/edit", h["id"]))
        .await;
    assert!(edit.contains("name=\"max_in_flight\" value=\"12\""));
    assert!(edit.contains("id=\"f-ordered\" name=\"ordered\" value=\"true\" checked"));
}

#[tokio::test]
async fn a_second_unordered_hook_keeps_its_speed() {
    let (app, _, t) = app_with("1s").await;
    // Both receivers take a while per answer: the ordered hook goes one at a time while the
    // unordered one, on the same feed and the same events, keeps its full eight in flight.
    let ordered_rx = Receiver::start(Reply::Slow(Duration::from_millis(200), 200)).await;
    let plain_rx = Receiver::start(Reply::Slow(Duration::from_millis(200), 200)).await;
    plain_rx.script(vec![Reply::Slow(Duration::from_secs(2), 200); 8]);
    hook(&app, &t, &ordered_rx.url, json!({"ordered": true})).await;
    hook(&app, &t, &plain_rx.url, json!({})).await;
    const N: usize = 16;
    post_pings(&app, &t, N).await;
    plain_rx.wait_for(N, WAIT).await;
    assert_eq!(
        plain_rx.peak(),
        8,
        "the unordered hook used its eight slots"
    );
    ordered_rx.wait_for(N, WAIT).await;
    assert_eq!(ordered_rx.peak(), 1);
    let expected: Vec<String> = (1..=N).map(|i| format!("e{i}")).collect();
    assert_eq!(identifiers(&ordered_rx), expected);
}
