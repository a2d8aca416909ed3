//! The HTTP face: the routes table, the web pages, the JSON API and their shared middleware.
use actix_web::{HttpRequest, HttpResponse, web};

pub mod api;
pub mod assets;
pub mod auth;
pub mod client_ip;
pub mod csrf;
pub mod health;
pub mod middleware;
pub mod page_error;
pub mod pages;
pub mod routes;
pub mod state;

use pages::{
    account, admin, deliveries, events, feeds, hook_page, hooks, replays, session, sources,
};
use routes::RouteSink;

/// Every route the server answers. Pages and API call the same domain functions.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("")
            .wrap(actix_web::middleware::from_fn(
                pages::error_chrome::with_user,
            ))
            .wrap(actix_web::middleware::from_fn(csrf::ensure_seed))
            .wrap(actix_web::middleware::from_fn(middleware::security_headers))
            .wrap(actix_web::middleware::from_fn(middleware::log_request))
            .app_data(web::PathConfig::default().error_handler(|_, req| not_found_for(req)))
            .app_data(web::QueryConfig::default().error_handler(bad_query_for))
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            .route("/metrics", web::get().to(health::metrics))
            .route("/static/{file:.*}", web::get().to(assets::serve))
            .route("/favicon.ico", web::get().to(assets::favicon))
            .service(
                web::scope("/api/v1")
                    .configure(api::routes)
                    .default_service(web::to(not_found)),
            )
            .configure(page_routes)
            .default_service(web::to(not_found)),
    );
}

/// Every page route. Registered through [`RouteSink`] like the API's, so a test can walk all
/// of them (the access matrix).
pub fn page_routes(r: &mut impl RouteSink) {
    use actix_web::http::Method as M;
    r.add(M::GET, "/", || async { pages::redirect_plain("/feeds") });
    r.add(M::GET, "/setup", session::setup_form);
    r.add(M::POST, "/setup", session::setup);
    r.add(M::GET, "/login", session::login_form);
    r.add(M::POST, "/login", session::login);
    r.add(M::POST, "/logout", session::logout);
    r.add(M::GET, "/feeds", feeds::list);
    r.add(M::POST, "/feeds", feeds::create);
    r.add(M::GET, "/feeds/{feed}", feeds::show);
    r.add(M::GET, "/feeds/{feed}/settings", feeds::settings);
    r.add(M::POST, "/feeds/{feed}/delete", feeds::delete);
    r.add(M::POST, "/feeds/{feed}/co-owners", feeds::add_co_owner);
    r.add(
        M::POST,
        "/feeds/{feed}/co-owners/{username}/remove",
        feeds::remove_co_owner,
    );
    r.add(M::POST, "/feeds/{feed}/keys", feeds::create_key);
    r.add(M::GET, "/feeds/{feed}/hooks/new", hooks::new_form);
    r.add(M::POST, "/feeds/{feed}/hooks", hooks::create);
    r.add(M::GET, "/feeds/{feed}/hooks/{id}", hook_page::show);
    r.add(M::GET, "/feeds/{feed}/hooks/{id}/edit", hooks::edit_form);
    r.add(M::POST, "/feeds/{feed}/hooks/{id}/edit", hooks::update);
    r.add(
        M::POST,
        "/feeds/{feed}/hooks/{id}/enabled",
        hooks::set_enabled,
    );
    r.add(M::POST, "/feeds/{feed}/hooks/{id}/delete", hooks::delete);
    r.add(M::POST, "/feeds/{feed}/hooks/{id}/ping", hook_page::ping);
    r.add(
        M::POST,
        "/feeds/{feed}/hooks/{id}/redeliver",
        hook_page::redeliver_failed,
    );
    r.add(M::POST, "/feeds/{feed}/hooks/{id}/replays", replays::start);
    r.add(
        M::POST,
        "/feeds/{feed}/hooks/{id}/replays/{replay}/cancel",
        replays::cancel,
    );
    r.add(M::GET, "/feeds/{feed}/deliveries/{id}", deliveries::show);
    r.add(M::GET, "/feeds/{feed}/events/{identifier}", events::show);
    r.add(
        M::POST,
        "/feeds/{feed}/deliveries/{id}/redeliver",
        deliveries::redeliver,
    );
    r.add(M::POST, "/feeds/{feed}/keys/{id}/revoke", feeds::revoke_key);
    r.add(M::GET, "/feeds/{feed}/sources", sources::list);
    r.add(M::GET, "/feeds/{feed}/sources/new", sources::new_form);
    r.add(M::POST, "/feeds/{feed}/sources", sources::create);
    r.add(M::GET, "/feeds/{feed}/sources/{id}", sources::show);
    r.add(
        M::GET,
        "/feeds/{feed}/sources/{id}/edit",
        sources::edit_form,
    );
    r.add(M::POST, "/feeds/{feed}/sources/{id}/edit", sources::update);
    r.add(M::POST, "/feeds/{feed}/sources/{id}/poll", sources::poll);
    r.add(
        M::POST,
        "/feeds/{feed}/sources/{id}/enabled",
        sources::set_enabled,
    );
    r.add(
        M::POST,
        "/feeds/{feed}/sources/{id}/delete",
        sources::delete,
    );
    r.add(
        M::POST,
        "/feeds/{feed}/sources/{id}/rotate-secret",
        sources::rotate_secret,
    );
    r.add(M::GET, "/account", account::show);
    r.add(M::POST, "/account/password", account::change_password);
    r.add(M::POST, "/account/tokens", account::create_token);
    r.add(
        M::POST,
        "/account/tokens/{id}/revoke",
        account::revoke_token,
    );
    r.add(M::GET, "/admin/users", admin::users);
    r.add(M::POST, "/admin/users", admin::create);
    r.add(M::POST, "/admin/users/{username}/delete", admin::delete);
}

fn not_found_for(req: &HttpRequest) -> actix_web::Error {
    if req.path().starts_with("/api/") {
        api::problem::Problem::not_found().into()
    } else {
        pages::PageError::NotFound.into()
    }
}

/// A query string the handler's type cannot take (a parameter twice, say): 400 as the API's
/// problem+json or as a page, never actix's plain text.
fn bad_query_for(err: actix_web::error::QueryPayloadError, req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::QueryPayloadError;
    let detail = match err {
        QueryPayloadError::Deserialize(e) => format!("the query string could not be read: {e}"),
        other => format!("the query string could not be read: {other}"),
    };
    if req.path().starts_with("/api/") {
        api::problem::Problem::new(actix_web::http::StatusCode::BAD_REQUEST, detail).into()
    } else {
        pages::PageError::BadRequest(detail).into()
    }
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    Err(not_found_for(&req))
}
