//! Pings, redeliveries and the delivery log, for the pages and the API alike.
use serde_json::json;

use super::DomainError;
use super::access::FeedAccess;
use super::hooks::Hook;
use super::time::{now_ms, rfc3339};
use super::wake::Wake;
use crate::db::Db;
use crate::db::attempts::{self, AttemptRow};
use crate::db::deliveries::{self, DeliveryFilter, DeliveryRow};

/// Sends a ping to one hook (whatever events it subscribes to); returns the delivery id.
pub async fn ping(
    db: &Db,
    wake: &Wake,
    access: &FeedAccess,
    hook: &Hook,
    username: &str,
    feed_url: &str,
) -> Result<i64, DomainError> {
    if !hook.enabled {
        return Err(DomainError::Conflict(
            "the hook is disabled; enable it to ping it".into(),
        ));
    }
    let identifier = uuid::Uuid::new_v4().to_string();
    let when = rfc3339(now_ms());
    let envelope = json!({
        "Identifier": identifier,
        "Username": username,
        "When": when,
        "PayloadType": "PingWebHookEventPayloadV1",
        "Payload": {"FeedIdentifier": access.feed.identifier, "FeedUrl": feed_url},
    })
    .to_string();
    let (feed_id, hook_id, user) = (access.feed.id, hook.id, username.to_owned());
    let id = db
        .run(move |c| {
            let ping = deliveries::Ping {
                feed_id,
                hook_id,
                identifier: &identifier,
                username: &user,
                occurred_at: &when,
                envelope: &envelope,
            };
            deliveries::insert_ping(c, &ping, now_ms())
        })
        .await?;
    wake.ring();
    Ok(id)
}

/// A new delivery of the same event to the same hook; the original and its log stay.
pub async fn redeliver(
    db: &Db,
    wake: &Wake,
    access: &FeedAccess,
    delivery_id: i64,
) -> Result<i64, DomainError> {
    let feed_id = access.feed.id;
    let id = db
        .run(move |c| deliveries::redeliver(c, feed_id, delivery_id, now_ms()))
        .await?
        .ok_or(DomainError::NotFound)?;
    wake.ring();
    Ok(id)
}

/// Redelivers every failed delivery of the hook since a time; returns how many.
pub async fn redeliver_failed(
    db: &Db,
    wake: &Wake,
    hook: &Hook,
    since: i64,
) -> Result<i64, DomainError> {
    let hook_id = hook.id;
    let n = db
        .run(move |c| deliveries::redeliver_failed(c, hook_id, since, now_ms()))
        .await?;
    if n > 0 {
        wake.ring();
    }
    Ok(n)
}

pub async fn list(
    db: &Db,
    hook: &Hook,
    filter: DeliveryFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, DomainError> {
    let hook_id = hook.id;
    Ok(db
        .run(move |c| crate::db::delivery_log::page(c, hook_id, &filter, before, limit))
        .await?)
}

/// A delivery of the feed with its event envelope and every attempt, in order.
pub async fn get(
    db: &Db,
    access: &FeedAccess,
    id: i64,
) -> Result<(DeliveryRow, String, Vec<AttemptRow>), DomainError> {
    let feed_id = access.feed.id;
    db.run(move |c| {
        let (d, envelope) =
            deliveries::get_delivery(c, feed_id, id)?.ok_or(DomainError::NotFound)?;
        let attempts = attempts::list_attempts(c, id, &envelope)?;
        Ok((d, envelope, attempts))
    })
    .await
}

/// The most a digest's page lists of what it carried.
pub const CARRIED_SHOWN: i64 = 500;

/// The deliveries a digest delivery of the feed carried (for a redelivered digest, the
/// original's), at most `CARRIED_SHOWN`; empty for any other delivery.
pub async fn carried(db: &Db, access: &FeedAccess, id: i64) -> Result<Vec<i64>, DomainError> {
    let feed_id = access.feed.id;
    db.run(move |c| {
        deliveries::get_delivery(c, feed_id, id)?.ok_or(DomainError::NotFound)?;
        Ok(crate::db::digests::carried(c, id, CARRIED_SHOWN)?)
    })
    .await
}

/// What holds an ordered hook's queue: the delivery at its head, and how many wait behind it.
pub struct Held {
    pub head: DeliveryRow,
    pub behind: i64,
}

/// Of an ordered hook with deliveries waiting behind another: which one holds them. `None`
/// for an unordered hook or a queue of at most one.
pub async fn held_behind(db: &Db, hook: &Hook) -> Result<Option<Held>, DomainError> {
    if !hook.concurrency.ordered {
        return Ok(None);
    }
    let id = hook.id;
    let head = db.run(move |c| deliveries::ordered_head(c, id)).await?;
    Ok(head
        .filter(|(_, behind)| *behind > 0)
        .map(|(head, behind)| Held { head, behind }))
}
