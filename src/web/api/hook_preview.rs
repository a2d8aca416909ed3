//! `POST /api/v1/feeds/{feed}/hooks/preview`: what a hook would send for an event; nothing is
//! sent.
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::problem::Problem;
use crate::delivery::preview::{Asker, preview_for};
use crate::domain::DomainError;
use crate::domain::hook_preview::EventChoice;
use crate::domain::hooks::HookInput;
use crate::primitives::FieldError;
use crate::web::auth::ApiFeed;
use crate::web::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// A hook's fields: a new hook, or edits over `hook_id`.
    #[serde(default)]
    hook: Option<HookInput>,
    hook_id: Option<i64>,
    /// One of the feed's logged events by identifier, or an envelope.
    event: Value,
}

pub async fn preview(
    state: web::Data<AppState>,
    f: ApiFeed,
    body: web::Json<PreviewRequest>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    if body.hook.is_none() && body.hook_id.is_none() {
        return Err(invalid(
            "hook",
            "give the hook's fields (hook), a saved hook (hook_id), or both",
        ));
    }
    let choice = match body.event {
        Value::String(identifier) => EventChoice::Logged(identifier),
        envelope @ Value::Object(_) => EventChoice::Envelope(envelope),
        _ => {
            return Err(invalid(
                "event",
                "must be an event identifier or an envelope",
            ));
        }
    };
    let feed_url = state.url(&format!("/feeds/{}", f.access.feed.identifier));
    let asker = Asker {
        access: &f.access,
        feed_url: &feed_url,
        username: &f.user.username,
    };
    let edits = body.hook.unwrap_or_default();
    let p = preview_for(
        &state.db,
        &state.secrets,
        &asker,
        body.hook_id,
        &edits,
        choice,
    )
    .await?;
    let mut answer = Map::new();
    answer.insert("passes_filter".into(), p.filtered_by.is_none().into());
    answer.insert("filter_reason".into(), json!(p.filtered_by));
    match p.wire {
        Ok(wire) => {
            if let Value::Object(m) = serde_json::to_value(wire).unwrap_or_default() {
                answer.extend(m);
            }
        }
        Err(reason) => {
            answer.insert("error".into(), json!({"kind": "config", "message": reason}));
        }
    }
    Ok(HttpResponse::Ok().json(answer))
}

fn invalid(field: &str, message: &str) -> Problem {
    DomainError::Invalid(vec![FieldError::new(field, message)]).into()
}
