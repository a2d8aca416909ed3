//! The preview: what a hook would send for an event, built by the sender's own `prepare` (so
//! it is what the sender then sends), without any network call, secrets as `[redacted]`.
use serde_json::Value;

use super::senders::OutgoingEvent;
use super::senders::preview::Wire;
use crate::db::Db;
use crate::domain::DomainError;
use crate::domain::access::FeedAccess;
use crate::domain::hook_preview::{self, Draft, EventChoice, PreviewEvent};
use crate::domain::hooks::HookInput;
use crate::domain::secret_box::SecretBox;
use crate::events::template::Extras;

#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// `None` when the hook takes the event; else the rule that turns it away.
    pub filtered_by: Option<String>,
    /// The message, or why the sender could not build it (a template that fails, say).
    pub wire: Result<Wire, String>,
}

/// What `draft` would send for `event` of the feed named `feed_name`. The delivery does not
/// exist yet, so a template's `delivery_url` prints nothing.
pub fn preview(draft: &Draft, event: &PreviewEvent, feed_name: &str) -> Preview {
    let parsed: Value = serde_json::from_str(&event.envelope).unwrap_or(Value::Null);
    let payload = parsed.get("Payload").unwrap_or(&Value::Null);
    let filtered_by = draft.judge(event.event, payload).err();
    let ev = OutgoingEvent {
        event: event.event,
        identifier: &event.identifier,
        envelope: &event.envelope,
        parsed: &parsed,
        template: draft.templates.get(event.event),
        extras: Extras {
            feed_name,
            delivery_url: None,
        },
    };
    Preview {
        filtered_by,
        wire: draft.config.preview(&ev),
    }
}

/// Who asks for a preview, of which feed: what a stored event would have been filled with.
pub struct Asker<'a> {
    pub access: &'a FeedAccess,
    pub feed_url: &'a str,
    pub username: &'a str,
}

/// The preview of hook `id` with `edits` over it (or of a new hook made of `edits`) for the
/// chosen event, as the API and the hook form ask for it.
pub async fn preview_for(
    db: &Db,
    sb: &SecretBox,
    asker: &Asker<'_>,
    id: Option<i64>,
    edits: &HookInput,
    choice: EventChoice,
) -> Result<Preview, DomainError> {
    let draft = hook_preview::draft(db, sb, asker.access, id, edits).await?;
    let event =
        hook_preview::event(db, asker.access, asker.feed_url, asker.username, choice).await?;
    Ok(preview(&draft, &event, &asker.access.feed.name))
}
