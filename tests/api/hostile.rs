//! Hostile content from a feed system or a receiver (markup and script, huge strings, control
//! characters, right-to-left marks, invalid UTF-8 in headers) shows as text on every page and
//! never breaks a page or runs.
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{spawn_app, spec_example};
use crate::receiver::{Receiver, Reply};

const SCRIPT: &str = "<script>alert('owned')</script>";

#[tokio::test]
async fn hostile_events_and_answers_show_as_text_on_every_page() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let mut answer = b"HTTP/1.1 500 Oops\r\nx-evil: \xff\xfe<b>bold</b>\r\ncontent-type: text/html\r\ncontent-length: ".to_vec();
    let body = format!("<html><body onload=\"steal()\">{SCRIPT}\u{202e}gnp.exe</body></html>");
    answer.extend_from_slice(format!("{}\r\n\r\n{body}", body.len()).as_bytes());
    let rx = Receiver::start(Reply::Raw(answer)).await;
    let hook: Value = app
        .api(Method::POST, "/api/v1/feeds/f/hooks", Some(&t), Some(json!({
            "kind": "http", "name": format!("{SCRIPT} hook"), "events": ["package.added"], "config": {"url": rx.url}
        })))
        .await
        .json()
        .await
        .unwrap();
    let hook_id = hook["id"].as_i64().unwrap();

    let mut e = spec_example("package.added");
    e["Username"] = json!(format!("{SCRIPT}\u{202e}evil\u{200f}"));
    e["Payload"]["PackageIdentifier"] = json!(format!("{SCRIPT}{}", "A".repeat(5000)));
    e["Payload"]["PackageVersion"] = json!("\"><img src=x onerror=alert(1)>");
    e["Payload"]["PackageMetadata"]["Description"] = json!(format!(
        "{SCRIPT}\u{0007}\u{001b}[31m{}",
        "long ".repeat(20_000)
    ));
    e["Payload"]["PackageDetailsUrl"] = json!("javascript:alert(1)");
    assert_eq!(app.post_event("f", &t, &e).await.status(), 202);

    // Wait for the first (failed) attempt.
    let deadline = Instant::now() + Duration::from_secs(20);
    let delivery = loop {
        let list: Value = app
            .api(
                Method::GET,
                &format!("/api/v1/feeds/f/hooks/{hook_id}/deliveries"),
                Some(&t),
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        if list["items"][0]["attempts"].as_i64().unwrap_or(0) >= 1 {
            break list["items"][0]["id"].as_i64().unwrap();
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(25)).await;
    };

    let b = app.sign_in(&u).await;
    for path in [
        "/feeds",
        "/feeds/f",
        &format!("/feeds/f/hooks/{hook_id}"),
        &format!("/feeds/f/hooks/{hook_id}/edit"),
        &format!("/feeds/f/deliveries/{delivery}"),
    ] {
        let res = b.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.unwrap();
        assert!(
            html.trim_end().ends_with("</html>"),
            "{path}: the page is complete"
        );
        for raw in [
            "<script>alert",
            "<img src=x",
            "onload=\"steal",
            "<b>bold</b>",
            "href=\"javascript:",
        ] {
            assert!(!html.contains(raw), "{path} contains raw {raw:?}");
        }
        if path.contains("/deliveries/") {
            assert!(
                html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
                "{path}: the markup shows as text"
            );
        }
    }
}
