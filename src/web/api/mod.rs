//! The JSON API under /api/v1: bearer-token auth, problem+json errors.
use actix_web::http::Method;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};

pub use crate::web::routes::{RouteList, RouteSink};

pub mod events;
pub mod feeds;
pub mod hook_preview;
pub mod hooks;
pub mod inbound;
pub mod openapi;
mod openapi_inbound;
mod openapi_replays;
mod openapi_sources;
pub mod problem;
pub mod replays;
pub mod sources;

use problem::Problem;

/// JSON bodies: 1 MiB at most (events can carry package metadata; nothing legitimate is larger).
pub const MAX_BODY: usize = 1024 * 1024;

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY)
        .content_type_required(true)
        .content_type(|mime| {
            mime.essence_str() == "application/json" || mime.suffix() == Some(mime::JSON)
        })
        .error_handler(|err, _req: &HttpRequest| json_problem(&err).into())
}

/// A JSON extraction failure as problem+json: 413, 415 or 400 with the parser's line and column.
pub fn json_problem(err: &actix_web::error::JsonPayloadError) -> Problem {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {MAX_BODY} bytes"),
        ),
        E::ContentType => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send Content-Type: application/json",
        ),
        E::Deserialize(e) if e.is_data() => {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
        }
        E::Deserialize(e) => Problem::new(StatusCode::BAD_REQUEST, format!("malformed JSON: {e}")),
        other => Problem::new(StatusCode::BAD_REQUEST, other.to_string()),
    }
}

/// Every route of the API, relative to /api/v1.
pub fn register(r: &mut impl RouteSink) {
    use Method as M;
    // Ingest first: actix tries resources in this order, a regex match each, and ingest is
    // the route taken most.
    r.add(M::POST, "/feeds/{feed}/events", events::ingest);
    r.add(M::POST, "/feeds", feeds::create);
    r.add(M::GET, "/feeds", feeds::list);
    r.add(M::GET, "/feeds/{feed}", feeds::get);
    r.add(M::DELETE, "/feeds/{feed}", feeds::delete);
    r.add(
        M::PUT,
        "/feeds/{feed}/co-owners/{username}",
        feeds::add_co_owner,
    );
    r.add(
        M::DELETE,
        "/feeds/{feed}/co-owners/{username}",
        feeds::remove_co_owner,
    );
    r.add(M::POST, "/feeds/{feed}/keys", feeds::create_key);
    r.add(M::GET, "/feeds/{feed}/keys", feeds::list_keys);
    r.add(M::DELETE, "/feeds/{feed}/keys/{id}", feeds::revoke_key);
    r.add(M::GET, "/feeds/{feed}/events", events::list);
    r.add(M::GET, "/feeds/{feed}/events/{identifier}", events::show);
    r.add(M::POST, "/feeds/{feed}/hooks", hooks::create);
    r.add(
        M::POST,
        "/feeds/{feed}/hooks/preview",
        hook_preview::preview,
    );
    r.add(M::GET, "/feeds/{feed}/hooks", hooks::list);
    r.add(M::GET, "/feeds/{feed}/hooks/{id}", hooks::get);
    r.add(M::PATCH, "/feeds/{feed}/hooks/{id}", hooks::update);
    r.add(M::DELETE, "/feeds/{feed}/hooks/{id}", hooks::delete);
    r.add(M::POST, "/feeds/{feed}/hooks/{id}/ping", hooks::ping);
    r.add(
        M::POST,
        "/feeds/{feed}/hooks/{id}/redeliver",
        hooks::redeliver_failed,
    );
    r.add(M::POST, "/feeds/{feed}/hooks/{id}/replays", replays::create);
    r.add(
        M::GET,
        "/feeds/{feed}/hooks/{id}/replays/{replay}",
        replays::get,
    );
    r.add(
        M::DELETE,
        "/feeds/{feed}/hooks/{id}/replays/{replay}",
        replays::cancel,
    );
    r.add(
        M::GET,
        "/feeds/{feed}/hooks/{id}/deliveries",
        hooks::list_deliveries,
    );
    r.add(M::GET, "/feeds/{feed}/deliveries/{id}", hooks::get_delivery);
    r.add(
        M::POST,
        "/feeds/{feed}/deliveries/{id}/redeliver",
        hooks::redeliver,
    );
    r.add(M::POST, "/feeds/{feed}/sources", sources::create);
    r.add(M::GET, "/feeds/{feed}/sources", sources::list);
    r.add(M::GET, "/feeds/{feed}/sources/{id}", sources::get);
    r.add(M::PATCH, "/feeds/{feed}/sources/{id}", sources::update);
    r.add(M::DELETE, "/feeds/{feed}/sources/{id}", sources::delete);
    r.add(M::POST, "/feeds/{feed}/sources/{id}/poll", sources::poll);
    r.add(
        M::POST,
        "/feeds/{feed}/sources/{id}/rotate-secret",
        sources::rotate_secret,
    );
    r.add(M::GET, "/feeds/{feed}/sources/{id}/events", sources::events);
    r.add(
        M::GET,
        "/feeds/{feed}/sources/{id}/requests",
        inbound::requests,
    );
    r.add(M::POST, "/inbound/{id}", inbound::receive);
    r.add(M::GET, "/schemas/{event}", events::schema);
    r.add(M::GET, "/openapi.json", events::openapi);
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(json_config());
    register(cfg);
}

/// `?limit=&cursor=` of every list: limit 1..=500 (default 50); the cursor is the last id seen.
#[derive(serde::Deserialize)]
pub struct ListQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl ListQuery {
    pub fn parse(&self) -> Result<(i64, Option<i64>), Problem> {
        use crate::primitives::FieldError;
        let mut errors = vec![];
        let limit = match self.limit.as_deref() {
            None | Some("") => 50,
            Some(s) => match s.parse::<i64>() {
                Ok(n) if (1..=500).contains(&n) => n,
                _ => {
                    errors.push(FieldError::new(
                        "limit",
                        "must be a whole number from 1 to 500",
                    ));
                    50
                }
            },
        };
        let cursor = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(s) => match s.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    errors.push(FieldError::new(
                        "cursor",
                        "is not a cursor this server gave out",
                    ));
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok((limit, cursor))
        } else {
            Err(Problem::invalid(errors))
        }
    }
}
