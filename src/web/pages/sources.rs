//! Event sources in the browser: the feed's list, the kind chooser, the settings form (derived
//! from the kind's field list), and a source's page with its state, what it emitted, "Poll
//! now", enable/disable and delete.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::source_form::SourceForm;
use super::source_inbound::{InboundView, SHOWN_REQUESTS};
use super::{Chrome, PageError, display_time, redirect, render, render_status};
use crate::db::events::EventRow;
use crate::db::feeds::FeedRow;
use crate::domain::DomainError;
use crate::domain::source_config::{Mode, SourceKind};
use crate::domain::sources::{self, Source, SourceInput};
use crate::domain::time::now_ms;
use crate::sources::inbound::service as inbound;
use crate::web::api::sources::inbound_url;
use crate::web::auth::PageFeed;
use crate::web::csrf::CsrfForm;
use crate::web::state::AppState;

type Pairs = Vec<(String, String)>;

/// A source as lists show it.
pub struct SourceView {
    pub id: i64,
    pub name: String,
    pub kind_label: &'static str,
    pub enabled: bool,
    pub polling: bool,
    pub upstream: String,
    pub last_success: String,
    pub last_error: Option<String>,
    pub events_emitted: i64,
    pub cursor: String,
}

impl SourceView {
    pub fn new(s: &Source) -> Self {
        SourceView {
            id: s.id,
            name: s.name.clone(),
            kind_label: s.kind().label(),
            enabled: s.enabled,
            polling: s.kind().mode() == Mode::Polling,
            upstream: s.config.upstream().unwrap_or("").to_owned(),
            last_success: s
                .state
                .last_success_at
                .map_or_else(|| "never".to_owned(), display_time),
            last_error: s.state.last_error.clone(),
            events_emitted: s.state.events_emitted,
            cursor: s.state.cursor.clone().unwrap_or_else(|| "none yet".into()),
        }
    }
}

#[derive(Template)]
#[template(path = "sources.html")]
struct ListPage {
    chrome: Chrome,
    feed: FeedRow,
    sources: Vec<SourceView>,
}

#[derive(Template)]
#[template(path = "source_kind.html")]
struct KindPage {
    chrome: Chrome,
    feed: FeedRow,
    kinds: Vec<(&'static str, &'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "source_form.html")]
struct FormPage {
    chrome: Chrome,
    feed: FeedRow,
    source_id: Option<i64>,
    form: SourceForm,
}

#[derive(Template)]
#[template(path = "source.html")]
struct ShowPage {
    chrome: Chrome,
    feed: FeedRow,
    source: SourceView,
    next_poll: String,
    inbound: Option<InboundView>,
    /// A secret made by this request, shown this once.
    new_secret: Option<String>,
    events: Vec<(String, String, String, String)>,
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    _path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let list = sources::list_sources(&state.db, &state.secrets, &access).await?;
    let page = ListPage {
        chrome: Chrome::new(&req, Some(user)),
        feed: access.feed,
        sources: list.iter().map(SourceView::new).collect(),
    };
    Ok(render(&req, &page))
}

#[derive(Deserialize)]
pub struct KindQuery {
    kind: Option<String>,
}

pub async fn new_form(
    req: HttpRequest,
    PageFeed { user, access }: PageFeed,
    _path: web::Path<String>,
    q: web::Query<KindQuery>,
) -> Result<HttpResponse, PageError> {
    let chrome = Chrome::new(&req, Some(user));
    Ok(match q.kind.as_deref().and_then(SourceKind::parse) {
        Some(kind) => render(
            &req,
            &FormPage {
                chrome,
                feed: access.feed,
                source_id: None,
                form: SourceForm::new(kind, None),
            },
        ),
        None => render(
            &req,
            &KindPage {
                chrome,
                feed: access.feed,
                kinds: SourceKind::ALL
                    .iter()
                    .map(|k| (k.as_str(), k.label(), k.def().summary))
                    .collect(),
            },
        ),
    })
}

fn kind_of(pairs: &Pairs) -> Result<SourceKind, PageError> {
    pairs
        .iter()
        .find(|(n, _)| n == "kind")
        .and_then(|(_, v)| SourceKind::parse(v))
        .ok_or_else(|| PageError::BadRequest("choose the kind of source".into()))
}

async fn show_page(
    req: &HttpRequest,
    state: &AppState,
    user: crate::db::users::UserRow,
    feed: FeedRow,
    source: Source,
    new_secret: Option<String>,
) -> Result<HttpResponse, PageError> {
    let events: Vec<EventRow> = sources::source_events(&state.db, &source, None, 50).await?;
    let link = |e: &EventRow| super::events::event_link(&feed.identifier, &e.identifier);
    let inbound = match inbound_url(state, &source) {
        Some(url) => {
            let rows = inbound::source_requests(&state.db, &source, None, SHOWN_REQUESTS).await?;
            InboundView::new(&source, url, new_secret.as_deref(), &rows, now_ms())
        }
        None => None,
    };
    let page = ShowPage {
        chrome: Chrome::new(req, Some(user)),
        next_poll: if source.enabled && source.kind().mode() == Mode::Polling {
            display_time(source.state.next_poll_at.max(source.updated_at))
        } else {
            "not scheduled".into()
        },
        inbound,
        events: events
            .iter()
            .map(|e| {
                (
                    e.event_type.clone(),
                    e.identifier.clone(),
                    display_time(e.received_at),
                    link(e),
                )
            })
            .collect(),
        source: SourceView::new(&source),
        feed,
        new_secret,
    };
    Ok(render(req, &page))
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    _path: web::Path<String>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<HttpResponse, PageError> {
    let kind = kind_of(&pairs)?;
    let (form, input) = SourceForm::posted(kind, &pairs, None);
    match sources::create_source(
        &state.db,
        &state.secrets,
        &state.sources_due,
        &access,
        &input,
    )
    .await
    {
        Ok((source, secret)) => match secret {
            Some(_) => show_page(&req, &state, user, access.feed, source, secret).await,
            None => Ok(redirect(
                &format!("/feeds/{}/sources/{}", access.feed.identifier, source.id),
                "ok",
                format!(
                    "Source “{}” created; its first poll records what is there.",
                    source.name
                ),
            )),
        },
        Err(DomainError::Invalid(errors)) => Ok(render_status(
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            &FormPage {
                chrome: Chrome::new(&req, Some(user)),
                feed: access.feed,
                source_id: None,
                form: form.with_errors(&errors),
            },
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, PageError> {
    let source = sources::get_source(&state.db, &state.secrets, &access, path.1).await?;
    show_page(&req, &state, user, access.feed, source, None).await
}

pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, PageError> {
    let source = sources::get_source(&state.db, &state.secrets, &access, path.1).await?;
    Ok(render(
        &req,
        &FormPage {
            chrome: Chrome::new(&req, Some(user)),
            form: SourceForm::new(source.kind(), Some(&source)),
            source_id: Some(source.id),
            feed: access.feed,
        },
    ))
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    path: web::Path<(String, i64)>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<HttpResponse, PageError> {
    let source = sources::get_source(&state.db, &state.secrets, &access, path.1).await?;
    let (form, input) = SourceForm::posted(source.kind(), &pairs, Some(&source));
    match sources::update_source(
        &state.db,
        &state.secrets,
        &state.sources_due,
        &access,
        source.id,
        &input,
    )
    .await
    {
        Ok(s) => Ok(redirect(
            &format!("/feeds/{}/sources/{}", access.feed.identifier, s.id),
            "ok",
            "Settings saved.",
        )),
        Err(DomainError::Invalid(errors)) => Ok(render_status(
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            &FormPage {
                chrome: Chrome::new(&req, Some(user)),
                feed: access.feed,
                source_id: Some(source.id),
                form: form.with_errors(&errors),
            },
        )),
        Err(e) => Err(e.into()),
    }
}

/// "Poll now": one poll, then the page again with what it found.
pub async fn poll(
    state: web::Data<AppState>,
    PageFeed { user: _, access }: PageFeed,
    path: web::Path<(String, i64)>,
    CsrfForm(_): CsrfForm<Pairs>,
) -> Result<HttpResponse, PageError> {
    let source = sources::get_source(&state.db, &state.secrets, &access, path.1).await?;
    let back = format!("/feeds/{}/sources/{}", access.feed.identifier, source.id);
    if source.kind().mode() != Mode::Polling {
        return Ok(redirect(
            &back,
            "error",
            "This source is not polled: its upstream posts to it.",
        ));
    }
    Ok(match state.poller.poll_now(source.id).await {
        (n, None) => redirect(&back, "ok", format!("Polled: {n} new events.")),
        (n, Some(e)) => redirect(
            &back,
            "error",
            format!("The poll failed after {n} events: {e}"),
        ),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EnableForm {
    enabled: String,
}

pub async fn set_enabled(
    state: web::Data<AppState>,
    PageFeed { user: _, access }: PageFeed,
    path: web::Path<(String, i64)>,
    CsrfForm(f): CsrfForm<EnableForm>,
) -> Result<HttpResponse, PageError> {
    let enabled = f.enabled == "true";
    let input = SourceInput {
        enabled: Some(enabled),
        ..SourceInput::default()
    };
    let s = sources::update_source(
        &state.db,
        &state.secrets,
        &state.sources_due,
        &access,
        path.1,
        &input,
    )
    .await?;
    Ok(redirect(
        &format!("/feeds/{}/sources/{}", access.feed.identifier, s.id),
        "ok",
        if enabled {
            "Source enabled."
        } else {
            "Source disabled; it is not polled until enabled."
        },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    confirm: Option<String>,
}

pub async fn delete(
    state: web::Data<AppState>,
    PageFeed { user: _, access }: PageFeed,
    path: web::Path<(String, i64)>,
    CsrfForm(f): CsrfForm<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    let source = sources::get_source(&state.db, &state.secrets, &access, path.1).await?;
    if f.confirm.as_deref() != Some("yes") {
        return Ok(redirect(
            &format!("/feeds/{}/sources/{}", access.feed.identifier, source.id),
            "error",
            "Tick the box to confirm, then delete.",
        ));
    }
    sources::delete_source(&state.db, &access, source.id).await?;
    Ok(redirect(
        &format!("/feeds/{}/sources", access.feed.identifier),
        "ok",
        format!(
            "Source “{}” deleted; the events it emitted stay.",
            source.name
        ),
    ))
}

pub async fn rotate_secret(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    path: web::Path<(String, i64)>,
    CsrfForm(_): CsrfForm<Pairs>,
) -> Result<HttpResponse, PageError> {
    let secret = sources::rotate_secret(&state.db, &state.secrets, &access, path.1).await?;
    let source = sources::get_source(&state.db, &state.secrets, &access, path.1).await?;
    show_page(&req, &state, user, access.feed, source, Some(secret)).await
}
