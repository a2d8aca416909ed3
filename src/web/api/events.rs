//! Event ingest, the event list and the event schemas.
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde_json::json;

use super::problem::Problem;
use super::{ListQuery, MAX_BODY};
use crate::db::events::list_events;
use crate::domain::time::rfc3339;
use crate::domain::{feeds, ingest};
use crate::events::{EventType, json_schema};
use crate::web::auth::{ApiFeed, bearer_token, unknown_token};
use crate::web::state::AppState;

/// The media types a feed system may send: plain JSON and the spec's own.
fn acceptable(req: &HttpRequest) -> bool {
    let Some(ct) = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence == "application/vnd.myget.webhooks.v1+json"
}

pub(super) async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<web::BytesMut, Problem> {
    let too_large = || {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {MAX_BODY} bytes"),
        )
    };
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(4096).min(MAX_BODY));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                format!("the body could not be read: {e}"),
            )
        })?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `POST /feeds/{feed}/events`: 202 when stored with its deliveries, 200 for a repeat of an
/// accepted body, 409 for another body under a known Identifier. Nothing is stored unless the
/// whole envelope is valid, and nothing is answered 202 before it is committed.
pub async fn ingest(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, Problem> {
    // The token and the feed in one trip to the store (not the ApiCaller extractor's two).
    let token = bearer_token(&req)?;
    let (caller, access) = feeds::open_feed_with_bearer(&state.db, &token, &path)
        .await?
        .ok_or_else(unknown_token)?;
    if !acceptable(&req) {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send Content-Type: application/json or application/vnd.myget.webhooks.v1+json",
        ));
    }
    let body = read_body(&req, payload).await?;
    let feed_url = state.url(&format!("/feeds/{}", access.feed.identifier));
    let event = ingest::prepare(&body, &access, &caller, &feed_url)?;
    let identifier = event.identifier.clone();
    let stored = state.events.store(event).await?;
    let accepted = ingest::answer(&identifier, stored)?;
    let answer = json!({"identifier": accepted.identifier, "deliveries": accepted.deliveries});
    Ok(if accepted.created {
        HttpResponse::Accepted().json(answer)
    } else {
        HttpResponse::Ok().json(answer)
    })
}

/// `GET /feeds/{feed}/events`: newest first, paged by cursor.
pub async fn list(
    state: web::Data<AppState>,
    f: ApiFeed,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, Problem> {
    let access = f.access;
    let (limit, before) = q.parse()?;
    let feed_id = access.feed.id;
    let rows = state
        .db
        .run(move |c| list_events(c, feed_id, before, limit + 1))
        .await
        .map_err(crate::domain::DomainError::from)?;
    let next = (rows.len() as i64 > limit).then(|| rows[limit as usize - 1].id.to_string());
    let items: Vec<_> = rows
        .into_iter()
        .take(limit as usize)
        .map(|e| {
            json!({
                "identifier": e.identifier,
                "payload_type": EventType::from_name(&e.event_type).map(|t| t.payload_type()),
                "event": e.event_type,
                "username": e.username,
                "when": e.occurred_at,
                "received_at": rfc3339(e.received_at),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": next})))
}

/// `GET /schemas/{event}`: the JSON Schema of an event's envelope, by short name.
pub async fn schema(path: web::Path<String>) -> Result<HttpResponse, Problem> {
    let event = EventType::from_name(&path).ok_or_else(Problem::not_found)?;
    Ok(HttpResponse::Ok()
        .content_type("application/schema+json")
        .json(json_schema(event)))
}

/// `GET /openapi.json`: this API, described.
pub async fn openapi(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(super::openapi::document(state.base_url.as_str()))
}

/// One event with its envelope, its deliveries, and the hooks whose filter turned it away.
pub async fn show(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    let d = crate::domain::event_detail::get(&state.db, &f.access, &path.1).await?;
    let e = &d.row;
    Ok(HttpResponse::Ok().json(json!({
        "identifier": e.identifier,
        "payload_type": EventType::from_name(&e.event_type).map(|t| t.payload_type()),
        "event": e.event_type,
        "username": e.username,
        "when": e.occurred_at,
        "received_at": rfc3339(e.received_at),
        "source": d.source_id,
        "envelope": serde_json::from_str::<serde_json::Value>(&d.envelope).unwrap_or_default(),
        "deliveries": d.deliveries.iter().map(|x| json!({"id": x.id, "hook": x.hook_id, "hook_name": x.hook_name, "status": x.status})).collect::<Vec<_>>(),
        "filtered": d.filtered.iter().map(|x| json!({"hook": x.hook_id, "hook_name": x.hook_name, "reason": x.reason})).collect::<Vec<_>>(),
    })))
}
