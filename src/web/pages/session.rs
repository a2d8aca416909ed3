//! First-administrator setup, sign-in and sign-out.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use super::{Chrome, PageError, redirect, redirect_plain, render, render_status, safe_next};
use crate::domain::DomainError;
use crate::domain::accounts::{self, NewUser};
use crate::domain::throttle::Verdict;
use crate::web::auth::{MaybeUser, SESSION_COOKIE, removal_cookie, session_cookie};
use crate::web::csrf::CsrfForm;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(
    req: HttpRequest,
    MaybeUser(user): MaybeUser,
    q: web::Query<NextQuery>,
) -> HttpResponse {
    let next = safe_next(q.next.as_deref());
    if user.is_some() {
        return redirect_plain(&next);
    }
    render(
        &req,
        &LoginPage {
            chrome: Chrome::new(&req, None),
            next,
            username: String::new(),
            error: None,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let next = safe_next(form.next.as_deref());
    let account_key = format!("user:{}", form.username.trim().to_ascii_lowercase());
    let ip = crate::web::client_ip::of(req.peer_addr(), req.headers(), Some(&state));
    let keys = [account_key.clone(), format!("ip:{ip}")];
    let page = |status, error: &str| {
        let p = LoginPage {
            chrome: Chrome::new(&req, None),
            next: next.clone(),
            username: form.username.clone(),
            error: Some(error.into()),
        };
        render_status(&req, status, &p)
    };
    match state.throttle.check(&keys) {
        Verdict::Locked(wait) => {
            let mut res = page(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Too many failed sign-ins. Try again in {} minutes.",
                    wait.as_secs().div_ceil(60)
                ),
            );
            res.headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, wait.as_secs().into());
            return Ok(res);
        }
        Verdict::Proceed(delay) => tokio::time::sleep(delay).await,
    }
    let password = SecretString::from(form.password.clone());
    match accounts::authenticate(&state.db, &form.username, password).await? {
        Some(user) => {
            state.throttle.record_success(&account_key);
            // A session id from before sign-in is never reused: end it and issue a new one.
            if let Some(old) = req.cookie(SESSION_COOKIE) {
                accounts::end_session(&state.db, old.value()).await?;
            }
            let id = accounts::start_session(&state.db, user.id).await?;
            tracing::info!(user = %user.username, "signed in");
            let mut res = redirect_plain(&next);
            res.add_cookie(&session_cookie(&state, id))
                .map_err(|_| PageError::Internal)?;
            Ok(res)
        }
        None => {
            state.throttle.record_failure(&keys);
            tracing::info!(%ip, "failed sign-in");
            Ok(page(
                StatusCode::UNAUTHORIZED,
                "The username or password is wrong.",
            ))
        }
    }
}

#[derive(Deserialize)]
pub struct EmptyForm {}

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    _: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    if let Some(c) = req.cookie(SESSION_COOKIE) {
        accounts::end_session(&state.db, c.value()).await?;
    }
    let mut res = redirect("/login", "ok", "You are signed out.");
    res.add_cookie(&removal_cookie(&state, SESSION_COOKIE))
        .map_err(|_| PageError::Internal)?;
    Ok(res)
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    chrome: Chrome,
    token: String,
    username: String,
    email: String,
    errors: Vec<String>,
}

#[derive(Deserialize)]
pub struct SetupQuery {
    token: Option<String>,
}

pub async fn setup_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<SetupQuery>,
) -> Result<HttpResponse, PageError> {
    let token = q.token.clone().unwrap_or_default();
    if !accounts::setup_token_valid(&state.db, &token).await? {
        return Err(PageError::NotFound);
    }
    let page = SetupPage {
        chrome: Chrome::new(&req, None),
        token,
        username: String::new(),
        email: String::new(),
        errors: vec![],
    };
    Ok(render(&req, &page))
}

/// Every field defaults, so a form without the live token is a 404 like the page, whatever
/// else it lacks.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SetupForm {
    token: String,
    username: String,
    email: String,
    password: String,
}

pub async fn setup(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> Result<HttpResponse, PageError> {
    let new = NewUser {
        username: form.username.clone(),
        email: Some(form.email.clone()),
        password: SecretString::from(form.password),
        is_admin: true,
    };
    match accounts::complete_setup(&state.db, &form.token, new).await {
        Ok(user) => {
            tracing::info!(user = %user.username, "first administrator created; the setup link is spent");
            let id = accounts::start_session(&state.db, user.id).await?;
            let mut res = redirect(
                "/feeds",
                "ok",
                format!("Welcome, {}. Create your first feed below.", user.username),
            );
            res.add_cookie(&session_cookie(&state, id))
                .map_err(|_| PageError::Internal)?;
            Ok(res)
        }
        Err(DomainError::Invalid(errs)) => {
            let page = SetupPage {
                chrome: Chrome::new(&req, None),
                token: form.token,
                username: form.username,
                email: form.email,
                errors: errs.iter().map(ToString::to_string).collect(),
            };
            Ok(render_status(&req, StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}
