//! Why an inbound request was refused. Messages never repeat a secret or a signature: they are
//! answered to the caller and kept in the source's request log.
use super::kind::AuthScheme;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    /// The credential the kind's scheme needs is absent (answered 401, nothing stored).
    #[error("the request has no {}; {}", .0.header_label(), .0.hint())]
    MissingCredential(AuthScheme),
    /// The credential is there but matches none of the source's valid secrets (401).
    #[error("the {} does not match this source's secret; {}", .0.header_label(), .0.hint())]
    BadCredential(AuthScheme),
    /// The body is not JSON by its Content-Type (415).
    #[error("the body must be sent as application/json, not {0}")]
    UnsupportedContentType(String),
    /// The body (or a header the kind needs) can not be read as the kind's webhook (400).
    #[error("malformed request: {0}")]
    Malformed(String),
}

impl InboundError {
    /// True for the errors of authentication, which are answered 401 and leave no trace.
    pub fn is_unauthorized(&self) -> bool {
        matches!(
            self,
            InboundError::MissingCredential(_) | InboundError::BadCredential(_)
        )
    }

    pub(super) fn malformed(message: impl Into<String>) -> Self {
        InboundError::Malformed(message.into())
    }
}
