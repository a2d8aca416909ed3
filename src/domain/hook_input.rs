//! What a create or an edit of a hook sends, checked as a whole (every error at once) into
//! the settings to store, and sealed (secrets encrypted) for the store.
use serde_json::{Map, Value};

use super::DomainError;
use super::hook_concurrency::Concurrency;
use super::hook_config::{HookConfig, HookKind};
use super::hook_digest::HookDigest;
use super::hook_filter::HookFilter;
use super::hook_preview::Draft;
use super::hook_templates::HookTemplates;
use super::hooks::Hook;
use super::names::{kind_given, name_given};
use super::secret_box::SecretBox;
use crate::events::EventType;
use crate::primitives::FieldError;

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
pub(super) struct Validated {
    pub(super) name: String,
    pub(super) enabled: bool,
    pub(super) events: Vec<EventType>,
    pub(super) filter: HookFilter,
    pub(super) templates: HookTemplates,
    pub(super) concurrency: Concurrency,
    pub(super) digest: Option<HookDigest>,
    pub(super) alert_hook: Option<i64>,
    pub(super) config: HookConfig,
    pub(super) generated_secret: Option<String>,
}

pub(super) fn validate(
    input: &HookInput,
    previous: Option<&Hook>,
) -> Result<Validated, DomainError> {
    let mut errors = vec![];
    let kind = kind_given(
        input.kind.as_deref(),
        previous.map(Hook::kind),
        HookKind::parse,
        &HookKind::ALL.map(HookKind::as_str),
        "hook",
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

pub(super) struct Sealed {
    pub(super) events: String,
    pub(super) mask: i64,
    pub(super) config: String,
    pub(super) secrets: Option<Vec<u8>>,
    /// `None` for a filter that lets everything through: such hooks fan out in bulk.
    pub(super) filter: Option<String>,
    pub(super) templates: Option<String>,
    pub(super) digest: Option<String>,
}

pub(super) fn seal(v: &Validated, sb: &SecretBox) -> Sealed {
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
