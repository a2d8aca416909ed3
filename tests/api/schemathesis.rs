//! schemathesis (an independent property-based API tester) against the served OpenAPI
//! document: every operation, stateless, bounded examples. It fails on any server error, a
//! status the document does not list, a Content-Type it does not list, or a body that breaks
//! the documented schema.
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

/// Real identifiers for the path parameters, so the operations reach their logic instead of
/// answering 404; the deleting operations get resources of their own.
const CONFIG: &str = r#"
[parameters]
"path.feed" = "f"
"path.id" = "1"
"path.username" = "bob"
"path.event" = "package.added"

[[operations]]
include-name = "DELETE /feeds/{feed}"
parameters = { "path.feed" = "doomed" }

[[operations]]
include-name = "DELETE /feeds/{feed}/hooks/{id}"
parameters = { "path.id" = "2" }
"#;

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_server_error_and_nothing_undocumented() {
    let app = spawn_app().await;
    let admin = app.create_user("root", true).await;
    app.create_user("bob", false).await;
    let token = app.token_for(&admin).await;
    app.create_feed(&token, "f").await;
    app.create_feed(&token, "doomed").await;
    for _ in 0..2 {
        let res = app
            .api(
                Method::POST,
                "/api/v1/feeds/f/hooks",
                Some(&token),
                Some(json!({"kind": "http", "events": ["ping"], "config": {"url": "http://127.0.0.1:9/"}})),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    app.feed_key(&token, "f").await;
    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds/f/hooks/1/ping",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(res.status(), 202, "delivery 1 exists");

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("schemathesis.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let schema = app.url("/api/v1/openapi.json");
    let auth = format!("Authorization: Bearer {token}");
    let output = tokio::task::spawn_blocking(move || {
        let mut child = Command::new("python3")
            .args(["-m", "schemathesis.cli", "--config-file"])
            .arg(&config)
            .args(["run", &schema, "-H", &auth])
            .args(["--phases", "examples,coverage,fuzzing", "--max-examples", "10", "-w", "1"])
            .args(["--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"])
            .args(["--request-timeout", "10", "--no-color"])
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        // Bounded: the examples are, and so is the wall-clock time.
        let deadline = Instant::now() + Duration::from_secs(600);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        !text.contains("No module named"),
        "schemathesis is missing; run .ci/install-test-tools: {text}"
    );
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{text}"
    );
    // Every operation schemathesis found in the document was selected and tested.
    let total = text
        .split(" selected / ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("?")
        .to_owned();
    let tested = format!("Tested: {total}");
    assert!(text.contains(&tested), "every operation ran: {text}");
}
