//! A sender's judgement of an answer: success, worth retrying (and when) or permanent, with
//! the reason in words, and the attempt that records it, redacted.
use std::time::Duration;

use super::http_client::{Exchange, Received};
use super::redact::Redactor;
use crate::delivery::attempt::{Attempt, AttemptError};
use crate::delivery::retry::{AttemptClass, classify_status};
use crate::primitives::ErrorKind;

/// A sender's judgement of an answer.
pub struct Verdict {
    pub class: AttemptClass,
    /// Why it failed, in words (with the service's own message); `None` for success.
    pub message: Option<String>,
    pub retry_after: Option<Duration>,
}

impl Verdict {
    pub fn success() -> Self {
        Verdict {
            class: AttemptClass::Succeeded,
            message: None,
            retry_after: None,
        }
    }

    pub fn failed(class: AttemptClass, message: String) -> Self {
        Verdict {
            class,
            message: Some(message),
            retry_after: None,
        }
    }
}

/// The usual judgement by status: 2xx succeed; 408, 429 and 5xx retry (after `Retry-After`
/// when given); 410 is `Gone` only where `gone_disables` (an `http` hook's receiver says its
/// endpoint is gone for good; services say other things with 410); a redirect is permanent,
/// naming where it pointed; everything else is permanent. `service` names the receiver in
/// messages and `detail` is the service's own explanation.
pub fn judge_status(
    r: &Received,
    service: &str,
    detail: Option<String>,
    gone_disables: bool,
) -> Verdict {
    let mut class = classify_status(r.status);
    if class == AttemptClass::Gone && !gone_disables {
        class = AttemptClass::Permanent;
    }
    if class == AttemptClass::Succeeded {
        return Verdict::success();
    }
    let mut message = format!("{service} answered {}", r.status_line());
    if (300..400).contains(&r.status) {
        let location = r.header("location").unwrap_or("(no Location header)");
        message.push_str(&format!(
            ", redirecting to {location}; redirects are not followed, so set the hook's URL to the final address"
        ));
    } else if let Some(detail) = detail.filter(|d| !d.trim().is_empty()) {
        message.push_str(&format!(": {}", one_line(&detail, 500)));
    }
    Verdict {
        class,
        message: Some(message),
        retry_after: (class == AttemptClass::Retryable)
            .then(|| r.retry_after())
            .flatten(),
    }
}

/// Text squeezed to one line of at most `max` characters, for messages built from answers.
pub fn one_line(s: &str, max: usize) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
}

/// Makes the attempt: redacted, classified by `judge` when an answer came, and by the kind of
/// failure otherwise (blocked destinations and bad settings are permanent; network trouble is
/// worth retrying).
pub fn finish(
    ex: Exchange,
    redactor: &Redactor,
    judge: impl FnOnce(&Received) -> Verdict,
) -> Attempt {
    let attempt = match ex.answer {
        Ok(received) => {
            let verdict = judge(&received);
            Attempt {
                request: ex.request,
                response: Some(received.log()),
                error: verdict.message.map(|message| AttemptError {
                    kind: ErrorKind::Http,
                    message,
                }),
                class: verdict.class,
                retry_after: verdict.retry_after,
                duration: ex.duration,
            }
        }
        Err(error) => {
            let class = match error.kind {
                ErrorKind::Blocked | ErrorKind::Config => AttemptClass::Permanent,
                _ => AttemptClass::Retryable,
            };
            Attempt {
                request: ex.request,
                response: None,
                error: Some(error),
                class,
                retry_after: None,
                duration: ex.duration,
            }
        }
    };
    redactor.attempt(attempt)
}
