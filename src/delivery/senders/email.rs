//! `email` hooks: one message over SMTP (lettre), to every recipient at once.
//!
//! The SMTP host is checked against `--allow-hosts` like HTTP targets: it is resolved here,
//! only allowed addresses are connected to, and TLS still verifies the configured host name.
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{Map, Value};

use super::errors::{io_kind, is_tls};
use super::format::{clean, html_escape};
use super::http_client::NotSent;
use super::preview::{EmailPreview, Wire};
use super::wording::templated;
use super::{OutgoingEvent, SendContext, Sender, USER_AGENT};
use crate::delivery::attempt::{Attempt, AttemptError, RequestLog, ResponseLog};
use crate::delivery::resolver::BlockedAddress;
use crate::delivery::retry::AttemptClass;
use crate::domain::hook_config::wording::TemplatePart;
use crate::domain::hook_config::{BodyFormat, EmailConfig, TlsMode};
use crate::events::render;
use crate::primitives::ErrorKind;

/// Longest subject line; mail clients show far less.
const MAX_SUBJECT: usize = 200;

/// What a failed send becomes in the attempt.
struct Failure {
    kind: ErrorKind,
    class: AttemptClass,
    message: String,
    reply: Option<ResponseLog>,
}

impl Failure {
    fn new(kind: ErrorKind, class: AttemptClass, message: String) -> Self {
        Failure {
            kind,
            class,
            message,
            reply: None,
        }
    }
}

/// A message ready for SMTP, with what the log and the preview show of it.
pub struct Mail {
    request: RequestLog,
    message: Message,
    parts: EmailPreview,
}

impl From<Mail> for Wire {
    fn from(m: Mail) -> Wire {
        Wire::Email(m.parts)
    }
}

/// The headers of `message` as they go out, unfolded.
fn wire_headers(message: &Message) -> Map<String, Value> {
    let block = message
        .headers()
        .to_string()
        .replace("\r\n ", " ")
        .replace("\r\n\t", " ");
    block
        .split("\r\n")
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_owned(), value.into()))
        .collect()
}

impl EmailConfig {
    /// The subject, the plain and HTML parts as sent, and the message itself. The owner's
    /// templates word the subject and parts; the built-in wording fills what they leave.
    fn message(
        &self,
        ev: &OutgoingEvent<'_>,
    ) -> Result<(String, Option<String>, Option<String>, Message), String> {
        let rendered = render(ev.parsed);
        let summary = templated(ev, TemplatePart::Subject, None)?.unwrap_or(rendered.summary);
        let subject = clean(&summary, MAX_SUBJECT);
        let text = templated(ev, TemplatePart::Text, None)?.unwrap_or(rendered.text);
        let fragment =
            templated(ev, TemplatePart::Html, Some(html_escape))?.unwrap_or(rendered.html);
        let from: Mailbox = self
            .from
            .parse()
            .map_err(|e| format!("the From address {:?} is invalid: {e}", self.from))?;
        // RFC 5322 asks for a Message-ID (spam filters score its absence); under the sender's
        // domain rather than this machine's host name, which is nobody's business.
        let message_id = format!("<{}@{}>", uuid::Uuid::new_v4(), from.email.domain());
        let mut builder = Message::builder()
            .from(from)
            .subject(subject.clone())
            .message_id(Some(message_id))
            // Set by lettre for multipart bodies only; a text/plain with a charset needs it too
            // (RFC 2045).
            .header(lettre::message::header::MIME_VERSION_1_0)
            .user_agent(USER_AGENT.into());
        for to in &self.to {
            let mailbox: Mailbox = to
                .parse()
                .map_err(|e| format!("the To address {to:?} is invalid: {e}"))?;
            builder = builder.to(mailbox);
        }
        // Lets mail filters and receivers tie the message to the event, as http hooks do.
        if ev.identifier.bytes().all(|b| b.is_ascii_graphic())
            && let Ok(name) = HeaderName::new_from_ascii("X-MyGet-EventIdentifier".into())
        {
            builder = builder.raw_header(HeaderValue::new(name, ev.identifier.to_owned()));
        }
        let (text, html, built) = match self.body {
            BodyFormat::Json => {
                let json = serde_json::to_string_pretty(ev.parsed)
                    .unwrap_or_else(|_| ev.envelope.to_owned());
                let built = builder.header(ContentType::TEXT_PLAIN).body(json.clone());
                (Some(json), None, built)
            }
            BodyFormat::Text => {
                let built = builder.header(ContentType::TEXT_PLAIN).body(text.clone());
                (Some(text), None, built)
            }
            BodyFormat::Html => {
                let html = format!(
                    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n{}</body></html>\n",
                    html_escape(&subject),
                    fragment
                );
                let built = builder.multipart(MultiPart::alternative_plain_html(
                    text.clone(),
                    html.clone(),
                ));
                (Some(text), Some(html), built)
            }
        };
        let message = built.map_err(|e| format!("the message could not be built: {e}"))?;
        Ok((subject, text, html, message))
    }

    fn transport(
        &self,
        ctx: &SendContext,
        addr: SocketAddr,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let tls_parameters = || {
            // The name checked in the server's certificate is the configured host, not the
            // address connected to.
            let mut builder = TlsParameters::builder(
                self.host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned(),
            );
            for pem in &ctx.extra_roots {
                let cert = Certificate::from_pem(pem)
                    .map_err(|e| format!("a test root certificate is unusable: {e}"))?;
                builder = builder.add_root_certificate(cert);
            }
            builder
                .build_rustls()
                .map_err(|e| format!("TLS could not be set up: {e}"))
        };
        let tls = match self.tls {
            TlsMode::None => Tls::None,
            TlsMode::Starttls => Tls::Required(tls_parameters()?),
            TlsMode::Tls => Tls::Wrapper(tls_parameters()?),
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
                .port(addr.port())
                .tls(tls)
                .timeout(Some(ctx.timeout));
        if let (Some(user), Some(password)) = (&self.username, &self.password) {
            builder =
                builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
        }
        Ok(builder.build())
    }

    fn url(&self) -> String {
        let scheme = if self.tls == TlsMode::Tls {
            "smtps"
        } else {
            "smtp"
        };
        let host = match self.host.parse::<std::net::Ipv6Addr>() {
            Ok(_) => format!("[{}]", self.host),
            Err(_) => self.host.clone(),
        };
        format!("{scheme}://{host}:{}", self.port)
    }
}

impl Sender for EmailConfig {
    type Wire = Mail;

    fn prepare(&self, ev: &OutgoingEvent<'_>) -> Result<Mail, NotSent> {
        let mut request = RequestLog {
            url: self.url(),
            method: "SMTP".into(),
            ..RequestLog::default()
        };
        let (subject, text, html, message) = self
            .message(ev)
            .map_err(|e| NotSent::new(request.clone(), e))?;
        request.headers = vec![
            ("From".into(), self.from.clone()),
            ("To".into(), self.to.join(", ")),
            ("Subject".into(), subject.clone()),
        ];
        if self.tls == TlsMode::Starttls {
            request
                .headers
                .push(("TLS".into(), "STARTTLS (required)".into()));
        }
        let logged = html.as_ref().or(text.as_ref()).cloned().unwrap_or_default();
        request.body = super::http_client::log_body(logged.as_bytes());
        let parts = EmailPreview {
            from: self.from.clone(),
            to: self.to.clone(),
            subject,
            headers: wire_headers(&message),
            text,
            html,
        };
        Ok(Mail {
            request,
            message,
            parts,
        })
    }

    async fn send(&self, ctx: &SendContext, ev: &OutgoingEvent<'_>) -> Attempt {
        let redactor = self.redactor();
        let Mail {
            request, message, ..
        } = match self.prepare(ev) {
            Ok(mail) => mail,
            Err(not_sent) => return redactor.attempt(not_sent.attempt()),
        };
        let started = Instant::now();
        let result = deliver(self, ctx, &message).await;
        let (response, error, class) = match result {
            Ok(reply) => (Some(reply), None, AttemptClass::Succeeded),
            Err(f) => (
                f.reply,
                Some(AttemptError {
                    kind: f.kind,
                    message: f.message,
                }),
                f.class,
            ),
        };
        redactor.attempt(Attempt {
            request,
            response,
            error,
            class,
            retry_after: None,
            duration: started.elapsed(),
        })
    }
}

/// Resolves, then tries each allowed address until one takes the connection.
async fn deliver(
    config: &EmailConfig,
    ctx: &SendContext,
    message: &Message,
) -> Result<ResponseLog, Failure> {
    let addrs = resolve(ctx, &config.host, config.port).await?;
    let mut last = None;
    for addr in addrs {
        let at = addr.to_string();
        let transport = config
            .transport(ctx, addr)
            .map_err(|e| Failure::new(ErrorKind::Config, AttemptClass::Permanent, e))?;
        match tokio::time::timeout(ctx.timeout, transport.send(message.clone())).await {
            Ok(Ok(reply)) => {
                let text: Vec<&str> = reply.message().collect();
                let body = text.join("\n");
                return Ok(ResponseLog {
                    status: code_of(&reply.code()),
                    headers: Vec::new(),
                    body_size: body.len() as u64,
                    body,
                });
            }
            Ok(Err(e)) => {
                // Refused before a word was said: nothing was sent, so the next address is safe.
                let refused = io_kind(&e) == Some(std::io::ErrorKind::ConnectionRefused);
                let failure = describe(&e, &at, ctx);
                if !refused {
                    return Err(failure);
                }
                last = Some(failure);
            }
            Err(_) => {
                let limit = humantime::format_duration(ctx.timeout);
                return Err(Failure::new(
                    ErrorKind::Timeout,
                    AttemptClass::Retryable,
                    format!("no answer from {at} within {limit}"),
                ));
            }
        }
    }
    Err(last.unwrap_or_else(|| {
        Failure::new(
            ErrorKind::Dns,
            AttemptClass::Retryable,
            format!("{} resolves to no addresses", config.host),
        )
    }))
}

/// The host's addresses that `--allow-hosts` allows.
async fn resolve(ctx: &SendContext, host: &str, port: u16) -> Result<Vec<SocketAddr>, Failure> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let found: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => {
            match tokio::time::timeout(ctx.timeout, tokio::net::lookup_host((bare, port))).await {
                Ok(Ok(addrs)) => addrs.collect(),
                Ok(Err(e)) => {
                    return Err(Failure::new(
                        ErrorKind::Dns,
                        AttemptClass::Retryable,
                        format!("could not resolve {host}: {e}"),
                    ));
                }
                Err(_) => {
                    return Err(Failure::new(
                        ErrorKind::Timeout,
                        AttemptClass::Retryable,
                        format!(
                            "resolving {host} took longer than {}",
                            humantime::format_duration(ctx.timeout)
                        ),
                    ));
                }
            }
        }
    };
    let (allowed, blocked): (Vec<SocketAddr>, Vec<SocketAddr>) = found
        .into_iter()
        .partition(|a| ctx.allow.allows(bare, a.ip()));
    if allowed.is_empty() && !blocked.is_empty() {
        let mut addresses: Vec<IpAddr> = blocked.iter().map(SocketAddr::ip).collect();
        addresses.sort_unstable();
        addresses.dedup();
        let b = BlockedAddress {
            host: host.to_owned(),
            addresses,
            allowed: ctx.allow.to_string(),
        };
        return Err(Failure::new(
            ErrorKind::Blocked,
            AttemptClass::Permanent,
            b.to_string(),
        ));
    }
    Ok(allowed)
}

fn code_of(code: &lettre::transport::smtp::response::Code) -> u16 {
    code.to_string().parse().unwrap_or(0)
}

/// An SMTP failure in words: the server's own reply when it refused (4xx transient, retried;
/// 5xx permanent, authentication failures included), the network or TLS trouble otherwise.
fn describe(e: &lettre::transport::smtp::Error, at: &str, ctx: &SendContext) -> Failure {
    use std::error::Error as _;
    let cause = e
        .source()
        .map(ToString::to_string)
        .unwrap_or_else(|| e.to_string());
    if let Some(code) = e.status() {
        return refused(e, code_of(&code), at, cause);
    }
    let retry = |kind, message| Failure::new(kind, AttemptClass::Retryable, message);
    if e.is_timeout() {
        return retry(
            ErrorKind::Timeout,
            format!(
                "no answer from {at} within {}",
                humantime::format_duration(ctx.timeout)
            ),
        );
    }
    if is_tls(e) {
        return retry(ErrorKind::Tls, format!("TLS with {at} failed: {cause}"));
    }
    if e.is_client() && cause.contains("STARTTLS") {
        let message = format!(
            "the SMTP server at {at} does not offer STARTTLS, which this hook requires; choose tls \"tls\" if it takes TLS on connect, or \"none\" for a trusted relay"
        );
        return Failure::new(ErrorKind::Tls, AttemptClass::Permanent, message);
    }
    if e.is_client() && cause.contains("authentication mechanism") {
        let message = format!(
            "the SMTP server at {at} offers no login this client supports (PLAIN or LOGIN) on this connection"
        );
        return Failure::new(ErrorKind::Smtp, AttemptClass::Permanent, message);
    }
    if e.is_client() {
        return Failure::new(
            ErrorKind::Smtp,
            AttemptClass::Permanent,
            format!("SMTP with {at} failed: {cause}"),
        );
    }
    match io_kind(e) {
        Some(std::io::ErrorKind::ConnectionRefused) => retry(
            ErrorKind::Connect,
            format!("connection refused by {at}: {cause}"),
        ),
        Some(_) => retry(
            ErrorKind::Connect,
            format!("the connection to {at} failed: {cause}"),
        ),
        None if e.is_response() => retry(
            ErrorKind::Smtp,
            format!("the SMTP server at {at} answered something unreadable: {cause}"),
        ),
        None => retry(
            ErrorKind::Connect,
            format!("SMTP with {at} failed: {cause}"),
        ),
    }
}

/// The server answered with a refusal: its reply is logged as the attempt's answer.
fn refused(e: &lettre::transport::smtp::Error, status: u16, at: &str, cause: String) -> Failure {
    let reply = ResponseLog {
        status,
        headers: Vec::new(),
        body_size: cause.len() as u64,
        body: cause.clone(),
    };
    let what = match status {
        530 | 534 | 535 | 538 => "refused the login (check the username and password)",
        _ => "refused the message",
    };
    let (class, when) = if e.is_transient() {
        (AttemptClass::Retryable, " for now")
    } else {
        (AttemptClass::Permanent, "")
    };
    let mut f = Failure::new(
        ErrorKind::Smtp,
        class,
        format!("the SMTP server at {at} {what}{when}: {status} {cause}"),
    );
    f.reply = Some(reply);
    f
}
