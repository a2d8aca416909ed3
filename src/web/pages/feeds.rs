//! The feed list, a feed's page, and its settings: co-owners, keys, deletion.
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::views::{HealthView, HookView};
use super::{Chrome, CredentialView, PageError, redirect, render};
use crate::db::feeds::FeedRow;
use crate::domain::access::{FeedAccess, Role};
use crate::domain::time::now_ms;
use crate::domain::{DomainError, feeds, stats};
use crate::web::auth::{PageFeed, SignedIn};
use crate::web::csrf::CsrfForm;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "feeds.html")]
struct FeedsPage {
    chrome: Chrome,
    feeds: Vec<FeedRow>,
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
) -> Result<HttpResponse, PageError> {
    let feeds = feeds::list_feeds(&state.db, &user).await?;
    Ok(render(
        &req,
        &FeedsPage {
            chrome: Chrome::new(&req, Some(user)),
            feeds,
        },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CreateFeed {
    identifier: String,
    #[serde(default)]
    name: String,
}

pub async fn create(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
    CsrfForm(f): CsrfForm<CreateFeed>,
) -> Result<HttpResponse, PageError> {
    match feeds::create_feed(&state.db, &user, &f.identifier, &f.name).await {
        Ok(feed) => Ok(redirect(
            &format!("/feeds/{}", feed.identifier),
            "ok",
            format!("Feed {} created.", feed.identifier),
        )),
        Err(e @ (DomainError::Invalid(_) | DomainError::Conflict(_))) => {
            Ok(redirect("/feeds", "error", describe(&e)))
        }
        Err(e) => Err(e.into()),
    }
}

/// A validation or conflict error as one sentence for a flash message.
pub fn describe(e: &DomainError) -> String {
    match e {
        DomainError::Invalid(errs) => errs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Owner => "owner",
        Role::CoOwner => "co-owner",
        Role::Admin => "administrator",
    }
}

#[derive(Template)]
#[template(path = "feed.html")]
struct FeedPage {
    chrome: Chrome,
    feed: FeedRow,
    role: &'static str,
    api_url: String,
    hooks: Vec<(HookView, HealthView)>,
    sources: Vec<super::sources::SourceView>,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    _path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let api_url = state.url(&format!("/api/v1/feeds/{}/events", access.feed.identifier));
    let list = crate::domain::hooks::list_hooks(&state.db, &state.secrets, &access).await?;
    let health = stats::health(&state.db, &list, now_ms()).await?;
    let hooks = list
        .iter()
        .zip(&health)
        .map(|(h, s)| {
            (
                HookView::new(h),
                HealthView::new(Some(s), &access.feed.identifier),
            )
        })
        .collect();
    let sources = crate::domain::sources::list_sources(&state.db, &state.secrets, &access)
        .await?
        .iter()
        .map(super::sources::SourceView::new)
        .collect();
    let page = FeedPage {
        sources,
        chrome: Chrome::new(&req, Some(user)),
        role: role_name(access.role),
        feed: access.feed,
        api_url,
        hooks,
    };
    Ok(render(&req, &page))
}

#[derive(Template)]
#[template(path = "feed_settings.html")]
struct SettingsPage {
    chrome: Chrome,
    feed: FeedRow,
    may_administer: bool,
    co_owners: Vec<String>,
    keys: Vec<CredentialView>,
    api_url: String,
    new_key: Option<String>,
}

async fn settings_page(
    req: &HttpRequest,
    state: &AppState,
    user: crate::db::users::UserRow,
    access: FeedAccess,
    new_key: Option<String>,
) -> Result<HttpResponse, PageError> {
    let co_owners = feeds::co_owners(&state.db, &access).await?;
    let keys = feeds::list_keys(&state.db, &access)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let api_url = state.url(&format!("/api/v1/feeds/{}/events", access.feed.identifier));
    let page = SettingsPage {
        chrome: Chrome::new(req, Some(user)),
        may_administer: access.may_administer(),
        feed: access.feed,
        co_owners,
        keys,
        api_url,
        new_key,
    };
    Ok(render(req, &page))
}

pub async fn settings(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    _path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    settings_page(&req, &state, user, access, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NameForm {
    name: String,
}

/// Answers with the settings page itself rather than a redirect: the new key is shown this
/// once and never stored anywhere in clear, not even in a flash cookie.
pub async fn create_key(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    _path: web::Path<String>,
    CsrfForm(f): CsrfForm<NameForm>,
) -> Result<HttpResponse, PageError> {
    match feeds::create_key(&state.db, &access, &f.name).await {
        Ok((_, key)) => settings_page(&req, &state, user, access, Some(key)).await,
        Err(e @ DomainError::Invalid(_)) => Ok(redirect(
            &format!("/feeds/{}/settings", access.feed.identifier),
            "error",
            describe(&e),
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_key(
    state: web::Data<AppState>,
    PageFeed { user: _, access }: PageFeed,
    path: web::Path<(String, i64)>,
    _: CsrfForm<super::session::EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let (feed, id) = path.into_inner();
    feeds::revoke_key(&state.db, &access, id).await?;
    Ok(redirect(
        &format!("/feeds/{feed}/settings"),
        "ok",
        "The key is revoked.",
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UserForm {
    username: String,
}

pub async fn add_co_owner(
    state: web::Data<AppState>,
    PageFeed { user: _, access }: PageFeed,
    _path: web::Path<String>,
    CsrfForm(f): CsrfForm<UserForm>,
) -> Result<HttpResponse, PageError> {
    let back = format!("/feeds/{}/settings", access.feed.identifier);
    match feeds::add_co_owner(&state.db, &access, &f.username).await {
        Ok(()) => Ok(redirect(
            &back,
            "ok",
            format!(
                "{} is now a co-owner.",
                f.username.trim().to_ascii_lowercase()
            ),
        )),
        Err(e @ DomainError::Invalid(_)) => Ok(redirect(&back, "error", describe(&e))),
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_co_owner(
    state: web::Data<AppState>,
    PageFeed { user: _, access }: PageFeed,
    path: web::Path<(String, String)>,
    _: CsrfForm<super::session::EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let (feed, name) = path.into_inner();
    feeds::remove_co_owner(&state.db, &access, &name).await?;
    Ok(redirect(
        &format!("/feeds/{feed}/settings"),
        "ok",
        format!("{name} is no longer a co-owner."),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    confirm: String,
}

pub async fn delete(
    state: web::Data<AppState>,
    PageFeed { user: _, access }: PageFeed,
    _path: web::Path<String>,
    CsrfForm(f): CsrfForm<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    if !access.may_administer() {
        return Err(PageError::Forbidden(
            "only the feed's owner or an administrator may delete it",
        ));
    }
    if f.confirm.trim() != access.feed.identifier {
        return Ok(redirect(
            &format!("/feeds/{}/settings", access.feed.identifier),
            "error",
            "Type the feed identifier exactly to delete the feed.",
        ));
    }
    feeds::delete_feed(&state.db, &access).await?;
    Ok(redirect(
        "/feeds",
        "ok",
        format!("Feed {} deleted.", access.feed.identifier),
    ))
}
