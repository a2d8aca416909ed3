//! One event's page: its envelope, the deliveries it made, and the hooks whose filter turned
//! it away with the rule that did, so an owner can tell why a hook stayed silent.
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Chrome, PageError, display_time, render};
use crate::db::event_detail::EventDetail;
use crate::db::feeds::FeedRow;
use crate::delivery::oauth1::percent_encode;
use crate::domain::event_detail;
use crate::web::auth::PageFeed;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    chrome: Chrome,
    feed: FeedRow,
    event: EventDetail,
    received: String,
    envelope: String,
}

/// Where an event's page is, for links from deliveries and sources.
pub fn event_link(feed: &str, identifier: &str) -> String {
    format!("/feeds/{feed}/events/{}", percent_encode(identifier))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    PageFeed { user, access }: PageFeed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let event = event_detail::get(&state.db, &access, &path.1).await?;
    let envelope = serde_json::from_str::<serde_json::Value>(&event.envelope)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| event.envelope.clone());
    let page = EventPage {
        chrome: Chrome::new(&req, Some(user)),
        received: display_time(event.row.received_at),
        feed: access.feed,
        event,
        envelope,
    };
    Ok(render(&req, &page))
}
