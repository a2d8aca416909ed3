//! A hook's page: its state, the last week's chart, its deliveries with filters and cursor
//! paging, a ping button and a bulk redeliver form.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::replays::{ReplayCount, ReplayFields, ReplayView};
use super::views::{DeliveryView, HealthView, HeldView, HookView};
use super::{Chrome, PageError, redirect, render_status};
use crate::db::deliveries::DeliveryFilter;
use crate::db::feeds::FeedRow;
use crate::db::users::UserRow;
use crate::domain::access::FeedAccess;
use crate::domain::hooks::Hook;
use crate::domain::time::{now_ms, parse_rfc3339, rfc3339};
use crate::domain::{deliveries, replays, stats};
use crate::primitives::DeliveryStatus;
use crate::web::api::hooks::parse_filter;
use crate::web::auth::PageFeed;
use crate::web::csrf::CsrfForm;
use crate::web::state::AppState;

/// Rows per page: enough to scan a bad hour, few enough to render fast.
/// Deliveries per page: enough to see a pattern, few enough to keep the page short.
const PAGE: i64 = 20;

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    cursor: String,
    /// The replay form: its filters, and `count` when its Count button sent it.
    #[serde(flatten)]
    replay: ReplayFields,
    #[serde(default)]
    count: String,
}

/// A choice of a filter's select.
pub struct EventOption {
    pub name: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "hook.html")]
struct HookPage {
    chrome: Chrome,
    feed: FeedRow,
    hook: HookView,
    health: HealthView,
    /// Ordered hooks: the delivery the others wait behind, and why.
    held: Option<HeldView>,
    chart: String,
    chart_title: &'static str,
    totals: [i64; 3],
    q: ListQuery,
    events: Vec<EventOption>,
    statuses: Vec<EventOption>,
    filter_errors: Vec<String>,
    deliveries: Vec<DeliveryView>,
    filtered: bool,
    older: Option<String>,
    replays: Vec<ReplayView>,
    /// The replay form as it stands: what it was sent with, or the list's filters.
    rf: ReplayFields,
    replay_count: Option<ReplayCount>,
    replay_errors: Vec<String>,
    rate_bounds: (i64, i64),
    /// Shown once after a save that generated a signing secret: (message, secret).
    new_secret: Option<(String, String)>,
}

/// What a `datetime-local` input sends (`2026-04-12T13:00`, read as UTC) or RFC 3339.
pub fn form_time(s: &str) -> String {
    let s = s.trim();
    match s.len() {
        16 if parse_rfc3339(&format!("{s}:00Z")).is_some() => format!("{s}:00Z"),
        19 if parse_rfc3339(&format!("{s}Z")).is_some() => format!("{s}Z"),
        _ => s.to_owned(),
    }
}

/// A time as a `datetime-local` input shows it.
pub fn input_time(ms: i64) -> String {
    rfc3339(ms)[..16].to_owned()
}

fn filter_of(q: &ListQuery) -> Result<(DeliveryFilter, Option<i64>), Vec<String>> {
    let (since, until) = (form_time(&q.since), form_time(&q.until));
    let mut errors: Vec<String> =
        match parse_filter(Some(&q.status), Some(&q.event), Some(&since), Some(&until)) {
            Ok(f) if q.cursor.is_empty() => return Ok((f, None)),
            Ok(f) => match q.cursor.parse::<i64>() {
                Ok(c) if c > 0 => return Ok((f, Some(c))),
                _ => vec![],
            },
            Err(errs) => errs.iter().map(ToString::to_string).collect(),
        };
    if !q.cursor.is_empty() && q.cursor.parse::<i64>().map_or(true, |c| c <= 0) {
        errors.push("cursor: is not a delivery id".into());
    }
    Err(errors)
}

fn older_link(q: &ListQuery, next: i64) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("status", &q.status),
        ("event", &q.event),
        ("since", &q.since),
        ("until", &q.until),
    ] {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    s.append_pair("cursor", &next.to_string());
    format!("?{}", s.finish())
}

pub async fn page(
    req: &HttpRequest,
    state: &AppState,
    user: UserRow,
    access: FeedAccess,
    hook: Hook,
    q: Option<ListQuery>,
    new_secret: Option<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let q = q.unwrap_or_default();
    let now = now_ms();
    let chart = super::chart::window(stats::hourly(&state.db, &hook, now).await?);
    let health = stats::health(&state.db, std::slice::from_ref(&hook), now)
        .await?
        .pop();
    let held = deliveries::held_behind(&state.db, &hook).await?;
    let (rows, filter_errors, older) = match filter_of(&q) {
        Ok((filter, before)) => {
            let rows = deliveries::list(&state.db, &hook, filter, before, PAGE + 1).await?;
            let older =
                (rows.len() as i64 > PAGE).then(|| older_link(&q, rows[PAGE as usize - 1].id));
            (rows, vec![], older)
        }
        Err(errors) => (vec![], errors, None),
    };
    let (rf, replay_count, replay_errors) = replay_step(state, &hook, &q).await?;
    let status = if filter_errors.is_empty() && replay_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = HookPage {
        chrome: Chrome::new(req, Some(user)),
        health: HealthView::new(health.as_ref(), &access.feed.identifier),
        hook: HookView::new(&hook),
        held: held.as_ref().map(HeldView::new),
        chart: super::chart::svg(&chart),
        chart_title: super::chart::title(&chart),
        totals: super::chart::totals(&chart),
        events: hook
            .kind()
            .supported_events()
            .iter()
            .map(|e| EventOption {
                name: e.name(),
                selected: q.event == e.name(),
            })
            .collect(),
        statuses: DeliveryStatus::LISTED
            .into_iter()
            .map(|s| EventOption {
                name: s.as_str(),
                selected: q.status == s.as_str(),
            })
            .collect(),
        filtered: [&q.status, &q.event, &q.since, &q.until, &q.cursor]
            .iter()
            .any(|v| !v.is_empty()),
        deliveries: rows
            .iter()
            .take(PAGE as usize)
            .map(DeliveryView::new)
            .collect(),
        filter_errors,
        older,
        replays: replays::list(&state.db, &hook)
            .await?
            .iter()
            .map(ReplayView::new)
            .collect(),
        rf,
        replay_count,
        replay_errors,
        rate_bounds: (*replays::RATES.start(), *replays::RATES.end()),
        feed: access.feed,
        q,
        new_secret,
    };
    Ok(render_status(req, status, &page))
}

/// The replay form's state: after "Count", the count (or what is wrong with the filters);
/// otherwise blank fields that start from the delivery list's filters.
async fn replay_step(
    state: &AppState,
    hook: &Hook,
    q: &ListQuery,
) -> Result<(ReplayFields, Option<ReplayCount>, Vec<String>), PageError> {
    if q.count.is_empty() {
        let rf = ReplayFields {
            r_status: q.status.clone(),
            r_event: q.event.clone(),
            r_since: q.since.clone(),
            r_until: q.until.clone(),
            r_rate: replays::DEFAULT_RATE.to_string(),
            ..Default::default()
        };
        return Ok((rf, None, vec![]));
    }
    match q.replay.parse() {
        Ok((sel, rate)) => {
            let matches = replays::count(&state.db, hook, sel).await?;
            let f = q.replay.clone();
            Ok((
                q.replay.clone(),
                Some(ReplayCount { matches, rate, f }),
                vec![],
            ))
        }
        Err(errors) => Ok((q.replay.clone(), None, errors)),
    }
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    path: web::Path<(String, i64)>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let (_feed, id) = path.into_inner();
    let hook = crate::domain::hooks::get_hook(&state.db, &state.secrets, &access, id).await?;
    page(&req, &state, user, access, hook, Some(q.into_inner()), None).await
}

pub async fn ping(
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    path: web::Path<(String, i64)>,
    _: CsrfForm<super::session::EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let (feed, id) = path.into_inner();
    let hook = crate::domain::hooks::get_hook(&state.db, &state.secrets, &access, id).await?;
    let back = format!("/feeds/{feed}/hooks/{id}");
    let feed_url = state.url(&format!("/feeds/{}", access.feed.identifier));
    let sent = deliveries::ping(
        &state.db,
        &state.wake,
        &access,
        &hook,
        &user.username,
        &feed_url,
    );
    match sent.await {
        Ok(delivery) => Ok(redirect(
            &back,
            "ok",
            format!("Ping sent as delivery #{delivery}; reload to see how it went."),
        )),
        Err(e @ crate::domain::DomainError::Conflict(_)) => {
            Ok(redirect(&back, "error", format!("No ping sent: {e}.")))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RedeliverForm {
    since: String,
}

pub async fn redeliver_failed(
    state: web::Data<AppState>,
    PageFeed { user: _, access }: PageFeed,
    path: web::Path<(String, i64)>,
    CsrfForm(f): CsrfForm<RedeliverForm>,
) -> Result<HttpResponse, PageError> {
    let (feed, id) = path.into_inner();
    let hook = crate::domain::hooks::get_hook(&state.db, &state.secrets, &access, id).await?;
    let back = format!("/feeds/{feed}/hooks/{id}");
    let Some(since) = parse_rfc3339(&form_time(&f.since)) else {
        return Ok(redirect(
            &back,
            "error",
            "Nothing redelivered: give the time as 2026-04-12T13:00 (UTC).",
        ));
    };
    let n = deliveries::redeliver_failed(&state.db, &state.wake, &hook, since).await?;
    let text = match n {
        0 => format!(
            "No failed deliveries since {} that were not redelivered already.",
            super::display_time(since)
        ),
        1 => "1 failed delivery is queued again.".to_owned(),
        n => format!("{n} failed deliveries are queued again."),
    };
    Ok(redirect(&back, "ok", text))
}
