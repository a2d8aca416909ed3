//! Event sources of a feed: settings, state, "poll now" and secret rotation.
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::ListQuery;
use super::problem::Problem;
use crate::domain::source_config::Mode;
use crate::domain::sources::{self, Source, SourceInput};
use crate::domain::time::rfc3339;
use crate::events::EventType;
use crate::web::auth::ApiFeed;
use crate::web::state::AppState;

/// The address an inbound source's upstream posts to.
pub fn inbound_url(state: &AppState, source: &Source) -> Option<String> {
    (source.kind().mode() == Mode::Inbound)
        .then(|| state.url(&format!("/api/v1/inbound/{}", source.id)))
}

pub fn source_json(state: &AppState, s: &Source) -> Value {
    let mut v = json!({
        "id": s.id,
        "kind": s.kind().as_str(),
        "name": s.name,
        "enabled": s.enabled,
        "config": s.config.public_json(),
        "state": {
            "last_poll_at": s.state.last_poll_at.map(rfc3339),
            "last_success_at": s.state.last_success_at.map(rfc3339),
            "last_error": s.state.last_error,
            "failures": s.state.failures,
            "next_poll_at": (s.kind().mode() == Mode::Polling && s.enabled)
                .then(|| rfc3339(s.state.next_poll_at.max(s.updated_at))),
            "events_emitted": s.state.events_emitted,
            "cursor": s.state.cursor,
        },
        "created_at": rfc3339(s.created_at),
        "updated_at": rfc3339(s.updated_at),
    });
    if let Some(url) = inbound_url(state, s) {
        v["inbound_url"] = json!(url);
    }
    v
}

async fn source_of(state: &AppState, f: &ApiFeed, id: i64) -> Result<Source, Problem> {
    Ok(sources::get_source(&state.db, &state.secrets, &f.access, id).await?)
}

pub async fn create(
    state: web::Data<AppState>,
    f: ApiFeed,
    body: web::Json<SourceInput>,
) -> Result<HttpResponse, Problem> {
    let (source, secret) = sources::create_source(
        &state.db,
        &state.secrets,
        &state.sources_due,
        &f.access,
        &body,
    )
    .await?;
    let mut v = source_json(&state, &source);
    if let Some(secret) = secret {
        v["secret"] = json!(secret);
        v["secret_note"] = json!("the secret the other system signs with, shown this once");
    }
    Ok(HttpResponse::Created().json(v))
}

pub async fn list(state: web::Data<AppState>, f: ApiFeed) -> Result<HttpResponse, Problem> {
    let items: Vec<Value> = sources::list_sources(&state.db, &state.secrets, &f.access)
        .await?
        .iter()
        .map(|s| source_json(&state, s))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": null})))
}

pub async fn get(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, Problem> {
    let source = source_of(&state, &f, path.1).await?;
    Ok(HttpResponse::Ok().json(source_json(&state, &source)))
}

pub async fn update(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
    body: web::Json<SourceInput>,
) -> Result<HttpResponse, Problem> {
    let source = sources::update_source(
        &state.db,
        &state.secrets,
        &state.sources_due,
        &f.access,
        path.1,
        &body,
    )
    .await?;
    Ok(HttpResponse::Ok().json(source_json(&state, &source)))
}

pub async fn delete(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, Problem> {
    sources::delete_source(&state.db, &f.access, path.1).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST .../sources/{id}/poll`: one poll now; answers when it is done, with the events it
/// emitted and, when it failed, why (the same text the source's state shows).
pub async fn poll(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, Problem> {
    let source = source_of(&state, &f, path.1).await?;
    if source.kind().mode() != Mode::Polling {
        return Err(Problem::new(
            actix_web::http::StatusCode::CONFLICT,
            format!(
                "{} sources are not polled: their upstream posts to the inbound URL",
                source.kind().label()
            ),
        ));
    }
    let (events, error) = state.poller.poll_now(source.id).await;
    Ok(HttpResponse::Ok().json(json!({"events": events, "error": error.map(|e| e.to_string())})))
}

pub async fn rotate_secret(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, Problem> {
    let secret = sources::rotate_secret(&state.db, &state.secrets, &f.access, path.1).await?;
    Ok(HttpResponse::Ok().json(json!({
        "secret": secret,
        "secret_note": "the new secret, shown this once; the previous one works for 24 hours more",
    })))
}

/// `GET .../sources/{id}/events`: what the source emitted, newest first.
pub async fn events(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, Problem> {
    let source = source_of(&state, &f, path.1).await?;
    let (limit, before) = q.parse()?;
    let rows = sources::source_events(&state.db, &source, before, limit + 1).await?;
    let next = (rows.len() as i64 > limit).then(|| rows[limit as usize - 1].id.to_string());
    let items: Vec<Value> = rows
        .iter()
        .take(limit as usize)
        .map(|e| {
            json!({
                "identifier": e.identifier,
                "event": e.event_type,
                "payload_type": EventType::from_name(&e.event_type).map(|t| t.payload_type()),
                "username": e.username,
                "when": e.occurred_at,
                "received_at": rfc3339(e.received_at),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": next})))
}
