//! Hooks, their health and deliveries as the pages show them: plain strings, formatted once.
use super::display_time;
use crate::db::deliveries::DeliveryRow;
use crate::domain::deliveries::Held;
use crate::domain::hooks::Hook;
use crate::domain::stats::HookHealth;
use crate::primitives::DeliveryStatus;

pub struct HookView {
    pub id: i64,
    pub name: String,
    pub kind_label: &'static str,
    pub enabled: bool,
    pub state: HookState,
    pub disabled_reason: Option<String>,
    /// Why the hook cannot send: its secrets do not open with this server's key file.
    pub broken: Option<String>,
    pub events: Vec<&'static str>,
    /// It takes every event its kind can send: say so instead of listing them all.
    pub all_events: bool,
    /// Where it delivers to, in one line (a URL, recipients, a room), when that is no secret.
    pub target: String,
    /// Its digest setting in one line; empty when it sends each event as it comes.
    pub digest: String,
}

impl HookView {
    pub fn new(h: &Hook) -> Self {
        let public = &h.public;
        let target = ["url", "to", "room", "channel"]
            .iter()
            .find_map(|k| public.get(*k).and_then(|v| v.as_str()))
            .filter(|s| !s.is_empty())
            .unwrap_or_default()
            .to_owned();
        HookView {
            id: h.id,
            name: h.name.clone(),
            kind_label: h.kind().label(),
            enabled: h.enabled,
            state: HookState::of(h),
            disabled_reason: h.disabled_reason.clone(),
            broken: h.broken().map(ToString::to_string),
            events: h.events.iter().map(|e| e.name()).collect(),
            all_events: h
                .kind()
                .supported_events()
                .iter()
                .all(|e| h.events.contains(e)),
            target,
            digest: h.digest.as_ref().map(|d| d.describe()).unwrap_or_default(),
        }
    }
}

/// The one badge a hook wears: an owner's switch-off is a choice, not a fault, so it is not
/// red like a hook the server disabled or one whose secrets do not open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HookState {
    Enabled,
    SwitchedOff,
    DisabledByServer,
    Broken,
}

impl HookState {
    fn of(h: &Hook) -> Self {
        match (h.broken(), h.enabled, &h.disabled_reason) {
            (Some(_), _, _) => HookState::Broken,
            (None, true, _) => HookState::Enabled,
            (None, false, Some(_)) => HookState::DisabledByServer,
            (None, false, None) => HookState::SwitchedOff,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HookState::Enabled => "enabled",
            HookState::SwitchedOff => "switched off",
            HookState::DisabledByServer => "disabled",
            HookState::Broken => "broken",
        }
    }

    /// The badge's CSS class.
    pub fn class(self) -> &'static str {
        match self {
            HookState::Enabled => "enabled",
            HookState::SwitchedOff => "off",
            HookState::DisabledByServer | HookState::Broken => "disabled",
        }
    }
}

pub struct HealthView {
    /// (link, status, outcome, when) of the newest delivery.
    pub last: Option<(String, String, String, String)>,
    /// "98%" of the finished deliveries of the last 24 hours, or "–" when none finished.
    pub rate: String,
    pub rate_class: &'static str,
    pub counts: String,
}

impl HealthView {
    pub fn new(h: Option<&HookHealth>, feed: &str) -> Self {
        let last = h.and_then(|h| h.last.as_ref()).map(|d| {
            (
                format!("/feeds/{feed}/deliveries/{}", d.id),
                d.status.as_str().to_owned(),
                d.outcome
                    .clone()
                    .unwrap_or_else(|| "not attempted yet".into()),
                display_time(d.created_at),
            )
        });
        let rate = h.and_then(HookHealth::success_rate);
        HealthView {
            last,
            rate: rate.map_or_else(|| "–".to_owned(), |r| format!("{r}%")),
            rate_class: match rate {
                None => "muted",
                Some(100) => "good",
                Some(r) if r >= 90 => "fair",
                Some(_) => "poor",
            },
            counts: h.map_or_else(String::new, |h| {
                super::chart::counts_text(&[h.succeeded, h.failed, h.pending])
            }),
        }
    }
}

pub struct DeliveryView {
    pub id: i64,
    pub event: String,
    pub status: String,
    pub attempts: i64,
    pub outcome: String,
    pub created: String,
    pub redelivery_of: Option<i64>,
    /// Pending: when the next attempt is due, or that it waits for the hook to be enabled.
    pub next: String,
    /// The digest delivery that carried it.
    pub digest: Option<i64>,
}

impl DeliveryView {
    pub fn new(d: &DeliveryRow) -> Self {
        let next = match (d.status, d.due_at) {
            (DeliveryStatus::Waiting, _) => "waits until the hook is enabled".to_owned(),
            (DeliveryStatus::Pending, _) if d.digest_id.is_some() => {
                "goes with its digest".to_owned()
            }
            (DeliveryStatus::Pending, _) if d.held => "held for the hook's digest".to_owned(),
            (DeliveryStatus::Pending, Some(t)) => format!("next attempt {}", display_time(t)),
            _ => String::new(),
        };
        DeliveryView {
            id: d.id,
            event: d.event_type.clone(),
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            outcome: d.last_outcome.clone().unwrap_or_default(),
            created: display_time(d.created_at),
            redelivery_of: d.redelivery_of,
            next,
            digest: d.digest_id,
        }
    }
}

/// An ordered hook's queue held by its head: "3 waiting behind #12", and why.
pub struct HeldView {
    pub head: i64,
    pub behind: i64,
    pub why: String,
}

impl HeldView {
    pub fn new(h: &Held) -> Self {
        let d = &h.head;
        let why = match (d.status, d.attempts, d.due_at) {
            (DeliveryStatus::Waiting, _, _) => "it waits until the hook is enabled".to_owned(),
            (_, 0, _) => "it is being sent now".to_owned(),
            (_, n, Some(t)) => format!(
                "it is being retried ({n} attempt{} so far; the last: {}); next attempt {}",
                if n == 1 { "" } else { "s" },
                d.last_outcome.as_deref().unwrap_or("without an outcome"),
                display_time(t)
            ),
            (_, _, None) => "it is being retried".to_owned(),
        };
        HeldView {
            head: d.id,
            behind: h.behind,
            why,
        }
    }
}
