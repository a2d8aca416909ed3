//! Alerts: a hook the server disables tells its alert hook once, nothing more while it lasts,
//! and once when it is enabled again.
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{spawn_app_in, spawn_app_with, spec_example};
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

/// The SMTP server of the e-mail sender's tests (aiosmtpd), in plain mode: one JSON line per
/// message on its stdout.
pub(crate) struct Smtp {
    child: std::process::Child,
    pub port: u16,
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
    _dir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn smtp_sink() -> Smtp {
    use std::io::{BufRead, BufReader};
    let ok = std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd, trustme"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "the alert tests need python3 with aiosmtpd and trustme; run .ci/install-test-tools"
    );
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("sink.py");
    std::fs::write(
        &script,
        include_str!("../../src/delivery/senders/tests/smtp_sink.py"),
    )
    .unwrap();
    let mut child = std::process::Command::new("python3")
        .arg(&script)
        .arg("none")
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let stdout = child.stdout.take().unwrap();
    let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let ready = tokio::time::timeout(Duration::from_secs(30), lines.recv())
        .await
        .ok()
        .flatten()
        .expect("the SMTP sink starts");
    let port = ready.strip_prefix("READY ").unwrap().parse().unwrap();
    Smtp {
        child,
        port,
        lines,
        _dir: dir,
    }
}

impl Smtp {
    /// The next message, waiting at most `limit` (asynchronously: the app runs on this runtime).
    pub async fn message(&mut self, limit: Duration) -> Option<Value> {
        let line = tokio::time::timeout(limit, self.lines.recv())
            .await
            .ok()??;
        Some(serde_json::from_str(&line).unwrap())
    }
}

pub(crate) async fn user_with_mail(
    app: &crate::helpers::TestApp,
    name: &str,
) -> crate::helpers::TestUser {
    let password = format!("{name}-secret-password");
    feedhooks::domain::accounts::create_user(
        &app.state.db,
        feedhooks::domain::accounts::NewUser {
            username: name.into(),
            email: Some(format!("{name}@example.com")),
            password: password.clone().into(),
            is_admin: false,
        },
    )
    .await
    .expect("user created");
    crate::helpers::TestUser {
        name: name.into(),
        password,
    }
}

#[tokio::test]
async fn owner_and_co_owner_get_one_mail_when_a_hook_is_gone_and_one_when_it_recovers() {
    let mut smtp = smtp_sink().await;
    let port = smtp.port;
    let app = spawn_app_with(move |s| {
        s.retry_schedule = feedhooks::delivery::retry::parse_schedule("50ms").unwrap();
        s.alert_check_every = Duration::from_millis(100);
        s.smtp_url = Some(
            feedhooks::delivery::mailer::SmtpUrl::parse(&format!(
                "smtp://127.0.0.1:{port}?tls=none"
            ))
            .unwrap(),
        );
        s.mail_from = Some("feedhooks@example.com".into());
    })
    .await;
    let u = user_with_mail(&app, "olivia").await;
    user_with_mail(&app, "carl").await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let res = app
        .api(
            Method::PUT,
            "/api/v1/feeds/f/co-owners/carl",
            Some(&t),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let gone = Receiver::start(Reply::Status(410)).await;
    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds/f/hooks",
            Some(&t),
            Some(json!({"kind": "http", "name": "Gone one", "events": ["ping"], "config": {"url": gone.url}})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let hook = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    app.post_event("f", &t, &spec_example("ping")).await;
    let Some(mail) = smtp.message(Duration::from_secs(15)).await else {
        let rows = app
            .state
            .db
            .run(|c| feedhooks::db::incidents::incidents(c))
            .await
            .unwrap();
        let h = app
            .api(
                Method::GET,
                &format!("/api/v1/feeds/f/hooks/{hook}"),
                Some(&t),
                None,
            )
            .await
            .text()
            .await
            .unwrap();
        let d = app
            .api(
                Method::GET,
                &format!("/api/v1/feeds/f/hooks/{hook}/deliveries"),
                Some(&t),
                None,
            )
            .await
            .text()
            .await
            .unwrap();
        panic!(
            "no alert mail; incidents: {rows:?}; hook {h}; deliveries {d}; got {}",
            gone.received().len()
        );
    };
    let mut to: Vec<String> = mail["rcpt_tos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    to.sort();
    assert_eq!(to, ["carl@example.com", "olivia@example.com"], "{mail}");
    let text = mail.to_string();
    assert!(text.contains("Gone one"), "{text}");
    assert!(text.contains("410"), "{text}");
    assert!(text.contains(&format!("/feeds/f/hooks/{hook}")), "{text}");
    // Further failures while it lasts send nothing.
    let mut e = spec_example("ping");
    e["Identifier"] = json!("while-disabled");
    app.post_event("f", &t, &e).await;
    assert!(
        smtp.message(Duration::from_millis(800)).await.is_none(),
        "no second mail while it lasts"
    );
    gone.set_default(Reply::Status(200));
    // The hook page's button (a CSRF form like the others) re-enables it.
    let browser = app.sign_in(&u).await;
    let page = browser.get_text(&format!("/feeds/f/hooks/{hook}")).await;
    assert!(
        page.contains(&format!("/feeds/f/hooks/{hook}/enabled")),
        "{page}"
    );
    let res = browser
        .post_form(
            &format!("/feeds/f/hooks/{hook}/enabled"),
            &[("enabled", "true")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let mail = smtp
        .message(Duration::from_secs(15))
        .await
        .expect("a recovery mail");
    assert!(
        mail["subject"].as_str().unwrap().contains("delivers again"),
        "{mail}"
    );
    assert!(smtp.message(Duration::from_millis(800)).await.is_none());
    // Enabled again, it delivers (events that came while it was disabled made no deliveries).
    let mut e = spec_example("ping");
    e["Identifier"] = json!("after-enable");
    app.post_event("f", &t, &e).await;
    gone.wait_for(2, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn a_backlog_older_than_alert_after_alerts_once_and_once_when_it_drains() {
    let app = spawn_app_with(|s| {
        s.retry_schedule = feedhooks::delivery::retry::parse_schedule("2s").unwrap();
        s.alert_check_every = Duration::from_millis(100);
        s.alert_after = Duration::from_millis(300);
    })
    .await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let alerts = Receiver::start(Reply::Status(200)).await;
    let slow = Receiver::start(Reply::Status(503)).await;
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
    mk(json!({"kind": "http", "name": "Slow one", "events": ["ping"], "config": {"url": slow.url}, "alert_hook": alert_hook})).await;
    app.post_event("f", &t, &spec_example("ping")).await;
    let got = alerts.wait_for(1, Duration::from_secs(10)).await;
    let p = got[0].json()["Payload"].clone();
    assert_eq!(p["State"], "disabled", "{p}");
    assert_eq!(p["Cause"], "backlog", "{p}");
    assert_eq!(p["HookName"], "Slow one");
    slow.set_default(Reply::Status(200));
    let got = alerts.wait_for(2, Duration::from_secs(15)).await;
    assert_eq!(got[1].json()["Payload"]["State"], "recovered");
    assert_eq!(got[1].json()["Payload"]["Cause"], "backlog");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(alerts.received().len(), 2, "one alert, one recovery");
}

#[tokio::test]
async fn a_restart_neither_repeats_an_alert_nor_forgets_the_recovery() {
    let adjust = |s: &mut feedhooks::config::Settings| {
        s.retry_schedule = feedhooks::delivery::retry::parse_schedule("50ms").unwrap();
        s.alert_check_every = Duration::from_millis(100);
    };
    let app = spawn_app_with(adjust).await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let alerts = Receiver::start(Reply::Status(200)).await;
    let gone = Receiver::start(Reply::Status(410)).await;
    let mut ids = vec![];
    for body in [
        json!({"kind": "http", "events": ["build.finished"], "config": {"url": alerts.url}}),
        json!({"kind": "http", "events": ["ping"], "config": {"url": gone.url}}),
    ] {
        let res = app
            .api(Method::POST, "/api/v1/feeds/f/hooks", Some(&t), Some(body))
            .await;
        assert_eq!(res.status(), 201);
        ids.push(res.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let (alert_hook, hook) = (ids[0], ids[1]);
    let res = app
        .api(
            Method::PATCH,
            &format!("/api/v1/feeds/f/hooks/{hook}"),
            Some(&t),
            Some(json!({"alert_hook": alert_hook})),
        )
        .await;
    assert_eq!(res.status(), 200);
    app.post_event("f", &t, &spec_example("ping")).await;
    alerts.wait_for(1, Duration::from_secs(10)).await;
    let dir = app.shutdown().await;
    let app = spawn_app_in(dir, adjust).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        alerts.received().len(),
        1,
        "the restart sent no second alert"
    );
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
}
