//! The owners' pages for hooks and deliveries, driven like a browser without one: who may see
//! them, the hook form's validation and secrets, the chart, filters, paging, and the buttons.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Browser, TestApp, spawn_app};

/// An HTTP receiver on 127.0.0.1 answering every request with the status and body it is set to.
pub struct Receiver {
    pub url: String,
    pub reply: Arc<Mutex<(u16, String)>>,
    pub bodies: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    pub async fn start(status: u16, body: &str) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let reply = Arc::new(Mutex::new((status, body.to_owned())));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let (r, b) = (reply.clone(), bodies.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (r, b) = (r.clone(), b.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 8192];
                    // Headers, then as many body bytes as Content-Length says.
                    loop {
                        let Ok(n) = stream.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buf).to_string();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let len = text[..end]
                                .lines()
                                .find_map(|l| {
                                    let (k, v) = l.split_once(':')?;
                                    k.eq_ignore_ascii_case("content-length")
                                        .then(|| v.trim().parse::<usize>().ok())?
                                })
                                .unwrap_or(0);
                            if buf.len() >= end + 4 + len {
                                b.lock().unwrap().push(text[end + 4..].to_owned());
                                break;
                            }
                        }
                    }
                    let (status, body) = r.lock().unwrap().clone();
                    let answer = format!(
                        "HTTP/1.1 {status} Whatever\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Receiver { url, reply, bodies }
    }
}

/// An owner with a feed "demo" and an http hook to `url`; returns (browser, token, hook id).
async fn owner_with_hook(app: &TestApp, url: &str) -> (Browser, String, i64) {
    let owner = app.create_user("olivia", false).await;
    let token = app.token_for(&owner).await;
    app.create_feed(&token, "demo").await;
    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds/demo/hooks",
            Some(&token),
            Some(
                json!({"kind": "http", "name": "CI", "events": ["ping", "package.added"],
                "config": {"url": url, "headers": {"Authorization": "Bearer extra-credential-7"}}}),
            ),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    (app.sign_in(&owner).await, token, id)
}

/// Stores deliveries of a hook as if sent: (status, event, created_at ms), oldest first.
pub async fn seed(app: &TestApp, hook: i64, rows: Vec<(&'static str, &'static str, i64)>) {
    app.state
        .db
        .run(move |c| {
            let feed: i64 = c.query_row("SELECT feed_id FROM hooks WHERE id = ?1", [hook], |r| {
                r.get(0)
            })?;
            for (i, (status, event, at)) in rows.iter().enumerate() {
                c.execute(
                    "INSERT INTO events (feed_id, identifier, event_type, occurred_at, received_at, body, sent_hash, deliveries)
                     VALUES (?1, ?2, ?3, '2026-01-01T00:00:00Z', ?4, '{\"PayloadType\":\"PingWebHookEventPayloadV1\",\"Payload\":{}}', x'', 1)",
                    rusqlite::params![feed, format!("seed-{hook}-{i}"), event, at],
                )?;
                c.execute(
                    "INSERT INTO deliveries (hook_id, event_id, event_type, status, attempts, last_outcome, created_at, finished_at)
                     VALUES (?1, last_insert_rowid(), ?2, ?3, 1, ?4, ?5, ?5)",
                    rusqlite::params![hook, event, status, format!("answered {}", if *status == "failed" { 500 } else { 200 }), at],
                )?;
            }
            Ok::<_, feedhooks::db::DbError>(())
        })
        .await
        .unwrap();
}

/// Waits until a delivery has `n` attempts logged; returns it as the API shows it.
pub async fn wait_for_attempts(app: &TestApp, token: &str, path: &str, n: usize) -> Value {
    for _ in 0..200 {
        let res = app.api(Method::GET, path, Some(token), None).await;
        let v: Value = res.json().await.unwrap();
        if v["attempt_log"].as_array().is_some_and(|a| a.len() >= n) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} got no {n} attempts");
}

fn now() -> i64 {
    feedhooks::domain::time::now_ms()
}

#[tokio::test]
async fn hook_and_delivery_pages_are_404_to_anyone_without_a_role() {
    let app = spawn_app().await;
    let rx = Receiver::start(200, "ok").await;
    let (_, _, id) = owner_with_hook(&app, &rx.url).await;
    seed(&app, id, vec![("failed", "ping", now())]).await;
    let delivery: i64 = app.count("deliveries").await;
    let stranger = app.sign_in(&app.create_user("sam", false).await).await;
    let pages = [
        "/feeds/demo/hooks/new".to_owned(),
        "/feeds/demo/hooks/new?kind=http".into(),
        format!("/feeds/demo/hooks/{id}"),
        format!("/feeds/demo/hooks/{id}/edit"),
        format!("/feeds/demo/deliveries/{delivery}"),
    ];
    for p in &pages {
        assert_eq!(stranger.get(p).await.status(), 404, "GET {p}");
        let anon = app.anonymous().get(p).await;
        assert_eq!(anon.status(), 303, "GET {p} signed out");
        assert!(
            anon.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login?next=")
        );
    }
    for p in [
        "/feeds/demo/hooks".to_owned(),
        format!("/feeds/demo/hooks/{id}/edit"),
        format!("/feeds/demo/hooks/{id}/enabled"),
        format!("/feeds/demo/hooks/{id}/delete"),
        format!("/feeds/demo/hooks/{id}/ping"),
        format!("/feeds/demo/hooks/{id}/redeliver"),
        format!("/feeds/demo/deliveries/{delivery}/redeliver"),
    ] {
        let fields = [
            ("kind", "http"),
            ("enabled", "false"),
            ("confirm", "yes"),
            ("since", "2020-01-01T00:00"),
        ];
        assert_eq!(
            stranger.post_form(&p, &fields).await.status(),
            404,
            "POST {p}"
        );
    }
    // Another feed's hook and delivery ids are unknown here too, even to its owner.
    let token = app.token_for(&app.create_user("other", false).await).await;
    app.create_feed(&token, "other").await;
    let other = app
        .sign_in(&crate::helpers::TestUser {
            name: "other".into(),
            password: "other-secret-password".into(),
        })
        .await;
    assert_eq!(
        other
            .get(&format!("/feeds/other/hooks/{id}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        other
            .get(&format!("/feeds/other/deliveries/{delivery}"))
            .await
            .status(),
        404
    );
    assert_eq!(app.count("hooks").await, 1);
    assert_eq!(app.count("deliveries").await, 1);
}

#[tokio::test]
async fn error_pages_keep_the_navigation_of_whoever_is_signed_in() {
    let app = spawn_app().await;
    let sam = app.sign_in(&app.create_user("sam", false).await).await;
    for p in [
        "/no/such/page",
        "/feeds/nobody-has-this-feed",
        "/admin/users",
    ] {
        let res = sam.get(p).await;
        let status = res.status();
        let html = res.text().await.unwrap();
        assert!(status == 404 || status == 403, "GET {p}: {status}");
        assert!(
            html.contains(r#"<a href="/account">sam</a>"#),
            "GET {p}: {html}"
        );
        assert!(html.contains("Sign out"), "GET {p}");
    }
    let anon = app.anonymous().get("/no/such/page").await;
    assert_eq!(anon.status(), 404);
    let html = anon.text().await.unwrap();
    assert!(html.contains(r#"<a href="/login">Sign in</a>"#), "{html}");
    assert!(!html.contains("Sign out"));
}

#[tokio::test]
async fn a_wrong_hook_form_comes_back_with_the_values_and_a_message_per_field() {
    let app = spawn_app().await;
    let (owner, _, _) = owner_with_hook(&app, "http://127.0.0.1:9/h").await;
    let chooser = owner.get_text("/feeds/demo/hooks/new").await;
    assert!(chooser.contains("value=\"twitter\"") && chooser.contains("Microsoft Teams"));
    let form = owner.get_text("/feeds/demo/hooks/new?kind=twitter").await;
    assert!(
        !form.contains("value=\"ping\""),
        "X hooks cannot send pings"
    );
    assert!(form.contains("value=\"package.added\""));
    let res = owner
        .post_form(
            "/feeds/demo/hooks",
            &[
                ("kind", "http"),
                ("name", "Staging"),
                ("config.url", "ftp://nowhere"),
                ("config.headers", "X-Team: ops\nHost: evil"),
                ("config.secret", "not-a-whsec"),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    for expected in [
        "value=\"Staging\"",
        "value=\"ftp://nowhere\"",
        "X-Team: ops\nHost: evil</textarea>",
        "choose at least one event",
        "Host: can not be set",
    ] {
        assert!(html.contains(expected), "{expected} missing in {html}");
    }
    // The URL's message stands right after the URL's input.
    let url_at = html.find("id=\"f-url\"").unwrap();
    let error_at = url_at + html[url_at..].find("field-error").unwrap();
    assert!(error_at < html.find("id=\"f-secret\"").unwrap());
    assert!(
        !html.contains("not-a-whsec"),
        "a typed secret is never echoed"
    );
    assert!(html.contains("aria-invalid=\"true\""));
    // A header line without a colon is caught before the domain sees it.
    let res = owner
        .post_form(
            "/feeds/demo/hooks",
            &[
                ("kind", "http"),
                ("config.url", "http://127.0.0.1:9/"),
                ("config.headers", "nonsense"),
                ("events", "ping"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("line 1: write each header")
    );
    assert_eq!(app.count("hooks").await, 1, "nothing stored");
}

#[tokio::test]
async fn secrets_show_only_whether_they_are_set_and_stay_when_left_blank() {
    let app = spawn_app().await;
    let (owner, token, _) = owner_with_hook(&app, "http://127.0.0.1:9/h").await;
    let res = owner
        .post_form(
            "/feeds/demo/hooks",
            &[
                ("kind", "slack"),
                ("name", "Team chat"),
                (
                    "config.webhook_url",
                    "https://hooks.slack.com/services/T0/B0/SECRETPATH",
                ),
                ("config.channel", "#builds"),
                ("events", "package.added"),
                ("events", "build.finished"),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let at = res.headers()["location"].to_str().unwrap().to_owned();
    let page = owner.get_text(&at).await;
    assert!(page.contains("Hook “Team chat” created."), "flash shown");
    let edit = owner.get_text(&format!("{at}/edit")).await;
    assert!(!edit.contains("SECRETPATH"));
    assert!(edit.contains("A value is stored; leave blank to keep it."));
    assert!(edit.contains("value=\"#builds\""));
    let res = owner
        .post_form(
            &format!("{at}/edit"),
            &[
                ("config.webhook_url", ""),
                ("config.channel", "#ops"),
                ("events", "package.added"),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let id = at.rsplit('/').next().unwrap();
    let hook: Value = app
        .api(
            Method::GET,
            &format!("/api/v1/feeds/demo/hooks/{id}"),
            Some(&token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(hook["config"]["channel"], "#ops");
    assert_eq!(
        hook["config"]["secrets_set"],
        json!(["webhook_url"]),
        "kept"
    );
    assert_eq!(hook["events"], json!(["package.added"]));

    // A generated signing secret is shown once, in the answer to the post, and never again.
    let res = owner
        .post_form(
            "/feeds/demo/hooks",
            &[
                ("kind", "http"),
                ("config.url", "http://127.0.0.1:9/x"),
                ("generate_secret", "yes"),
                ("events", "ping"),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let secret = html
        .split("whsec_")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    assert!(secret.len() > 20);
    let id = app.count("hooks").await;
    for p in [
        format!("/feeds/demo/hooks/{id}"),
        format!("/feeds/demo/hooks/{id}/edit"),
    ] {
        assert!(!owner.get_text(&p).await.contains(secret), "{p}");
    }
}

#[tokio::test]
async fn the_hook_page_charts_filters_and_pages_its_deliveries() {
    let app = spawn_app().await;
    let (owner, _, id) = owner_with_hook(&app, "http://127.0.0.1:9/h").await;
    let start = now() - 3 * 86_400_000;
    let rows: Vec<_> = (0..120)
        .map(|i| {
            let status = if i % 4 == 0 { "failed" } else { "succeeded" };
            let event = if i % 2 == 0 { "package.added" } else { "ping" };
            (status, event, start + i * 60_000)
        })
        .collect();
    seed(&app, id, rows).await;
    let page = owner.get_text(&format!("/feeds/demo/hooks/{id}")).await;
    assert!(page.contains("<svg class=\"chart\""));
    assert!(
        page.contains("90 succeeded, 30 failed, 0 pending"),
        "chart totals"
    );
    assert!(page.contains("<rect class=\"bad\""));
    assert_eq!(
        page.matches("/feeds/demo/deliveries/").count(),
        20 + 1,
        "a page and the last-delivery link"
    );

    // Cursor paging: six pages of 20, each older than the last, with the filters kept.
    let mut seen = vec![];
    let mut path = format!("/feeds/demo/hooks/{id}?status=&event=");
    for page_no in 0..6 {
        let expected = 20;
        let html = owner.get_text(&path).await;
        let ids: Vec<i64> = html
            .split("\">#")
            .skip(1)
            .filter_map(|s| s.split('<').next()?.parse().ok())
            .collect();
        assert_eq!(ids.len(), expected, "{path}");
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
        assert!(seen.last().is_none_or(|l| ids[0] < *l));
        seen.extend(ids);
        match html.split("href=\"?").nth(1) {
            Some(rest) => {
                path = format!(
                    "/feeds/demo/hooks/{id}?{}",
                    rest.split('#').next().unwrap().replace("&amp;", "&")
                )
            }
            None => assert_eq!(page_no, 5, "only the last page has no Older link"),
        }
    }
    assert_eq!(seen.len(), 120);

    let failed = owner
        .get_text(&format!(
            "/feeds/demo/hooks/{id}?status=failed&event=package.added"
        ))
        .await;
    // 30 match; the first page shows 20 of them.
    assert_eq!(failed.matches("badge failed").count(), 20);
    let table = failed.split("class=\"deliveries\"").nth(1).unwrap();
    assert!(!table.contains("<code>ping</code>"));
    assert!(failed.contains("<option value=\"failed\" selected>"));
    // A time range, as a datetime-local input sends it (UTC).
    let since = feedhooks::domain::time::rfc3339(start + 100 * 60_000);
    let recent = owner
        .get_text(&format!("/feeds/demo/hooks/{id}?since={}", &since[..16]))
        .await;
    assert_eq!(recent.matches("\">#").count(), 20);
    let bad = owner
        .get(&format!(
            "/feeds/demo/hooks/{id}?status=lost&since=yesterday"
        ))
        .await;
    assert_eq!(bad.status(), 422);
    let bad = bad.text().await.unwrap();
    assert!(
        bad.contains("status: must be pending, succeeded or failed")
            && bad.contains("since: must be an RFC 3339 time")
    );

    // The feed page sums it up per hook: state, last result and the last day's success rate.
    let feed = owner.get_text("/feeds/demo").await;
    assert!(feed.contains("badge enabled") && feed.contains("answered 200"));
    assert!(feed.contains("New hook"));
}

#[tokio::test]
async fn ping_redeliver_and_enable_buttons_say_what_they_did() {
    let app = spawn_app().await;
    let rx = Receiver::start(500, "receiver is down for maintenance").await;
    let (owner, token, id) = owner_with_hook(&app, &rx.url).await;
    let res = owner
        .post_form(&format!("/feeds/demo/hooks/{id}/ping"), &[])
        .await;
    assert_eq!(res.status(), 303);
    let page = owner.get_text(&format!("/feeds/demo/hooks/{id}")).await;
    assert!(page.contains("Ping sent as delivery #1"));
    let d = wait_for_attempts(&app, &token, "/api/v1/feeds/demo/deliveries/1", 1).await;
    assert_eq!(d["attempt_log"][0]["response"]["status"], 500);

    let html = owner.get_text("/feeds/demo/deliveries/1").await;
    for expected in [
        "receiver is down for maintenance",
        "Attempt 1",
        "curl -X &#39;POST&#39;",
        "Bearer [redacted]",
        "PingWebHookEventPayloadV1",
        "Error: <code>http</code>",
    ] {
        assert!(html.contains(expected), "{expected} missing");
    }
    assert!(
        !html.contains("extra-credential-7"),
        "secrets stay redacted"
    );

    let res = owner
        .post_form("/feeds/demo/deliveries/1/redeliver", &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/feeds/demo/deliveries/2");
    assert!(
        owner
            .get_text("/feeds/demo/deliveries/2")
            .await
            .contains("Redelivery of #1 queued as delivery #2.")
    );

    seed(
        &app,
        id,
        vec![("failed", "package.added", now() - 3_600_000)],
    )
    .await;
    let res = owner
        .post_form(
            &format!("/feeds/demo/hooks/{id}/redeliver"),
            &[(
                "since",
                &feedhooks::domain::time::rfc3339(now() - 7_200_000)[..16],
            )],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(
        owner
            .get_text(&format!("/feeds/demo/hooks/{id}"))
            .await
            .contains("1 failed delivery is queued again.")
    );

    let res = owner
        .post_form(
            &format!("/feeds/demo/hooks/{id}/enabled"),
            &[("enabled", "false")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = owner.get_text(&format!("/feeds/demo/hooks/{id}")).await;
    // The owner's switch-off is not the server's red "disabled".
    assert!(page.contains("Hook disabled") && page.contains("badge off\">switched off"));
    assert!(!page.contains("badge disabled"));

    // Deleting needs the box ticked.
    let res = owner
        .post_form(&format!("/feeds/demo/hooks/{id}/delete"), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("hooks").await, 1);
    let res = owner
        .post_form(
            &format!("/feeds/demo/hooks/{id}/delete"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(res.headers()["location"], "/feeds/demo");
    assert_eq!(app.count("hooks").await, 0);
}

#[tokio::test]
async fn hook_forms_without_their_csrf_token_change_nothing() {
    let app = spawn_app().await;
    let (owner, _, id) = owner_with_hook(&app, "http://127.0.0.1:9/h").await;
    for p in [
        "/feeds/demo/hooks".to_owned(),
        format!("/feeds/demo/hooks/{id}/delete"),
        format!("/feeds/demo/hooks/{id}/ping"),
        format!("/feeds/demo/hooks/{id}/enabled"),
    ] {
        let res = owner
            .post_form_without_csrf(
                &p,
                &[("kind", "http"), ("confirm", "yes"), ("enabled", "false")],
            )
            .await;
        assert_eq!(res.status(), 403, "{p}");
    }
    assert_eq!(app.count("hooks").await, 1);
    assert_eq!(app.count("deliveries").await, 0);
}

#[tokio::test]
async fn every_kind_is_created_and_saved_again_from_its_form() {
    let app = spawn_app().await;
    let (owner, token, _) = owner_with_hook(&app, "http://127.0.0.1:9/h").await;
    let sid = format!("AC{}", "0123456789abcdef".repeat(2));
    let kinds: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "email",
            vec![
                ("config.host", "smtp.example.com"),
                ("config.port", "2525"),
                ("config.tls", "tls"),
                ("config.username", "mailer"),
                ("config.password", "mail-pass-1"),
                ("config.from", "hooks@example.com"),
                ("config.to", "dev@example.com; ops@example.com"),
                ("config.body", "text"),
            ],
        ),
        (
            "hipchat",
            vec![
                ("config.server", ""),
                ("config.room", "Builds"),
                ("config.auth_token", "hip-token-1"),
                ("config.color", "purple"),
                ("config.notify", "true"),
            ],
        ),
        (
            "slack",
            vec![
                (
                    "config.webhook_url",
                    "https://hooks.slack.com/services/T0/B0/SLACKSECRET",
                ),
                ("config.channel", "#builds"),
            ],
        ),
        (
            "teams",
            vec![
                (
                    "config.webhook_url",
                    "https://example.webhook.office.com/TEAMSSECRET",
                ),
                ("config.format", "messagecard"),
            ],
        ),
        (
            "twilio",
            vec![
                ("config.account_sid", sid.as_str()),
                ("config.auth_token", "twilio-token-1"),
                ("config.from", "+14155550100"),
                ("config.to", "+14155550123"),
                ("config.api_base", ""),
            ],
        ),
        (
            "twitter",
            vec![
                ("config.consumer_key", "ck-1"),
                ("config.consumer_secret", "cs-secret-1"),
                ("config.token", "tk-1"),
                ("config.token_secret", "ts-secret-1"),
                ("config.api_base", ""),
            ],
        ),
    ];
    for (kind, fields) in kinds {
        let mut form = vec![
            ("kind", kind),
            ("name", kind),
            ("events", "package.added"),
            ("enabled", "true"),
        ];
        form.extend(fields.iter().copied());
        let res = owner.post_form("/feeds/demo/hooks", &form).await;
        assert_eq!(res.status(), 303, "{kind}: {}", res.text().await.unwrap());
        let at = res.headers()["location"].to_str().unwrap().to_owned();
        let api = format!("/api/v1{at}");
        let before: Value = app
            .api(Method::GET, &api, Some(&token), None)
            .await
            .json()
            .await
            .unwrap();
        let edit = owner.get_text(&format!("{at}/edit")).await;
        for (name, value) in &fields {
            let secret = before["config"]["secrets_set"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| format!("config.{}", s.as_str().unwrap()) == *name);
            if secret {
                assert!(!edit.contains(value), "{kind}: a secret shown");
            } else if !value.is_empty() && *value != "true" {
                let shown = format!("value=\"{value}\"");
                assert!(
                    edit.contains(&shown) || edit.contains(value),
                    "{kind}: {name} not shown"
                );
            }
        }
        // Saved again as the edit form sends it: secrets blank, everything else as shown.
        let mut again: Vec<(&str, &str)> = vec![
            ("name", kind),
            ("events", "package.added"),
            ("enabled", "true"),
        ];
        let public = before["config"].clone();
        let values: Vec<(String, String)> = fields
            .iter()
            .map(|(n, v)| {
                let key = n.trim_start_matches("config.");
                let stored = match &public[key] {
                    Value::String(s) => s.clone(),
                    Value::Bool(b) => {
                        if *b {
                            "true".into()
                        } else {
                            String::new()
                        }
                    }
                    Value::Number(n) => n.to_string(),
                    _ => String::new(),
                };
                let secret = public["secrets_set"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s == key);
                (
                    n.to_string(),
                    if secret {
                        String::new()
                    } else if stored.is_empty() {
                        v.to_string()
                    } else {
                        stored
                    },
                )
            })
            .collect();
        again.extend(values.iter().map(|(a, b)| (a.as_str(), b.as_str())));
        let res = owner.post_form(&format!("{at}/edit"), &again).await;
        assert_eq!(res.status(), 303, "{kind}: {}", res.text().await.unwrap());
        let after: Value = app
            .api(Method::GET, &api, Some(&token), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            before["config"], after["config"],
            "{kind} changed by saving its form unchanged"
        );
    }
}
