//! The signed-in user's account: password and personal access tokens.
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use super::feeds::describe;
use super::session::EmptyForm;
use super::{Chrome, CredentialView, PageError, redirect, render};
use crate::db::users::UserRow;
use crate::domain::{DomainError, accounts};
use crate::web::auth::{SESSION_COOKIE, SignedIn, removal_cookie};
use crate::web::csrf::CsrfForm;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    tokens: Vec<CredentialView>,
    new_token: Option<String>,
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    user: UserRow,
    new_token: Option<String>,
) -> Result<HttpResponse, PageError> {
    let tokens = accounts::list_api_tokens(&state.db, user.id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(render(
        req,
        &AccountPage {
            chrome: Chrome::new(req, Some(user)),
            tokens,
            new_token,
        },
    ))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
) -> Result<HttpResponse, PageError> {
    page(&req, &state, user, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// A password change ends every session of the user, this one included: sign in again.
pub async fn change_password(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    let result = accounts::change_password(
        &state.db,
        user.id,
        SecretString::from(f.current_password),
        SecretString::from(f.new_password),
    )
    .await;
    match result {
        Ok(()) => {
            tracing::info!(user = %user.username, "password changed; sessions ended");
            let mut res = redirect(
                "/login",
                "ok",
                "Password changed. Sign in with the new password.",
            );
            res.add_cookie(&removal_cookie(&state, SESSION_COOKIE))
                .map_err(|_| PageError::Internal)?;
            Ok(res)
        }
        Err(e @ DomainError::Invalid(_)) => Ok(redirect("/account", "error", describe(&e))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NameForm {
    name: String,
}

/// Shows the new token in the answer itself, never storing it in clear anywhere.
pub async fn create_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
    CsrfForm(f): CsrfForm<NameForm>,
) -> Result<HttpResponse, PageError> {
    match accounts::create_api_token(&state.db, user.id, &f.name).await {
        Ok((_, token)) => page(&req, &state, user, Some(token)).await,
        Err(e @ DomainError::Invalid(_)) => Ok(redirect("/account", "error", describe(&e))),
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_token(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
    path: web::Path<i64>,
    _: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    accounts::revoke_api_token(&state.db, user.id, *path).await?;
    Ok(redirect("/account", "ok", "The token is revoked."))
}
