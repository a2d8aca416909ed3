//! The HTTP face: the routes table, the web pages, the JSON API and their shared middleware.
use actix_web::{HttpRequest, HttpResponse, web};

pub mod api;
pub mod assets;
pub mod auth;
pub mod csrf;
pub mod health;
pub mod middleware;
pub mod pages;

use pages::{account, admin, deliveries, feeds, hook_page, hooks, session};

/// Every route the server answers. Pages and API call the same domain functions.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("")
            .wrap(actix_web::middleware::from_fn(csrf::ensure_seed))
            .wrap(actix_web::middleware::from_fn(middleware::security_headers))
            .wrap(actix_web::middleware::from_fn(middleware::log_request))
            .app_data(web::PathConfig::default().error_handler(|_, req| not_found_for(req)))
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            .route("/metrics", web::get().to(health::metrics))
            .route("/static/{file:.*}", web::get().to(assets::serve))
            .service(
                web::scope("/api/v1")
                    .configure(api::routes)
                    .default_service(web::to(not_found)),
            )
            .configure(page_routes)
            .default_service(web::to(not_found)),
    );
}

fn page_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/",
        web::get().to(|| async { pages::redirect_plain("/feeds") }),
    )
    .route("/setup", web::get().to(session::setup_form))
    .route("/setup", web::post().to(session::setup))
    .route("/login", web::get().to(session::login_form))
    .route("/login", web::post().to(session::login))
    .route("/logout", web::post().to(session::logout))
    .route("/feeds", web::get().to(feeds::list))
    .route("/feeds", web::post().to(feeds::create))
    .route("/feeds/{feed}", web::get().to(feeds::show))
    .route("/feeds/{feed}/settings", web::get().to(feeds::settings))
    .route("/feeds/{feed}/delete", web::post().to(feeds::delete))
    .route(
        "/feeds/{feed}/co-owners",
        web::post().to(feeds::add_co_owner),
    )
    .route(
        "/feeds/{feed}/co-owners/{username}/remove",
        web::post().to(feeds::remove_co_owner),
    )
    .route("/feeds/{feed}/keys", web::post().to(feeds::create_key))
    .route("/feeds/{feed}/hooks/new", web::get().to(hooks::new_form))
    .route("/feeds/{feed}/hooks", web::post().to(hooks::create))
    .route("/feeds/{feed}/hooks/{id}", web::get().to(hook_page::show))
    .route(
        "/feeds/{feed}/hooks/{id}/edit",
        web::get().to(hooks::edit_form),
    )
    .route(
        "/feeds/{feed}/hooks/{id}/edit",
        web::post().to(hooks::update),
    )
    .route(
        "/feeds/{feed}/hooks/{id}/enabled",
        web::post().to(hooks::set_enabled),
    )
    .route(
        "/feeds/{feed}/hooks/{id}/delete",
        web::post().to(hooks::delete),
    )
    .route(
        "/feeds/{feed}/hooks/{id}/ping",
        web::post().to(hook_page::ping),
    )
    .route(
        "/feeds/{feed}/hooks/{id}/redeliver",
        web::post().to(hook_page::redeliver_failed),
    )
    .route(
        "/feeds/{feed}/deliveries/{id}",
        web::get().to(deliveries::show),
    )
    .route(
        "/feeds/{feed}/deliveries/{id}/redeliver",
        web::post().to(deliveries::redeliver),
    )
    .route(
        "/feeds/{feed}/keys/{id}/revoke",
        web::post().to(feeds::revoke_key),
    )
    .route("/account", web::get().to(account::show))
    .route(
        "/account/password",
        web::post().to(account::change_password),
    )
    .route("/account/tokens", web::post().to(account::create_token))
    .route(
        "/account/tokens/{id}/revoke",
        web::post().to(account::revoke_token),
    )
    .route("/admin/users", web::get().to(admin::users))
    .route("/admin/users", web::post().to(admin::create))
    .route(
        "/admin/users/{username}/delete",
        web::post().to(admin::delete),
    );
}

fn not_found_for(req: &HttpRequest) -> actix_web::Error {
    if req.path().starts_with("/api/") {
        api::problem::Problem::not_found().into()
    } else {
        pages::PageError::NotFound.into()
    }
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    not_found_for(&req).error_response()
}
