//! The hook page's bulk replay: filters -> "Count" (a GET that re-renders the page with how many
//! would go) -> "Replay N at R/s" (a POST that starts it) -> progress rows with a Cancel button.
//! No script: each step is a form.
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::hook_page::form_time;
use super::{PageError, display_time, redirect};
use crate::db::replays::{ReplayRow, ReplayState};
use crate::domain::DomainError;
use crate::domain::replays::{self, Selection};
use crate::web::api::hooks::parse_filter;
use crate::web::auth::PageFeed;
use crate::web::csrf::CsrfForm;
use crate::web::state::AppState;

/// The replay form's fields, as the Count form sends them and the Replay form sends them back.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ReplayFields {
    pub r_status: String,
    pub r_event: String,
    pub r_since: String,
    pub r_until: String,
    pub r_package: String,
    pub r_rate: String,
}

impl ReplayFields {
    /// The selection and rate, or what is wrong with them, in words.
    pub fn parse(&self) -> Result<(Selection, i64), Vec<String>> {
        let (since, until) = (form_time(&self.r_since), form_time(&self.r_until));
        let mut errors = vec![];
        let filter = parse_filter(
            Some(&self.r_status),
            Some(&self.r_event),
            Some(&since),
            Some(&until),
        )
        .map_err(|e| errors.extend(e.iter().map(ToString::to_string)))
        .ok();
        let sel = filter.and_then(|f| {
            Selection::new(f, Some(&self.r_package))
                .map_err(|e| errors.push(e.to_string()))
                .ok()
        });
        let rate = replays::parse_rate_text(&self.r_rate)
            .map_err(|e| errors.push(e.to_string()))
            .ok();
        match (sel, rate) {
            (Some(s), Some(r)) if errors.is_empty() => Ok((s, r)),
            _ => Err(errors),
        }
    }
}

/// A replay as the hook page lists it.
pub struct ReplayView {
    pub id: i64,
    pub state: &'static str,
    pub running: bool,
    pub progress: String,
    pub rate: i64,
    pub created: String,
    pub what: String,
}

impl ReplayView {
    pub fn new(r: &ReplayRow) -> Self {
        let sel: serde_json::Value = serde_json::from_str(&r.selection).unwrap_or_default();
        let parts: Vec<String> = ["status", "event", "since", "until", "package"]
            .iter()
            .filter_map(|k| sel[k].as_str().map(|v| format!("{k} {v}")))
            .collect();
        ReplayView {
            id: r.id,
            state: r.state.as_str(),
            running: r.state == ReplayState::Running,
            progress: format!("{} of {} sent", r.sent, r.total),
            rate: r.rate,
            created: display_time(r.created_at),
            what: if parts.is_empty() {
                "every delivery".into()
            } else {
                parts.join(", ")
            },
        }
    }
}

/// What the Count step found, for the confirm form.
pub struct ReplayCount {
    pub matches: i64,
    pub rate: i64,
    pub f: ReplayFields,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StartForm {
    #[serde(flatten)]
    fields: ReplayFields,
    expected: String,
}

pub async fn start(
    state: web::Data<AppState>,
    PageFeed { user: _, access }: PageFeed,
    path: web::Path<(String, i64)>,
    CsrfForm(f): CsrfForm<StartForm>,
) -> Result<HttpResponse, PageError> {
    let (feed, id) = path.into_inner();
    let hook = crate::domain::hooks::get_hook(&state.db, &state.secrets, &access, id).await?;
    let back = format!("/feeds/{feed}/hooks/{id}#replays");
    let (sel, rate) = match f.fields.parse() {
        Ok(v) => v,
        Err(errors) => {
            return Ok(redirect(
                &back,
                "error",
                format!("No replay started: {}.", errors.join("; ")),
            ));
        }
    };
    let expected = f.expected.trim().parse::<i64>().ok();
    match replays::start(&state.db, &state.replays_due, &hook, sel, rate, expected).await {
        Ok(r) => Ok(redirect(
            &back,
            "ok",
            format!(
                "Replay #{} started: {} deliveries at {}/s.",
                r.id, r.total, r.rate
            ),
        )),
        Err(e @ (DomainError::Conflict(_) | DomainError::Invalid(_))) => {
            let text = match e {
                DomainError::Invalid(errs) => errs
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            Ok(redirect(
                &back,
                "error",
                format!("No replay started: {text}."),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn cancel(
    state: web::Data<AppState>,
    PageFeed { user: _, access }: PageFeed,
    path: web::Path<(String, i64, i64)>,
    _: CsrfForm<super::session::EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let (feed, id, replay) = path.into_inner();
    let hook = crate::domain::hooks::get_hook(&state.db, &state.secrets, &access, id).await?;
    replays::cancel(&state.db, &hook, replay).await?;
    let r = replays::get(&state.db, &hook, replay).await?;
    let text = match r.state {
        ReplayState::Cancelled => format!(
            "Replay #{replay} cancelled after {} of {} deliveries.",
            r.sent, r.total
        ),
        _ => format!("Replay #{replay} had finished already."),
    };
    Ok(redirect(
        &format!("/feeds/{feed}/hooks/{id}#replays"),
        "ok",
        text,
    ))
}
