//! Hooks: validated settings per kind, secrets sealed before they reach the store.
use serde_json::{Map, Value};

use super::DomainError;
use super::access::FeedAccess;
use super::hook_concurrency::Concurrency;
use super::hook_config::{HookConfig, HookKind};
use super::hook_digest::HookDigest;
use super::hook_filter::HookFilter;
pub use super::hook_input::HookInput;
use super::hook_input::{seal, validate};
use super::hook_templates::HookTemplates;
use super::secret_box::SecretBox;
use super::time::now_ms;
use super::wake::Wake;
use crate::db::Db;
use crate::db::hooks::{self, HookRow, HookWrite};
use crate::events::EventType;
use crate::primitives::FieldError;

#[derive(Debug, Clone)]
pub struct Hook {
    pub id: i64,
    pub feed_id: i64,
    pub name: String,
    pub enabled: bool,
    pub events: Vec<EventType>,
    /// Which events of those types it delivers.
    pub filter: HookFilter,
    /// The owner's wording of its messages, per event.
    pub templates: HookTemplates,
    /// How many attempts at once, and whether one at a time in order.
    pub concurrency: Concurrency,
    /// Events gathered into one message per window, and quiet hours (people channels only).
    pub digest: Option<HookDigest>,
    /// Another hook of the feed told when this one stops or recovers.
    pub alert_hook: Option<i64>,
    kind: HookKind,
    /// The settings with their secrets; broken when the key file cannot open those.
    pub config: Result<HookConfig, Broken>,
    /// The settings without secrets, as stored: what pages and the API show, broken or not.
    pub public: Value,
    pub disabled_reason: Option<String>,
    pub consecutive_failures: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Hook {
    pub fn kind(&self) -> HookKind {
        self.kind
    }

    pub fn broken(&self) -> Option<&Broken> {
        self.config.as_ref().err()
    }
}

/// A hook whose stored secrets this server's key file cannot open (a database restored
/// without its key, say): it sends nothing until an owner enters its secrets again, and no
/// list or other hook suffers for it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "its stored secrets cannot be decrypted with this server's key file; edit the hook and enter them again"
)]
pub struct Broken;

/// Rebuilds a hook from its row, opening its sealed secrets; a hook whose secrets do not open
/// comes back [`Broken`], not as an error.
pub fn load(row: HookRow, sb: &SecretBox) -> Result<Hook, DomainError> {
    let unexpected = |m: String| DomainError::Unexpected(anyhow::anyhow!("hook {}: {m}", row.id));
    let kind = HookKind::parse(&row.kind)
        .ok_or_else(|| unexpected(format!("unknown kind {}", row.kind)))?;
    let public: Value = serde_json::from_str(&row.config).map_err(|e| unexpected(e.to_string()))?;
    let secrets: Result<Value, Broken> = match &row.secrets {
        Some(sealed) => match sb.open(sealed) {
            Ok(plain) => Ok(serde_json::from_slice(&plain).map_err(|e| unexpected(e.to_string()))?),
            Err(_) => Err(Broken),
        },
        None => Ok(Value::Object(Map::new())),
    };
    let config = match secrets {
        Ok(secrets) => Ok(HookConfig::from_stored(kind, &public, &secrets).map_err(unexpected)?),
        Err(broken) => Err(broken),
    };
    let names: Vec<String> =
        serde_json::from_str(&row.events).map_err(|e| unexpected(e.to_string()))?;
    let filter = match &row.filter {
        Some(f) => serde_json::from_str(f).map_err(|e| unexpected(format!("filter: {e}")))?,
        None => HookFilter::default(),
    };
    let templates = match &row.templates {
        Some(t) => {
            let json: Value =
                serde_json::from_str(t).map_err(|e| unexpected(format!("templates: {e}")))?;
            // Checked when saved; a template this version no longer accepts is dropped with
            // a log line rather than making the hook unreadable.
            HookTemplates::from_json(kind, Some(&json)).unwrap_or_else(|errors| {
                tracing::warn!(hook = row.id, errors = ?errors, "stored templates no longer valid; using the built-in wording");
                HookTemplates::default()
            })
        }
        None => HookTemplates::default(),
    };
    let digest = match &row.digest {
        Some(d) => {
            let json: Value =
                serde_json::from_str(d).map_err(|e| unexpected(format!("digest: {e}")))?;
            // As with templates: a setting this version no longer accepts sends events one
            // by one, with a log line, rather than making the hook unreadable.
            HookDigest::from_json(kind, Some(&json)).unwrap_or_else(|errors| {
                tracing::warn!(hook = row.id, errors = ?errors, "stored digest setting no longer valid; sending events one by one");
                None
            })
        }
        None => None,
    };
    Ok(Hook {
        id: row.id,
        feed_id: row.feed_id,
        name: row.name,
        enabled: row.enabled,
        events: names
            .iter()
            .filter_map(|n| EventType::from_name(n))
            .collect(),
        filter,
        templates,
        concurrency: Concurrency {
            max_in_flight: row.max_in_flight,
            ordered: row.ordered,
        },
        digest,
        alert_hook: row.alert_hook,
        kind,
        config,
        public,
        disabled_reason: row.disabled_reason,
        consecutive_failures: row.consecutive_failures,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Creates a hook; returns it and, when one was generated, its signing secret (shown once).
pub async fn create_hook(
    db: &Db,
    sb: &SecretBox,
    access: &FeedAccess,
    input: &HookInput,
) -> Result<(Hook, Option<String>), DomainError> {
    let v = validate(input, None)?;
    check_alert_hook(db, access.feed.id, v.alert_hook).await?;
    let s = seal(&v, sb);
    let feed_id = access.feed.id;
    let alert_hook = v.alert_hook;
    let kind = v.config.kind().as_str();
    let (name, enabled, concurrency) = (v.name.clone(), v.enabled, v.concurrency);
    let id = db
        .run(move |c| {
            let w = HookWrite {
                kind,
                name: &name,
                enabled,
                events: &s.events,
                event_mask: s.mask,
                config: &s.config,
                secrets: s.secrets.as_deref(),
                filter: s.filter.as_deref(),
                templates: s.templates.as_deref(),
                digest: s.digest.as_deref(),
                max_in_flight: concurrency.max_in_flight,
                ordered: concurrency.ordered,
                alert_hook,
            };
            hooks::insert_hook(c, feed_id, &w, now_ms())
        })
        .await?;
    Ok((get_hook(db, sb, access, id).await?, v.generated_secret))
}

/// Edits a hook; what the input leaves out stays. Enabling a disabled hook resumes its
/// waiting deliveries (and wakes the worker for them).
pub async fn update_hook(
    db: &Db,
    sb: &SecretBox,
    wake: &Wake,
    access: &FeedAccess,
    id: i64,
    input: &HookInput,
) -> Result<(Hook, Option<String>), DomainError> {
    let previous = get_hook(db, sb, access, id).await?;
    let v = validate(input, Some(&previous))?;
    if v.alert_hook != previous.alert_hook {
        check_alert_hook(db, access.feed.id, v.alert_hook).await?;
    }
    let s = seal(&v, sb);
    let feed_id = access.feed.id;
    let alert_hook = v.alert_hook;
    let kind = v.config.kind().as_str();
    let (name, enabled, concurrency) = (v.name.clone(), v.enabled, v.concurrency);
    let found = db
        .run(move |c| {
            let w = HookWrite {
                kind,
                name: &name,
                enabled,
                events: &s.events,
                event_mask: s.mask,
                config: &s.config,
                secrets: s.secrets.as_deref(),
                filter: s.filter.as_deref(),
                templates: s.templates.as_deref(),
                digest: s.digest.as_deref(),
                max_in_flight: concurrency.max_in_flight,
                ordered: concurrency.ordered,
                alert_hook,
            };
            hooks::update_hook(c, feed_id, id, &w, now_ms())
        })
        .await?;
    if !found {
        return Err(DomainError::NotFound);
    }
    if enabled {
        wake.ring();
    }
    Ok((get_hook(db, sb, access, id).await?, v.generated_secret))
}

/// An alert hook must be a hook of the same feed (another feed's would leak this one's news).
async fn check_alert_hook(db: &Db, feed_id: i64, alert: Option<i64>) -> Result<(), DomainError> {
    let Some(id) = alert else { return Ok(()) };
    match db.run(move |c| hooks::find_hook(c, feed_id, id)).await? {
        Some(_) => Ok(()),
        None => Err(DomainError::Invalid(vec![FieldError::new(
            "alert_hook",
            format!("there is no hook {id} in this feed"),
        )])),
    }
}

pub async fn get_hook(
    db: &Db,
    sb: &SecretBox,
    access: &FeedAccess,
    id: i64,
) -> Result<Hook, DomainError> {
    let feed_id = access.feed.id;
    let row = db
        .run(move |c| hooks::find_hook(c, feed_id, id))
        .await?
        .ok_or(DomainError::NotFound)?;
    load(row, sb)
}

pub async fn list_hooks(
    db: &Db,
    sb: &SecretBox,
    access: &FeedAccess,
) -> Result<Vec<Hook>, DomainError> {
    let feed_id = access.feed.id;
    let rows = db.run(move |c| hooks::list_hooks(c, feed_id)).await?;
    rows.into_iter().map(|r| load(r, sb)).collect()
}

pub async fn delete_hook(db: &Db, access: &FeedAccess, id: i64) -> Result<(), DomainError> {
    let feed_id = access.feed.id;
    if db.run(move |c| hooks::delete_hook(c, feed_id, id)).await? {
        Ok(())
    } else {
        Err(DomainError::NotFound)
    }
}
