//! Owners' templates in every people channel, and the preview: what `preview` shows is what
//! `send` then puts on the wire, for every kind.
use std::time::Duration;

use serde_json::{Value, json};

use super::email::{settings, sink};
use super::fake::{Captured, Event, Fake, answer, context, context_with, hostile};
use crate::delivery::retry::AttemptClass;
use crate::delivery::senders::format::{html_escape, markdown_escape, slack_escape};
use crate::delivery::senders::preview::{EmailPreview, RequestPreview, Wire};
use crate::domain::hook_config::{HookConfig, HookKind};
use crate::domain::hook_templates::HookTemplates;
use crate::events::EventType;
use crate::events::examples::example_json;
use crate::primitives::ErrorKind;
use crate::test_tools::adaptive_card_problems;

fn hook(kind: HookKind, input: Value) -> HookConfig {
    HookConfig::from_input(kind, &input, None).unwrap().config
}

fn worded(kind: HookKind, event: EventType, parts: Value) -> HookTemplates {
    HookTemplates::from_json(kind, Some(&json!({ event.name(): parts }))).unwrap()
}

fn nine() -> Vec<Event> {
    EventType::ALL
        .iter()
        .map(|&t| Event::from_json(example_json(t)))
        .collect()
}

fn request(w: Wire) -> RequestPreview {
    match w {
        Wire::Request(r) => r,
        Wire::Email(_) => panic!("an e-mail"),
    }
}

fn email(w: Wire) -> EmailPreview {
    match w {
        Wire::Email(m) => m,
        Wire::Request(_) => panic!("a request"),
    }
}

/// The message text of a chat or SMS request, wherever its kind puts it.
fn message_of(kind: &str, r: &RequestPreview) -> String {
    let json = || serde_json::from_str::<Value>(&r.body).unwrap();
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    match kind {
        "slack" => s(&json()["text"]),
        "hipchat" => s(&json()["message"]),
        "adaptive" => s(&json()["attachments"][0]["content"]["body"][0]["text"]),
        "messagecard" => s(&json()["sections"][0]["activityTitle"]),
        "twitter" => s(&json()["text"]),
        "twilio" => url::form_urlencoded::parse(r.body.as_bytes())
            .find(|(k, _)| k == "Body")
            .unwrap()
            .1
            .into_owned(),
        other => panic!("{other}"),
    }
}

/// Each chat and SMS kind with settings for a server at `base`, its escape of values, and the
/// name `message_of` knows it by.
type ChatKind = (&'static str, HookKind, Value, fn(&str) -> String);

fn chat_kinds(base: &str) -> Vec<ChatKind> {
    let plain: fn(&str) -> String = str::to_owned;
    vec![
        (
            "slack",
            HookKind::Slack,
            json!({"webhook_url": format!("{base}/services/T/B/x")}),
            slack_escape,
        ),
        (
            "hipchat",
            HookKind::Hipchat,
            json!({"server": base, "room": "r", "auth_token": "hc-token-1"}),
            html_escape,
        ),
        (
            "adaptive",
            HookKind::Teams,
            json!({"webhook_url": format!("{base}/teams"), "format": "adaptive"}),
            markdown_escape,
        ),
        (
            "messagecard",
            HookKind::Teams,
            json!({"webhook_url": format!("{base}/teams"), "format": "messagecard"}),
            |s| markdown_escape(&html_escape(s)),
        ),
        (
            "twilio",
            HookKind::Twilio,
            json!({"account_sid": "AC0123456789abcdef0123456789abcdef", "auth_token": "tw-token-1", "from": "+14155550100", "to": "+14155550101", "api_base": base}),
            plain,
        ),
        (
            "twitter",
            HookKind::X,
            json!({"consumer_key": "ck", "consumer_secret": "cs-secret-1", "token": "t", "token_secret": "ts-secret-1", "api_base": base}),
            plain,
        ),
    ]
}

const TEXT: &str = "{{ event }}: {{ Payload.PackageIdentifier or Payload.Name }} {{ Payload.PackageVersion | short_version }} in {{ feed_name }}";

/// What `TEXT` says of `ev`, values escaped by `escape`.
fn expected(ev: &Event, escape: fn(&str) -> String) -> String {
    let p = &ev.parsed["Payload"];
    let name = p["PackageIdentifier"]
        .as_str()
        .or(p["Name"].as_str())
        .unwrap_or_default();
    let version = p["PackageVersion"].as_str().unwrap_or_default();
    let version = version.split('+').next().unwrap();
    format!(
        "{}: {} {} in {}",
        ev.event.name(),
        escape(name),
        escape(version),
        escape("Contoso feed")
    )
}

#[test]
fn every_chat_and_sms_kind_words_all_nine_events_from_its_template() {
    for (name, kind, input, escape) in chat_kinds("https://service.example") {
        let config = hook(kind, input);
        for ev in nine() {
            let t = worded(kind, ev.event, json!({"text": TEXT}));
            let wire = config.preview(&ev.worded(t.get(ev.event))).unwrap();
            let got = message_of(name, &request(wire));
            assert_eq!(
                got.trim_end(),
                expected(&ev, escape).trim_end(),
                "{name} {}",
                ev.event
            );
        }
    }
}

#[test]
fn email_subject_text_and_html_come_from_their_templates_for_all_nine_events() {
    let config = hook(
        HookKind::Email,
        json!({"host": "localhost", "from": "hooks@example.com", "to": "a@example.com", "body": "html"}),
    );
    for ev in nine() {
        let t = worded(
            HookKind::Email,
            ev.event,
            json!({"subject": "[{{ feed_name }}] {{ event }}", "text": TEXT, "html": format!("<p>{TEXT}</p>")}),
        );
        let m = email(config.preview(&ev.worded(t.get(ev.event))).unwrap());
        assert_eq!(m.subject, format!("[Contoso feed] {}", ev.event.name()));
        assert_eq!(m.text.unwrap(), expected(&ev, str::to_owned));
        let html = m.html.unwrap();
        assert!(
            html.contains(&format!("<p>{}</p>", expected(&ev, html_escape))),
            "{html}"
        );
        assert!(
            html.starts_with("<!DOCTYPE html>"),
            "the sender's document around it"
        );
    }
}

#[test]
fn hostile_values_are_escaped_in_html_mail_and_teams_cards() {
    let ev = hostile();
    let words = "<p>{{ Payload.PackageIdentifier }} by {{ Username }}: {{ Payload.PackageMetadata.Description }}</p>";
    let config = hook(
        HookKind::Email,
        json!({"host": "localhost", "from": "hooks@example.com", "to": "a@example.com", "body": "html"}),
    );
    let t = worded(HookKind::Email, ev.event, json!({"html": words}));
    let html = email(config.preview(&ev.worded(t.get(ev.event))).unwrap())
        .html
        .unwrap();
    assert!(!html.contains("<script") && !html.contains("<b>"), "{html}");
    assert!(html.contains("<p>Evil&lt;script&gt;alert(1)&lt;/script&gt; by &lt;b&gt;mallory&lt;/b&gt;: &lt;script&gt;alert(&#39;x&#39;)"), "{html}");

    for (name, _, input, _) in chat_kinds("https://service.example")
        .into_iter()
        .filter(|k| k.1 == HookKind::Teams)
    {
        let config = hook(HookKind::Teams, input);
        let t = worded(HookKind::Teams, ev.event, json!({"text": words}));
        let r = request(config.preview(&ev.worded(t.get(ev.event))).unwrap());
        let title = message_of(name, &r);
        assert!(
            title.contains("\\[link\\](javascript:x)"),
            "{name}: links cannot be forged: {title}"
        );
        if name == "messagecard" {
            assert!(
                !r.body.contains("<script") && !title.contains("<b>"),
                "{}",
                r.body
            );
            assert!(title.contains("Evil&lt;script&gt;"), "{title}");
        }
    }
}

#[test]
fn adaptive_cards_made_from_templates_pass_microsofts_parser() {
    let (_, _, input, _) = chat_kinds("https://service.example").remove(2);
    let config = hook(HookKind::Teams, input);
    let mut events = nine();
    events.push(hostile());
    for ev in events {
        let t = worded(
            HookKind::Teams,
            ev.event,
            json!({"text": format!("**{TEXT}**\n{{{{ Payload.PackageMetadata.Description }}}}")}),
        );
        let r = request(config.preview(&ev.worded(t.get(ev.event))).unwrap());
        let body: Value = serde_json::from_str(&r.body).unwrap();
        let card = &body["attachments"][0]["content"];
        assert_eq!(
            adaptive_card_problems(card),
            Vec::<String>::new(),
            "{}",
            ev.event
        );
    }
}

#[tokio::test]
async fn a_template_that_fails_when_sent_fails_the_attempt_as_a_config_error() {
    // It renders the spec's example when saved; this payload makes it divide by zero.
    let kind = HookKind::Slack;
    let fake = Fake::start(vec![answer(200, "ok")]).await;
    let config = hook(kind, json!({"webhook_url": fake.url("/services/T/B/x")}));
    let ev = hostile();
    let t = worded(
        kind,
        ev.event,
        json!({"text": "{% if Payload.PackageIdentifier is startingwith('Evil') %}{{ 1 // 0 }}{% endif %}"}),
    );
    let out = ev.worded(t.get(ev.event));
    let attempt = config.send(&context(Duration::from_secs(5)), &out).await;
    assert_eq!(attempt.class, AttemptClass::Permanent);
    let error = attempt.error.unwrap();
    assert_eq!(error.kind, ErrorKind::Config);
    assert!(
        error
            .message
            .starts_with("the text template of package.added fails: line 1:"),
        "{}",
        error.message
    );
    assert!(fake.requests().is_empty(), "nothing was sent");
    assert_eq!(
        config.preview(&out).unwrap_err(),
        error.message,
        "the preview says the same"
    );
}

/// Headers the moment makes (a signature over a timestamp, OAuth's nonce) or the preview hides.
fn of_the_moment(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "webhook-timestamp" | "webhook-signature" | "authorization"
    )
}

fn assert_sent_as_previewed(what: &str, preview: &RequestPreview, got: &Captured) {
    assert_eq!(
        preview.body.as_bytes(),
        got.body.as_slice(),
        "{what}: the body, byte for byte"
    );
    for (name, value) in &preview.headers {
        let sent = got
            .header(name)
            .unwrap_or_else(|| panic!("{what}: {name} was not sent"));
        let shown = value.as_str().unwrap();
        if of_the_moment(name) {
            // Shown with its scheme, the credentials hidden.
            let scheme = shown.split(' ').next().unwrap();
            assert!(
                sent.starts_with(scheme),
                "{what}: {name}: {sent} vs {shown}"
            );
        } else {
            assert_eq!(sent, shown, "{what}: {name}");
        }
    }
    let path = preview.url.splitn(4, '/').nth(3).unwrap_or_default();
    if !preview.url.contains("[redacted]") {
        assert_eq!(format!("/{path}"), got.path, "{what}: the URL");
    }
}

#[tokio::test]
async fn what_the_preview_shows_is_what_each_http_kind_sends() {
    let ev = Event::from_json(example_json(EventType::PackagePushed));
    for (name, kind, _, _) in chat_kinds("http://unused") {
        let fake = Fake::start(vec![answer(200, "ok")]).await;
        let base = fake.url("");
        let (_, _, input, _) = chat_kinds(&base).into_iter().find(|k| k.0 == name).unwrap();
        let config = hook(kind, input);
        let t = worded(kind, ev.event, json!({"text": TEXT}));
        let out = ev.worded(t.get(ev.event));
        let preview = request(config.preview(&out).unwrap());
        config.send(&context(Duration::from_secs(5)), &out).await;
        assert_sent_as_previewed(name, &preview, &fake.only_request());
    }
    let fake = Fake::start(vec![answer(200, "")]).await;
    let config = hook(
        HookKind::Http,
        json!({"url": fake.url("/hook"), "secret": "generate", "headers": {"X-Package": "{{ Payload.PackageIdentifier }}@{{ Payload.PackageVersion }}"}}),
    );
    let preview = request(config.preview(&ev.out()).unwrap());
    let p = &ev.parsed["Payload"];
    assert_eq!(
        preview.headers["X-Package"],
        format!(
            "{}@{}",
            p["PackageIdentifier"].as_str().unwrap(),
            p["PackageVersion"].as_str().unwrap()
        )
    );
    config
        .send(&context(Duration::from_secs(5)), &ev.out())
        .await;
    assert_sent_as_previewed("http", &preview, &fake.only_request());
}

#[tokio::test]
async fn what_the_preview_shows_is_what_an_email_hook_sends() {
    let sink = sink("none");
    let ev = Event::from_json(example_json(EventType::BuildFinished));
    let config = hook(
        HookKind::Email,
        settings(&sink, "none", "html", "a@example.com; b@example.com"),
    );
    let t = worded(
        HookKind::Email,
        ev.event,
        json!({"subject": "{{ Payload.Name }}: {{ Payload.Result }}", "text": TEXT, "html": "<h1>{{ Payload.Name }}</h1>{{ html }}"}),
    );
    let out = ev.worded(t.get(ev.event));
    let preview = email(config.preview(&out).unwrap());
    let ctx = context_with(Duration::from_secs(10), "loopback", vec![sink.ca.clone()]);
    let attempt = config.send(&ctx, &out).await;
    assert_eq!(attempt.class, AttemptClass::Succeeded, "{attempt:?}");
    let got = sink.received();
    assert_eq!(got["subject"], preview.subject);
    assert_eq!(got["rcpt_tos"], json!(preview.to));
    assert_eq!(got["from"], preview.from);
    // SMTP carries lines ending in CRLF (RFC 5322); the preview shows them as the text has them.
    let part = |t: &str| {
        got["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["type"] == t)
            .unwrap()["text"]
            .as_str()
            .unwrap()
            .replace("\r\n", "\n")
    };
    assert_eq!(part("text/plain"), preview.text.unwrap());
    assert_eq!(part("text/html"), preview.html.unwrap());
    assert_eq!(
        preview.headers["Subject"], preview.subject,
        "an ASCII subject is sent as it is"
    );
}

#[test]
fn the_built_in_wording_the_form_starts_from_renders_what_the_sender_writes_without_one() {
    let mut kinds = chat_kinds("https://service.example");
    kinds.push((
        "email",
        HookKind::Email,
        json!({"host": "localhost", "from": "hooks@example.com", "to": "a@example.com", "body": "html"}),
        str::to_owned,
    ));
    for (name, kind, input, _) in kinds {
        let config = hook(kind, input);
        for ev in nine() {
            // A comment makes each part differ from the built-in, which would not be stored.
            let parts: serde_json::Map<String, Value> = kind
                .def()
                .wording
                .iter()
                .map(|(part, text)| {
                    (
                        part.as_str().to_owned(),
                        format!("{text}{{# as built in #}}").into(),
                    )
                })
                .collect();
            let t = worded(kind, ev.event, Value::Object(parts));
            let plain = config.preview(&ev.out()).unwrap();
            let templated = config.preview(&ev.worded(t.get(ev.event))).unwrap();
            match (plain, templated) {
                (Wire::Email(mut a), Wire::Email(mut b)) => {
                    for m in [&mut a, &mut b] {
                        m.headers.remove("Message-ID");
                        m.headers.remove("Date");
                    }
                    assert_eq!(a, b, "{name} {}", ev.event);
                }
                (Wire::Request(a), Wire::Request(b)) => {
                    assert_eq!(
                        message_of(name, &a),
                        message_of(name, &b),
                        "{name} {}",
                        ev.event
                    )
                }
                _ => unreachable!(),
            }
        }
    }
}
