//! Inbound sources: the other systems' own webhooks (GitHub, GitLab, npm hooks, Verdaccio,
//! scripts), checked against the source's secrets and turned into the spec's envelopes.
//!
//! Everything here but [`service`] is pure: a request's headers and body in, a [`Translation`]
//! out. The web layer reads the request; [`service`] checks it against the source, passes the
//! envelopes to the same ingest path as the API and writes the request log. Identifiers are derived from the upstream's own ids (see [`envelope::identifier`]), so
//! a redelivery by the other system is the same event and is stored once.
mod auth;
mod envelope;
mod error;
mod generic;
mod github;
mod gitlab;
mod kind;
mod npm_hook;
mod request;
pub mod service;
mod verdaccio;

#[cfg(test)]
mod test_support;

use serde_json::Value;

pub use auth::{authenticate, sign_hex};
pub use error::InboundError;
pub use kind::{
    AuthScheme, InboundKind, KINDS, KindDefinition, Mapping, SECRET_PLACEHOLDER, Step,
    VERDACCIO_NOTIFY,
};
pub use request::{Headers, InboundRequest, MAX_BODY_BYTES, REDACTED, is_json_content_type};

/// The source a request was sent to, as far as the mapping needs it.
#[derive(Debug, Clone, Copy)]
pub struct SourceRef<'a> {
    pub id: i64,
    pub name: &'a str,
}

/// What a well-authenticated request becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Translation {
    /// Envelopes in the spec's shape, for the ingest path (which validates and fills them).
    Events(Vec<Value>),
    /// A connection test (GitHub's `ping`): answered 200 and listed, no event.
    Ping(String),
    /// An event or action the kind does not map: answered 202 `{"events": 0}` and listed as
    /// ignored with this reason, so the owner sees why nothing happened.
    Ignored(String),
}

/// A request that passed its kind's authentication.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// Which of the valid secrets signed it (0 = current, 1 = the previous one).
    pub secret_index: usize,
    pub translation: Translation,
}

/// Authenticates `request` against `secrets` (current first), checks that the body is JSON
/// and translates it. Authentication comes first so that an unauthenticated caller learns
/// nothing about what the body would have become.
pub fn receive(
    kind: InboundKind,
    request: InboundRequest<'_>,
    secrets: &[&str],
    source: SourceRef<'_>,
) -> Result<Received, InboundError> {
    let secret_index = authenticate(kind.auth(), request.headers, request.body, secrets)?;
    let content_type = request.headers.get("Content-Type");
    if !is_json_content_type(content_type) {
        return Err(InboundError::UnsupportedContentType(
            content_type.unwrap_or("no Content-Type").to_owned(),
        ));
    }
    let translation = translate(kind, request, source)?;
    Ok(Received {
        secret_index,
        translation,
    })
}

/// The mapping alone, for a request already authenticated.
pub fn translate(
    kind: InboundKind,
    request: InboundRequest<'_>,
    source: SourceRef<'_>,
) -> Result<Translation, InboundError> {
    let body = parse_body(request.body)?;
    match kind {
        InboundKind::Github => github::translate(request.headers, &body, source),
        InboundKind::Gitlab => gitlab::translate(request.headers, &body, source),
        InboundKind::NpmHook => npm_hook::translate(&body, source),
        InboundKind::Verdaccio => verdaccio::translate(&body, source),
        InboundKind::Generic => generic::translate(body),
    }
}

fn parse_body(body: &[u8]) -> Result<Value, InboundError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| InboundError::malformed(format!("the body is not valid JSON ({e})")))?;
    if !value.is_object() {
        return Err(InboundError::malformed("the body must be a JSON object"));
    }
    Ok(value)
}
