//! Faults around the server: misbehaving receivers, a full disk, a locked database, and
//! backups taken under load.
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::cli::{run_command, start_server};
use crate::helpers::{TestApp, spawn_app_with, spec_example};
use crate::receiver::{Receiver, Reply};

async fn owner(app: &TestApp) -> String {
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    t
}

async fn newest_delivery(app: &TestApp, t: &str, hook: i64, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
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
        if let Some(d) = list["items"]
            .as_array()
            .unwrap()
            .first()
            .filter(|d| d["status"] == status)
        {
            let id = d["id"].as_i64().unwrap();
            return app
                .api(
                    Method::GET,
                    &format!("/api/v1/feeds/f/deliveries/{id}"),
                    Some(t),
                    None,
                )
                .await
                .json()
                .await
                .unwrap();
        }
        assert!(Instant::now() < deadline, "no {status} delivery: {list}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn dripping_resetting_and_endless_receivers_cost_bounded_time_and_memory() {
    let schedule = feedhooks::delivery::retry::parse_schedule("300ms").unwrap();
    let app = spawn_app_with(move |s| {
        s.retry_schedule = schedule;
        s.delivery_timeout = Duration::from_millis(1500);
    })
    .await;
    let t = owner(&app).await;
    // (receiver, expected status, error kind of the first attempt). A 2xx status decides
    // success even when the body then breaks off: the receiver has taken the event.
    let cases = [
        (Reply::Drip, "failed", Some("timeout")),
        (Reply::ResetMidBody, "succeeded", None),
        (Reply::Endless, "succeeded", None),
    ];
    let mut hooks = vec![];
    for (reply, _, _) in &cases {
        let rx = Receiver::start(reply.clone()).await;
        let res = app
            .api(
                Method::POST,
                "/api/v1/feeds/f/hooks",
                Some(&t),
                Some(json!({"kind": "http", "events": ["ping"], "config": {"url": rx.url}})),
            )
            .await;
        hooks.push((
            res.json::<Value>().await.unwrap()["id"].as_i64().unwrap(),
            rx,
        ));
    }
    app.post_event("f", &t, &spec_example("ping")).await;
    for ((hook, rx), (_, status, kind)) in hooks.iter().zip(cases) {
        let d = newest_delivery(&app, &t, *hook, status).await;
        let log = d["attempt_log"].as_array().unwrap();
        // Every attempt ended within the delivery timeout (plus a margin for a busy machine).
        assert!(
            log.iter()
                .all(|a| a["duration_ms"].as_i64().unwrap() < 5000),
            "{d}"
        );
        if let Some(kind) = kind {
            assert_eq!(log.len(), 2, "the schedule held: one retry, then failed");
            assert_eq!(log[0]["error"]["kind"], kind, "{}", log[0]);
            assert_eq!(rx.received().len(), 2);
        } else {
            // What was read of the body is logged, never more than the caps.
            let r = &log[0]["response"];
            assert_eq!(r["status"], 200);
            assert!(r["body_size"].as_u64().unwrap() <= 1024 * 1024, "{r}");
            assert!(r["body"].as_str().unwrap().len() <= 64 * 1024 + 200);
        }
    }
}

/// Mounts a small tmpfs and returns its path; unmounted when the guard drops.
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    fn new(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(
            ok.success(),
            "mounting a tmpfs needs root (the test suite and CI run as root)"
        );
        SmallDisk(dir)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

#[tokio::test]
async fn a_full_disk_answers_503_stores_nothing_and_recovers_by_itself() {
    let disk = SmallDisk::new("16m");
    let data = disk.0.path().join("data");
    let app = spawn_app_with(move |s| s.data_dir = data).await;
    let t = owner(&app).await;
    assert_eq!(
        app.post_event("f", &t, &spec_example("ping"))
            .await
            .status(),
        202
    );
    // Fill the disk to the last byte.
    let ballast = disk.0.path().join("ballast");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&ballast).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let _ = f.flush();
        let mut small = vec![0u8; 512];
        while f.write_all(&small).is_ok() {}
        small.truncate(1);
        while f.write_all(&small).is_ok() {}
    }
    let mut big = spec_example("package.added");
    big["Identifier"] = json!("big-one");
    big["Payload"]["PackageMetadata"]["Description"] = json!("d".repeat(900 * 1024));
    let res = app.post_event("f", &t, &big).await;
    assert_eq!(res.status(), 503, "{}", res.text().await.unwrap());
    let res = app.post_event("f", &t, &big).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(app.count("events").await, 1, "nothing partial was stored");

    std::fs::remove_file(&ballast).unwrap();
    let res = app.post_event("f", &t, &big).await;
    assert_eq!(res.status(), 202, "recovered without a restart");
    assert_eq!(app.count("events").await, 2);
    drop(app);
}

#[tokio::test]
async fn a_locked_database_answers_503_and_recovers_when_the_lock_goes() {
    let app = spawn_app_with(|_| {}).await;
    let t = owner(&app).await;
    let path = app.state.settings.data_dir.join("feedhooks.db");
    // Another process holds the write lock past the busy timeout.
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("BEGIN IMMEDIATE").unwrap();
        locked_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(Duration::from_secs(30));
        c.execute_batch("ROLLBACK").unwrap();
    });
    locked_rx.recv().unwrap();
    let res = app.post_event("f", &t, &spec_example("ping")).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    release_tx.send(()).unwrap();
    holder.join().unwrap();
    assert_eq!(app.count("events").await, 0);
    assert_eq!(
        app.post_event("f", &t, &spec_example("ping"))
            .await
            .status(),
        202
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_starts_a_working_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Admin commands need the data dir to exist (only `serve` makes one).
    std::fs::create_dir(&data).unwrap();
    run_command(
        &data,
        &["user", "add", "olivia", "--password-stdin"],
        "a long enough password\n",
    );
    let (_, token, _) = run_command(&data, &["token", "create", "--user", "olivia"], "");
    let token = token.trim().to_owned();
    let d2 = data.clone();
    let server = tokio::task::spawn_blocking(move || start_server(&d2, &[]))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let url = server.url.clone();
    client
        .post(format!("{url}/api/v1/feeds"))
        .bearer_auth(&token)
        .json(&json!({"identifier": "f"}))
        .send()
        .await
        .unwrap();
    // Load: four clients posting events while the backup runs.
    let stop = tokio_util::sync::CancellationToken::new();
    let mut load = vec![];
    for lane in 0..4 {
        let (client, url, token, stop) = (client.clone(), url.clone(), token.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.is_cancelled() && n < 5000 {
                let body = json!({"Identifier": format!("l{lane}-{n}"), "PayloadType": "PingWebHookEventPayloadV1", "Payload": {}});
                let r = client.post(format!("{url}/api/v1/feeds/f/events")).bearer_auth(&token).json(&body).send().await.unwrap();
                assert_eq!(r.status(), 202);
                n += 1;
            }
            n
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let backup = dir.path().join("backup.db");
    let (d3, b2) = (data.clone(), backup.clone());
    let (code, _, err) = tokio::task::spawn_blocking(move || {
        run_command(&d3, &["backup", b2.to_str().unwrap()], "")
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{err}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.cancel();
    let mut sent = 0;
    for l in load {
        sent += l.await.unwrap();
    }
    assert!(sent > 0);
    drop(server);

    // A server on a data dir restored from the backup works and has the data.
    let restored = dir.path().join("restored");
    let (code, _, err) = run_command(&restored, &["restore", backup.to_str().unwrap()], "");
    assert_eq!(code, 0, "{err}");
    let r2 = restored.clone();
    let server = tokio::task::spawn_blocking(move || start_server(&r2, &[]))
        .await
        .unwrap();
    let ready = client
        .get(format!("{}/readyz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let events: Value = client
        .get(format!("{}/api/v1/feeds/f/events?limit=500", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !events["items"].as_array().unwrap().is_empty(),
        "the copy holds the events written before it"
    );
    let res = client
        .post(format!("{}/api/v1/feeds/f/events", server.url))
        .bearer_auth(&token)
        .json(&spec_example("ping"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202, "and takes new ones");
    // The backup refuses to overwrite.
    let (code, _, err) = run_command(&data, &["backup", backup.to_str().unwrap()], "");
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");
}
