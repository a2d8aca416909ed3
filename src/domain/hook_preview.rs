//! What the preview needs from the domain: a hook's settings as they would be saved (a saved
//! hook, an unsaved one, or a saved one with unsaved edits), and the event to try them on, as
//! it is or would be stored. Building the request is the senders' job (`delivery::preview`).
use serde_json::Value;

use super::DomainError;
use super::access::FeedAccess;
use super::hook_config::HookConfig;
use super::hook_filter::HookFilter;
use super::hook_input::{HookInput, draft_of};
use super::hook_templates::HookTemplates;
use super::hooks;
use super::ingest::{Origin, prepare_envelope};
use super::secret_box::SecretBox;
use crate::db::Db;
use crate::db::events::{event_envelope, list_events};
use crate::events::EventType;
use crate::events::examples::example;

/// A hook's settings, validated as a save would, but not saved.
pub struct Draft {
    pub events: Vec<EventType>,
    pub filter: HookFilter,
    pub templates: HookTemplates,
    pub config: HookConfig,
}

impl Draft {
    /// `Ok` when the hook delivers `event`, else why not, in words.
    pub fn judge(&self, event: EventType, payload: &Value) -> Result<(), String> {
        if !self.events.contains(&event) {
            return Err(format!("the hook does not take {event} events"));
        }
        self.filter.check(event, payload)
    }
}

/// The settings of the saved hook `id` with `edits` over them, or of a new hook made of
/// `edits`. A new hook that names no events is tried as if it took every event it can.
pub async fn draft(
    db: &Db,
    sb: &SecretBox,
    access: &FeedAccess,
    id: Option<i64>,
    edits: &HookInput,
) -> Result<Draft, DomainError> {
    let previous = match id {
        Some(id) => Some(hooks::get_hook(db, sb, access, id).await?),
        None => None,
    };
    let mut input = edits.clone();
    if previous.is_none() && input.events.is_none() {
        let kind = input
            .kind
            .as_deref()
            .and_then(super::hook_config::HookKind::parse);
        input.events = kind.map(|k| {
            k.supported_events()
                .iter()
                .map(|e| e.name().to_owned())
                .collect()
        });
    }
    draft_of(&input, previous.as_ref())
}

/// The event to preview with.
pub enum EventChoice {
    /// One of the feed's logged events, by its identifier.
    Logged(String),
    /// An envelope as a feed would post it.
    Envelope(Value),
    /// The spec's example of an event type.
    Example(EventType),
}

/// The event, as stored (or as it would be stored: validated, missing fields filled).
pub struct PreviewEvent {
    pub event: EventType,
    pub identifier: String,
    pub envelope: String,
}

pub async fn event(
    db: &Db,
    access: &FeedAccess,
    feed_url: &str,
    username: &str,
    choice: EventChoice,
) -> Result<PreviewEvent, DomainError> {
    let sent = match choice {
        EventChoice::Logged(identifier) => {
            let feed_id = access.feed.id;
            let id = identifier.clone();
            let envelope = db
                .run(move |c| event_envelope(c, feed_id, &id))
                .await?
                .ok_or(DomainError::NotFound)?;
            let parsed: Value = serde_json::from_str(&envelope)
                .map_err(|e| DomainError::Unexpected(anyhow::anyhow!("stored event: {e}")))?;
            let event = parsed
                .get("PayloadType")
                .and_then(Value::as_str)
                .and_then(EventType::from_payload_type)
                .unwrap_or(EventType::Ping);
            return Ok(PreviewEvent {
                event,
                identifier,
                envelope,
            });
        }
        EventChoice::Envelope(v) => v,
        EventChoice::Example(t) => example(t),
    };
    let from = Origin {
        feed: &access.feed,
        feed_url,
        username,
        source_id: None,
    };
    let new = prepare_envelope(sent, &from)?;
    Ok(PreviewEvent {
        event: EventType::from_name(new.event_type).unwrap_or(EventType::Ping),
        identifier: new.identifier,
        envelope: new.envelope,
    })
}

/// The feed's latest events, newest first, for the preview's choice: (identifier, event name,
/// when received).
pub async fn recent_events(
    db: &Db,
    access: &FeedAccess,
    limit: i64,
) -> Result<Vec<crate::db::events::EventRow>, DomainError> {
    let feed_id = access.feed.id;
    Ok(db
        .run(move |c| list_events(c, feed_id, None, limit))
        .await?)
}
