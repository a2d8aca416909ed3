//! Behind a reverse proxy: with `--trusted-proxies`, login throttling counts the address the
//! proxy reports; without it, a client cannot dodge throttling by writing X-Forwarded-For.
use crate::cli::start_server;
use crate::helpers::{Browser, spawn_app, spawn_app_with};

/// A failed sign-in of `user` as seen through a proxy that says the client is `client`.
async fn failed_login(b: &Browser, client: &str, user: &str) -> u16 {
    let token = b.csrf().await;
    b.client
        .post(format!("{}/login", b.base))
        .header("X-Forwarded-For", client)
        .form(&[
            ("csrf", token.as_str()),
            ("username", user),
            ("password", "wrong password!"),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Eight failures from one reported address, each against another account.
async fn lock_out(b: &Browser, client: impl Fn(usize) -> String) {
    for i in 0..8 {
        assert_eq!(
            failed_login(b, &client(i), &format!("nobody{i}")).await,
            401
        );
    }
}

#[tokio::test]
async fn a_trusted_proxy_reports_the_address_throttling_counts() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = feedhooks::config::TrustedProxies(vec!["127.0.0.1/32".parse().unwrap()])
    })
    .await;
    let b = app.anonymous();
    lock_out(&b, |_| "203.0.113.7".into()).await;
    assert_eq!(failed_login(&b, "203.0.113.7", "someone").await, 429);
    // Another client behind the same proxy is not locked out with the first.
    assert_eq!(failed_login(&b, "203.0.113.8", "someone").await, 401);
    // A value the client wrote itself, left of the proxy's entry, changes nothing.
    assert_eq!(
        failed_login(&b, "198.51.100.1, 203.0.113.7", "someone").await,
        429
    );
}

#[tokio::test]
async fn without_trusted_proxies_the_header_is_ignored() {
    let app = spawn_app().await;
    let b = app.anonymous();
    lock_out(&b, |i| format!("203.0.113.{i}")).await;
    assert_eq!(
        failed_login(&b, "203.0.113.200", "someone").await,
        429,
        "the TCP peer is locked, whatever the header says"
    );
}

#[test]
fn the_request_log_shows_the_client_a_trusted_proxy_reports() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), &["--trusted-proxies", "127.0.0.1,10.0.0.0/8"]);
    let res = reqwest::blocking::Client::new()
        .get(format!("{}/healthz", server.url))
        .header("X-Forwarded-For", "203.0.113.9")
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !server.log_text().contains("peer=203.0.113.9") {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            server.log_text()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
