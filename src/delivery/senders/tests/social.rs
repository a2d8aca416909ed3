//! Twilio and X against local fakes of their APIs.
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::fake::{Captured, Event, Fake, Reply, answer, assert_no_secret, context, example};
use crate::delivery::attempt::Attempt;
use crate::delivery::retry::AttemptClass;
use crate::delivery::senders::x::{MAX_WEIGHT, weighted_length};
use crate::domain::hook_config::{HookConfig, HookKind, XConfig};
use crate::primitives::ErrorKind;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-auth-token-1";

async fn exchange(
    kind: HookKind,
    input: impl Fn(&Fake) -> Value,
    reply: Reply,
    ev: &Event,
) -> (Attempt, Option<Captured>) {
    let fake = Fake::start(vec![reply]).await;
    let config = HookConfig::from_input(kind, &input(&fake), None)
        .unwrap()
        .config;
    let attempt = config
        .send(&context(Duration::from_secs(5)), &ev.out())
        .await;
    (attempt, fake.requests().into_iter().next())
}

fn assert_failed(a: &Attempt, class: AttemptClass, words: &str) {
    assert_eq!(a.class, class, "{a:?}");
    let e = a.error.as_ref().unwrap();
    assert_eq!(e.kind, ErrorKind::Http);
    assert!(e.message.contains(words), "{:?} lacks {words:?}", e.message);
}

fn twilio(fake: &Fake) -> Value {
    json!({"account_sid": SID, "auth_token": TOKEN, "from": "+14155550100", "to": "+44 20 7946 0958", "api_base": fake.url("")})
}

fn form(c: &Captured) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&c.body).into_owned().collect()
}

#[tokio::test]
async fn twilio_sends_an_sms() {
    let created = json!({"sid": "SM1", "status": "queued"}).to_string();
    let (attempt, got) = exchange(
        HookKind::Twilio,
        twilio,
        answer(201, &created),
        &example!("package.pushed"),
    )
    .await;
    assert_eq!(attempt.class, AttemptClass::Succeeded, "{attempt:?}");
    let got = got.unwrap();
    assert_eq!(got.method, "POST");
    assert_eq!(
        got.path,
        format!("/2010-04-01/Accounts/{SID}/Messages.json")
    );
    let basic = STANDARD.encode(format!("{SID}:{TOKEN}"));
    assert_eq!(
        got.header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert_eq!(
        got.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let body = "maartenba pushed NuGet package GoogleAnalyticsTracker.Simple 1.0.0-CI00002 from feed sample-feed to Other Feed\nhttps://www.myget.org/feed/sample-feed/package/GoogleAnalyticsTracker.Simple/1.0.0-CI00002";
    let want: Vec<(String, String)> = [
        ("To", "+442079460958"),
        ("From", "+14155550100"),
        ("Body", body),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(form(&got), want);
    assert!(
        attempt
            .request
            .headers
            .contains(&("Authorization".into(), "Basic [redacted]".into()))
    );
    assert_no_secret(&attempt, &[TOKEN, &basic]);
}

#[tokio::test]
async fn twilio_errors_carry_its_code_and_message() {
    let ev = example!("ping");
    let error = |status: u16, code: u32, message: &str| {
        answer(status, &json!({"code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status}).to_string())
    };
    #[rustfmt::skip]
    let cases = [
        (error(401, 20003, "Authenticate"), AttemptClass::Permanent, "error 20003: Authenticate (check the Account SID and auth token). See https://www.twilio.com/docs/errors/20003"),
        (error(400, 21211, "The 'To' number +1555 is not a valid phone number."), AttemptClass::Permanent, "error 21211: The 'To' number +1555 is not a valid phone number. (check the To number)"),
        (error(400, 21614, "'To' number is not a valid mobile number"), AttemptClass::Permanent, "21614"),
        (error(400, 21617, "The concatenated message body exceeds the 1600 character limit."), AttemptClass::Permanent, "1600 character limit"),
        (error(429, 20429, "Too Many Requests"), AttemptClass::Retryable, "error 20429: Too Many Requests"),
        (error(400, 20429, "Too Many Requests"), AttemptClass::Retryable, "20429"),
        (error(503, 20503, "Service unavailable"), AttemptClass::Retryable, "Service unavailable"),
    ];
    for (reply, class, words) in cases {
        let (a, _) = exchange(HookKind::Twilio, twilio, reply, &ev).await;
        assert_failed(&a, class, words);
        assert!(
            a.error
                .as_ref()
                .unwrap()
                .message
                .starts_with("Twilio answered")
        );
        assert_no_secret(&a, &[TOKEN]);
    }
}

#[test]
fn twilio_text_fits_an_sms() {
    let HookConfig::Twilio(t) = HookConfig::from_input(HookKind::Twilio, &twilio_input(), None)
        .unwrap()
        .config
    else {
        panic!()
    };
    let envelope = json!({"PayloadType": "PackageAddedWebHookEventPayloadV1", "Username": "u".repeat(190),
        "Payload": {"PackageType": "x".repeat(190), "PackageIdentifier": "p".repeat(190), "PackageVersion": "v".repeat(190),
        "FeedIdentifier": "f".repeat(190), "PackageDetailsUrl": format!("https://example.com/{}", "d".repeat(150))}});
    let text = t.text(&Event::from_value(&envelope).out()).unwrap();
    assert!(text.chars().count() <= 1600);
    assert!(text.ends_with(&"d".repeat(150)), "the link is kept whole");
}

fn twilio_input() -> Value {
    json!({"account_sid": SID, "auth_token": TOKEN, "from": "+14155550100", "to": "+14155550101"})
}

const CONSUMER_SECRET: &str = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
const TOKEN_SECRET: &str = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";

fn x_input(api_base: &str) -> Value {
    json!({"consumer_key": "xvz1evFS4wEEPTGEFPHBog", "consumer_secret": CONSUMER_SECRET,
        "token": "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", "token_secret": TOKEN_SECRET, "api_base": api_base})
}

fn x_config(api_base: &str) -> XConfig {
    match HookConfig::from_input(HookKind::X, &x_input(api_base), None)
        .unwrap()
        .config
    {
        HookConfig::X(t) => t,
        _ => unreachable!(),
    }
}

/// The `oauth_*` parameters of an `Authorization: OAuth ...` value, decoded.
fn oauth_params(header: &str) -> Vec<(String, String)> {
    header
        .strip_prefix("OAuth ")
        .unwrap()
        .split(", ")
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            let v = v.trim_matches('"');
            (
                k.to_owned(),
                url::form_urlencoded::parse(format!("x={}", v.replace('+', "%2B")).as_bytes())
                    .next()
                    .unwrap()
                    .1
                    .into_owned(),
            )
        })
        .collect()
}

#[test]
fn twitter_header_matches_the_x_docs_vector() {
    let t = x_config("https://api.x.com");
    let header = t.authorization(
        &t.endpoint(),
        "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
        1318622958,
    );
    let params = oauth_params(&header);
    let signature = params.iter().find(|(k, _)| k == "oauth_signature").unwrap();
    assert_eq!(signature.1, "lr+tV/DKclEvXKVjG6tgaSSLV0k=");
}

#[tokio::test]
async fn twitter_posts_a_signed_tweet() {
    let ev = example!("build.finished");
    let (attempt, got) = exchange(
        HookKind::X,
        |f| x_input(&f.url("")),
        answer(201, r#"{"data":{"id":"1","text":"x"}}"#),
        &ev,
    )
    .await;
    assert_eq!(attempt.class, AttemptClass::Succeeded, "{attempt:?}");
    let got = got.unwrap();
    assert_eq!(
        (got.method.as_str(), got.path.as_str()),
        ("POST", "/2/tweets")
    );
    assert_eq!(got.header("content-type"), Some("application/json"));
    let text = "Build SampleBuild (master) succeeded in feed sample-feed https://www.myget.org/BuildSource/List/sample-feed#d510be3d-7803-43cc-8d15-e327ba999ba7";
    assert_eq!(got.json(), json!({"text": text}));
    // The header verifies: signing again with its nonce and timestamp gives the same value.
    let header = got.header("authorization").unwrap();
    let params = oauth_params(header);
    let get = |name: &str| params.iter().find(|(k, _)| k == name).unwrap().1.clone();
    let t = x_config(&format!(
        "http://127.0.0.1:{}",
        got.header("host").unwrap().rsplit(':').next().unwrap()
    ));
    let again = t.authorization(
        &t.endpoint(),
        &get("oauth_nonce"),
        get("oauth_timestamp").parse().unwrap(),
    );
    assert_eq!(again, header);
    assert_eq!(get("oauth_consumer_key"), "xvz1evFS4wEEPTGEFPHBog");
    assert!(
        attempt
            .request
            .headers
            .contains(&("Authorization".into(), "OAuth [redacted]".into()))
    );
    assert_no_secret(
        &attempt,
        &[CONSUMER_SECRET, TOKEN_SECRET, &get("oauth_signature")],
    );
}

#[tokio::test]
async fn twitter_errors() {
    let ev = example!("package.added");
    let api = |f: &Fake| x_input(&f.url(""));
    let duplicate = json!({"detail": "You are not allowed to create a Tweet with duplicate content.", "type": "about:blank", "title": "Forbidden", "status": 403});
    let (a, _) = exchange(HookKind::X, api, answer(403, &duplicate.to_string()), &ev).await;
    assert_failed(
        &a,
        AttemptClass::Permanent,
        "X answered 403 Forbidden: You are not allowed to create a Tweet with duplicate content.",
    );
    let unauthorized = json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"});
    let (a, _) = exchange(
        HookKind::X,
        api,
        answer(401, &unauthorized.to_string()),
        &ev,
    )
    .await;
    assert_failed(
        &a,
        AttemptClass::Permanent,
        "Unauthorized (check the consumer key",
    );
    let reset = time::OffsetDateTime::now_utc().unix_timestamp() + 600;
    let limited = Reply::Answer(429, vec![("x-rate-limit-reset", reset.to_string()), ("x-rate-limit-remaining", "0".into())], r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#.into());
    let (a, _) = exchange(HookKind::X, api, limited, &ev).await;
    assert_failed(&a, AttemptClass::Retryable, "Too Many Requests");
    let wait = a.retry_after.unwrap();
    assert!(
        wait > Duration::from_secs(590) && wait <= Duration::from_secs(600),
        "{wait:?}"
    );
    assert_no_secret(&a, &[CONSUMER_SECRET, TOKEN_SECRET]);
}

#[test]
fn tweets_fit_in_280_weighted_characters() {
    assert_eq!(weighted_length("hello world"), 11);
    assert_eq!(
        weighted_length("see https://example.com/a/very/long/path/indeed/yes"),
        4 + 23
    );
    assert_eq!(weighted_length("漢字"), 4);
    assert_eq!(
        weighted_length("System.IO"),
        23,
        "a dotted word may be taken for a domain"
    );
    let t = x_config("https://api.x.com");
    for name in ["x".repeat(190), "漢".repeat(190), "a.b ".repeat(60)] {
        let envelope = json!({"PayloadType": "PackageAddedWebHookEventPayloadV1", "Username": name,
            "Payload": {"PackageType": "NuGet", "PackageIdentifier": name, "PackageVersion": "1.0", "FeedIdentifier": "f",
            "PackageDetailsUrl": "https://example.com/details"}});
        let text = t.text(&Event::from_value(&envelope).out()).unwrap();
        assert!(weighted_length(&text) <= MAX_WEIGHT, "{text}");
        assert!(
            weighted_length(&text) > MAX_WEIGHT - 30,
            "cut too much: {text}"
        );
        assert!(text.ends_with("… https://example.com/details"), "{text}");
    }
}
