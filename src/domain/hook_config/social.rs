//! Settings of the hooks that post to a person's or an account's stream: Twilio SMS and X.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use super::fields::{Control, Control::*, Field, field};
use super::input::{Input, normalize_phone};
use super::{KindConfig, Secret};

pub const TWILIO_DEFAULT_API: &str = "https://api.twilio.com";
pub const X_DEFAULT_API: &str = "https://api.x.com";

#[derive(Debug, Clone, PartialEq)]
pub struct TwilioConfig {
    /// `AC` + 32 hex digits.
    pub account_sid: String,
    pub auth_token: Secret,
    /// A Twilio number in E.164 form, or an alphanumeric sender id where Twilio allows one.
    pub from: String,
    /// The phone to text, E.164.
    pub to: String,
    /// Base URL of the API, without trailing slash (a test double in tests).
    pub api_base: String,
}

fn is_account_sid(s: &str) -> bool {
    s.len() == 34 && s.starts_with("AC") && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Twilio's alphanumeric sender ids: 1 to 11 letters, digits and spaces, at least one letter.
fn is_sender_id(s: &str) -> bool {
    (1..=11).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ')
        && s.bytes().any(|b| b.is_ascii_alphabetic())
}

impl KindConfig for TwilioConfig {
    fn parse(input: &mut Input<'_>, previous: Option<&Self>) -> Option<Self> {
        let account_sid = input.text("account_sid", true, 34);
        if account_sid.as_deref().is_some_and(|s| !is_account_sid(s)) {
            input.error(
                "account_sid",
                "must be your Account SID: AC followed by 32 hexadecimal digits",
            );
        }
        let auth_token = input.secret("auth_token", previous.map(|p| &p.auth_token), true);
        let from = input.text("from", true, 40).map(|f| {
            let phone = normalize_phone(&f);
            if phone.is_none() && !is_sender_id(&f) {
                input.error("from", "must be your Twilio number in E.164 form, like +14155550100 (or an alphanumeric sender id of up to 11 characters)");
            }
            phone.unwrap_or(f)
        });
        let to = input.text("to", true, 40).and_then(|t| {
            let phone = normalize_phone(&t);
            if phone.is_none() {
                input.error("to", "must be a phone number in E.164 form: + country code and number, like +14155550100");
            }
            phone
        });
        let api_base = input.base_url("api_base", TWILIO_DEFAULT_API);
        Some(TwilioConfig {
            account_sid: account_sid?,
            auth_token: auth_token?,
            from: from?,
            to: to?,
            api_base,
        })
    }

    fn public_fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("account_sid".into(), self.account_sid.clone().into());
        m.insert("from".into(), self.from.clone().into());
        m.insert("to".into(), self.to.clone().into());
        m.insert("api_base".into(), self.api_base.clone().into());
        m
    }

    fn secret_fields(&self) -> Vec<(&'static str, &Secret)> {
        vec![("auth_token", &self.auth_token)]
    }

    /// The Basic auth value carries the token in base64.
    fn derived_secrets(&self) -> Vec<String> {
        vec![STANDARD.encode(format!("{}:{}", self.account_sid, self.auth_token.expose()))]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct XConfig {
    pub consumer_key: String,
    pub consumer_secret: Secret,
    pub token: String,
    pub token_secret: Secret,
    /// Base URL of the API, without trailing slash (a test double in tests).
    pub api_base: String,
}

fn key_text(input: &mut Input<'_>, name: &'static str) -> Option<String> {
    let value = input.text(name, true, 200)?;
    if value.contains(char::is_whitespace) {
        input.error(
            name,
            "must not contain spaces; copy it again from the developer portal",
        );
        return None;
    }
    Some(value)
}

impl KindConfig for XConfig {
    fn parse(input: &mut Input<'_>, previous: Option<&Self>) -> Option<Self> {
        let consumer_key = key_text(input, "consumer_key");
        let consumer_secret = input.secret(
            "consumer_secret",
            previous.map(|p| &p.consumer_secret),
            true,
        );
        let token = key_text(input, "token");
        let token_secret = input.secret("token_secret", previous.map(|p| &p.token_secret), true);
        let api_base = input.base_url("api_base", X_DEFAULT_API);
        Some(XConfig {
            consumer_key: consumer_key?,
            consumer_secret: consumer_secret?,
            token: token?,
            token_secret: token_secret?,
            api_base,
        })
    }

    fn public_fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("consumer_key".into(), self.consumer_key.clone().into());
        m.insert("token".into(), self.token.clone().into());
        m.insert("api_base".into(), self.api_base.clone().into());
        m
    }

    fn secret_fields(&self) -> Vec<(&'static str, &Secret)> {
        vec![
            ("consumer_secret", &self.consumer_secret),
            ("token_secret", &self.token_secret),
        ]
    }

    /// The signing key and the secrets as percent-encoded in it.
    fn derived_secrets(&self) -> Vec<String> {
        use crate::primitives::percent::percent_encode;
        let (c, t) = (self.consumer_secret.expose(), self.token_secret.expose());
        vec![
            percent_encode(c),
            percent_encode(t),
            format!("{}&{}", percent_encode(c), percent_encode(t)),
        ]
    }
}

/// The form's fields of `twilio` and `x` hooks, named as the parser above reads them.
pub const TWILIO_FIELDS: &[Field] = &[
    field(
        "account_sid",
        "Account SID",
        Text,
        true,
        "AC…",
        "AC followed by 32 hex digits, from the Twilio console.",
    ),
    field(
        "auth_token",
        "Auth token",
        Control::Secret,
        true,
        "",
        "The account's auth token.",
    ),
    field(
        "from",
        "From",
        Text,
        true,
        "+14155550100",
        "Your Twilio number in E.164 form, or an alphanumeric sender id.",
    ),
    field(
        "to",
        "To",
        Text,
        true,
        "+14155550123",
        "The phone to text, in E.164 form.",
    ),
    field(
        "api_base",
        "API address",
        Url,
        false,
        "https://api.twilio.com",
        "Leave blank for Twilio's own.",
    ),
];

pub const X_FIELDS: &[Field] = &[
    field(
        "consumer_key",
        "API key",
        Text,
        true,
        "",
        "The app's consumer key.",
    ),
    field(
        "consumer_secret",
        "API key secret",
        Control::Secret,
        true,
        "",
        "The app's consumer secret.",
    ),
    field(
        "token",
        "Access token",
        Text,
        true,
        "",
        "The access token of the account that posts.",
    ),
    field(
        "token_secret",
        "Access token secret",
        Control::Secret,
        true,
        "",
        "Its secret.",
    ),
    field(
        "api_base",
        "API address",
        Url,
        false,
        "https://api.x.com",
        "Leave blank for X's own.",
    ),
];
