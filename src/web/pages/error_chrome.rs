//! Error pages under the navigation of the signed-in user, so that a 404 or 403 still says who
//! is signed in and leads back. A `PageError` builds its page without the request; this
//! middleware, which has the request, renders it again with the session's user.
use actix_web::ResponseError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use askama::Template;

use super::{Chrome, PageError};
use crate::domain::accounts;
use crate::web::auth::SESSION_COOKIE;
use crate::web::state::AppState;

pub async fn with_user(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let Some(err) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<PageError>())
    else {
        return Ok(res);
    };
    if matches!(err, PageError::SignInRequired { .. }) {
        return Ok(res);
    }
    let Some(session) = res.request().cookie(SESSION_COOKIE) else {
        return Ok(res);
    };
    let Some(state) = res.request().app_data::<actix_web::web::Data<AppState>>() else {
        return Ok(res);
    };
    // A store too busy to say who is signed in keeps the page it has.
    let Ok(Some(user)) = accounts::session_user(&state.db, session.value()).await else {
        return Ok(res);
    };
    let chrome = Chrome::new(res.request(), Some(user));
    let Ok(html) = err.page(chrome).render() else {
        return Ok(res);
    };
    let again = err.error_response().set_body(BoxBody::new(html));
    Ok(res.into_response(again))
}
