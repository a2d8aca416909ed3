//! Hooks: validated settings per kind, secrets sealed before they reach the store.
use serde_json::{Map, Value};

use super::DomainError;
use super::access::FeedAccess;
use super::hook_concurrency::Concurrency;
use super::hook_config::{HookConfig, HookKind};
use super::hook_digest::HookDigest;
use super::hook_filter::HookFilter;
use super::hook_preview::Draft;
use super::hook_templates::HookTemplates;
use super::names::label;
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

/// What a create or an edit sends; on an edit, what is left out stays as it is.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct HookInput {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub events: Option<Vec<String>>,
    pub enabled: Option<bool>,
    pub config: Option<Value>,
    /// A new filter, whole (`null` removes it); left out, the filter stays.
    #[serde(default, deserialize_with = "present")]
    pub filter: Option<Value>,
    /// New templates, whole (`null` removes them); left out, they stay.
    #[serde(default, deserialize_with = "present")]
    pub templates: Option<Value>,
    /// 1..=64; checked here rather than by the parser, so a bad value (`null` included) is a
    /// 422 naming it.
    #[serde(default, deserialize_with = "present")]
    pub max_in_flight: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub ordered: Option<Value>,
    /// A new digest setting, whole (`null` removes it); left out, it stays.
    #[serde(default, deserialize_with = "present")]
    pub digest: Option<Value>,
    /// Another hook's id (`null` removes it); left out, it stays.
    #[serde(default, deserialize_with = "present")]
    pub alert_hook: Option<Value>,
}

/// A field given as `null` is `Some(Value::Null)`, not absent: `"filter": null` clears.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    <Value as serde::Deserialize>::deserialize(d).map(Some)
}

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

fn check_events(
    kind: HookKind,
    names: Option<&Vec<String>>,
    errors: &mut Vec<FieldError>,
) -> Vec<EventType> {
    let Some(names) = names.filter(|n| !n.is_empty()) else {
        errors.push(FieldError::new("events", "choose at least one event"));
        return vec![];
    };
    let supported = kind.supported_events();
    let mut out: Vec<EventType> = vec![];
    for n in names {
        match EventType::from_name(n) {
            Some(e) if supported.contains(&e) => {
                if !out.contains(&e) {
                    out.push(e);
                }
            }
            Some(e) => errors.push(FieldError::new(
                "events",
                format!(
                    "{} hooks cannot send {e}; they can send: {}",
                    kind.label(),
                    supported
                        .iter()
                        .map(|e| e.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            None => errors.push(FieldError::new(
                "events",
                format!(
                    "unknown event {n:?}; events are: {}",
                    EventType::ALL
                        .iter()
                        .map(|e| e.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
    out.sort_by_key(|e| *e as u32);
    out
}

/// The settings to store: validated and complete, or every error at once.
struct Validated {
    name: String,
    enabled: bool,
    events: Vec<EventType>,
    filter: HookFilter,
    templates: HookTemplates,
    concurrency: Concurrency,
    digest: Option<HookDigest>,
    alert_hook: Option<i64>,
    config: HookConfig,
    generated_secret: Option<String>,
}

fn validate(input: &HookInput, previous: Option<&Hook>) -> Result<Validated, DomainError> {
    let mut errors = vec![];
    let Some(kind) = check_kind(input.kind.as_deref(), previous, &mut errors) else {
        return Err(DomainError::Invalid(errors));
    };
    let name = match (&input.name, previous) {
        (Some(n), _) if !n.trim().is_empty() => label("name", n, 100)
            .map_err(|e| errors.push(e))
            .unwrap_or_default(),
        (_, Some(p)) => p.name.clone(),
        _ => kind.label().to_owned(),
    };
    let previous_names: Option<Vec<String>> =
        previous.map(|p| p.events.iter().map(|e| e.name().to_owned()).collect());
    let events = check_events(
        kind,
        input.events.as_ref().or(previous_names.as_ref()),
        &mut errors,
    );
    let filter = match (&input.filter, previous) {
        (Some(given), _) => HookFilter::from_json(Some(given))
            .map_err(|errs| errors.extend(errs))
            .unwrap_or_default(),
        (None, Some(p)) => p.filter.clone(),
        (None, None) => HookFilter::default(),
    };
    let templates = match (&input.templates, previous) {
        (Some(given), _) => HookTemplates::from_json(kind, Some(given))
            .map_err(|errs| errors.extend(errs))
            .unwrap_or_default(),
        (None, Some(p)) => p.templates.clone(),
        (None, None) => HookTemplates::default(),
    };
    let concurrency = Concurrency::from_input(
        input.max_in_flight.as_ref(),
        input.ordered.as_ref(),
        previous.map(|p| p.concurrency).unwrap_or_default(),
        &mut errors,
    );
    let digest = match (&input.digest, previous) {
        (Some(given), _) => HookDigest::from_json(kind, Some(given))
            .map_err(|errs| errors.extend(errs))
            .unwrap_or_default(),
        (None, Some(p)) => p.digest.clone(),
        (None, None) => None,
    };
    if digest.is_some() && concurrency.ordered {
        errors.push(FieldError::new(
            "digest",
            "an ordered hook cannot also send digests: a digest already lists its events in the order they were accepted; turn one of them off",
        ));
    }
    let alert_hook = match (&input.alert_hook, previous) {
        (Some(Value::Null), _) | (None, None) => None,
        (Some(v), _) => match v.as_i64() {
            Some(id) if previous.is_some_and(|p| p.id == id) => {
                errors.push(FieldError::new(
                    "alert_hook",
                    "must be another hook: a hook that stopped cannot tell of it itself",
                ));
                None
            }
            Some(id) => Some(id),
            None => {
                errors.push(FieldError::new(
                    "alert_hook",
                    "must be the id of another hook of this feed, or null",
                ));
                None
            }
        },
        (None, Some(p)) => p.alert_hook,
    };
    // A broken hook keeps no secrets: the edit must give them again.
    let kept_secrets = previous.and_then(|p| p.config.as_ref().ok());
    let parsed = HookConfig::from_input(kind, &config_input(input, previous), kept_secrets)
        .map_err(|errs| errors.extend(errs))
        .ok();
    match parsed {
        Some(p) if errors.is_empty() => Ok(Validated {
            name,
            enabled: input
                .enabled
                .or(previous.map(|p| p.enabled))
                .unwrap_or(true),
            events,
            filter,
            templates,
            concurrency,
            digest,
            alert_hook,
            config: p.config,
            generated_secret: p.generated_secret,
        }),
        _ => Err(DomainError::Invalid(errors)),
    }
}

/// The settings `input` would save over `previous`, without saving: what the preview tries.
pub(super) fn draft_of(input: &HookInput, previous: Option<&Hook>) -> Result<Draft, DomainError> {
    let v = validate(input, previous)?;
    Ok(Draft {
        events: v.events,
        filter: v.filter,
        templates: v.templates,
        config: v.config,
    })
}

/// The kind a create names, or an edit's (which cannot change).
fn check_kind(
    given: Option<&str>,
    previous: Option<&Hook>,
    errors: &mut Vec<FieldError>,
) -> Option<HookKind> {
    match (previous, given) {
        (Some(p), None) => Some(p.kind()),
        (Some(p), Some(k)) if k == p.kind().as_str() => Some(p.kind()),
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "kind",
                "cannot change; create a new hook instead",
            ));
            None
        }
        (None, Some(k)) => HookKind::parse(k).or_else(|| {
            let kinds = HookKind::ALL.map(HookKind::as_str).join(", ");
            errors.push(FieldError::new("kind", format!("must be one of: {kinds}")));
            None
        }),
        (None, None) => {
            errors.push(FieldError::new("kind", "is required"));
            None
        }
    }
}

/// The settings to parse: an edit merges the given ones over the stored ones (secrets left
/// out are kept by the parser from the previous config).
fn config_input(input: &HookInput, previous: Option<&Hook>) -> Value {
    let stored = || {
        let mut kept = previous.map_or(Value::Object(Map::new()), |p| p.public.clone());
        if let Some(m) = kept.as_object_mut() {
            m.remove("secrets_set");
        }
        kept
    };
    match (input.config.as_ref(), previous) {
        (Some(Value::Object(given)), Some(_)) => {
            let mut merged = stored();
            if let Some(m) = merged.as_object_mut() {
                m.extend(given.clone());
            }
            merged
        }
        (Some(given), _) => given.clone(),
        (None, _) => stored(),
    }
}

struct Sealed {
    events: String,
    mask: i64,
    config: String,
    secrets: Option<Vec<u8>>,
    /// `None` for a filter that lets everything through: such hooks fan out in bulk.
    filter: Option<String>,
    templates: Option<String>,
    digest: Option<String>,
}

fn seal(v: &Validated, sb: &SecretBox) -> Sealed {
    let secrets = v.config.secrets_json();
    let has_secrets = secrets.as_object().is_some_and(|m| !m.is_empty());
    Sealed {
        events: serde_json::to_string(&v.events.iter().map(|e| e.name()).collect::<Vec<_>>())
            .expect("names serialize"),
        mask: EventType::mask(&v.events),
        config: v.config.public_json().to_string(),
        secrets: has_secrets.then(|| sb.seal(secrets.to_string().as_bytes())),
        filter: (!v.filter.passes_everything()).then(|| v.filter.to_json().to_string()),
        templates: (!v.templates.is_empty()).then(|| v.templates.to_json().to_string()),
        digest: v.digest.as_ref().map(|d| d.to_json().to_string()),
    }
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
