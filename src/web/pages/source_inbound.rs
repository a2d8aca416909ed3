//! The inbound part of a source's page: where the other system posts, how to set it up there
//! (the kind's own steps, so the page and docs/inbound.md say the same), and the last requests
//! received with what each became.
use crate::db::inbound_requests::InboundRequestRow;
use crate::domain::source_config::SourceConfig;
use crate::domain::sources::Source;
use crate::sources::inbound::InboundKind;
use crate::sources::inbound::service::Outcome;

use super::display_time;

/// How many requests the page lists.
pub const SHOWN_REQUESTS: i64 = 20;

pub struct StepView {
    pub text: String,
    pub code: Option<String>,
}

pub struct RequestView {
    pub when: String,
    pub outcome: &'static str,
    /// The badge class: `succeeded`, `off` or `failed`.
    pub tone: &'static str,
    pub detail: String,
    pub events: i64,
    pub identifiers: Vec<String>,
    pub previous_secret: bool,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub body_size: i64,
}

pub struct InboundView {
    pub url: String,
    pub auth: String,
    pub mapping: Vec<(&'static str, &'static str)>,
    pub steps: Vec<StepView>,
    /// When the secret before the last rotation stops working, while it still does.
    pub previous_until: Option<String>,
    pub requests: Vec<RequestView>,
}

impl InboundView {
    /// `None` for polling sources. `secret` is filled into the steps only on the one answer
    /// that shows it; otherwise the steps name where it goes.
    pub fn new(
        source: &Source,
        url: String,
        secret: Option<&str>,
        rows: &[InboundRequestRow],
        now: i64,
    ) -> Option<Self> {
        let SourceConfig::Inbound(kind, config) = &source.config else {
            return None;
        };
        let def = InboundKind::from_name(kind.as_str())?.definition();
        Some(InboundView {
            auth: def.auth.describe(),
            mapping: def.mapping.iter().map(|m| (m.upstream, m.event)).collect(),
            steps: def
                .steps
                .iter()
                .map(|s| {
                    let (text, code) = s.render(&url, secret);
                    StepView { text, code }
                })
                .collect(),
            url,
            previous_until: config
                .previous
                .as_ref()
                .filter(|(_, until)| *until > now)
                .map(|(_, until)| display_time(*until)),
            requests: rows.iter().map(request_view).collect(),
        })
    }
}

fn request_view(r: &InboundRequestRow) -> RequestView {
    let outcome = Outcome::parse(&r.outcome);
    RequestView {
        when: display_time(r.received_at),
        outcome: outcome.map_or("unknown", Outcome::label),
        tone: match outcome {
            Some(Outcome::Accepted) => "succeeded",
            Some(Outcome::Repeated | Outcome::Ping | Outcome::Ignored | Outcome::Disabled) => "off",
            _ => "failed",
        },
        detail: r.detail.clone().unwrap_or_default(),
        events: r.events,
        identifiers: serde_json::from_str(&r.identifiers).unwrap_or_default(),
        previous_secret: r.previous_secret,
        headers: serde_json::from_str(&r.headers).unwrap_or_default(),
        body: r.body.clone(),
        body_size: r.body_size,
    }
}
