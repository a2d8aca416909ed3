//! Administrators manage users.
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use super::feeds::describe;
use super::session::EmptyForm;
use super::{Chrome, PageError, display_time, redirect, render};
use crate::domain::DomainError;
use crate::domain::accounts::{self, NewUser};
use crate::web::auth::AdminUser;
use crate::web::csrf::CsrfForm;
use crate::web::state::AppState;

struct UserView {
    username: String,
    email: String,
    is_admin: bool,
    created: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserView>,
}

pub async fn users(
    req: HttpRequest,
    state: web::Data<AppState>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let users = accounts::list_users(&state.db)
        .await?
        .into_iter()
        .map(|u| UserView {
            username: u.username,
            email: u.email.unwrap_or_default(),
            is_admin: u.is_admin,
            created: display_time(u.created_at),
        })
        .collect();
    Ok(render(
        &req,
        &UsersPage {
            chrome: Chrome::new(&req, Some(admin)),
            users,
        },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewUserForm {
    username: String,
    #[serde(default)]
    email: String,
    password: String,
    admin: Option<String>,
}

pub async fn create(
    state: web::Data<AppState>,
    _: AdminUser,
    CsrfForm(f): CsrfForm<NewUserForm>,
) -> Result<HttpResponse, PageError> {
    let new = NewUser {
        username: f.username,
        email: Some(f.email),
        password: SecretString::from(f.password),
        is_admin: f.admin.is_some(),
    };
    match accounts::create_user(&state.db, new).await {
        Ok(u) => Ok(redirect(
            "/admin/users",
            "ok",
            format!("User {} added.", u.username),
        )),
        Err(e @ (DomainError::Invalid(_) | DomainError::Conflict(_))) => {
            Ok(redirect("/admin/users", "error", describe(&e)))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(
    state: web::Data<AppState>,
    AdminUser(admin): AdminUser,
    path: web::Path<String>,
    _: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    if *path == admin.username {
        return Ok(redirect(
            "/admin/users",
            "error",
            "You cannot delete your own account.",
        ));
    }
    match accounts::delete_user(&state.db, &path).await {
        Ok(()) => Ok(redirect(
            "/admin/users",
            "ok",
            format!("User {} deleted.", path.as_str()),
        )),
        Err(e @ DomainError::Conflict(_)) => Ok(redirect("/admin/users", "error", describe(&e))),
        Err(e) => Err(e.into()),
    }
}
