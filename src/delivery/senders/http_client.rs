//! The guarded HTTP POST every HTTP-based sender uses.
//!
//! Guarded: names resolve through [`GuardedResolver`] (only `--allow-hosts` addresses are
//! connected to), IP-literal hosts are checked before sending, no proxy is used (it would be
//! the only thing resolved), and redirects are never followed (each hop would need the same
//! checks, and a hook's URL should be the final one). The answer is read in chunks up to
//! [`MAX_READ_BODY`] and the rest dropped, so a receiver sending a gigabyte costs no memory.
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::redirect::Policy;
use time::OffsetDateTime;

use super::errors::causes;
pub use super::errors::describe;
use super::redact::{REDACTED, Redactor, opaque_url};
use super::verdict::{Verdict, finish};
use super::{SendContext, USER_AGENT};
use crate::delivery::allow::AllowList;
use crate::delivery::attempt::{
    Attempt, AttemptError, MAX_LOGGED_BODY, MAX_READ_BODY, RequestLog, ResponseLog,
};
use crate::delivery::resolver::{GuardedResolver, check_url};
use crate::delivery::retry::{AttemptClass, parse_retry_after};
use crate::primitives::ErrorKind;

/// Longest wait for a TCP (and TLS) connection, within the whole-attempt timeout: a receiver
/// that takes longer to accept is down, and the rest of the budget is for its answer.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Builds a guarded client (see the module documentation).
pub fn build_client(
    allow: &Arc<AllowList>,
    timeout: Duration,
    verify_tls: bool,
    extra_roots: &[Vec<u8>],
) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver::new(Arc::clone(allow))))
        .redirect(Policy::none())
        .connect_timeout(timeout.min(MAX_CONNECT_TIMEOUT))
        .timeout(timeout)
        .danger_accept_invalid_certs(!verify_tls);
    for pem in extra_roots {
        let cert = reqwest::Certificate::from_pem(pem)
            .map_err(|e| format!("a test root certificate is not PEM: {e}"))?;
        builder = builder.add_root_certificate(cert);
    }
    builder.build().map_err(|e| e.to_string())
}

/// One POST to make.
pub struct Post {
    pub url: url::Url,
    /// The URL as logged (`scheme://host/[redacted]` when the URL is itself a secret).
    pub logged_url: String,
    /// Sent in this order after `Content-Type`.
    pub headers: Vec<(String, String)>,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// `http` hooks with `verify_tls: false` use the client without certificate checks.
    pub insecure: bool,
}

impl Post {
    /// The headers this POST sets, in the order they are sent: `Content-Type`, then the rest.
    pub fn wire_headers(&self) -> Vec<(String, String)> {
        let mut all = vec![("Content-Type".to_owned(), self.content_type.to_owned())];
        all.extend(self.headers.iter().cloned());
        all
    }
}

/// What came back, before a sender judges it.
#[derive(Debug)]
pub struct Received {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The first [`MAX_LOGGED_BODY`] bytes.
    pub body: Vec<u8>,
    /// Bytes read, at most [`MAX_READ_BODY`].
    pub body_size: u64,
    /// Why the log shows less than the whole answer, if it does.
    pub note: Option<String>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The answer as words for a one-line message: an HTML page (many frameworks' error pages)
    /// reads as its text, not its markup.
    pub fn readable_text(&self) -> String {
        let text = self.text();
        let html = self
            .header("content-type")
            .is_some_and(|t| t.to_ascii_lowercase().contains("html"))
            || text.trim_start().starts_with('<');
        if html { html_words(&text) } else { text }
    }

    /// The `Retry-After` wait, if the receiver asked for one.
    pub fn retry_after(&self) -> Option<Duration> {
        parse_retry_after(self.header("retry-after")?, OffsetDateTime::now_utc())
    }

    /// "404 Not Found"
    pub fn status_line(&self) -> String {
        let reason = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        format!("{} {reason}", self.status).trim_end().to_owned()
    }

    pub(super) fn log(&self) -> ResponseLog {
        let mut body = self.text();
        if let Some(note) = &self.note {
            body.push_str(&format!("\n[{note}]"));
        }
        ResponseLog {
            status: self.status,
            headers: self.headers.clone(),
            body,
            body_size: self.body_size,
        }
    }
}

/// A finished exchange: the request as sent (not yet redacted) and the answer, or why none came.
pub struct Exchange {
    pub request: RequestLog,
    pub answer: Result<Received, AttemptError>,
    pub duration: Duration,
}

/// The text of an HTML document: tags dropped (with what `<script>`, `<style>` and `<head>`
/// hold), the common entities decoded. Good enough for a message, not a renderer.
fn html_words(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let tag = &rest[open..];
        let Some(close) = tag.find('>') else { break };
        let name: String = tag[1..close]
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        rest = &tag[close + 1..];
        if !tag[1..].starts_with('/')
            && matches!(name.as_str(), "script" | "style" | "head" | "title")
        {
            let end = format!("</{name}");
            match rest.to_ascii_lowercase().find(&end) {
                Some(at) => rest = &rest[at..],
                None => rest = "",
            }
        }
        out.push(' ');
    }
    if !rest.contains('<') {
        out.push_str(rest);
    }
    for (entity, ch) in [
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&nbsp;", " "),
        ("&amp;", "&"),
    ] {
        out = out.replace(entity, ch);
    }
    out
}

/// Sends `post` and reads the answer (see the module documentation).
pub async fn post(ctx: &SendContext, post: Post) -> Exchange {
    let request = RequestLog {
        url: post.logged_url.clone(),
        method: "POST".into(),
        headers: post.wire_headers(),
        body: log_body(&post.body),
    };
    if let Err(blocked) = check_url(&ctx.allow, &post.url) {
        let error = AttemptError {
            kind: ErrorKind::Blocked,
            message: blocked.to_string(),
        };
        return Exchange {
            request,
            answer: Err(error),
            duration: Duration::ZERO,
        };
    }
    let started = Instant::now();
    let client = if post.insecure {
        &ctx.insecure_client
    } else {
        &ctx.client
    };
    let mut builder = client
        .post(post.url.clone())
        .timeout(ctx.timeout)
        .header(reqwest::header::CONTENT_TYPE, post.content_type);
    for (name, value) in &post.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let answer = match builder.body(post.body).send().await {
        Ok(response) => Ok(read(response).await),
        Err(e) => Err(describe(
            &e,
            &post.url,
            ctx.timeout.min(MAX_CONNECT_TIMEOUT),
            ctx.timeout,
        )),
    };
    Exchange {
        request,
        answer,
        duration: started.elapsed(),
    }
}

/// A request body as logged: lossy UTF-8, capped like answers are.
pub fn log_body(body: &[u8]) -> String {
    let shown = &body[..body.len().min(MAX_LOGGED_BODY)];
    let mut text = String::from_utf8_lossy(shown).into_owned();
    if body.len() > MAX_LOGGED_BODY {
        text.push_str(&format!(
            "\n[showing {MAX_LOGGED_BODY} of {} bytes]",
            body.len()
        ));
    }
    text
}

async fn read(mut response: reqwest::Response) -> Received {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    let mut size: u64 = 0;
    let mut note = None;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_LOGGED_BODY.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                size = size.saturating_add(chunk.len() as u64);
                if size >= MAX_READ_BODY {
                    size = MAX_READ_BODY;
                    note = Some(format!(
                        "reading stopped after {MAX_READ_BODY} bytes; showing the first {}",
                        body.len()
                    ));
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                // The status is what the receiver decided; a broken body does not change it.
                note = Some(format!(
                    "reading the body failed after {size} bytes: {}",
                    causes(&e)
                ));
                break;
            }
        }
    }
    if note.is_none() && size > body.len() as u64 {
        note = Some(format!("showing the first {} of {size} bytes", body.len()));
    }
    Received {
        status,
        headers,
        body,
        body_size: size,
        note,
    }
}

/// An attempt that could not be made because a setting is unusable (caught at save time
/// normally; this covers rows written by older versions).
pub fn config_error(request: RequestLog, message: impl Into<String>) -> Attempt {
    Attempt::not_sent(request, ErrorKind::Config, message, AttemptClass::Permanent)
}

/// A request that cannot be built: a setting or the owner's template is unusable. Becomes
/// the attempt that failed for it (error kind `config`), or the preview's error.
#[derive(Debug)]
pub struct NotSent {
    /// What the log shows of the request that was not made.
    pub request: RequestLog,
    pub reason: String,
}

impl NotSent {
    pub fn new(request: RequestLog, reason: impl Into<String>) -> Self {
        NotSent {
            request,
            reason: reason.into(),
        }
    }

    pub fn attempt(self) -> Attempt {
        config_error(self.request, self.reason)
    }
}

/// A POST that cannot be built because the owner's template fails: logged with the method
/// alone and the reason.
pub fn unprepared(reason: String) -> NotSent {
    let request = RequestLog {
        method: "POST".into(),
        ..RequestLog::default()
    };
    NotSent::new(request, reason)
}

/// A POST to a service's API (HipChat, Slack, Teams, Twilio, X).
pub struct ServiceCall<'a> {
    /// What the address is, for a configuration error: "the Slack webhook URL".
    pub what: &'static str,
    pub address: &'a str,
    /// Slack and Teams webhook URLs are secrets as a whole: logged as `scheme://host/[redacted]`.
    pub secret_url: bool,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// The POST to a service: parses the address (a bad one is a configuration error) and sets
/// the User-Agent and the headers `headers` makes for the parsed URL (X signs it).
pub fn service_post(
    call: ServiceCall<'_>,
    headers: impl FnOnce(&url::Url) -> Vec<(String, String)>,
) -> Result<Post, NotSent> {
    let url = match url::Url::parse(call.address) {
        Ok(url) => url,
        Err(e) => {
            let logged = if call.secret_url {
                REDACTED.to_owned()
            } else {
                call.address.to_owned()
            };
            let request = RequestLog {
                url: logged,
                method: "POST".into(),
                ..RequestLog::default()
            };
            return Err(NotSent::new(
                request,
                format!("{} is not valid: {e}", call.what),
            ));
        }
    };
    let logged_url = if call.secret_url {
        opaque_url(&url)
    } else {
        url.to_string()
    };
    let mut all = vec![("User-Agent".to_owned(), USER_AGENT.to_owned())];
    all.extend(headers(&url));
    Ok(Post {
        logged_url,
        url,
        headers: all,
        content_type: call.content_type,
        body: call.body,
        insecure: false,
    })
}

/// Sends a prepared POST (or reports why there is none) and judges the answer.
pub async fn send_prepared(
    ctx: &SendContext,
    redactor: &Redactor,
    prepared: Result<Post, NotSent>,
    judge: impl FnOnce(&Received) -> Verdict,
) -> Attempt {
    match prepared {
        Ok(p) => finish(post(ctx, p).await, redactor, judge),
        Err(not_sent) => redactor.attempt(not_sent.attempt()),
    }
}
