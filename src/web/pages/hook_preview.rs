//! The hook form's "Preview with a recent event": the form posted with `action=preview` comes
//! back with what the hook, as filled in, would send for the chosen event; nothing is saved or
//! sent.
use crate::db::users::UserRow;
use crate::delivery::preview::{Asker, preview_for};
use crate::delivery::senders::preview::Wire;
use crate::domain::DomainError;
use crate::domain::access::FeedAccess;
use crate::domain::hook_preview::{EventChoice, recent_events};
use crate::domain::hooks::HookInput;
use crate::domain::time::rfc3339;
use crate::events::EventType;
use crate::primitives::FieldError;
use crate::web::page_error::PageError;
use crate::web::state::AppState;

/// Events offered: the feed's latest, or the spec's examples while it has none.
const RECENT: i64 = 20;

pub struct EventOption {
    /// `event:<identifier>` or `example:<event name>`.
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct HeaderLine {
    pub name: String,
    pub value: String,
}

/// What the page shows of a preview.
pub struct PreviewView {
    pub event: String,
    pub filtered_by: Option<String>,
    /// Why the message cannot be built (a template that fails).
    pub error: Option<String>,
    pub method: String,
    pub url: String,
    /// E-mail: "From", "To" and "Subject" come first.
    pub headers: Vec<HeaderLine>,
    /// The request body, or the e-mail's plain-text part.
    pub body: Option<String>,
    /// The e-mail's HTML part, shown rendered (in a sandboxed frame) and as source.
    pub html: Option<String>,
}

/// The choices of the preview's select, `chosen` selected (else the first).
pub async fn event_options(
    state: &AppState,
    access: &FeedAccess,
    chosen: Option<&str>,
) -> Result<Vec<EventOption>, PageError> {
    let recent = recent_events(&state.db, access, RECENT).await?;
    let mut options: Vec<EventOption> = recent
        .iter()
        .map(|e| EventOption {
            value: format!("event:{}", e.identifier),
            label: format!(
                "{} · {} · {}",
                e.event_type,
                e.identifier,
                rfc3339(e.received_at)
            ),
            selected: false,
        })
        .collect();
    if options.is_empty() {
        options = EventType::ALL
            .iter()
            .map(|e| EventOption {
                value: format!("example:{}", e.name()),
                label: format!("The spec's example of {}", e.title()),
                selected: false,
            })
            .collect();
    }
    let at = options
        .iter()
        .position(|o| Some(o.value.as_str()) == chosen)
        .unwrap_or(0);
    if let Some(o) = options.get_mut(at) {
        o.selected = true;
    }
    Ok(options)
}

/// The preview of the form's settings for the chosen event; the settings' errors when they do
/// not validate (the form shows them beside their fields).
pub async fn preview(
    state: &AppState,
    user: &UserRow,
    access: &FeedAccess,
    hook_id: Option<i64>,
    input: &HookInput,
    chosen: &str,
) -> Result<Result<PreviewView, Vec<FieldError>>, PageError> {
    let choice = match chosen.split_once(':') {
        Some(("event", id)) => EventChoice::Logged(id.to_owned()),
        Some(("example", name)) => match EventType::from_name(name) {
            Some(t) => EventChoice::Example(t),
            None => return Err(PageError::BadRequest("unknown example event".into())),
        },
        _ => {
            return Err(PageError::BadRequest(
                "choose an event to preview with".into(),
            ));
        }
    };
    let feed_url = state.url(&format!("/feeds/{}", access.feed.identifier));
    let asker = Asker {
        access,
        feed_url: &feed_url,
        username: &user.username,
    };
    let p = match preview_for(&state.db, &state.secrets, &asker, hook_id, input, choice).await {
        Ok(p) => p,
        Err(DomainError::Invalid(errors)) => return Ok(Err(errors)),
        Err(DomainError::NotFound) => {
            return Err(PageError::BadRequest(
                "that event is no longer in the log; choose another".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let mut view = PreviewView {
        event: chosen.split_once(':').map_or("", |(_, e)| e).to_owned(),
        filtered_by: p.filtered_by,
        error: None,
        method: String::new(),
        url: String::new(),
        headers: vec![],
        body: None,
        html: None,
    };
    let lines = |m: serde_json::Map<String, serde_json::Value>| {
        m.into_iter()
            .map(|(name, v)| HeaderLine {
                name,
                value: v.as_str().unwrap_or_default().to_owned(),
            })
            .collect::<Vec<_>>()
    };
    match p.wire {
        Ok(Wire::Request(r)) => {
            view.method = r.method;
            view.url = r.url;
            view.headers = lines(r.headers);
            view.body = Some(r.body);
        }
        Ok(Wire::Email(m)) => {
            view.method = "SMTP".into();
            view.url = format!("{} → {}", m.from, m.to.join(", "));
            view.headers = lines(m.headers);
            view.body = m.text;
            view.html = m.html;
        }
        Err(reason) => view.error = Some(reason),
    }
    Ok(Ok(view))
}
