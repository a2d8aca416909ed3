//! The JSON API under /api/v1: bearer-token auth, problem+json errors.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};

pub mod feeds;
pub mod problem;

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

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(json_config())
        .route("/feeds", web::post().to(feeds::create))
        .route("/feeds", web::get().to(feeds::list))
        .route("/feeds/{feed}", web::get().to(feeds::get))
        .route("/feeds/{feed}", web::delete().to(feeds::delete))
        .route(
            "/feeds/{feed}/co-owners/{username}",
            web::put().to(feeds::add_co_owner),
        )
        .route(
            "/feeds/{feed}/co-owners/{username}",
            web::delete().to(feeds::remove_co_owner),
        )
        .route("/feeds/{feed}/keys", web::post().to(feeds::create_key))
        .route("/feeds/{feed}/keys", web::get().to(feeds::list_keys))
        .route(
            "/feeds/{feed}/keys/{id}",
            web::delete().to(feeds::revoke_key),
        );
}
