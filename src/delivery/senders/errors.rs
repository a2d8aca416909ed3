//! Failed requests in words: which kind of failure it was (timeout, connect, dns, tls,
//! blocked, http) and what happened, with the underlying causes but never the URL, which may
//! be a secret.
use std::error::Error as StdError;
use std::time::Duration;

use crate::delivery::attempt::AttemptError;
use crate::delivery::resolver::find_blocked;
use crate::primitives::ErrorKind;

/// The error's causes, without the top-level reqwest message (which repeats the URL, and the
/// URL may be a secret), de-duplicated: hyper and reqwest often say the same thing twice.
pub(super) fn causes(e: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = e.source();
    while let Some(err) = current {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    if parts.is_empty() {
        parts.push(e.to_string());
    }
    parts.join(": ")
}

/// Every error in the chain, also looking inside `std::io::Error`s, which hide their payload
/// from `source()` (and which tokio-rustls nests two deep around a `rustls::Error`).
fn chain<'a>(e: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        out.push(err);
        next = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => err.source(),
        };
    }
    out
}

/// The most telling I/O error kind in the chain: wrappers say `Other`, the cause says what.
pub fn io_kind(e: &(dyn StdError + 'static)) -> Option<std::io::ErrorKind> {
    let kinds: Vec<std::io::ErrorKind> = chain(e)
        .into_iter()
        .filter_map(|err| err.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind)
        .collect();
    let telling = kinds.iter().find(|k| **k != std::io::ErrorKind::Other);
    telling.or(kinds.first()).copied()
}

/// Whether a TLS failure (certificate, handshake) is in the error chain.
pub fn is_tls(e: &(dyn StdError + 'static)) -> bool {
    chain(e).into_iter().any(|err| err.is::<rustls::Error>())
}

/// `host:port` of a URL, for messages.
pub fn endpoint(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Describes a failed request in words, with its kind; `connect_timeout` and `timeout` are the
/// limits the client ran with, for the message of a timeout. Sources describe their upstream's
/// failures with it too.
pub fn describe(
    e: &reqwest::Error,
    url: &url::Url,
    connect_timeout: Duration,
    timeout: Duration,
) -> AttemptError {
    let at = endpoint(url);
    let cause = causes(e);
    let (kind, message) = if let Some(blocked) = find_blocked(e) {
        (ErrorKind::Blocked, blocked.to_string())
    } else if e.is_timeout() && e.is_connect() {
        let limit = humantime::format_duration(connect_timeout);
        (
            ErrorKind::Timeout,
            format!("could not connect to {at} within {limit}"),
        )
    } else if e.is_timeout() {
        let limit = humantime::format_duration(timeout);
        (
            ErrorKind::Timeout,
            format!("no answer from {at} within {limit}"),
        )
    } else if is_tls(e) {
        (ErrorKind::Tls, format!("TLS with {at} failed: {cause}"))
    } else if chain(e)
        .into_iter()
        .any(|err| err.to_string().starts_with("dns error"))
    {
        let host = url.host_str().unwrap_or_default();
        (ErrorKind::Dns, format!("could not resolve {host}: {cause}"))
    } else {
        use std::io::ErrorKind as Io;
        match io_kind(e) {
            Some(Io::ConnectionRefused) => (
                ErrorKind::Connect,
                format!("connection refused by {at}: {cause}"),
            ),
            Some(
                Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe | Io::UnexpectedEof,
            ) => (
                ErrorKind::Connect,
                format!("connection to {at} was closed: {cause}"),
            ),
            // hyper's "connection closed before message completed": accepted, then hung up.
            _ if e.is_connect() || cause.contains("connection closed") => (
                ErrorKind::Connect,
                format!("could not connect to {at}: {cause}"),
            ),
            _ => (
                ErrorKind::Http,
                format!("the answer from {at} was not valid HTTP: {cause}"),
            ),
        }
    };
    AttemptError { kind, message }
}
