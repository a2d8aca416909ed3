//! `POST /api/v1/inbound/{source id}`: the other systems' own webhooks. No token: each kind
//! authenticates by its own scheme (a signature, a token, a bearer secret).
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::ListQuery;
use super::events::read_body;
use super::problem::Problem;
use crate::domain::time::rfc3339;
use crate::sources::inbound::Headers;
use crate::sources::inbound::service::{self as inbound, Outcome, Receiver, Refusal};
use crate::web::auth::ApiFeed;
use crate::web::state::AppState;

pub async fn receive(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, Problem> {
    let body = read_body(&req, payload).await?;
    let headers: Headers = req
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let base_url = state.url("");
    let receiver = Receiver {
        db: &state.db,
        secrets: &state.secrets,
        wake: &state.wake,
        base_url: &base_url,
    };
    match inbound::receive(receiver, path.into_inner(), headers, body.to_vec()).await {
        Ok(reply) => {
            let status = match reply.outcome {
                Outcome::Ping => StatusCode::OK,
                _ => StatusCode::ACCEPTED,
            };
            Ok(HttpResponse::build(status).json(json!({"events": reply.events})))
        }
        Err(Refusal::NotFound) => Err(Problem::not_found()),
        Err(Refusal::Unauthorized(e)) => Err(Problem::unauthorized(&e.to_string())),
        Err(Refusal::Unsupported(e)) => Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            e.to_string(),
        )),
        Err(Refusal::Malformed(e)) => Err(Problem::new(StatusCode::BAD_REQUEST, e.to_string())),
        Err(Refusal::Invalid(errors)) => Err(Problem::invalid(errors)),
        Err(Refusal::Domain(e)) => Err(e.into()),
    }
}

/// `GET /feeds/{feed}/sources/{id}/requests`: the source's request log, newest first.
pub async fn requests(
    state: web::Data<AppState>,
    f: ApiFeed,
    path: web::Path<(String, i64)>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, Problem> {
    let (limit, before) = q.parse()?;
    let rows =
        inbound::requests(&state.db, &state.secrets, &f.access, path.1, before, limit).await?;
    // A full page may have more behind it; the last row's id is where the next one starts.
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id.to_string()))
        .flatten();
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let headers: serde_json::Value =
                serde_json::from_str(&r.headers).unwrap_or_else(|_| json!([]));
            let identifiers: serde_json::Value =
                serde_json::from_str(&r.identifiers).unwrap_or_else(|_| json!([]));
            json!({
                "id": r.id,
                "received_at": rfc3339(r.received_at),
                "outcome": r.outcome,
                "detail": r.detail,
                "events": r.events,
                "identifiers": identifiers,
                "previous_secret": r.previous_secret,
                "headers": headers,
                "body": r.body,
                "body_size": r.body_size,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": next})))
}
