//! Receiving an inbound source's webhook: authenticate it with the source's valid secrets,
//! translate it, and store its events through the one ingest path, with a line in the source's
//! request log, all in one transaction. It sits with the sources, over the domain, as the poller
//! does: sources call the domain (ingest, the source service) and the store, never the reverse.
use serde_json::json;

use super::{Headers, InboundError, InboundKind, InboundRequest, SourceRef, Translation};
use crate::db::Db;
use crate::db::events::Stored;
use crate::db::feeds::find_feed_by_id;
use crate::db::inbound_requests::{
    InboundRequestRow, NewInboundRequest, commit_inbound, list_inbound_requests,
};
use crate::db::sources::source_by_id;
use crate::domain::DomainError;
use crate::domain::access::FeedAccess;
use crate::domain::hook_filter;
use crate::domain::ingest::{Origin, prepare_envelope};
use crate::domain::secret_box::SecretBox;
use crate::domain::source_config::{InboundConfig, SourceConfig};
use crate::domain::sources::{Source, get_source, load};
use crate::domain::time::now_ms;
use crate::domain::wake::Wake;
use crate::primitives::FieldError;

/// How much of a body the request log keeps.
pub const LOGGED_BODY_BYTES: usize = 64 * 1024;

/// What a request became, as the log and the answer name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Made at least one new event.
    Accepted,
    /// Every event it became was already stored: a redelivery.
    Repeated,
    /// A connection test (GitHub's ping).
    Ping,
    /// Well-signed, but nothing the kind maps.
    Ignored,
    /// The source is disabled: nothing is made.
    Disabled,
    /// Not JSON by its Content-Type.
    Unsupported,
    /// A body the kind can not read.
    Malformed,
    /// An envelope that fails validation (generic kind).
    Invalid,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Repeated => "repeated",
            Outcome::Ping => "ping",
            Outcome::Ignored => "ignored",
            Outcome::Disabled => "disabled",
            Outcome::Unsupported => "unsupported",
            Outcome::Malformed => "malformed",
            Outcome::Invalid => "invalid",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        use Outcome::*;
        [
            Accepted,
            Repeated,
            Ping,
            Ignored,
            Disabled,
            Unsupported,
            Malformed,
            Invalid,
        ]
        .into_iter()
        .find(|o| o.code() == code)
    }

    /// In words, for the source page.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Repeated => "already received",
            Outcome::Ping => "ping",
            Outcome::Ignored => "ignored",
            Outcome::Disabled => "source disabled",
            Outcome::Unsupported => "refused: not JSON",
            Outcome::Malformed => "refused: unreadable",
            Outcome::Invalid => "refused: invalid envelope",
        }
    }
}

/// The answer to a request that passed authentication and was stored or ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub outcome: Outcome,
    /// New events stored.
    pub events: i64,
}

/// Why a request was refused. Only `Unauthorized` and `NotFound` leave no trace in the log.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("no such inbound source")]
    NotFound,
    #[error("{0}")]
    Unauthorized(InboundError),
    #[error("{0}")]
    Unsupported(InboundError),
    #[error("{0}")]
    Malformed(InboundError),
    #[error("invalid envelope")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<crate::db::DbError> for Refusal {
    fn from(e: crate::db::DbError) -> Self {
        Refusal::Domain(e.into())
    }
}

/// What the caller hands over: the stores, and the public URL for the feed's `FeedUrl`.
pub struct Receiver<'a> {
    pub db: &'a Db,
    pub secrets: &'a SecretBox,
    pub wake: &'a Wake,
    pub base_url: &'a str,
}

/// Receives one request for source `source_id`.
pub async fn receive(
    r: Receiver<'_>,
    source_id: i64,
    headers: Headers,
    body: Vec<u8>,
) -> Result<Reply, Refusal> {
    let found =
        r.db.run(move |c| {
            let Some(row) = source_by_id(c, source_id)? else {
                return Ok(None);
            };
            let feed = find_feed_by_id(c, row.feed_id)?;
            Ok::<_, crate::db::DbError>(feed.map(|f| (row, f)))
        })
        .await?;
    let Some((row, feed)) = found else {
        return Err(Refusal::NotFound);
    };
    let source = load(row, r.secrets)?;
    let (kind, config) = match &source.config {
        SourceConfig::Inbound(k, c) => (k, c),
        _ => return Err(Refusal::NotFound),
    };
    let kind = InboundKind::from_name(kind.as_str()).ok_or(Refusal::NotFound)?;
    let now = now_ms();
    let valid = valid_secrets(config, now);
    let request = InboundRequest {
        headers: &headers,
        body: &body,
    };
    let sref = SourceRef {
        id: source.id,
        name: &source.name,
    };
    let mut log = LogLine::new(source.id, now, &headers, &body);
    let received = match super::receive(kind, request, &valid, sref) {
        Ok(received) => received,
        Err(e) if e.is_unauthorized() => return Err(Refusal::Unauthorized(e)),
        Err(e) => {
            let (outcome, refusal) = match &e {
                InboundError::UnsupportedContentType(_) => {
                    (Outcome::Unsupported, Refusal::Unsupported(e.clone()))
                }
                _ => (Outcome::Malformed, Refusal::Malformed(e.clone())),
            };
            log.finish(outcome, Some(e.to_string()));
            store(r.db, log, vec![], Some(e.to_string())).await?;
            return Err(refusal);
        }
    };
    log.row.previous_secret = received.secret_index > 0;
    if !source.enabled {
        log.finish(
            Outcome::Disabled,
            Some("the source is disabled: nothing was made".into()),
        );
        store(r.db, log, vec![], None).await?;
        return Ok(Reply {
            outcome: Outcome::Disabled,
            events: 0,
        });
    }
    let envelopes = match received.translation {
        Translation::Ping(reason) => {
            log.finish(Outcome::Ping, Some(reason));
            store(r.db, log, vec![], None).await?;
            return Ok(Reply {
                outcome: Outcome::Ping,
                events: 0,
            });
        }
        Translation::Ignored(reason) => {
            log.finish(Outcome::Ignored, Some(reason));
            store(r.db, log, vec![], None).await?;
            return Ok(Reply {
                outcome: Outcome::Ignored,
                events: 0,
            });
        }
        Translation::Events(envelopes) => envelopes,
    };
    let feed_url = format!(
        "{}/feeds/{}",
        r.base_url.trim_end_matches('/'),
        feed.identifier
    );
    let origin = Origin {
        feed: &feed,
        feed_url: &feed_url,
        username: &source.name,
        source_id: Some(source.id),
    };
    let mut events = Vec::with_capacity(envelopes.len());
    for envelope in envelopes {
        match prepare_envelope(envelope, &origin) {
            Ok(e) => events.push(e),
            Err(DomainError::Invalid(errors)) => {
                let detail = errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                log.finish(Outcome::Invalid, Some(detail.clone()));
                store(r.db, log, vec![], Some(detail)).await?;
                return Err(Refusal::Invalid(errors));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let identifiers: Vec<&str> = events.iter().map(|e| e.identifier.as_str()).collect();
    log.row.identifiers = json!(identifiers).to_string();
    let stored = store(r.db, log, events, None).await?;
    let created = stored
        .iter()
        .filter(|s| matches!(s, Stored::Created { .. }))
        .count() as i64;
    if stored
        .iter()
        .any(|s| matches!(s, Stored::Created { deliveries, .. } if *deliveries > 0))
    {
        r.wake.ring();
    }
    Ok(Reply {
        outcome: if created > 0 {
            Outcome::Accepted
        } else {
            Outcome::Repeated
        },
        events: created,
    })
}

/// A source's request log, newest first (the source must be one of the caller's feed).
pub async fn requests(
    db: &Db,
    sb: &SecretBox,
    access: &FeedAccess,
    source_id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<InboundRequestRow>, DomainError> {
    let source = get_source(db, sb, access, source_id).await?;
    source_requests(db, &source, before, limit).await
}

/// The request log of a source the caller already holds (the source page).
pub async fn source_requests(
    db: &Db,
    source: &Source,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<InboundRequestRow>, DomainError> {
    let id = source.id;
    Ok(db
        .run(move |c| list_inbound_requests(c, id, before, limit))
        .await?)
}

/// The secrets a request may be signed with at `now`: the current one, and the one before the
/// last rotation until its grace period ends.
pub fn valid_secrets(config: &InboundConfig, now: i64) -> Vec<&str> {
    let mut valid = vec![config.secret.expose()];
    if let Some((previous, until)) = &config.previous
        && *until > now
    {
        valid.push(previous.expose());
    }
    valid
}

/// The request log line being built for one request.
struct LogLine {
    row: NewInboundRequest,
}

impl LogLine {
    fn new(source_id: i64, now: i64, headers: &Headers, body: &[u8]) -> Self {
        let headers: Vec<(String, String)> = headers.redacted();
        LogLine {
            row: NewInboundRequest {
                source_id,
                received_at: now,
                headers: json!(headers).to_string(),
                body: capped(body),
                body_size: body.len() as i64,
                outcome: Outcome::Accepted.code(),
                repeat_outcome: Outcome::Repeated.code(),
                detail: None,
                identifiers: String::from("[]"),
                previous_secret: false,
            },
        }
    }

    fn finish(&mut self, outcome: Outcome, detail: Option<String>) {
        self.row.outcome = outcome.code();
        self.row.detail = detail;
    }
}

/// The first [`LOGGED_BODY_BYTES`] of a body as text (lossy: a character cut in two, or bytes
/// that are not UTF-8, show as U+FFFD).
fn capped(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(LOGGED_BODY_BYTES)]);
    let mut text = text.into_owned();
    if body.len() > LOGGED_BODY_BYTES {
        text.push_str("\n[... cut]");
    }
    text
}

/// Commits the events (if any), the source's state and the log line in one transaction.
async fn store(
    db: &Db,
    log: LogLine,
    events: Vec<crate::db::events::NewEvent>,
    error: Option<String>,
) -> Result<Vec<Stored>, Refusal> {
    let row = log.row;
    let stored = db
        .write(move |c| commit_inbound(c, &row, &events, error.as_deref(), hook_filter::judge))
        .await?;
    stored.ok_or(Refusal::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::hook_config::Secret;

    #[test]
    fn the_previous_secret_works_until_its_grace_period_ends() {
        let config = InboundConfig {
            secret: Secret::new("new"),
            previous: Some((Secret::new("old"), 1_000)),
        };
        assert_eq!(valid_secrets(&config, 999), ["new", "old"]);
        assert_eq!(valid_secrets(&config, 1_000), ["new"]);
    }

    #[test]
    fn the_log_keeps_the_start_of_a_long_body_and_says_it_was_cut() {
        let body = "é".repeat(LOGGED_BODY_BYTES);
        let kept = capped(body.as_bytes());
        assert!(kept.len() <= LOGGED_BODY_BYTES + 20 && kept.ends_with("[... cut]"));
        assert_eq!(capped(b"{}"), "{}");
    }

    #[test]
    fn outcome_codes_round_trip() {
        for o in [
            Outcome::Accepted,
            Outcome::Repeated,
            Outcome::Ping,
            Outcome::Ignored,
            Outcome::Disabled,
            Outcome::Unsupported,
            Outcome::Malformed,
            Outcome::Invalid,
        ] {
            assert_eq!(Outcome::parse(o.code()), Some(o));
        }
    }
}
