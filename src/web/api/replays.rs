//! Bulk replays of a hook's deliveries: dry run, start, progress, cancel.
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::hooks::{hook_of, parse_filter};
use super::problem::Problem;
use crate::db::replays::ReplayRow;
use crate::domain::replays::{self, Selection};
use crate::domain::time::rfc3339;
use crate::web::auth::ApiFeed;
use crate::web::state::AppState;

pub fn replay_json(r: &ReplayRow) -> Value {
    json!({
        "id": r.id,
        "hook": r.hook_id,
        "state": r.state.as_str(),
        "total": r.total,
        "sent": r.sent,
        "rate": r.rate,
        "selection": serde_json::from_str::<Value>(&r.selection).unwrap_or(Value::Null),
        "created_at": rfc3339(r.created_at),
        "finished_at": r.finished_at.map(rfc3339),
    })
}

#[derive(Deserialize)]
pub struct ReplayBody {
    status: Option<String>,
    event: Option<String>,
    since: Option<String>,
    until: Option<String>,
    package: Option<String>,
    rate: Option<Value>,
    #[serde(default)]
    dry_run: bool,
}

pub async fn create(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
    body: web::Json<ReplayBody>,
) -> Result<HttpResponse, Problem> {
    let hook = hook_of(&state, &f, path.1).await?;
    let b = body.into_inner();
    let mut errors = vec![];
    let filter = parse_filter(
        b.status.as_deref(),
        b.event.as_deref(),
        b.since.as_deref(),
        b.until.as_deref(),
    )
    .map_err(|e| errors.extend(e))
    .ok();
    let package = Selection::new(Default::default(), b.package.as_deref())
        .map_err(|e| errors.push(e))
        .ok()
        .and_then(|s| s.package);
    let rate = replays::parse_rate(b.rate.as_ref())
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(filter), Some(rate), true) = (filter, rate, errors.is_empty()) else {
        return Err(Problem::invalid(errors));
    };
    let sel = Selection { filter, package };
    if b.dry_run {
        let n = replays::count(&state.db, &hook, sel).await?;
        return Ok(HttpResponse::Ok().json(json!({"matches": n})));
    }
    let r = replays::start(&state.db, &state.replays_due, &hook, sel, rate, None).await?;
    Ok(HttpResponse::Accepted().json(replay_json(&r)))
}

pub async fn get(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64, i64)>,
) -> Result<HttpResponse, Problem> {
    let hook = hook_of(&state, &f, path.1).await?;
    let r = replays::get(&state.db, &hook, path.2).await?;
    Ok(HttpResponse::Ok().json(replay_json(&r)))
}

pub async fn cancel(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64, i64)>,
) -> Result<HttpResponse, Problem> {
    let hook = hook_of(&state, &f, path.1).await?;
    replays::cancel(&state.db, &hook, path.2).await?;
    Ok(HttpResponse::NoContent().finish())
}
