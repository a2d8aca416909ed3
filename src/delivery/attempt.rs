//! What one delivery attempt sent and got back: the record the attempt log stores and shows.
use std::time::Duration;

use serde::Serialize;

use super::retry::AttemptClass;
use crate::primitives::ErrorKind;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttemptError {
    pub kind: ErrorKind,
    pub message: String,
}

/// The request as sent, with secrets already redacted (URL, headers and body).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RequestLog {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// The answer as received; `body` is capped at [`MAX_LOGGED_BODY`] bytes, `body_size` is the
/// full size read (reading stops at [`MAX_READ_BODY`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResponseLog {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub body_size: u64,
}

/// Bytes of a response body kept in the log.
pub const MAX_LOGGED_BODY: usize = 64 * 1024;
/// Bytes of a response body read at most; the rest is never read, the connection dropped.
pub const MAX_READ_BODY: u64 = 1024 * 1024;

/// One finished attempt, whatever its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub request: RequestLog,
    pub response: Option<ResponseLog>,
    pub error: Option<AttemptError>,
    /// Succeeded, retry later, fail now, or fail and disable the hook (HTTP 410).
    pub class: AttemptClass,
    /// A wait the receiver asked for (Retry-After, X's rate-limit reset), before clamping.
    pub retry_after: Option<Duration>,
    pub duration: Duration,
}

impl Attempt {
    /// An attempt that never left: bad settings, a blocked address.
    pub fn not_sent(
        request: RequestLog,
        kind: ErrorKind,
        message: impl Into<String>,
        class: AttemptClass,
    ) -> Self {
        Attempt {
            request,
            response: None,
            error: Some(AttemptError {
                kind,
                message: message.into(),
            }),
            class,
            retry_after: None,
            duration: Duration::ZERO,
        }
    }
}
