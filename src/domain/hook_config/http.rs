//! Settings of `http` hooks: the raw envelope POSTed to a URL, optionally signed.
use serde_json::{Map, Value};

use super::fields::{Control, Control::*, Field, field};
use super::input::{Input, check_web_url, is_header_name, is_header_value, reserved_header};
use super::{KindConfig, Secret};
use crate::events::{EventType, template};
use crate::primitives::webhook_secret;

/// Most extra headers per hook; more would be a misuse, and each is logged with every attempt.
pub const MAX_HEADERS: usize = 50;
/// Longest extra header value, well under what servers accept in a header line.
pub const MAX_HEADER_VALUE: usize = 4000;

#[derive(Debug, Clone, PartialEq)]
pub struct HttpConfig {
    pub url: String,
    /// `whsec_...`: signs deliveries with Standard Webhooks.
    pub secret: Option<Secret>,
    /// Extra headers, in the order given; never one of the wire format's own.
    pub headers: Vec<(String, String)>,
    /// Whether the receiver's TLS certificate is checked (true unless turned off).
    pub verify_tls: bool,
}

/// Whether an extra header probably carries a credential (`Authorization`, `X-Api-Key`,
/// `X-Auth-Token`, ...): its value is redacted in attempt logs like a secret.
pub fn is_sensitive_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "auth",
        "token",
        "secret",
        "key",
        "password",
        "passwd",
        "cookie",
        "session",
        "signature",
        "credential",
    ]
    .iter()
    .any(|word| lower.contains(word))
}

impl HttpConfig {
    /// Like [`KindConfig::parse`], also handling `"secret": "generate"` (a new secret, returned
    /// to show once) and `"secret": "remove"`.
    pub(super) fn parse_with_generation(
        input: &mut Input<'_>,
        previous: Option<&Self>,
    ) -> Option<(Self, Option<String>)> {
        let url = input.url("url", true);
        let mut generated = None;
        let secret = match input.raw("secret").and_then(Value::as_str).map(str::trim) {
            Some("generate") => {
                let s = webhook_secret::generate_secret();
                generated = Some(s.clone());
                Some(Secret::new(s))
            }
            Some("remove") => None,
            _ => {
                let secret =
                    input.secret("secret", previous.and_then(|p| p.secret.as_ref()), false);
                match secret
                    .as_ref()
                    .map(|s| webhook_secret::parse_secret(s.expose()))
                {
                    Some(Err(e)) => {
                        input.error(
                            "secret",
                            format!("{e}; or send \"generate\" to have one made"),
                        );
                        None
                    }
                    _ => secret,
                }
            }
        };
        let headers = parse_headers(input);
        let verify_tls = input.flag("verify_tls", true);
        let config = HttpConfig {
            url: url?,
            secret,
            headers,
            verify_tls,
        };
        Some((config, generated))
    }
}

fn parse_headers(input: &mut Input<'_>) -> Vec<(String, String)> {
    let map = match input.raw("headers") {
        None => return Vec::new(),
        Some(Value::Object(map)) => map,
        Some(_) => {
            input.error(
                "headers",
                "must be an object of header names to values, e.g. {\"X-Team\": \"ops\"}",
            );
            return Vec::new();
        }
    };
    if map.len() > MAX_HEADERS {
        input.error(
            "headers",
            format!("at most {MAX_HEADERS} headers are allowed"),
        );
        return Vec::new();
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in map {
        let field = format!("headers.{name}");
        let name = name.trim();
        if !is_header_name(name) {
            input.error(
                &field,
                "is not a valid header name (letters, digits and -_.!#$%&'*+^`|~ only)",
            );
            continue;
        }
        if reserved_header(name) {
            input.error(
                &field,
                "can not be set: Content-Type, User-Agent, X-MyGet-EventIdentifier, webhook-*, Host and Content-Length belong to the delivery format",
            );
            continue;
        }
        if headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            input.error(&field, "is given twice (header names ignore case)");
            continue;
        }
        let Some(value) = value.as_str().map(str::trim) else {
            input.error(&field, "must be a string");
            continue;
        };
        if !is_header_value(value) {
            input.error(
                &field,
                "must be printable ASCII on one line (no line breaks)",
            );
        } else if value.len() > MAX_HEADER_VALUE {
            input.error(
                &field,
                format!("must be at most {MAX_HEADER_VALUE} characters"),
            );
        } else if let Err(e) = template::is_template(value)
            .then(|| template::check(value, EventType::Ping))
            .transpose()
        {
            input.error(&field, format!("the template fails: {e}"));
        } else {
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    headers
}

impl KindConfig for HttpConfig {
    fn parse(input: &mut Input<'_>, previous: Option<&Self>) -> Option<Self> {
        Self::parse_with_generation(input, previous).map(|(c, _)| c)
    }

    fn public_fields(&self) -> Map<String, Value> {
        let headers: Map<String, Value> = self
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), Value::from(v.as_str())))
            .collect();
        let mut m = Map::new();
        m.insert("url".into(), self.url.clone().into());
        m.insert("headers".into(), Value::Object(headers));
        m.insert("verify_tls".into(), self.verify_tls.into());
        m
    }

    fn secret_fields(&self) -> Vec<(&'static str, &Secret)> {
        self.secret.iter().map(|s| ("secret", s)).collect()
    }

    /// Credentials in extra headers and the URL's query: shown in the settings (they are not
    /// secrets of the API contract), but kept out of attempt logs, where a receiver might
    /// echo them.
    fn derived_secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, value) in &self.headers {
            if is_sensitive_header(name) {
                out.push(value.clone());
                if let Some((_, credential)) = value.rsplit_once(' ') {
                    out.push(credential.to_owned());
                }
            }
        }
        if let Ok(url) = check_web_url(&self.url) {
            for (name, value) in url.query_pairs() {
                if is_sensitive_header(&name) && !value.is_empty() {
                    out.push(value.into_owned());
                }
            }
        }
        out
    }
}

/// The form's fields of `http` hooks, named as the parser above reads them.
pub const FIELDS: &[Field] = &[
    field(
        "url",
        "URL",
        Url,
        true,
        "https://ci.example.com/hooks/myget",
        "Each event's envelope is POSTed here as JSON.",
    ),
    field(
        "secret",
        "Signing secret",
        Control::Secret,
        false,
        "whsec_…",
        "Signs each request with Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature), so the receiver can check it came from here. A whsec_ value, or tick “generate” below.",
    ),
    field(
        "headers",
        "Extra headers",
        Headers,
        false,
        "X-Team: ops\nAuthorization: Bearer …",
        "One “Name: value” per line, sent with every request. A value may be a template of the event ({{ Payload.PackageIdentifier }}); the body is always the spec’s envelope. Values of credential-like headers are kept out of the delivery log.",
    ),
    field(
        "verify_tls",
        "Check the receiver's TLS certificate",
        Checkbox { default: true },
        false,
        "",
        "Turn off only for a receiver with a self-signed certificate on a network you trust.",
    ),
];
