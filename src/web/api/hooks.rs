//! Hooks, pings, deliveries and redeliveries.
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ListQuery;
use super::problem::Problem;
use crate::db::attempts::AttemptRow;
use crate::db::deliveries::{DeliveryFilter, DeliveryRow};
use crate::domain::deliveries;
use crate::domain::digest_message;
use crate::domain::hooks::{self, Hook, HookInput};
use crate::domain::time::{parse_rfc3339, rfc3339};
use crate::events::EventType;
use crate::primitives::{DeliveryStatus, FieldError};
use crate::web::auth::ApiFeed;
use crate::web::state::AppState;

pub fn hook_json(h: &Hook) -> Value {
    json!({
        "id": h.id,
        "kind": h.kind().as_str(),
        "name": h.name,
        "enabled": h.enabled,
        "events": h.events.iter().map(|e| e.name()).collect::<Vec<_>>(),
        "config": h.public,
        "filter": h.filter.to_json(),
        "templates": h.templates.to_json(),
        "max_in_flight": h.concurrency.max_in_flight,
        "ordered": h.concurrency.ordered,
        "digest": h.digest.as_ref().map(|d| d.to_json()),
        "broken": h.broken().map(ToString::to_string),
        "alert_hook": h.alert_hook,
        "disabled_reason": h.disabled_reason,
        "created_at": rfc3339(h.created_at),
        "updated_at": rfc3339(h.updated_at),
    })
}

pub fn delivery_json(d: &DeliveryRow) -> Value {
    let next = match d.due_at {
        Some(t) if d.status == DeliveryStatus::Pending => Some(rfc3339(t)),
        _ => None,
    };
    json!({
        "id": d.id,
        "hook": d.hook_id,
        "event": {
            "identifier": d.event_identifier,
            "event": d.event_type,
            "payload_type": match d.event_type.as_str() {
                "digest" => Some(digest_message::PAYLOAD_TYPE),
                t => EventType::from_name(t).map(|e| e.payload_type()),
            },
        },
        "status": d.status.as_str(),
        "attempts": d.attempts,
        "next_attempt_at": next,
        "waiting_for_hook": d.status == DeliveryStatus::Waiting,
        "redelivery_of": d.redelivery_of,
        "digest": d.digest_id,
        "held_for_digest": d.held,
        "last_outcome": d.last_outcome,
        "created_at": rfc3339(d.created_at),
        "finished_at": d.finished_at.map(rfc3339),
    })
}

pub fn attempt_json(a: &AttemptRow) -> Value {
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
    json!({
        "number": a.number,
        "started_at": rfc3339(a.started_at),
        "duration_ms": a.duration_ms,
        "request": parse(&a.request),
        "response": a.response.as_deref().map(parse),
        "error": a.error_kind.as_ref().map(|k| json!({"kind": k, "message": a.error_message})),
    })
}

/// The hook `{id}` of the route's feed.
pub(super) async fn hook_of(state: &AppState, f: &ApiFeed, id: i64) -> Result<Hook, Problem> {
    Ok(hooks::get_hook(&state.db, &state.secrets, &f.access, id).await?)
}

fn with_secret(mut v: Value, secret: Option<String>) -> Value {
    if let Some(s) = secret {
        v["secret"] = Value::String(s);
        v["secret_note"] = Value::String("the generated signing secret, shown this once".into());
    }
    v
}

pub async fn create(
    state: web::Data<AppState>,
    f: ApiFeed,
    body: web::Json<HookInput>,
) -> Result<HttpResponse, Problem> {
    let (hook, secret) = hooks::create_hook(&state.db, &state.secrets, &f.access, &body).await?;
    Ok(HttpResponse::Created().json(with_secret(hook_json(&hook), secret)))
}

pub async fn list(state: web::Data<AppState>, f: ApiFeed) -> Result<HttpResponse, Problem> {
    let items: Vec<Value> = hooks::list_hooks(&state.db, &state.secrets, &f.access)
        .await?
        .iter()
        .map(hook_json)
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": null})))
}

pub async fn get(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, Problem> {
    Ok(HttpResponse::Ok().json(hook_json(&hook_of(&state, &f, path.1).await?)))
}

pub async fn update(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
    body: web::Json<HookInput>,
) -> Result<HttpResponse, Problem> {
    let (hook, secret) = hooks::update_hook(
        &state.db,
        &state.secrets,
        &state.wake,
        &f.access,
        path.1,
        &body,
    )
    .await?;
    Ok(HttpResponse::Ok().json(with_secret(hook_json(&hook), secret)))
}

pub async fn delete(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, Problem> {
    hooks::delete_hook(&state.db, &f.access, path.1).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn ping(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, Problem> {
    let hook = hook_of(&state, &f, path.1).await?;
    let feed_url = state.url(&format!("/feeds/{}", f.access.feed.identifier));
    let delivery = deliveries::ping(
        &state.db,
        &state.wake,
        &f.access,
        &hook,
        &f.user.username,
        &feed_url,
    )
    .await?;
    Ok(HttpResponse::Accepted().json(json!({"delivery": delivery})))
}

#[derive(Deserialize)]
pub struct BulkRedeliver {
    status: Option<String>,
    since: Option<String>,
}

pub async fn redeliver_failed(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
    body: web::Json<BulkRedeliver>,
) -> Result<HttpResponse, Problem> {
    let hook = hook_of(&state, &f, path.1).await?;
    let mut errors = vec![];
    if body
        .status
        .as_deref()
        .is_some_and(|s| DeliveryStatus::parse(s) != Some(DeliveryStatus::Failed))
    {
        errors.push(FieldError::new(
            "status",
            "only failed deliveries can be redelivered in bulk",
        ));
    }
    let since = match body.since.as_deref() {
        Some(s) => parse_rfc3339(s).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "since",
                "must be an RFC 3339 time, e.g. 2026-11-30T00:00:00Z",
            ));
            0
        }),
        None => {
            errors.push(FieldError::new("since", "is required"));
            0
        }
    };
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    let n = deliveries::redeliver_failed(&state.db, &state.wake, &hook, since).await?;
    Ok(HttpResponse::Accepted().json(json!({"deliveries": n})))
}

#[derive(Deserialize)]
pub struct DeliveryQuery {
    status: Option<String>,
    event: Option<String>,
    since: Option<String>,
    until: Option<String>,
    #[serde(flatten)]
    page: ListQuery,
}

/// Parses the delivery list filters, naming each wrong one.
fn blank(s: Option<&str>) -> Option<&str> {
    s.filter(|v| !v.is_empty())
}

pub fn parse_filter(
    status: Option<&str>,
    event: Option<&str>,
    since: Option<&str>,
    until: Option<&str>,
) -> Result<DeliveryFilter, Vec<FieldError>> {
    let mut errors = vec![];
    let status = blank(status).and_then(|s| {
        let parsed = DeliveryStatus::parse(s);
        if parsed.is_none() {
            let names = DeliveryStatus::listed_names();
            let (last, rest) = names.split_last().expect("statuses are listed");
            let message = format!("must be {} or {last}", rest.join(", "));
            errors.push(FieldError::new("status", message));
        }
        parsed
    });
    let event_type = blank(event).map(str::to_owned);
    if event_type
        .as_deref()
        .is_some_and(|e| EventType::from_name(e).is_none())
    {
        errors.push(FieldError::new(
            "event",
            "is not an event name (e.g. package.added)",
        ));
    }
    let mut time = |field: &str, v: Option<&str>| {
        blank(v).and_then(|s| {
            let t = parse_rfc3339(s);
            if t.is_none() {
                errors.push(FieldError::new(field, "must be an RFC 3339 time"));
            }
            t
        })
    };
    let since = time("since", since);
    let until = time("until", until);
    if errors.is_empty() {
        Ok(DeliveryFilter {
            status,
            event_type,
            since,
            until,
        })
    } else {
        Err(errors)
    }
}

pub async fn list_deliveries(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
    q: web::Query<DeliveryQuery>,
) -> Result<HttpResponse, Problem> {
    let hook = hook_of(&state, &f, path.1).await?;
    let (limit, before) = q.page.parse()?;
    let filter = parse_filter(
        q.status.as_deref(),
        q.event.as_deref(),
        q.since.as_deref(),
        q.until.as_deref(),
    )
    .map_err(Problem::invalid)?;
    let rows = deliveries::list(&state.db, &hook, filter, before, limit + 1).await?;
    let next = (rows.len() as i64 > limit).then(|| rows[limit as usize - 1].id.to_string());
    let items: Vec<Value> = rows
        .iter()
        .take(limit as usize)
        .map(delivery_json)
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": next})))
}

pub async fn get_delivery(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, Problem> {
    let (d, _, attempts) = deliveries::get(&state.db, &f.access, path.1).await?;
    let mut v = delivery_json(&d);
    v["attempt_log"] = Value::Array(attempts.iter().map(attempt_json).collect());
    Ok(HttpResponse::Ok().json(v))
}

pub async fn redeliver(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, Problem> {
    let new = deliveries::redeliver(&state.db, &state.wake, &f.access, path.1).await?;
    Ok(HttpResponse::Accepted().json(json!({"delivery": new})))
}
