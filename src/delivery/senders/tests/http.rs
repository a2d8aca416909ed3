//! The `http` sender and the guarded client under it.
use std::time::{Duration, Instant};

use serde_json::json;

use super::fake::{Fake, Reply, answer, assert_no_secret, context, context_with, example};
use crate::delivery::attempt::{MAX_LOGGED_BODY, MAX_READ_BODY};
use crate::delivery::retry::AttemptClass;
use crate::delivery::senders::http::{CONTENT_TYPE, USER_AGENT};
use crate::delivery::signing;
use crate::domain::hook_config::{HookConfig, HookKind};
use crate::primitives::ErrorKind;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn hook(input: serde_json::Value) -> HookConfig {
    HookConfig::from_input(HookKind::Http, &input, None)
        .unwrap()
        .config
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[tokio::test]
async fn sends_the_wire_format_signed() {
    let fake = Fake::start(vec![answer(200, "thanks")]).await;
    let config = hook(json!({"url": fake.url("/hook?x=1"), "secret": SECRET,
        "headers": {"X-Team": "ops", "Authorization": "Bearer extra-credential-1"}}));
    let ev = example!("package.added");
    let attempt = config.send(&context(secs(5)), &ev.out()).await;
    assert_eq!(attempt.class, AttemptClass::Succeeded, "{attempt:?}");
    assert_eq!(attempt.error, None);
    let got = fake.only_request();
    assert_eq!(
        (got.method.as_str(), got.path.as_str()),
        ("POST", "/hook?x=1")
    );
    assert_eq!(
        got.body,
        ev.envelope.as_bytes(),
        "the stored bytes, unchanged"
    );
    assert_eq!(got.header("content-type"), Some(CONTENT_TYPE));
    assert_eq!(got.header("user-agent"), Some(USER_AGENT));
    assert!(USER_AGENT.starts_with("MyGet Web Hook/"));
    let id = "7a48ce8c-728d-4350-8da8-e283d6fce277";
    assert_eq!(got.header("x-myget-eventidentifier"), Some(id));
    assert_eq!(got.header("webhook-id"), Some(id));
    assert_eq!(got.header("x-team"), Some("ops"));
    assert_eq!(
        got.header("authorization"),
        Some("Bearer extra-credential-1")
    );
    let ts: i64 = got.header("webhook-timestamp").unwrap().parse().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((now - ts).abs() < 30, "{ts} vs {now}");
    let key = signing::parse_secret(SECRET).unwrap();
    let sig = got.header("webhook-signature").unwrap();
    assert!(signing::verify(&key, id, ts, &got.body, sig), "{sig}");

    let response = attempt.response.as_ref().unwrap();
    assert_eq!(
        (response.status, response.body.as_str(), response.body_size),
        (200, "thanks", 6)
    );
    assert_eq!(attempt.request.method, "POST");
    let logged: Vec<&str> = attempt
        .request
        .headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        logged,
        [
            "Content-Type",
            "User-Agent",
            "X-MyGet-EventIdentifier",
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
            "X-Team",
            "Authorization"
        ]
    );
    let auth = attempt
        .request
        .headers
        .iter()
        .find(|(n, _)| n == "Authorization")
        .unwrap();
    assert_eq!(auth.1, "Bearer [redacted]");
    assert_no_secret(
        &attempt,
        &[
            SECRET,
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "extra-credential-1",
        ],
    );
}

#[tokio::test]
async fn without_a_secret_no_signature_is_sent() {
    let fake = Fake::start(vec![answer(204, "")]).await;
    let ev = example!("ping");
    let attempt = hook(json!({"url": fake.url("/")}))
        .send(&context(secs(5)), &ev.out())
        .await;
    assert_eq!(attempt.class, AttemptClass::Succeeded);
    let got = fake.only_request();
    assert!(got.header("webhook-signature").is_none() && got.header("webhook-id").is_none());
}

#[tokio::test]
async fn a_receiver_echoing_secrets_is_redacted() {
    let echo = format!("got {SECRET} and Bearer extra-credential-1");
    let fake = Fake::start(vec![Reply::Answer(
        500,
        vec![("Set-Cookie", "session=abc".into())],
        echo,
    )])
    .await;
    let config = hook(
        json!({"url": fake.url("/?token=query-credential-9"), "secret": SECRET,
        "headers": {"Authorization": "Bearer extra-credential-1"}}),
    );
    let attempt = config
        .send(&context(secs(5)), &example!("ping").out())
        .await;
    assert_eq!(attempt.class, AttemptClass::Retryable);
    let response = attempt.response.as_ref().unwrap();
    assert_eq!(response.body, "got [redacted] and [redacted]");
    assert!(
        response
            .headers
            .iter()
            .any(|(n, v)| n == "set-cookie" && v == "[redacted]")
    );
    assert!(
        attempt.request.url.ends_with("token=[redacted]"),
        "{}",
        attempt.request.url
    );
    assert_no_secret(
        &attempt,
        &[
            SECRET,
            "extra-credential-1",
            "query-credential-9",
            "session=abc",
        ],
    );
}

#[tokio::test]
async fn classifies_answers() {
    let retry_date = "Wed, 21 Oct 2099 07:28:00 GMT";
    #[rustfmt::skip]
    let cases = vec![
        (answer(410, "gone"), AttemptClass::Gone, None),
        (answer(404, "nope"), AttemptClass::Permanent, None),
        (answer(400, "bad"), AttemptClass::Permanent, None),
        (Reply::Answer(503, vec![("Retry-After", "120".into())], String::new()), AttemptClass::Retryable, Some(secs(120))),
        (Reply::Answer(429, vec![("Retry-After", retry_date.into())], String::new()), AttemptClass::Retryable, Some(secs(1))),
        (answer(408, ""), AttemptClass::Retryable, None),
    ];
    for (reply, class, retry_after) in cases {
        let fake = Fake::start(vec![reply.clone()]).await;
        let attempt = hook(json!({"url": fake.url("/")}))
            .send(&context(secs(5)), &example!("ping").out())
            .await;
        assert_eq!(attempt.class, class, "{reply:?}");
        let error = attempt.error.as_ref().unwrap();
        assert_eq!(error.kind, ErrorKind::Http);
        assert!(
            error.message.starts_with("the receiver answered"),
            "{}",
            error.message
        );
        match retry_after {
            // An HTTP date far ahead: just check that one came through.
            Some(d) if d == secs(1) => assert!(attempt.retry_after.unwrap() > secs(3600)),
            other => assert_eq!(attempt.retry_after, other, "{reply:?}"),
        }
    }
}

#[tokio::test]
async fn an_html_error_page_reads_as_its_words() {
    let page = "<!doctype html><html><head><title>Oops</title><style>h1{color:red}</style>\
        <script>var x = '<b>';</script></head><body><h1>Service &amp; queue down</h1>\
        <p>Try again <em>later</em>.</p></body></html>";
    let fake = Fake::start(vec![Reply::Answer(
        503,
        vec![("Content-Type", "text/html; charset=utf-8".into())],
        page.into(),
    )])
    .await;
    let attempt = hook(json!({"url": fake.url("/")}))
        .send(&context(secs(5)), &example!("ping").out())
        .await;
    let message = &attempt.error.as_ref().unwrap().message;
    assert_eq!(
        message,
        "the receiver answered 503 Service Unavailable: Service & queue down Try again later ."
    );
    // The log keeps the answer as it came.
    assert_eq!(attempt.response.as_ref().unwrap().body, page);
}

#[tokio::test]
async fn does_not_follow_redirects() {
    let target = Fake::start(vec![answer(200, "")]).await;
    let location = target.url("/elsewhere");
    let fake = Fake::start(vec![Reply::Answer(
        302,
        vec![("Location", location.clone())],
        String::new(),
    )])
    .await;
    let attempt = hook(json!({"url": fake.url("/")}))
        .send(&context(secs(5)), &example!("ping").out())
        .await;
    assert_eq!(attempt.class, AttemptClass::Permanent);
    let message = &attempt.error.as_ref().unwrap().message;
    assert!(
        message.contains(&location) && message.contains("not followed"),
        "{message}"
    );
    let response = attempt.response.as_ref().unwrap();
    assert!(
        response
            .headers
            .iter()
            .any(|(n, v)| n == "location" && *v == location)
    );
    assert!(target.requests().is_empty(), "the redirect was followed");
}

#[tokio::test]
async fn reads_a_huge_answer_only_up_to_the_cap() {
    let fake = Fake::start(vec![Reply::Huge(3 * 1024 * 1024)]).await;
    let started = Instant::now();
    let attempt = hook(json!({"url": fake.url("/")}))
        .send(&context(secs(10)), &example!("ping").out())
        .await;
    assert_eq!(attempt.class, AttemptClass::Succeeded);
    let response = attempt.response.unwrap();
    assert_eq!(response.body_size, MAX_READ_BODY);
    assert!(
        response.body.len() < MAX_LOGGED_BODY + 200,
        "{}",
        response.body.len()
    );
    assert!(
        response.body.ends_with("showing the first 65536]"),
        "{}",
        &response.body[response.body.len() - 100..]
    );
    assert!(started.elapsed() < secs(5));
}

#[tokio::test]
async fn a_hanging_receiver_times_out() {
    let fake = Fake::start(vec![Reply::Hang]).await;
    let ctx = context(Duration::from_millis(500));
    let started = Instant::now();
    let attempt = hook(json!({"url": fake.url("/")}))
        .send(&ctx, &example!("ping").out())
        .await;
    assert!(started.elapsed() < secs(3), "{:?}", started.elapsed());
    assert_eq!(attempt.class, AttemptClass::Retryable);
    let error = attempt.error.unwrap();
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert!(
        error.message.contains("no answer from 127.0.0.1:") && error.message.contains("500ms"),
        "{}",
        error.message
    );
    assert!(attempt.duration >= Duration::from_millis(500));
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let attempt = hook(json!({"url": format!("http://127.0.0.1:{port}/")}))
        .send(&context(secs(5)), &example!("ping").out())
        .await;
    assert_eq!(attempt.class, AttemptClass::Retryable);
    let error = attempt.error.unwrap();
    assert_eq!(error.kind, ErrorKind::Connect);
    assert!(
        error
            .message
            .starts_with(&format!("connection refused by 127.0.0.1:{port}")),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn external_only_refuses_loopback_without_a_request() {
    let fake = Fake::start(vec![answer(200, "")]).await;
    let ctx = context_with(secs(5), "external", Vec::new());
    for url in [format!("http://localhost:{}/", fake.port), fake.url("/")] {
        let attempt = hook(json!({"url": url}))
            .send(&ctx, &example!("ping").out())
            .await;
        assert_eq!(attempt.class, AttemptClass::Permanent, "{url}");
        let error = attempt.error.unwrap();
        assert_eq!(error.kind, ErrorKind::Blocked, "{url}: {}", error.message);
        assert!(
            error.message.contains("--allow-hosts is \"external\""),
            "{}",
            error.message
        );
    }
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn unresolvable_names_and_tls_failures_have_their_kinds() {
    let ctx = context_with(secs(5), "*", Vec::new());
    let attempt = hook(json!({"url": "http://no-such-host.invalid/"}))
        .send(&ctx, &example!("ping").out())
        .await;
    let error = attempt.error.unwrap();
    assert_eq!(
        (error.kind, attempt.class),
        (ErrorKind::Dns, AttemptClass::Retryable),
        "{}",
        error.message
    );
    assert!(
        error
            .message
            .starts_with("could not resolve no-such-host.invalid"),
        "{}",
        error.message
    );

    // A server that answers in plain HTTP where TLS was expected: the handshake fails.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    let url = format!("https://127.0.0.1:{port}/");
    let attempt = hook(json!({"url": url}))
        .send(&context(secs(5)), &example!("ping").out())
        .await;
    let error = attempt.error.unwrap();
    assert_eq!(error.kind, ErrorKind::Tls, "{}", error.message);
    assert!(
        error.message.starts_with("TLS with 127.0.0.1:"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn certificates_are_checked_unless_verify_tls_is_off() {
    let sink = super::email::start(include_str!("https_sink.py"), &[]);
    let url = format!("https://localhost:{}/hook", sink.port);
    let ev = example!("ping");
    let strict = hook(json!({"url": url}));
    let attempt = strict.send(&context(secs(5)), &ev.out()).await;
    let error = attempt.error.unwrap();
    assert_eq!(
        (error.kind, attempt.class),
        (ErrorKind::Tls, AttemptClass::Retryable),
        "{}",
        error.message
    );
    assert!(error.message.contains("certificate"), "{}", error.message);

    let trusting = context_with(secs(5), "loopback", vec![sink.ca.clone()]);
    let attempt = strict.send(&trusting, &ev.out()).await;
    assert_eq!(attempt.class, AttemptClass::Succeeded, "{attempt:?}");

    let lax = hook(json!({"url": url, "verify_tls": false}));
    let attempt = lax.send(&context(secs(5)), &ev.out()).await;
    assert_eq!(attempt.class, AttemptClass::Succeeded, "{attempt:?}");
    assert_eq!(attempt.response.unwrap().body, "ok");
}
