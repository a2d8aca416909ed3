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
use crate::primitives::{DeliveryStatus, ErrorKind};
use crate::web::auth::PageFeed;
use crate::web::csrf::CsrfForm;
use crate::web::state::AppState;

pub struct ResponseView {
    /// "SMTP" for a mail server's reply (250 is not an HTTP status), else "HTTP".
    pub protocol: &'static str,
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
    /// Set when the body is not printed again: "the event below", "as in attempt 1".
    pub body_same_as: Option<String>,
    pub response: Option<ResponseView>,
    /// (kind, message, what the kind usually means)
    pub error: Option<(&'static str, String, &'static str)>,
    /// A later attempt succeeded: this one's error is history, not the state of things.
    pub error_overcome: bool,
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
    /// The event's own page: its other deliveries, and the hooks that filtered it out.
    event_link: String,
    attempts: Vec<AttemptView>,
    /// A digest's page: the deliveries it carried.
    carried: Vec<i64>,
    carried_more: bool,
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
    let protocol = if method == "SMTP" { "SMTP" } else { "HTTP" };
    let response = a
        .response
        .as_deref()
        .and_then(|r| serde_json::from_str::<Value>(r).ok())
        .map(|r| {
            let body = text(&r, "body");
            let size = r.get("body_size").and_then(Value::as_u64).unwrap_or(0);
            ResponseView {
                protocol,
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
        body_same_as: None,
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
        error_overcome: false,
    }
}

/// Prints each distinct body once: a body that is the event (shown under Event) or the same
/// as an earlier attempt's says so instead; errors before a success are marked overcome.
fn dedupe(mut attempts: Vec<AttemptView>, envelope: &str, succeeded: bool) -> Vec<AttemptView> {
    let mut shown: Vec<(i64, String)> = vec![];
    for a in &mut attempts {
        if a.body == envelope {
            a.body_same_as = Some("the event, shown below".into());
        } else if let Some((n, _)) = shown.iter().find(|(_, b)| *b == a.body) {
            a.body_same_as = Some(format!("the same as attempt {n}'s"));
        } else {
            shown.push((a.number, a.body.clone()));
        }
        if a.body_same_as.is_some() {
            a.body.clear();
        }
    }
    if succeeded {
        for a in &mut attempts {
            a.error_overcome = a.error.is_some();
        }
    }
    attempts
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
    let envelope = pretty(&envelope);
    let attempts = dedupe(
        attempts.iter().map(attempt_view).collect(),
        &envelope,
        d.status == DeliveryStatus::Succeeded,
    );
    let event_link = super::events::event_link(&access.feed.identifier, &d.event_identifier);
    let carried = if d.event_type == "digest" {
        deliveries::carried(&state.db, &access, d.id).await?
    } else {
        vec![]
    };
    let page = DeliveryPage {
        carried_more: carried.len() as i64 == deliveries::CARRIED_SHOWN,
        carried,
        chrome: Chrome::new(&req, Some(user)),
        event_link,
        feed: access.feed,
        hook: HookView::new(&hook),
        delivery: DeliveryView::new(&d),
        envelope,
        attempts,
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

    fn row(number: i64, method: &str, body: &str, status: u16, error: bool) -> AttemptRow {
        AttemptRow {
            number,
            started_at: 0,
            duration_ms: 1,
            request: serde_json::json!({"method": method, "url": "x", "headers": {}, "body": body})
                .to_string(),
            response: Some(
                serde_json::json!({"status": status, "headers": {}, "body": ""}).to_string(),
            ),
            error_kind: error.then_some(ErrorKind::Http),
            error_message: error.then(|| "503".into()),
        }
    }

    #[test]
    fn a_mail_servers_reply_is_not_called_http() {
        let a = attempt_view(&row(1, "SMTP", "text", 250, false));
        assert_eq!(a.response.unwrap().protocol, "SMTP");
        let a = attempt_view(&row(1, "POST", "{}", 200, false));
        assert_eq!(a.response.unwrap().protocol, "HTTP");
    }

    #[test]
    fn each_body_is_printed_once_and_errors_before_a_success_are_overcome() {
        let envelope = pretty(r#"{"a":1}"#);
        let rows = [
            row(1, "POST", r#"{"a":1}"#, 503, true),
            row(2, "POST", "changed", 503, true),
            row(3, "POST", "changed", 200, false),
        ];
        let views = dedupe(rows.iter().map(attempt_view).collect(), &envelope, true);
        assert_eq!(
            views[0].body_same_as.as_deref(),
            Some("the event, shown below")
        );
        assert!(views[0].body.is_empty());
        assert_eq!(views[1].body, "changed");
        assert_eq!(views[1].body_same_as, None, "a body that differs is shown");
        assert_eq!(
            views[2].body_same_as.as_deref(),
            Some("the same as attempt 2's")
        );
        assert!(views[0].error_overcome && views[1].error_overcome);
        let failed = dedupe(vec![attempt_view(&rows[0])], &envelope, false);
        assert!(
            !failed[0].error_overcome,
            "no later success: the error stands"
        );
    }
}
