//! One event of a feed with what became of it: its deliveries, and the hooks whose filter
//! turned it away (with the rule), so an owner can tell why a hook stayed silent.
use super::DomainError;
use super::access::FeedAccess;
use crate::db::Db;
use crate::db::event_detail::{self, EventDetail};

pub async fn get(
    db: &Db,
    access: &FeedAccess,
    identifier: &str,
) -> Result<EventDetail, DomainError> {
    let (feed_id, identifier) = (access.feed.id, identifier.to_owned());
    db.run(move |c| event_detail::event_detail(c, feed_id, &identifier))
        .await?
        .ok_or(DomainError::NotFound)
}
