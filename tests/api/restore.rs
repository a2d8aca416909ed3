//! Backup and restore as a whole: the file carries the database and the key that opens its
//! secrets; a restored server signs with the same secrets; a database whose key is lost is
//! refused at start with one line; one hook whose secrets do not open is broken, alone.
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::cli::run_command;
use crate::helpers::{TestApp, python, spawn_app, spawn_app_with};
use crate::receiver::{Receiver, Reply};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// An app with an administrator, a token, feed `f` and one signed http hook to `url`:
/// returns (token, hook id, signing secret).
async fn feed_with_signed_hook(app: &TestApp, url: &str) -> (String, i64, String) {
    let admin = app.create_user("root", true).await;
    let token = app.token_for(&admin).await;
    app.create_feed(&token, "f").await;
    let (id, secret) = signed_hook(app, &token, url).await;
    (token, id, secret)
}

async fn signed_hook(app: &TestApp, token: &str, url: &str) -> (i64, String) {
    let res = app
        .api(
            Method::POST,
            "/api/v1/feeds/f/hooks",
            Some(token),
            Some(json!({"kind": "http", "events": ["ping"], "config": {"url": url, "secret": "generate"}})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let hook: Value = res.json().await.unwrap();
    (
        hook["id"].as_i64().unwrap(),
        hook["secret"].as_str().unwrap().to_owned(),
    )
}

fn data_of(app: &TestApp) -> std::path::PathBuf {
    app.data_dir.path().join("data")
}

/// A server on `data` (which must hold a database already) with loopback deliveries allowed.
async fn serve(data: &Path) -> TestApp {
    let data = data.to_owned();
    spawn_app_with(move |s| s.data_dir = data).await
}

fn verify_signature(secret: &str, req: &crate::receiver::Received) {
    let headers = json!({
        "webhook-id": req.header("webhook-id"),
        "webhook-timestamp": req.header("webhook-timestamp"),
        "webhook-signature": req.header("webhook-signature"),
    });
    let input = json!({"secret": secret, "headers": headers,
                       "body": String::from_utf8(req.body.clone()).unwrap()})
    .to_string();
    let (ok, out) = python(
        "import json, sys\nfrom standardwebhooks.webhooks import Webhook\nd = json.load(sys.stdin)\nWebhook(d['secret']).verify(d['body'], d['headers'])\nprint('verified')",
        &input,
    );
    assert!(ok && out.contains("verified"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_restored_into_an_empty_dir_signs_with_the_same_secrets() {
    let rx = Receiver::start(Reply::Status(204)).await;
    let app = spawn_app().await;
    let (token, hook, secret) = feed_with_signed_hook(&app, &rx.url).await;
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("feedhooks.backup");
    let (code, _, err) = run_command(&data_of(&app), &["backup", file.to_str().unwrap()], "");
    assert_eq!(code, 0, "backup while the server runs: {err}");
    assert_eq!(mode(&file), 0o600, "the backup holds the key: owner only");
    let _ = app.shutdown().await;

    let restored = scratch.path().join("restored/data");
    let (code, _, err) = run_command(&restored, &["restore", file.to_str().unwrap()], "");
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode(&restored.join("secret.key")), 0o600);
    assert_eq!(mode(&restored.join("feedhooks.db")), 0o600);
    assert_eq!(mode(&restored), 0o700);
    let leftover: Vec<_> = std::fs::read_dir(&restored)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        leftover
            .iter()
            .all(|n| n == "feedhooks.db" || n == "secret.key"),
        "only the database and the key: {leftover:?}"
    );
    let db = rusqlite::Connection::open(restored.join("feedhooks.db")).unwrap();
    let tables: i64 = db
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name LIKE '%backup_key%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        tables, 0,
        "the key lives in the key file, not in the database"
    );
    drop(db);

    let app = serve(&restored).await;
    let res = app
        .api(Method::GET, "/api/v1/feeds/f/hooks", Some(&token), None)
        .await;
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["items"][0]["broken"], Value::Null, "{list}");
    let path = format!("/api/v1/feeds/f/hooks/{hook}/ping");
    let res = app.api(Method::POST, &path, Some(&token), None).await;
    assert_eq!(res.status(), 202);
    let got = rx.wait_for(1, Duration::from_secs(20)).await;
    verify_signature(&secret, &got[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_refuses_a_used_dir_and_files_that_are_not_backups_and_leaves_nothing() {
    let app = spawn_app().await;
    let _ = feed_with_signed_hook(&app, "http://127.0.0.1:9/").await;
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("b");
    let (code, _, err) = run_command(&data_of(&app), &["backup", file.to_str().unwrap()], "");
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run_command(&data_of(&app), &["backup", file.to_str().unwrap()], "");
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");

    // Into the live data dir: refused, and the live files are untouched.
    let key_before = std::fs::read(data_of(&app).join("secret.key")).unwrap();
    let (code, _, err) = run_command(&data_of(&app), &["restore", file.to_str().unwrap()], "");
    assert_ne!(code, 0);
    assert!(err.contains("is not empty"), "{err}");
    assert_eq!(
        std::fs::read(data_of(&app).join("secret.key")).unwrap(),
        key_before
    );
    let _ = app.shutdown().await;

    // A bare database copy (no key inside) and a file that is no database at all.
    let bare = scratch.path().join("bare.db");
    std::fs::copy(&file, &bare).unwrap();
    rusqlite::Connection::open(&bare)
        .unwrap()
        .execute_batch("DROP TABLE feedhooks_backup_key")
        .unwrap();
    let junk = scratch.path().join("junk");
    std::fs::write(
        &junk,
        b"not a database, not even close ....................",
    )
    .unwrap();
    for (source, needle) in [(&bare, "holds no key"), (&junk, "not a feedhooks backup")] {
        let target = scratch.path().join("new/data");
        let (code, _, err) = run_command(&target, &["restore", source.to_str().unwrap()], "");
        assert_ne!(code, 0);
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
        assert!(
            !target.exists(),
            "a failed restore leaves no data dir behind"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_whose_key_is_lost_is_refused_at_start_with_one_line() {
    let app = spawn_app().await;
    let _ = feed_with_signed_hook(&app, "http://127.0.0.1:9/").await;
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("b");
    let (code, _, err) = run_command(&data_of(&app), &["backup", file.to_str().unwrap()], "");
    assert_eq!(code, 0, "{err}");
    let _ = app.shutdown().await;
    let data = scratch.path().join("data");
    let (code, _, err) = run_command(&data, &["restore", file.to_str().unwrap()], "");
    assert_eq!(code, 0, "{err}");

    // The key file lost (a new one would be made), then replaced by another one.
    std::fs::remove_file(data.join("secret.key")).unwrap();
    for replace_key in [false, true] {
        if replace_key {
            use std::os::unix::fs::OpenOptionsExt;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(data.join("secret.key"))
                .unwrap();
            std::io::Write::write_all(&mut f, &[7u8; 32]).unwrap();
        }
        let (code, _, err) = run_command(&data, &["serve", "--listen", "127.0.0.1:0"], "");
        assert_eq!(code, 1, "{err}");
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one line: {err}");
        assert!(
            lines[0].contains("does not open the secrets")
                && lines[0].contains("feedhooks restore"),
            "{err}"
        );
        assert_eq!(
            data.join("secret.key").exists(),
            replace_key,
            "no key file is left behind that was made for this start"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hook_whose_secrets_do_not_open_is_broken_and_fails_nothing_else() {
    let rx = Receiver::start(Reply::Status(204)).await;
    let app = spawn_app().await;
    let (token, broken, _) = feed_with_signed_hook(&app, &rx.url).await;
    let (healthy, secret) = signed_hook(&app, &token, &rx.url).await;
    // Sealed under another key: as after a restore that mixed two servers' hooks.
    let db = rusqlite::Connection::open(data_of(&app).join("feedhooks.db")).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    db.execute(
        "UPDATE hooks SET secrets = zeroblob(80) WHERE id = ?1",
        [broken],
    )
    .unwrap();
    drop(db);

    let res = app
        .api(Method::GET, "/api/v1/feeds/f/hooks", Some(&token), None)
        .await;
    assert_eq!(res.status(), 200, "a broken hook never fails the list");
    let list: Value = res.json().await.unwrap();
    let item = |id: i64| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == id)
            .unwrap()
            .clone()
    };
    assert!(
        item(broken)["broken"]
            .as_str()
            .is_some_and(|s| s.contains("enter them again")),
        "{list}"
    );
    assert_eq!(item(healthy)["broken"], Value::Null);
    let res = app
        .api(
            Method::GET,
            &format!("/api/v1/feeds/f/hooks/{broken}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);

    let admin = crate::helpers::TestUser {
        name: "root".into(),
        password: "root-secret-password".into(),
    };
    let browser = app.sign_in(&admin).await;
    let page = browser.get_text(&format!("/feeds/f/hooks/{broken}")).await;
    assert!(page.contains("cannot be decrypted"), "{page}");
    let feed = browser.get_text("/feeds/f").await;
    assert!(feed.contains("broken"), "the feed page marks it");

    // The other hook still delivers, signed with its own secret.
    let path = format!("/api/v1/feeds/f/hooks/{healthy}/ping");
    let res = app.api(Method::POST, &path, Some(&token), None).await;
    assert_eq!(res.status(), 202);
    let got = rx.wait_for(1, Duration::from_secs(20)).await;
    verify_signature(&secret, &got[0]);

    // Entering the secret again mends it.
    let res = app
        .api(
            Method::PATCH,
            &format!("/api/v1/feeds/f/hooks/{broken}"),
            Some(&token),
            Some(json!({"config": {"secret": "generate"}})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let hook: Value = res.json().await.unwrap();
    assert_eq!(hook["broken"], Value::Null, "{hook}");
}
