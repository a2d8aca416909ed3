//! Every page, audited by tools written by others, in a real Chromium 360 px wide (a phone):
//! nothing scrolls sideways or is cut off, axe-core finds no accessibility violation, and
//! html-validate finds nothing wrong in the markup the server sent.
use std::path::PathBuf;
use std::process::Command;

use reqwest::Method;
use serde_json::{Value, json};

use crate::browser::{Driver, sign_in};
use crate::helpers::{TestApp, TestUser, spawn_app, spec_example};
use crate::receiver::{Receiver, Reply};

/// Where `.ci/install-test-tools` puts axe-core and html-validate.
fn tools() -> PathBuf {
    let dir = PathBuf::from(
        std::env::var("FEEDHOOKS_TEST_TOOLS")
            .unwrap_or_else(|_| "/opt/feedhooks-test-tools".into()),
    );
    assert!(
        dir.join("node_modules/axe-core/axe.min.js").exists()
            && dir.join("node_modules/.bin/html-validate").exists(),
        "axe-core and html-validate are missing from {}: run .ci/install-test-tools",
        dir.display()
    );
    dir
}

/// A feed with what every page can show: a co-owner, a key, a token, hooks of several kinds
/// (one taking all nine events, one switched off), delivered events with answers.
async fn seeded(app: &TestApp, rx: &Receiver) -> (TestUser, String, Vec<i64>) {
    let admin = app.create_user("root", true).await;
    app.create_user("bob", false).await;
    let token = app.token_for(&admin).await;
    app.create_feed(&token, "acme-packages").await;
    let f = "/api/v1/feeds/acme-packages";
    let res = app
        .api(
            Method::PUT,
            &format!("{f}/co-owners/bob"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let key = app.feed_key(&token, "acme-packages").await;
    let long_url = format!(
        "{}/hooks/continuous-integration/trigger-the-downstream-build-of-every-dependent-package",
        rx.url.trim_end_matches('/')
    );
    let all: Vec<&str> = feedhooks::events::EventType::ALL
        .iter()
        .map(|e| e.name())
        .collect();
    let mut hooks = vec![];
    for body in [
        json!({"kind": "http", "name": "Build trigger", "events": ["package.added", "build.finished"],
               "config": {"url": long_url, "secret": "generate"}}),
        json!({"kind": "slack", "name": "Team channel", "events": all,
               "config": {"webhook_url": format!("{}/services/T000/B000/XXXX", rx.url.trim_end_matches('/'))}}),
        json!({"kind": "http", "name": "Switched off", "events": ["ping"], "enabled": false,
               "config": {"url": rx.url}}),
        json!({"kind": "email", "name": "Release mail", "events": ["package.added"],
               "config": {"host": "127.0.0.1", "port": 2525, "from": "hooks@example.com", "to": "team@example.com", "body": "html"},
               "templates": {"package.added": {"subject": "New: {{ Payload.PackageIdentifier }}"}}}),
    ] {
        let res = app
            .api(
                Method::POST,
                &format!("{f}/hooks"),
                Some(&token),
                Some(body),
            )
            .await;
        assert_eq!(res.status(), 201);
        hooks.push(res.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let res = app
        .post_event("acme-packages", &key, &spec_example("package.added"))
        .await;
    assert_eq!(res.status(), 202);
    rx.wait_for(2, std::time::Duration::from_secs(20)).await;
    (admin, token, hooks)
}

/// One source of each kind, whose pages the audit visits too; the npm one points at an
/// address nothing answers on, so its page shows a failed poll.
async fn sources(app: &TestApp, token: &str) -> Vec<i64> {
    let mut ids = vec![];
    for kind in feedhooks::domain::source_config::SourceKind::ALL {
        let config = match kind.as_str() {
            "npm" => {
                json!({"registry": "http://127.0.0.1:9/", "packages": ["left-pad", "@acme/*"]})
            }
            "nuget" => {
                json!({"service_index": "http://127.0.0.1:9/v3/index.json", "packages": ["Acme.*"]})
            }
            _ => json!({}),
        };
        let res = app
            .api(
                Method::POST,
                "/api/v1/feeds/acme-packages/sources",
                Some(token),
                Some(json!({"kind": kind.as_str(), "name": format!("{} source", kind.as_str()), "config": config})),
            )
            .await;
        assert_eq!(res.status(), 201, "{kind:?}");
        ids.push(res.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    ids
}

/// Checks run in the page: the width, anything cut off, and axe-core.
const LAYOUT: &str = r#"
const width = window.innerWidth;
const cut = [...document.querySelectorAll('button, a, input, select, textarea, th, td, code, pre')]
  .filter(e => e.getClientRects().length > 0)
  .filter(e => { const r = e.getBoundingClientRect(); return r.right > width + 1 || r.left < -1; })
  .map(e => e.tagName + ' ' + (e.textContent || e.name || '').trim().slice(0, 40));
return {scrolls: document.documentElement.scrollWidth > width, cut};
"#;

/// Cards with a form of at most three fields that are wider than 48rem.
const WIDE_SHORT_FORMS: &str = r#"
return [...document.querySelectorAll('.card')]
  .filter(c => c.querySelector('form') || c.tagName === 'FORM')
  .filter(c => c.querySelectorAll('input:not([type=hidden]), select, textarea').length <= 3)
  .filter(c => c.querySelectorAll('table, dl').length === 0)
  .filter(c => c.getBoundingClientRect().width > 48 * 16)
  .map(c => Math.round(c.getBoundingClientRect().width) + 'px: ' + c.textContent.trim().replace(/\s+/g, ' ').slice(0, 60));
"#;

const AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({id: v.id, help: v.help,
       nodes: v.nodes.map(n => n.html.slice(0, 160))}))))
  .catch(e => done([{id: 'axe-error', help: String(e)}]));
"#;

#[tokio::test(flavor = "multi_thread")]
async fn every_page_fits_a_phone_and_passes_axe_and_html_validate() {
    let tools = tools();
    let axe = std::fs::read_to_string(tools.join("node_modules/axe-core/axe.min.js")).unwrap();
    let rx = Receiver::start(Reply::Full(
        200,
        vec![("content-type", "text/html".into())],
        "<html><body><h1>Thanks</h1><p>Build queued.</p></body></html>".into(),
    ))
    .await;
    let app = spawn_app().await;
    let (admin, token, hooks) = seeded(&app, &rx).await;
    let source_ids = sources(&app, &token).await;
    let mut pages = vec![
        "/feeds".to_owned(),
        "/feeds/acme-packages".into(),
        "/feeds/acme-packages/settings".into(),
        "/feeds/acme-packages/hooks/new".into(),
        "/account".into(),
        "/admin/users".into(),
        "/no/such/page".into(),
    ];
    for kind in [
        "http", "email", "hipchat", "slack", "teams", "twilio", "twitter",
    ] {
        pages.push(format!("/feeds/acme-packages/hooks/new?kind={kind}"));
    }
    for id in &hooks {
        pages.push(format!("/feeds/acme-packages/hooks/{id}"));
        pages.push(format!("/feeds/acme-packages/hooks/{id}/edit"));
    }
    // The replay steps: replays listed (running ones with a Cancel button) and the page after
    // "Count" with its "Replay N at R/s" button.
    for id in &hooks {
        let res = app
            .api(
                reqwest::Method::POST,
                &format!("/api/v1/feeds/acme-packages/hooks/{id}/replays"),
                Some(&token),
                Some(serde_json::json!({"rate": 1})),
            )
            .await;
        assert_eq!(res.status(), 202);
        pages.push(format!("/feeds/acme-packages/hooks/{id}?r_rate=10&count=1"));
    }
    for id in [1, 2] {
        pages.push(format!("/feeds/acme-packages/deliveries/{id}"));
    }
    let event = spec_example("package.added")["Identifier"]
        .as_str()
        .unwrap()
        .to_owned();
    pages.push(format!("/feeds/acme-packages/events/{event}"));
    pages.push("/feeds/acme-packages/sources".into());
    pages.push("/feeds/acme-packages/sources/new".into());
    for kind in feedhooks::domain::source_config::SourceKind::ALL {
        pages.push(format!(
            "/feeds/acme-packages/sources/new?kind={}",
            kind.as_str()
        ));
    }
    for id in &source_ids {
        pages.push(format!("/feeds/acme-packages/sources/{id}"));
        pages.push(format!("/feeds/acme-packages/sources/{id}/edit"));
    }

    let b = Driver::start(360, 800).await;
    let http = app.sign_in(&admin).await;
    sign_in(&b, &app.address, &admin).await;
    let markup = tempfile::tempdir().unwrap();
    let mut problems = vec![];
    for (i, path) in pages.iter().enumerate() {
        b.go(&format!("{}{path}", app.address)).await;
        let layout = b.exec(LAYOUT).await;
        if layout["scrolls"] == true {
            problems.push(format!("{path}: scrolls sideways at 360 px"));
        }
        if layout["cut"] != json!([]) {
            problems.push(format!("{path}: cut off at 360 px: {}", layout["cut"]));
        }
        b.exec(&axe).await;
        let violations = b.exec_async(AXE).await;
        if violations != json!([]) {
            problems.push(format!("{path}: axe: {violations}"));
        }
        let html = http.get(path).await.text().await.unwrap();
        std::fs::write(markup.path().join(format!("page{i:02}.html")), html).unwrap();
    }
    // The hook form with its preview (for the e-mail hook, its HTML in a sandboxed frame).
    for id in [hooks[1], hooks[3]] {
        let path = format!("/feeds/acme-packages/hooks/{id}/edit (previewed)");
        b.go(&format!(
            "{}/feeds/acme-packages/hooks/{id}/edit",
            app.address
        ))
        .await;
        // The page as the server sends it, for html-validate: the form posted as its button would.
        let markup_of_preview = b
            .exec_async(
                "const done = arguments[arguments.length - 1];
                 const f = document.querySelector('form.hook-form');
                 const d = new URLSearchParams(new FormData(f));
                 d.append('action', 'preview');
                 fetch(f.getAttribute('action'), {method: 'POST', body: d}).then(r => r.text()).then(done);",
            )
            .await;
        b.follow("button[value=preview]").await;
        b.find("section.preview").await;
        let layout = b.exec(LAYOUT).await;
        if layout["scrolls"] == true || layout["cut"] != json!([]) {
            problems.push(format!("{path}: does not fit 360 px: {layout}"));
        }
        b.exec(&axe).await;
        let violations = b.exec_async(AXE).await;
        if violations != json!([]) {
            problems.push(format!("{path}: axe: {violations}"));
        }
        let i = pages.len();
        pages.push(path);
        let html = markup_of_preview.as_str().unwrap();
        assert!(html.contains("section class=\"card preview\""), "{html}");
        std::fs::write(markup.path().join(format!("page{i:02}.html")), html).unwrap();
    }
    // On a wide screen, a card holding a short form is as wide as its fields, not the page.
    b.resize(1280, 900).await;
    for path in pages.iter().filter(|p| !p.ends_with("(previewed)")) {
        b.go(&format!("{}{path}", app.address)).await;
        let wide = b.exec(WIDE_SHORT_FORMS).await;
        if wide != json!([]) {
            problems.push(format!(
                "{path}: short forms in wide cards at 1280 px: {wide}"
            ));
        }
    }
    // The signed-out pages too.
    let anonymous = app.anonymous();
    std::fs::write(
        markup.path().join("login.html"),
        anonymous.get_text("/login").await,
    )
    .unwrap();
    b.quit().await;

    // The recommended rules less two of code style (the DOCTYPE's case, trailing whitespace
    // that templates leave). A group of checkboxes shares a name: that is how a form
    // sends a list.
    std::fs::write(
        markup.path().join(".htmlvalidate.json"),
        r#"{"extends": ["html-validate:recommended"],
            "rules": {"doctype-style": "off", "no-trailing-whitespace": "off",
                      "form-dup-name": ["error", {"shared": ["radio", "checkbox", "button", "reset", "submit"]}]}}"#,
    )
    .unwrap();
    let out = Command::new(tools.join("node_modules/.bin/html-validate"))
        .arg("--formatter=text")
        .arg(markup.path())
        .current_dir(markup.path())
        .output()
        .expect("html-validate runs");
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        let names: Vec<String> = pages
            .iter()
            .enumerate()
            .map(|(i, p)| format!("page{i:02} = {p}"))
            .collect();
        problems.push(format!("html-validate:\n{text}\n({})", names.join(", ")));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
