//! Passwords, tokens and keys are shown once and then never again: not in pages, API answers,
//! the server's log or the database file.
use crate::cli::{run_command, start_server};
use crate::helpers::csrf_of;

fn blocking_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[test]
fn secrets_are_shown_once_and_never_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start_server(&data, &[]);
    let url = server.url.clone();

    // First administrator through the logged one-time link.
    let log = server.log_text();
    let setup = log
        .split_whitespace()
        .find_map(|w| {
            w.split("url=")
                .nth(1)
                .filter(|u| u.contains("/setup?token="))
        })
        .expect("setup URL logged")
        .to_owned();
    let browser = blocking_client();
    let html = browser.get(&setup).send().unwrap().text().unwrap();
    let token = setup.split("token=").nth(1).unwrap();
    let admin_password = "admin password 1 of a kind";
    let res = browser
        .post(format!("{url}/setup"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("token", token),
            ("username", "root"),
            ("password", admin_password),
        ])
        .send()
        .unwrap();
    assert_eq!(res.status(), 303);

    // CLI: a user with a password on stdin, and a personal token on stdout (and nothing else).
    let bob_password = "bob password 2 of a kind";
    let (code, out, err) = run_command(
        &data,
        &[
            "user",
            "add",
            "bob",
            "--email",
            "bob@example.com",
            "--password-stdin",
        ],
        &format!("{bob_password}\n"),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    let (code, pat, err) = run_command(
        &data,
        &["token", "create", "--user", "root", "--name", "script"],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let pat = pat.trim().to_owned();
    assert!(pat.starts_with("fhp_") && !pat.contains('\n'));
    let (code, _, err) = run_command(
        &data,
        &["user", "passwd", "bob", "--password-stdin"],
        "short\n",
    );
    assert_ne!(code, 0);
    assert!(err.contains("at least 10 characters"), "{err}");

    // API: a feed and a key, shown once in the 201 answer.
    let api = reqwest::blocking::Client::new();
    let res = api
        .post(format!("{url}/api/v1/feeds"))
        .bearer_auth(&pat)
        .json(&serde_json::json!({"identifier": "f"}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = api
        .post(format!("{url}/api/v1/feeds/f/keys"))
        .bearer_auth(&pat)
        .json(&serde_json::json!({"name": "ci"}))
        .send()
        .unwrap();
    let key = res.json::<serde_json::Value>().unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    // bob signs in with the CLI-set password.
    let bob = blocking_client();
    let html = bob
        .get(format!("{url}/login"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let res = bob
        .post(format!("{url}/login"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("username", "bob"),
            ("password", bob_password),
        ])
        .send()
        .unwrap();
    assert_eq!(res.status(), 303);

    let secrets = [admin_password, bob_password, pat.as_str(), key.as_str()];
    let mut seen = String::new();
    for path in [
        "/feeds",
        "/feeds/f",
        "/feeds/f/settings",
        "/account",
        "/admin/users",
    ] {
        seen += &browser
            .get(format!("{url}{path}"))
            .send()
            .unwrap()
            .text()
            .unwrap();
    }
    for path in ["/api/v1/feeds", "/api/v1/feeds/f", "/api/v1/feeds/f/keys"] {
        seen += &api
            .get(format!("{url}{path}"))
            .bearer_auth(&pat)
            .send()
            .unwrap()
            .text()
            .unwrap();
    }
    assert!(seen.contains("ci"), "the key is listed by name");
    for s in secrets {
        assert!(!seen.contains(s), "a page or answer shows a secret");
    }
    drop(server);
    let db = std::fs::read(data.join("feedhooks.db")).unwrap();
    let wal = std::fs::read(data.join("feedhooks.db-wal")).unwrap_or_default();
    for s in secrets {
        for bytes in [&db, &wal] {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "the database holds a secret in clear"
            );
        }
    }
}

#[test]
fn the_server_log_never_holds_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Admin commands need the data dir to exist (only `serve` makes one).
    std::fs::create_dir(&data).unwrap();
    let (code, _, _) = run_command(
        &data,
        &["user", "add", "root", "--admin", "--password-stdin"],
        "root password 3 of a kind\n",
    );
    assert_eq!(code, 0);
    let (_, pat, _) = run_command(&data, &["token", "create", "--user", "root"], "");
    let pat = pat.trim().to_owned();
    let server = start_server(&data, &[]);
    let url = server.url.clone();
    let api = reqwest::blocking::Client::new();
    api.post(format!("{url}/api/v1/feeds"))
        .bearer_auth(&pat)
        .json(&serde_json::json!({"identifier": "f"}))
        .send()
        .unwrap();
    let key = api
        .post(format!("{url}/api/v1/feeds/f/keys"))
        .bearer_auth(&pat)
        .json(&serde_json::json!({"name": "ci"}))
        .send()
        .unwrap()
        .json::<serde_json::Value>()
        .unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let browser = blocking_client();
    let html = browser
        .get(format!("{url}/login"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    // A failed and a good sign-in, both logged (without the password).
    for pw in ["wrong password here", "root password 3 of a kind"] {
        browser
            .post(format!("{url}/login?next=/feeds"))
            .form(&[
                ("csrf", csrf_of(&html).as_str()),
                ("username", "root"),
                ("password", pw),
            ])
            .send()
            .unwrap();
    }
    api.get(format!("{url}/api/v1/feeds/f"))
        .bearer_auth(&key)
        .send()
        .unwrap();
    // The log is collected by another thread: wait (bounded) until the sign-ins are in it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let log = loop {
        let log = server.log_text();
        if log.contains("signed in")
            && log.contains("failed sign-in")
            && log.contains("/api/v1/feeds/f")
        {
            break log;
        }
        assert!(std::time::Instant::now() < deadline, "{log}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    for s in [
        "root password 3 of a kind",
        "wrong password here",
        pat.as_str(),
        key.as_str(),
    ] {
        assert!(!log.contains(s), "the log holds a secret: {log}");
    }
}
