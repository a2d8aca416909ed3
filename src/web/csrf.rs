//! CSRF protection for every state-changing form: a signed double-submit token. Each browser
//! gets a random `fh_csrf` cookie; forms carry HMAC(key, cookie) in a hidden `csrf` field. A
//! cross-site page can neither read the cookie nor compute the HMAC without the server key.
use std::future::Future;
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::domain::secret_token;
use crate::web::page_error::PageError;
use crate::web::state::AppState;

pub const CSRF_COOKIE: &str = "fh_csrf";
/// Forms are small; a larger body is refused before parsing.
const FORM_LIMIT: usize = 256 * 1024;

/// The browser's CSRF seed, from its cookie or freshly made for this response.
#[derive(Clone)]
struct Seed(String);

/// Gives every browser a seed cookie with the first page it sees, so that page can already
/// carry a token. Only HTML pages get one: API answers have no forms, and a cookie on the
/// stylesheet or the icon would keep shared caches from storing them.
pub async fn ensure_seed(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(c) = req.cookie(CSRF_COOKIE) {
        req.extensions_mut().insert(Seed(c.value().to_owned()));
        return next.call(req).await;
    }
    let (seed, _) = secret_token::generate("");
    req.extensions_mut().insert(Seed(seed.clone()));
    let secure = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.cookies_secure())
        .unwrap_or(false);
    let mut res = next.call(req).await?;
    let is_page = res
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_page {
        return Ok(res);
    }
    let cookie = Cookie::build(CSRF_COOKIE, seed)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish();
    res.response_mut()
        .add_cookie(&cookie)
        .map_err(actix_web::error::ErrorInternalServerError)?;
    Ok(res)
}

fn sign(state: &AppState, seed: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&state.key.derive("csrf")).expect("any key length");
    mac.update(seed.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The token to put in this request's forms.
pub fn token(req: &HttpRequest) -> String {
    let state = req
        .app_data::<web::Data<AppState>>()
        .expect("AppState is registered");
    let seed = req
        .extensions()
        .get::<Seed>()
        .map(|s| s.0.clone())
        .unwrap_or_default();
    sign(state, &seed)
}

fn token_is_valid(req: &HttpRequest, sent: &str) -> bool {
    let state = req
        .app_data::<web::Data<AppState>>()
        .expect("AppState is registered");
    let Some(seed) = req.cookie(CSRF_COOKIE) else {
        return false;
    };
    let want = sign(state, seed.value());
    want.as_bytes().ct_eq(sent.as_bytes()).into()
}

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A URL-encoded form whose CSRF token was checked; anything else is refused with 403 before
/// the handler runs, so nothing changes. Form types take `#[serde(default)]`: actix runs a
/// handler's extractors together, and a missing field must not answer 400 before the feed
/// extractor answers 404 to someone who may not see the feed.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|_| PageError::BadRequest("the form could not be read".into()))?;
                if body.len() + chunk.len() > FORM_LIMIT {
                    return Err(PageError::BadRequest("the form is too large".into()));
                }
                body.extend_from_slice(&chunk);
            }
            let field: CsrfField = serde_urlencoded::from_bytes(&body)
                .map_err(|_| PageError::BadRequest("the form could not be read".into()))?;
            if !token_is_valid(&req, &field.csrf) {
                return Err(PageError::CsrfRejected);
            }
            let form = serde_urlencoded::from_bytes(&body)
                .map_err(|e| PageError::BadRequest(format!("the form could not be read: {e}")))?;
            Ok(CsrfForm(form))
        })
    }
}
