//! Who is asking: session cookies for pages, bearer tokens for the API.
use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use crate::db::users::UserRow;
use crate::domain::access::Caller;
use crate::domain::{accounts, feeds};
use crate::web::api::problem::Problem;
use crate::web::pages::PageError;
use crate::web::state::AppState;

pub const SESSION_COOKIE: &str = "fh_session";

/// The session cookie: HttpOnly, SameSite=Lax (so a link from a chat still opens the page
/// signed in; state changes need a CSRF token anyway), Secure behind an https base URL.
pub fn session_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.cookies_secure())
        .max_age(CookieDuration::seconds(
            accounts::SESSION_MAX.as_secs() as i64
        ))
        .finish()
}

pub fn removal_cookie(state: &AppState, name: &'static str) -> Cookie<'static> {
    let mut c = Cookie::build(name, "")
        .path("/")
        .http_only(true)
        .secure(state.cookies_secure())
        .finish();
    c.make_removal();
    c
}

fn state_of(req: &HttpRequest) -> web::Data<AppState> {
    req.app_data::<web::Data<AppState>>()
        .expect("AppState is registered")
        .clone()
}

/// The signed-in user, if any.
pub struct MaybeUser(pub Option<UserRow>);

impl FromRequest for MaybeUser {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = state_of(req);
        let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        Box::pin(async move {
            let Some(id) = cookie else {
                return Ok(MaybeUser(None));
            };
            Ok(MaybeUser(accounts::session_user(&state.db, &id).await?))
        })
    }
}

/// A page that needs a signed-in user; anyone else is sent to the login page, whatever the
/// path, so a signed-out visitor learns nothing about which feeds exist.
pub struct SignedIn(pub UserRow);

impl FromRequest for SignedIn {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let maybe = MaybeUser::from_request(req, payload);
        let next = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        Box::pin(async move {
            match maybe.await? {
                MaybeUser(Some(u)) => Ok(SignedIn(u)),
                MaybeUser(None) => Err(PageError::SignInRequired { next }),
            }
        })
    }
}

/// A signed-in administrator; others get 404, as for any page they may not see.
pub struct AdminUser(pub UserRow);

impl FromRequest for AdminUser {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed_in = SignedIn::from_request(req, payload);
        Box::pin(async move {
            let SignedIn(u) = signed_in.await?;
            if u.is_admin {
                Ok(AdminUser(u))
            } else {
                Err(PageError::NotFound)
            }
        })
    }
}

/// An API caller, from `Authorization: Bearer <personal token or feed key>`.
pub struct ApiCaller(pub Caller);

impl FromRequest for ApiCaller {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = state_of(req);
        let token = bearer_token(req);
        Box::pin(async move {
            match feeds::authenticate_bearer(&state.db, &token?).await? {
                Some(caller) => Ok(ApiCaller(caller)),
                None => Err(unknown_token()),
            }
        })
    }
}

/// The token of `Authorization: Bearer <token>`.
pub fn bearer_token(req: &HttpRequest) -> Result<String, Problem> {
    req.headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned())
        .ok_or_else(|| Problem::unauthorized("send Authorization: Bearer <token>"))
}

pub fn unknown_token() -> Problem {
    Problem::unauthorized("the token is unknown or was revoked")
}

/// An API caller acting as a user (a personal access token); feed keys may only post events.
pub struct ApiUser(pub UserRow);

impl FromRequest for ApiUser {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = ApiCaller::from_request(req, payload);
        Box::pin(async move {
            match caller.await?.0 {
                Caller::User(u) => Ok(ApiUser(u)),
                Caller::FeedKey { .. } => Err(Problem::forbidden(
                    "a feed key may only post events to its feed",
                )),
            }
        })
    }
}

/// The feed named by the route's `{feed}`, opened for an API user: 404 for anyone without a
/// role on it. Handlers of feed routes take this instead of opening the feed themselves.
pub struct ApiFeed {
    pub user: UserRow,
    pub access: crate::domain::access::FeedAccess,
}

impl FromRequest for ApiFeed {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = state_of(req);
        let user = ApiUser::from_request(req, payload);
        let feed = req.match_info().get("feed").unwrap_or_default().to_owned();
        Box::pin(async move {
            let ApiUser(user) = user.await?;
            let access = feeds::open_feed(&state.db, &user, &feed).await?;
            Ok(ApiFeed { user, access })
        })
    }
}

/// The feed named by the route's `{feed}`, opened for the signed-in user. Taken before any
/// form is parsed, so everyone without a role gets 404 for every page and form of a feed,
/// whatever they send; signed-out visitors are sent to sign in.
pub struct PageFeed {
    pub user: UserRow,
    pub access: crate::domain::access::FeedAccess,
}

impl FromRequest for PageFeed {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = state_of(req);
        let signed_in = SignedIn::from_request(req, payload);
        let feed = req.match_info().get("feed").unwrap_or_default().to_owned();
        Box::pin(async move {
            let SignedIn(user) = signed_in.await?;
            let access = feeds::open_feed(&state.db, &user, &feed).await?;
            Ok(PageFeed { user, access })
        })
    }
}
