//! The e-mail sender against a real SMTP server (aiosmtpd, see `smtp_sink.py`) in each TLS
//! mode, with a certificate authority made for the test.
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use super::fake::{Event, assert_no_secret, context_with, example};
use crate::delivery::attempt::Attempt;
use crate::delivery::retry::AttemptClass;
use crate::domain::hook_config::{HookConfig, HookKind};
use crate::primitives::ErrorKind;

const SCRIPT: &str = include_str!("smtp_sink.py");
const PASSWORD: &str = "smtp-password-secret";

pub(super) struct Sink {
    child: Child,
    pub port: u16,
    pub ca: Vec<u8>,
    lines: mpsc::Receiver<String>,
    _dir: tempfile::TempDir,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the SMTP server; a missing aiosmtpd or trustme fails the test (never skips it).
pub(super) fn sink(mode: &str) -> Sink {
    start(SCRIPT, &[mode])
}

/// Runs one of the tests' Python servers (`script` with `args`, then its work directory),
/// waiting for its "READY <port>" line.
pub(super) fn start(script_text: &str, args: &[&str]) -> Sink {
    let check = Command::new("python3")
        .args(["-c", "import aiosmtpd, trustme"])
        .output();
    match check {
        Ok(out) if out.status.success() => {}
        other => panic!(
            "the e-mail tests need python3 with aiosmtpd and trustme; run .ci/install-test-tools ({other:?})"
        ),
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("sink.py");
    std::fs::write(&script, script_text).unwrap();
    let mut child = Command::new("python3")
        .arg(&script)
        .args(args)
        .arg(dir.path())
        .env("SINK_USER", "hookbot")
        .env("SINK_PASSWORD", PASSWORD)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let ready = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("the SMTP sink starts");
    let port = ready
        .strip_prefix("READY ")
        .expect("READY line")
        .parse()
        .unwrap();
    let ca = std::fs::read(dir.path().join("ca.pem")).unwrap();
    Sink {
        child,
        port,
        ca,
        lines,
        _dir: dir,
    }
}

impl Sink {
    pub(super) fn received(&self) -> Value {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(10))
            .expect("a message arrived");
        serde_json::from_str(&line).unwrap()
    }

    fn nothing_received(&self) -> bool {
        self.lines.recv_timeout(Duration::from_millis(200)).is_err()
    }
}

async fn send(sink: &Sink, input: Value, ev: &Event) -> Attempt {
    let config = HookConfig::from_input(HookKind::Email, &input, None)
        .unwrap()
        .config;
    let ctx = context_with(Duration::from_secs(10), "loopback", vec![sink.ca.clone()]);
    config.send(&ctx, &ev.out()).await
}

pub(super) fn settings(sink: &Sink, tls: &str, body: &str, to: &str) -> Value {
    let mut input = json!({"host": "localhost", "port": sink.port, "tls": tls, "from": "Feed hooks <hooks@example.com>", "to": to, "body": body});
    if tls != "none" {
        input["username"] = "hookbot".into();
        input["password"] = PASSWORD.into();
    }
    input
}

const SUBJECT: &str =
    "maartenba added NuGet package GoogleAnalyticsTracker.WP8 1.0.0-CI00002 to feed sample-feed";

/// What RFC 5322 and 2045 ask of every message, checked by Python's strict parser.
fn assert_well_formed(got: &Value) {
    assert_eq!(got["strict_error"], Value::Null, "{got}");
    assert_eq!(got["mime_version"], "1.0", "{got}");
    let id = got["message_id"].as_str().unwrap_or_default();
    assert!(
        id.starts_with('<') && id.ends_with("@example.com>") && id.len() > 20,
        "a Message-ID under the sender's domain: {got}"
    );
}

#[tokio::test]
async fn plain_smtp_to_several_recipients() {
    let sink = sink("none");
    let ev = example!("package.added");
    let attempt = send(
        &sink,
        settings(
            &sink,
            "none",
            "text",
            "a@example.com; b@example.com ;; c@example.com",
        ),
        &ev,
    )
    .await;
    assert_eq!(attempt.class, AttemptClass::Succeeded, "{attempt:?}");
    let got = sink.received();
    assert_eq!(
        got["rcpt_tos"],
        json!(["a@example.com", "b@example.com", "c@example.com"])
    );
    assert_eq!(got["mail_from"], "hooks@example.com");
    assert_eq!(got["subject"], SUBJECT);
    assert_eq!(got["event_id"], "7a48ce8c-728d-4350-8da8-e283d6fce277");
    assert_eq!(got["tls"], false);
    assert_eq!(got["content_type"], "text/plain");
    assert_well_formed(&got);
    let text = include_str!("../../../../tests/fixtures/rendered/package.added.txt");
    let received = got["parts"][0]["text"]
        .as_str()
        .unwrap()
        .replace("\r\n", "\n");
    assert_eq!(received.trim_end(), text.trim_end());

    assert_eq!(
        attempt.request.url,
        format!("smtp://localhost:{}", sink.port)
    );
    assert_eq!(attempt.request.method, "SMTP");
    assert_eq!(
        attempt.request.headers[2],
        ("Subject".into(), SUBJECT.into())
    );
    assert_eq!(attempt.request.body, text);
    let reply = attempt.response.unwrap();
    assert_eq!(reply.status, 250);
    assert!(reply.body.contains("queued as TEST123"), "{}", reply.body);
}

#[tokio::test]
async fn starttls_with_login_sends_html_and_plain_text() {
    let sink = sink("starttls");
    let ev = super::fake::hostile();
    let attempt = send(
        &sink,
        settings(
            &sink,
            "starttls",
            "html",
            "ops@example.com; dev@example.com",
        ),
        &ev,
    )
    .await;
    assert_eq!(attempt.class, AttemptClass::Succeeded, "{attempt:?}");
    let got = sink.received();
    assert_eq!(
        (got["tls"].as_bool(), got["login"].as_str()),
        (Some(true), Some("hookbot"))
    );
    assert_eq!(
        got["rcpt_tos"],
        json!(["ops@example.com", "dev@example.com"])
    );
    assert_eq!(got["content_type"], "multipart/alternative");
    assert_well_formed(&got);
    let types: Vec<&str> = got["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["text/plain", "text/html"]);
    let html = got["parts"][1]["text"].as_str().unwrap();
    assert!(
        !html.contains("<script") && html.contains("Evil&lt;script&gt;"),
        "{html}"
    );
    assert!(
        got["parts"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Evil<script>alert(1)</script>")
    );
    use base64::Engine;
    let plain = base64::engine::general_purpose::STANDARD.encode(format!("\0hookbot\0{PASSWORD}"));
    assert_no_secret(&attempt, &[PASSWORD, &plain]);
}

#[tokio::test]
async fn implicit_tls_sends_the_envelope_as_json() {
    let sink = sink("tls");
    let ev = example!("build.finished");
    let attempt = send(
        &sink,
        settings(&sink, "tls", "json", "ops@example.com"),
        &ev,
    )
    .await;
    assert_eq!(attempt.class, AttemptClass::Succeeded, "{attempt:?}");
    assert_eq!(
        attempt.request.url,
        format!("smtps://localhost:{}", sink.port)
    );
    let got = sink.received();
    assert_eq!(
        (got["tls"].as_bool(), got["login"].as_str()),
        (Some(true), Some("hookbot"))
    );
    assert_well_formed(&got);
    let body: Value = serde_json::from_str(got["parts"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(body, ev.parsed);
}

#[tokio::test]
async fn the_servers_refusals_are_classified() {
    let sink = sink("starttls");
    let ev = example!("ping");
    let attempt = send(
        &sink,
        settings(&sink, "starttls", "text", "reject@example.com"),
        &ev,
    )
    .await;
    assert_eq!(attempt.class, AttemptClass::Permanent);
    let error = attempt.error.as_ref().unwrap();
    assert_eq!(error.kind, ErrorKind::Smtp);
    assert!(
        error.message.contains("refused the message: 550")
            && error.message.contains("No such user here"),
        "{}",
        error.message
    );
    assert_eq!(attempt.response.as_ref().unwrap().status, 550);

    let attempt = send(
        &sink,
        settings(&sink, "starttls", "text", "busy@example.com"),
        &ev,
    )
    .await;
    assert_eq!(attempt.class, AttemptClass::Retryable);
    let error = attempt.error.unwrap();
    assert_eq!(error.kind, ErrorKind::Smtp);
    assert!(
        error.message.contains("for now: 451") && error.message.contains("try again later"),
        "{}",
        error.message
    );

    let mut wrong = settings(&sink, "starttls", "text", "ops@example.com");
    wrong["password"] = "not-the-password".into();
    let attempt = send(&sink, wrong, &ev).await;
    assert_eq!(attempt.class, AttemptClass::Permanent);
    let error = attempt.error.as_ref().unwrap();
    assert!(
        error
            .message
            .contains("refused the login (check the username and password): 535"),
        "{}",
        error.message
    );
    assert_no_secret(&attempt, &["not-the-password"]);
    assert!(sink.nothing_received());
}

#[tokio::test]
async fn tls_failures_and_blocked_hosts() {
    let plain = sink("none");
    let mut input = settings(&plain, "starttls", "text", "ops@example.com");
    input.as_object_mut().unwrap().remove("username");
    let attempt = send(&plain, input, &example!("ping")).await;
    assert_eq!(attempt.class, AttemptClass::Permanent);
    let error = attempt.error.unwrap();
    assert_eq!(error.kind, ErrorKind::Tls);
    assert!(
        error.message.contains("does not offer STARTTLS"),
        "{}",
        error.message
    );
    assert!(plain.nothing_received(), "nothing may go out in clear");

    // A certificate from an authority the sender does not trust.
    let tls = sink("tls");
    let config = HookConfig::from_input(
        HookKind::Email,
        &settings(&tls, "tls", "text", "ops@example.com"),
        None,
    )
    .unwrap()
    .config;
    let attempt = config
        .send(
            &context_with(Duration::from_secs(10), "loopback", Vec::new()),
            &example!("ping").out(),
        )
        .await;
    let error = attempt.error.unwrap();
    assert_eq!(
        (error.kind, attempt.class),
        (ErrorKind::Tls, AttemptClass::Retryable),
        "{}",
        error.message
    );
    assert!(tls.nothing_received());

    let attempt = config
        .send(
            &context_with(Duration::from_secs(10), "external", Vec::new()),
            &example!("ping").out(),
        )
        .await;
    let error = attempt.error.unwrap();
    assert_eq!(
        (error.kind, attempt.class),
        (ErrorKind::Blocked, AttemptClass::Permanent),
        "{}",
        error.message
    );
    assert!(
        error
            .message
            .contains("localhost resolves only to blocked addresses"),
        "{}",
        error.message
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let input = json!({"host": "127.0.0.1", "port": closed, "tls": "none", "from": "a@example.com", "to": "b@example.com"});
    let config = HookConfig::from_input(HookKind::Email, &input, None)
        .unwrap()
        .config;
    let attempt = config
        .send(
            &context_with(Duration::from_secs(10), "loopback", Vec::new()),
            &example!("ping").out(),
        )
        .await;
    let error = attempt.error.unwrap();
    assert_eq!(
        (error.kind, attempt.class),
        (ErrorKind::Connect, AttemptClass::Retryable),
        "{}",
        error.message
    );
    assert!(
        error
            .message
            .starts_with(&format!("connection refused by 127.0.0.1:{closed}")),
        "{}",
        error.message
    );
}
