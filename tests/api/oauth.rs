//! X hooks sign their posts with OAuth 1.0a; an independent implementation (oauthlib) accepts
//! the signature the receiver got.
use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::helpers::{python, spawn_app, spec_example};
use crate::receiver::{Receiver, Reply};

#[tokio::test]
async fn the_tweet_is_signed_with_oauth_1a_as_oauthlib_computes_it() {
    let app = spawn_app().await;
    let u = app.create_user("olivia", false).await;
    let t = app.token_for(&u).await;
    app.create_feed(&t, "f").await;
    let x = Receiver::start(Reply::Full(
        201,
        vec![("Content-Type", "application/json".into())],
        r#"{"data":{"id":"1","text":"x"}}"#.into(),
    ))
    .await;
    let api_base = x.url.trim_end_matches("/hook").to_owned();
    let (consumer_secret, token_secret) = (
        "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
        "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    );
    let res = app
        .api(Method::POST, "/api/v1/feeds/f/hooks", Some(&t), Some(json!({
            "kind": "twitter", "events": ["package.pushed"],
            "config": {"consumer_key": "xvz1evFS4wEEPTGEFPHBog", "consumer_secret": consumer_secret,
                       "token": "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", "token_secret": token_secret,
                       "api_base": api_base}
        })))
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    app.post_event("f", &t, &spec_example("package.pushed"))
        .await;
    let req = x.wait_for(1, Duration::from_secs(20)).await.remove(0);
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/2/tweets")
    );
    assert_eq!(req.header("content-type"), Some("application/json"));
    let text = req.json()["text"].as_str().unwrap().to_owned();
    assert!(text.contains("GoogleAnalyticsTracker.Simple"), "{text}");
    let auth = req.header("authorization").unwrap().to_owned();
    assert!(auth.starts_with("OAuth ") && auth.contains("oauth_signature_method=\"HMAC-SHA1\""));

    let script = VERIFY;
    let input = json!({"auth": auth, "url": format!("{api_base}/2/tweets"), "consumer_secret": consumer_secret, "token_secret": token_secret});
    let (ok, out) = python(script, &input.to_string());
    assert!(ok && out.contains("verified"), "{out}");
    // The verifier is not a rubber stamp: another secret fails.
    let wrong = json!({"auth": auth, "url": format!("{api_base}/2/tweets"), "consumer_secret": "other", "token_secret": token_secret});
    let (_, out) = python(script, &wrong.to_string());
    assert!(out.contains("bad signature"), "{out}");
}

const VERIFY: &str = r#"import json, sys
from oauthlib.common import Request
from oauthlib.oauth1.rfc5849 import signature
d = json.load(sys.stdin)
req = Request(d['url'], http_method='POST', headers={'Authorization': d['auth']})
every = signature.collect_parameters(headers=req.headers, exclude_oauth_signature=False)
req.params = signature.collect_parameters(headers=req.headers, exclude_oauth_signature=True)
req.signature = dict(every)['oauth_signature']
print('verified' if signature.verify_hmac_sha1(req, d['consumer_secret'], d['token_secret']) else 'bad signature')
"#;
