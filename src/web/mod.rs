//! The HTTP face: the routes table, the web pages, the JSON API and their shared middleware.
use actix_web::web;

pub mod assets;
pub mod health;
pub mod middleware;

/// Every route the server answers. Pages and API call the same domain functions.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("")
            .wrap(actix_web::middleware::from_fn(middleware::security_headers))
            .wrap(actix_web::middleware::from_fn(middleware::log_request))
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            .route("/static/{file:.*}", web::get().to(assets::serve)),
    );
}
