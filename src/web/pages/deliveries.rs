//! One delivery: its event, every attempt as sent and answered, a redeliver button, and a
//! `curl` command that repeats the request, for the owner chasing why a receiver said no.
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::Value;

use super::views::{DeliveryView, HookView};
use super::{Chrome, PageError, display_time, redirect, render};
use crate::db::attempts::AttemptRow;
use crate::db::feeds::FeedRow;
use crate::domain::deliveries;
use crate::primitives::ErrorKind;
use crate::web::auth::PageFeed;
use crate::web::csrf::CsrfForm;
use crate::web::state::AppState;

pub struct ResponseView {
    pub status: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Set when the log kept only the start of a larger body.
    pub truncated: Option<String>,
}

pub struct AttemptView {
    pub number: i64,
    pub started: String,
    pub duration_ms: i64,
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub response: Option<ResponseView>,
    /// (kind, message, what the kind usually means)
    pub error: Option<(&'static str, String, &'static str)>,
    pub curl: Option<String>,
}

#[derive(Template)]
#[template(path = "delivery.html")]
struct DeliveryPage {
    chrome: Chrome,
    feed: FeedRow,
    hook: HookView,
    delivery: DeliveryView,
    envelope: String,
    attempts: Vec<AttemptView>,
}

/// JSON pretty-printed (it reads better and wraps); anything else as it is.
fn pretty(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(v @ (Value::Object(_) | Value::Array(_))) => {
            serde_json::to_string_pretty(&v).unwrap_or_else(|_| body.to_owned())
        }
        _ => body.to_owned(),
    }
}

fn headers_of(v: &Value) -> Vec<(String, String)> {
    v.get("headers")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Quotes a word for POSIX shells: inside single quotes nothing is special but the quote.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The request again as a `curl` command; only for HTTP requests. Headers curl sets itself
/// are left out. Secrets redacted in the log stay redacted: the owner fills them in.
pub fn curl(method: &str, url: &str, headers: &[(String, String)], body: &str) -> Option<String> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return None;
    }
    let mut lines = vec![format!(
        "curl -X {} {}",
        shell_quote(method),
        shell_quote(url)
    )];
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if ["host", "content-length", "connection", "accept-encoding"].contains(&lower.as_str()) {
            continue;
        }
        lines.push(format!("  -H {}", shell_quote(&format!("{name}: {value}"))));
    }
    if !body.is_empty() {
        lines.push(format!("  --data-binary {}", shell_quote(body)));
    }
    Some(lines.join(" \\\n"))
}

/// What each failure kind usually means, and where to look.
fn error_hint(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Timeout => {
            "The receiver did not answer in time. Is it slow, or busy doing the work before answering?"
        }
        ErrorKind::Connect => {
            "The connection was refused or dropped. Is the receiver running, and reachable from this server?"
        }
        ErrorKind::Dns => "The host name did not resolve from this server.",
        ErrorKind::Tls => {
            "The TLS handshake or the certificate check failed. A self-signed certificate needs “Check the receiver's TLS certificate” turned off."
        }
        ErrorKind::Blocked => {
            "This server may not send to that address (see --allow-hosts): private and loopback addresses are refused by default."
        }
        ErrorKind::Http => "The receiver answered with an error status; its answer is below.",
        ErrorKind::Smtp => "The mail server refused or failed; its answer is in the message.",
        ErrorKind::Config => "The hook's settings cannot work; fix them on the settings page.",
    }
}

fn attempt_view(a: &AttemptRow) -> AttemptView {
    let request: Value = serde_json::from_str(&a.request).unwrap_or(Value::Null);
    let (method, url, headers) = (
        text(&request, "method"),
        text(&request, "url"),
        headers_of(&request),
    );
    let raw_body = text(&request, "body");
    let response = a
        .response
        .as_deref()
        .and_then(|r| serde_json::from_str::<Value>(r).ok())
        .map(|r| {
            let body = text(&r, "body");
            let size = r.get("body_size").and_then(Value::as_u64).unwrap_or(0);
            ResponseView {
                status: r.get("status").map(Value::to_string).unwrap_or_default(),
                headers: headers_of(&r),
                truncated: (size > body.len() as u64)
                    .then(|| format!("The first {} of {size} bytes are kept.", body.len())),
                body: pretty(&body),
            }
        });
    AttemptView {
        number: a.number,
        started: display_time(a.started_at),
        duration_ms: a.duration_ms,
        curl: curl(&method, &url, &headers, &raw_body),
        body: pretty(&raw_body),
        method,
        url,
        headers,
        response,
        error: a.error_kind.map(|k| {
            (
                k.as_str(),
                a.error_message.clone().unwrap_or_default(),
                error_hint(k),
            )
        }),
    }
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, PageError> {
    let (d, envelope, attempts) = deliveries::get(&state.db, &access, path.1).await?;
    let hook =
        crate::domain::hooks::get_hook(&state.db, &state.secrets, &access, d.hook_id).await?;
    let page = DeliveryPage {
        chrome: Chrome::new(&req, Some(user)),
        feed: access.feed,
        hook: HookView::new(&hook),
        delivery: DeliveryView::new(&d),
        envelope: pretty(&envelope),
        attempts: attempts.iter().map(attempt_view).collect(),
    };
    Ok(render(&req, &page))
}

pub async fn redeliver(
    state: web::Data<AppState>,
    PageFeed { user: _, access }: PageFeed,
    path: web::Path<(String, i64)>,
    _: CsrfForm<super::session::EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let (feed, id) = path.into_inner();
    let new = deliveries::redeliver(&state.db, &state.wake, &access, id).await?;
    Ok(redirect(
        &format!("/feeds/{feed}/deliveries/{new}"),
        "ok",
        format!("Redelivery of #{id} queued as delivery #{new}."),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_survive_the_shell() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        let c = curl(
            "POST",
            "http://r.example/h?a=1&b=2",
            &[
                ("Content-Type".into(), "application/json".into()),
                ("Content-Length".into(), "9".into()),
                ("Authorization".into(), "Bearer [redacted]".into()),
            ],
            r#"{"a":"it's"}"#,
        )
        .unwrap();
        assert!(c.starts_with("curl -X 'POST' 'http://r.example/h?a=1&b=2' \\\n"));
        assert!(c.contains("-H 'Authorization: Bearer [redacted]'"));
        assert!(!c.contains("Content-Length"));
        assert!(c.ends_with(r#"--data-binary '{"a":"it'\''s"}'"#));
        assert!(curl("SMTP", "smtp://mail:587", &[], "x").is_none());
    }
}
