//! Routes registered through one trait, so the same list serves the server and the tests that
//! walk every route (the OpenAPI check, the access matrix).
use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, web};

/// Where routes go: the real server, or a list.
pub trait RouteSink {
    fn add<F, Args>(&mut self, method: Method, path: &'static str, handler: F)
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static;
}

impl RouteSink for web::ServiceConfig {
    fn add<F, Args>(&mut self, method: Method, path: &'static str, handler: F)
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(path, web::method(method).to(handler));
    }
}

/// The routes as (method, path) pairs.
#[derive(Default)]
pub struct RouteList(pub Vec<(Method, &'static str)>);

impl RouteSink for RouteList {
    fn add<F, Args>(&mut self, method: Method, path: &'static str, _: F)
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.0.push((method, path));
    }
}
