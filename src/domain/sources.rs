//! Sources: validated settings per kind, secrets sealed before they reach the store.
use serde_json::{Map, Value};

use super::DomainError;
use super::access::FeedAccess;
use super::hook_config::Secret;
use super::names::{kind_given, name_given};
use super::secret_box::SecretBox;
use super::source_config::{InboundConfig, Mode, SourceConfig, SourceKind, new_inbound_secret};
use super::time::now_ms;
use super::wake::Wake;
use crate::db::Db;
use crate::db::events::EventRow;
use crate::db::sources::{self, SourceRow, SourceWrite};
use crate::primitives::FieldError;

/// How long the secret before a rotation keeps working: time to update the other system.
pub const ROTATION_GRACE_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Clone)]
pub struct Source {
    pub id: i64,
    pub feed_id: i64,
    pub name: String,
    pub enabled: bool,
    pub config: SourceConfig,
    pub state: SourceState,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What the owner sees of a source's progress.
#[derive(Debug, Clone, Default)]
pub struct SourceState {
    pub cursor: Option<String>,
    pub last_poll_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    /// Polls failed in a row; the poller backs off by it.
    pub failures: i64,
    pub next_poll_at: i64,
    pub events_emitted: i64,
}

impl Source {
    pub fn kind(&self) -> SourceKind {
        self.config.kind()
    }
}

/// What a create or an edit sends; on an edit, what is left out stays as it is.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceInput {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub config: Option<Value>,
}

/// Rebuilds a source from its row, opening its sealed secrets.
pub fn load(row: SourceRow, sb: &SecretBox) -> Result<Source, DomainError> {
    let unexpected = |m: String| DomainError::Unexpected(anyhow::anyhow!("source {}: {m}", row.id));
    let kind = SourceKind::parse(&row.kind)
        .ok_or_else(|| unexpected(format!("unknown kind {}", row.kind)))?;
    let public: Value = serde_json::from_str(&row.config).map_err(|e| unexpected(e.to_string()))?;
    let secrets: Value = match &row.secrets {
        Some(sealed) => {
            let plain = sb.open(sealed).map_err(|e| unexpected(e.to_string()))?;
            serde_json::from_slice(&plain).map_err(|e| unexpected(e.to_string()))?
        }
        None => Value::Object(Map::new()),
    };
    let config = SourceConfig::from_stored(kind, &public, &secrets).map_err(unexpected)?;
    Ok(Source {
        id: row.id,
        feed_id: row.feed_id,
        name: row.name,
        enabled: row.enabled,
        config,
        state: SourceState {
            cursor: row.cursor,
            last_poll_at: row.last_poll_at,
            last_success_at: row.last_success_at,
            last_error: row.last_error,
            failures: row.failures,
            next_poll_at: row.next_poll_at,
            events_emitted: row.events_emitted,
        },
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

struct Validated {
    name: String,
    enabled: bool,
    config: SourceConfig,
}

fn validate(input: &SourceInput, previous: Option<&Source>) -> Result<Validated, DomainError> {
    let mut errors = vec![];
    let kinds = SourceKind::ALL.map(SourceKind::as_str);
    let kind = kind_given(
        input.kind.as_deref(),
        previous.map(Source::kind),
        SourceKind::parse,
        &kinds,
        "source",
        &mut errors,
    );
    let Some(kind) = kind else {
        return Err(DomainError::Invalid(errors));
    };
    let name = name_given(
        input.name.as_deref(),
        previous.map(|p| p.name.as_str()),
        kind.label(),
        &mut errors,
    );
    // An edit merges the given settings over the stored ones; secrets left out are kept.
    let mut merged = previous
        .map(|p| p.config.stored_json())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    match &input.config {
        Some(Value::Object(given)) => merged.extend(given.clone()),
        Some(Value::Null) | None => {}
        Some(_) => errors.push(FieldError::new(
            "config",
            "must be a JSON object of settings",
        )),
    }
    if kind.mode() == Mode::Inbound
        && input
            .config
            .as_ref()
            .is_some_and(|c| c.as_object().is_some_and(|m| !m.is_empty()))
    {
        errors.push(FieldError::new(
            "config",
            "inbound sources have no settings: the server makes their secret",
        ));
    }
    let config =
        match SourceConfig::from_input(kind, &Value::Object(merged), previous.map(|p| &p.config)) {
            Ok(c) => Some(c),
            Err(errs) => {
                errors.extend(errs);
                None
            }
        };
    match config {
        Some(config) if errors.is_empty() => Ok(Validated {
            name,
            enabled: input
                .enabled
                .or(previous.map(|p| p.enabled))
                .unwrap_or(true),
            config,
        }),
        _ => Err(DomainError::Invalid(errors)),
    }
}

struct Sealed {
    config: String,
    secrets: Option<Vec<u8>>,
}

fn seal(config: &SourceConfig, sb: &SecretBox) -> Sealed {
    let secrets = config.secrets_json();
    let has_secrets = secrets.as_object().is_some_and(|m| !m.is_empty());
    Sealed {
        config: config.stored_json().to_string(),
        secrets: has_secrets.then(|| sb.seal(secrets.to_string().as_bytes())),
    }
}

/// The secret of an inbound source, shown once when it is created or rotated.
fn inbound_secret(config: &SourceConfig) -> Option<String> {
    match config {
        SourceConfig::Inbound(_, c) => Some(c.secret.expose().to_owned()),
        _ => None,
    }
}

/// Creates a source; returns it and, for inbound kinds, its secret (shown this once).
pub async fn create_source(
    db: &Db,
    sb: &SecretBox,
    due: &Wake,
    access: &FeedAccess,
    input: &SourceInput,
) -> Result<(Source, Option<String>), DomainError> {
    let v = validate(input, None)?;
    let s = seal(&v.config, sb);
    let feed_id = access.feed.id;
    let kind = v.config.kind().as_str();
    let (name, enabled) = (v.name.clone(), v.enabled);
    let id = db
        .run(move |c| {
            let w = SourceWrite {
                kind,
                name: &name,
                enabled,
                config: &s.config,
                secrets: s.secrets.as_deref(),
            };
            sources::insert_source(c, feed_id, &w, now_ms())
        })
        .await?;
    // A new source is due at once; the poller need not wait for its next look.
    due.ring();
    Ok((
        get_source(db, sb, access, id).await?,
        inbound_secret(&v.config),
    ))
}

/// Edits a source; what the input leaves out stays. A new upstream address starts over from
/// a new baseline (what was seen of the old one says nothing about the new one).
pub async fn update_source(
    db: &Db,
    sb: &SecretBox,
    due: &Wake,
    access: &FeedAccess,
    id: i64,
    input: &SourceInput,
) -> Result<Source, DomainError> {
    let previous = get_source(db, sb, access, id).await?;
    let v = validate(input, Some(&previous))?;
    let reset = v.config.upstream() != previous.config.upstream();
    write(db, sb, access, id, &v.name, v.enabled, &v.config, reset).await?;
    // Enabled, reset or given a shorter interval: it may be due now.
    due.ring();
    get_source(db, sb, access, id).await
}

#[allow(clippy::too_many_arguments)]
async fn write(
    db: &Db,
    sb: &SecretBox,
    access: &FeedAccess,
    id: i64,
    name: &str,
    enabled: bool,
    config: &SourceConfig,
    reset: bool,
) -> Result<(), DomainError> {
    let s = seal(config, sb);
    let feed_id = access.feed.id;
    let kind = config.kind().as_str();
    let name = name.to_owned();
    let found = db
        .run(move |c| {
            let w = SourceWrite {
                kind,
                name: &name,
                enabled,
                config: &s.config,
                secrets: s.secrets.as_deref(),
            };
            sources::update_source(c, feed_id, id, &w, reset, now_ms())
        })
        .await?;
    if found {
        Ok(())
    } else {
        Err(DomainError::NotFound)
    }
}

/// Gives an inbound source a new secret; the old one keeps working for
/// [`ROTATION_GRACE_MS`]. Returns the new secret (shown this once).
pub async fn rotate_secret(
    db: &Db,
    sb: &SecretBox,
    access: &FeedAccess,
    id: i64,
) -> Result<String, DomainError> {
    let source = get_source(db, sb, access, id).await?;
    let SourceConfig::Inbound(kind, old) = &source.config else {
        return Err(DomainError::Conflict(format!(
            "{} sources have no secret of their own to rotate",
            source.kind().label()
        )));
    };
    let secret = new_inbound_secret();
    let config = SourceConfig::Inbound(
        *kind,
        InboundConfig {
            secret: Secret::new(secret.clone()),
            previous: Some((old.secret.clone(), now_ms() + ROTATION_GRACE_MS)),
        },
    );
    write(
        db,
        sb,
        access,
        id,
        &source.name,
        source.enabled,
        &config,
        false,
    )
    .await?;
    Ok(secret)
}

pub async fn get_source(
    db: &Db,
    sb: &SecretBox,
    access: &FeedAccess,
    id: i64,
) -> Result<Source, DomainError> {
    let feed_id = access.feed.id;
    let row = db
        .run(move |c| sources::find_source(c, feed_id, id))
        .await?
        .ok_or(DomainError::NotFound)?;
    load(row, sb)
}

pub async fn list_sources(
    db: &Db,
    sb: &SecretBox,
    access: &FeedAccess,
) -> Result<Vec<Source>, DomainError> {
    let feed_id = access.feed.id;
    let rows = db.run(move |c| sources::list_sources(c, feed_id)).await?;
    rows.into_iter().map(|r| load(r, sb)).collect()
}

pub async fn delete_source(db: &Db, access: &FeedAccess, id: i64) -> Result<(), DomainError> {
    let feed_id = access.feed.id;
    if db
        .run(move |c| sources::delete_source(c, feed_id, id))
        .await?
    {
        Ok(())
    } else {
        Err(DomainError::NotFound)
    }
}

/// The events a source emitted, newest first.
pub async fn source_events(
    db: &Db,
    source: &Source,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<EventRow>, DomainError> {
    let id = source.id;
    Ok(db
        .run(move |c| sources::list_source_events(c, id, before, limit))
        .await?)
}
