//! Creating, editing, enabling and deleting hooks from the browser.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::hook_form::HookForm;
use super::hook_preview::{self, EventOption, PreviewView};
use super::{Chrome, PageError, redirect, render, render_status};
use crate::db::feeds::FeedRow;
use crate::db::users::UserRow;
use crate::domain::DomainError;
use crate::domain::access::FeedAccess;
use crate::domain::hook_config::HookKind;
use crate::domain::hooks::{self, Hook, HookInput};
use crate::primitives::FieldError;
use crate::web::auth::PageFeed;
use crate::web::csrf::CsrfForm;
use crate::web::state::AppState;

pub struct KindChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub help: &'static str,
}

#[derive(Template)]
#[template(path = "hook_kind.html")]
struct KindPage {
    chrome: Chrome,
    feed: FeedRow,
    kinds: Vec<KindChoice>,
}

#[derive(Template)]
#[template(path = "hook_form.html")]
struct FormPage {
    chrome: Chrome,
    feed: FeedRow,
    /// None for a new hook.
    hook_id: Option<i64>,
    disabled_reason: Option<String>,
    form: HookForm,
    /// The feed's other hooks, any of which may be this one's alert hook.
    alert_choices: Vec<AlertChoice>,
    /// The events "Preview" offers, and the preview asked for.
    preview_events: Vec<EventOption>,
    preview: Option<PreviewView>,
}

pub struct AlertChoice {
    id: i64,
    label: String,
    selected: bool,
}

async fn alert_choices(
    state: &AppState,
    access: &FeedAccess,
    this: Option<i64>,
    selected: Option<i64>,
) -> Result<Vec<AlertChoice>, PageError> {
    Ok(hooks::list_hooks(&state.db, &state.secrets, access)
        .await?
        .into_iter()
        .filter(|h| Some(h.id) != this)
        .map(|h| AlertChoice {
            id: h.id,
            label: format!("{} ({})", h.name, h.kind().label()),
            selected: Some(h.id) == selected,
        })
        .collect())
}

#[derive(Deserialize)]
pub struct KindQuery {
    kind: Option<String>,
}

pub async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    _path: web::Path<String>,
    q: web::Query<KindQuery>,
) -> Result<HttpResponse, PageError> {
    let chrome = Chrome::new(&req, Some(user));
    match q.kind.as_deref().and_then(HookKind::parse) {
        Some(kind) => Ok(render(
            &req,
            &FormPage {
                chrome,
                preview_events: hook_preview::event_options(&state, &access, None).await?,
                alert_choices: alert_choices(&state, &access, None, None).await?,
                preview: None,
                feed: access.feed,
                hook_id: None,
                disabled_reason: None,
                form: HookForm::new(kind, None),
            },
        )),
        None => {
            let kinds = HookKind::ALL
                .iter()
                .map(|&k| KindChoice {
                    value: k.as_str(),
                    label: k.label(),
                    help: k.summary(),
                })
                .collect();
            Ok(render(
                &req,
                &KindPage {
                    chrome,
                    feed: access.feed,
                    kinds,
                },
            ))
        }
    }
}

type Pairs = Vec<(String, String)>;

fn kind_of(pairs: &Pairs) -> Result<HookKind, PageError> {
    pairs
        .iter()
        .find(|(n, _)| n == "kind")
        .and_then(|(_, v)| HookKind::parse(v))
        .ok_or_else(|| PageError::BadRequest("choose the kind of hook".into()))
}

/// A posted hook form: the request, and the hook it edits (none for a new one).
struct Posted<'a> {
    req: &'a HttpRequest,
    state: &'a AppState,
    access: &'a FeedAccess,
    hook: Option<&'a Hook>,
    pairs: &'a Pairs,
}

/// The form again as posted: 422 with every error beside its field, or 200 with a preview.
async fn again(
    p: &Posted<'_>,
    user: UserRow,
    form: HookForm,
    errors: &[FieldError],
    preview: Option<PreviewView>,
) -> Result<HttpResponse, PageError> {
    let status = match errors.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let chosen = field(p.pairs, "preview_event");
    let page = FormPage {
        chrome: Chrome::new(p.req, Some(user)),
        feed: p.access.feed.clone(),
        hook_id: p.hook.map(|h| h.id),
        alert_choices: alert_choices(p.state, p.access, p.hook.map(|h| h.id), form.alert_hook)
            .await?,
        disabled_reason: p.hook.and_then(|h| h.disabled_reason.clone()),
        form: form.with_errors(errors),
        preview_events: hook_preview::event_options(p.state, p.access, chosen).await?,
        preview,
    };
    Ok(render_status(p.req, status, &page))
}

fn field<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The form with the preview of what it would send; nothing is saved.
async fn with_preview(
    p: &Posted<'_>,
    user: UserRow,
    form: HookForm,
    input: &HookInput,
) -> Result<HttpResponse, PageError> {
    let chosen = field(p.pairs, "preview_event").unwrap_or_default();
    let id = p.hook.map(|h| h.id);
    match hook_preview::preview(p.state, &user, p.access, id, input, chosen).await? {
        Ok(view) => again(p, user, form, &[], Some(view)).await,
        Err(errors) => again(p, user, form, &errors, None).await,
    }
}

/// After a save: the hook page, or (when a signing secret was generated) a page showing it
/// this once, since it is stored nowhere in clear.
async fn saved(
    req: &HttpRequest,
    state: &AppState,
    user: UserRow,
    access: FeedAccess,
    hook: Hook,
    secret: Option<String>,
    what: &str,
) -> Result<HttpResponse, PageError> {
    let at = format!("/feeds/{}/hooks/{}", access.feed.identifier, hook.id);
    match secret {
        Some(secret) => {
            let message = format!("{what} Copy the signing secret now: it is not shown again.");
            super::hook_page::page(
                req,
                state,
                user,
                access,
                hook,
                None,
                Some((message, secret)),
            )
            .await
        }
        None => Ok(redirect(&at, "ok", what)),
    }
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    _path: web::Path<String>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<HttpResponse, PageError> {
    let kind = kind_of(&pairs)?;
    let (form, input, local) = HookForm::posted(kind, &pairs, None);
    let p = Posted {
        req: &req,
        state: &state,
        access: &access,
        hook: None,
        pairs: &pairs,
    };
    if !local.is_empty() {
        return again(&p, user, form, &local, None).await;
    }
    if field(&pairs, "action") == Some("preview") {
        return with_preview(&p, user, form, &input).await;
    }
    match hooks::create_hook(&state.db, &state.secrets, &access, &input).await {
        Ok((hook, secret)) => {
            let what = format!("Hook “{}” created.", hook.name);
            saved(&req, &state, user, access, hook, secret, &what).await
        }
        Err(DomainError::Invalid(errors)) => again(&p, user, form, &errors, None).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, PageError> {
    let (_feed, id) = path.into_inner();
    let hook = hooks::get_hook(&state.db, &state.secrets, &access, id).await?;
    let page = FormPage {
        chrome: Chrome::new(&req, Some(user)),
        preview_events: hook_preview::event_options(&state, &access, None).await?,
        alert_choices: alert_choices(&state, &access, Some(hook.id), hook.alert_hook).await?,
        preview: None,
        feed: access.feed,
        hook_id: Some(hook.id),
        disabled_reason: hook.disabled_reason.clone(),
        form: HookForm::new(hook.kind(), Some(&hook)),
    };
    Ok(render(&req, &page))
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    path: web::Path<(String, i64)>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<HttpResponse, PageError> {
    let (_feed, id) = path.into_inner();
    let hook = hooks::get_hook(&state.db, &state.secrets, &access, id).await?;
    let (form, input, local) = HookForm::posted(hook.kind(), &pairs, Some(&hook));
    let p = Posted {
        req: &req,
        state: &state,
        access: &access,
        hook: Some(&hook),
        pairs: &pairs,
    };
    if !local.is_empty() {
        return again(&p, user, form, &local, None).await;
    }
    if field(&pairs, "action") == Some("preview") {
        return with_preview(&p, user, form, &input).await;
    }
    match hooks::update_hook(&state.db, &state.secrets, &state.wake, &access, id, &input).await {
        Ok((updated, secret)) => {
            saved(
                &req,
                &state,
                user,
                access,
                updated,
                secret,
                "Settings saved.",
            )
            .await
        }
        Err(DomainError::Invalid(errors)) => again(&p, user, form, &errors, None).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EnableForm {
    enabled: String,
}

/// The hook page's Enable/Disable button; enabling releases the deliveries that waited.
pub async fn set_enabled(
    state: web::Data<AppState>,
    PageFeed { user: _, access }: PageFeed,
    path: web::Path<(String, i64)>,
    CsrfForm(f): CsrfForm<EnableForm>,
) -> Result<HttpResponse, PageError> {
    let (feed, id) = path.into_inner();
    let enabled = f.enabled == "true";
    let input = HookInput {
        enabled: Some(enabled),
        ..HookInput::default()
    };
    let back = format!("/feeds/{feed}/hooks/{id}");
    match hooks::update_hook(&state.db, &state.secrets, &state.wake, &access, id, &input).await {
        Ok(_) if enabled => Ok(redirect(
            &back,
            "ok",
            "Hook enabled; deliveries that waited are on their way.",
        )),
        Ok(_) => Ok(redirect(
            &back,
            "ok",
            "Hook disabled; new deliveries wait until it is enabled.",
        )),
        // Stored settings that no longer pass validation: send the owner to fix them.
        Err(e @ DomainError::Invalid(_)) => Ok(redirect(
            &format!("{back}/edit"),
            "error",
            super::feeds::describe(&e),
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    #[serde(default)]
    confirm: Option<String>,
}

pub async fn delete(
    state: web::Data<AppState>,
    PageFeed { user: _, access }: PageFeed,
    path: web::Path<(String, i64)>,
    CsrfForm(f): CsrfForm<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    let (feed, id) = path.into_inner();
    let hook = hooks::get_hook(&state.db, &state.secrets, &access, id).await?;
    if f.confirm.as_deref() != Some("yes") {
        return Ok(redirect(
            &format!("/feeds/{feed}/hooks/{id}/edit"),
            "error",
            "Tick the box to confirm, then delete.",
        ));
    }
    hooks::delete_hook(&state.db, &access, id).await?;
    Ok(redirect(
        &format!("/feeds/{feed}"),
        "ok",
        format!("Hook “{}” deleted with its delivery log.", hook.name),
    ))
}
