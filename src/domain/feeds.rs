//! Feeds, co-owners and feed keys, with the access rules of each action.
use rusqlite::Connection;

use super::DomainError;
use super::access::{Caller, FeedAccess, Role};
use super::names::{FeedIdentifier, Username, label};
use super::secret_token::{self, FEED_KEY_PREFIX, PERSONAL_TOKEN_PREFIX};
use super::time::now_ms;
use crate::db::credentials::{self, CredentialRow};
use crate::db::feeds::{self, FeedRow};
use crate::db::users::{self, UserRow};
use crate::db::{Db, DbError};
use crate::primitives::FieldError;

pub async fn create_feed(
    db: &Db,
    owner: &UserRow,
    identifier: &str,
    name: &str,
) -> Result<FeedRow, DomainError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let ident = FeedIdentifier::parse("identifier", identifier)
        .map_err(|e| errors.push(e))
        .ok();
    let name = if name.trim().is_empty() {
        Ok(identifier.trim().to_owned())
    } else {
        label("name", name, 200)
    };
    let name = name.map_err(|e| errors.push(e)).ok();
    let (Some(ident), Some(name)) = (ident, name) else {
        return Err(DomainError::Invalid(errors));
    };
    let owner_id = owner.id;
    db.run(move |c| {
        let now = now_ms();
        let id = feeds::insert_feed(c, ident.as_str(), &name, owner_id, now)?.ok_or_else(|| {
            DomainError::Conflict(format!("the feed identifier {ident} is taken"))
        })?;
        feeds::find_feed_by_id(c, id)?.ok_or(DomainError::NotFound)
    })
    .await
}

/// Opens a feed for a user, or `NotFound` if they may not see it (or it does not exist).
pub async fn open_feed(
    db: &Db,
    user: &UserRow,
    identifier: &str,
) -> Result<FeedAccess, DomainError> {
    let ident = identifier.to_owned();
    let (user_id, is_admin) = (user.id, user.is_admin);
    db.run(move |c| user_access(c, user_id, is_admin, &ident))
        .await
}

fn user_access(
    c: &Connection,
    user_id: i64,
    is_admin: bool,
    identifier: &str,
) -> Result<FeedAccess, DomainError> {
    let feed = feeds::find_feed(c, identifier)?.ok_or(DomainError::NotFound)?;
    let role = if feed.owner_id == user_id {
        Role::Owner
    } else if feeds::is_co_owner(c, feed.id, user_id)? {
        Role::CoOwner
    } else if is_admin {
        Role::Admin
    } else {
        return Err(DomainError::NotFound);
    };
    Ok(FeedAccess { feed, role })
}

/// The feed as a caller may open it: a feed key opens only its own feed.
fn caller_access(
    c: &Connection,
    caller: &Caller,
    identifier: &str,
) -> Result<FeedAccess, DomainError> {
    match caller {
        Caller::User(u) => user_access(c, u.id, u.is_admin, identifier),
        Caller::FeedKey { feed_id, .. } => match feeds::find_feed_by_id(c, *feed_id)? {
            Some(feed) if feed.identifier == identifier => Ok(FeedAccess {
                feed,
                role: Role::CoOwner,
            }),
            _ => Err(DomainError::NotFound),
        },
    }
}

/// [`authenticate_bearer`] and opening the feed in one call on the blocking pool: ingest's
/// path, where each hop to a blocking thread is a measurable share of an event's cost.
/// `Ok(None)`: the token is unknown or revoked.
pub async fn open_feed_with_bearer(
    db: &Db,
    token: &str,
    identifier: &str,
) -> Result<Option<(Caller, FeedAccess)>, DomainError> {
    let (token, ident) = (token.to_owned(), identifier.to_owned());
    db.run(move |c| {
        let Some(caller) = bearer_caller(c, &token, now_ms())? else {
            return Ok(None);
        };
        let access = caller_access(c, &caller, &ident)?;
        Ok(Some((caller, access)))
    })
    .await
}

pub async fn list_feeds(db: &Db, user: &UserRow) -> Result<Vec<FeedRow>, DomainError> {
    let (id, all) = (user.id, user.is_admin);
    Ok(db.run(move |c| feeds::list_feeds_for(c, id, all)).await?)
}

pub async fn co_owners(db: &Db, access: &FeedAccess) -> Result<Vec<String>, DomainError> {
    let id = access.feed.id;
    Ok(db.run(move |c| feeds::co_owners(c, id)).await?)
}

fn require_admin(access: &FeedAccess) -> Result<(), DomainError> {
    if access.may_administer() {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "only the feed's owner or an administrator may do this",
        ))
    }
}

pub async fn delete_feed(db: &Db, access: &FeedAccess) -> Result<(), DomainError> {
    require_admin(access)?;
    let id = access.feed.id;
    Ok(db.run(move |c| feeds::delete_feed(c, id)).await?)
}

pub async fn add_co_owner(db: &Db, access: &FeedAccess, username: &str) -> Result<(), DomainError> {
    require_admin(access)?;
    let name = Username::parse("username", username).map_err(|e| DomainError::Invalid(vec![e]))?;
    let (feed_id, owner_id) = (access.feed.id, access.feed.owner_id);
    db.run(move |c| {
        let user = users::find_user_by_name(c, name.as_str())?
            .ok_or_else(|| DomainError::invalid("username", format!("there is no user {name}")))?;
        if user.id == owner_id {
            return Err(DomainError::invalid(
                "username",
                format!("{name} owns this feed already"),
            ));
        }
        Ok(feeds::add_co_owner(c, feed_id, user.id)?)
    })
    .await
}

pub async fn remove_co_owner(
    db: &Db,
    access: &FeedAccess,
    username: &str,
) -> Result<(), DomainError> {
    require_admin(access)?;
    let name = username.trim().to_ascii_lowercase();
    let feed_id = access.feed.id;
    db.run(move |c| {
        let user = users::find_user_by_name(c, &name)?.ok_or(DomainError::NotFound)?;
        if feeds::remove_co_owner(c, feed_id, user.id)? {
            Ok(())
        } else {
            Err(DomainError::NotFound)
        }
    })
    .await
}

/// Creates a feed key; the key is returned this once.
pub async fn create_key(
    db: &Db,
    access: &FeedAccess,
    name: &str,
) -> Result<(i64, String), DomainError> {
    let name = label("name", name, 100).map_err(|e| DomainError::Invalid(vec![e]))?;
    let (key, hash) = secret_token::generate(FEED_KEY_PREFIX);
    let feed_id = access.feed.id;
    let id = db
        .run(move |c| credentials::insert_feed_key(c, feed_id, &name, &hash, now_ms()))
        .await?;
    Ok((id, key))
}

pub async fn list_keys(db: &Db, access: &FeedAccess) -> Result<Vec<CredentialRow>, DomainError> {
    let id = access.feed.id;
    Ok(db.run(move |c| credentials::list_feed_keys(c, id)).await?)
}

pub async fn revoke_key(db: &Db, access: &FeedAccess, key_id: i64) -> Result<(), DomainError> {
    let feed_id = access.feed.id;
    let gone = db
        .run(move |c| credentials::delete_feed_key(c, feed_id, key_id))
        .await?;
    if gone {
        Ok(())
    } else {
        Err(DomainError::NotFound)
    }
}

/// Resolves an API bearer secret to its caller, or None when it is unknown or revoked.
pub async fn authenticate_bearer(db: &Db, token: &str) -> Result<Option<Caller>, DomainError> {
    let token = token.to_owned();
    Ok(db.run(move |c| bearer_caller(c, &token, now_ms())).await?)
}

/// The caller a personal token or feed key stands for, if it is known and not revoked.
fn bearer_caller(c: &Connection, token: &str, now: i64) -> Result<Option<Caller>, DbError> {
    let hash = secret_token::hash(token);
    if token.starts_with(PERSONAL_TOKEN_PREFIX) {
        Ok(credentials::api_token_user(c, &hash, now)?.map(Caller::User))
    } else if token.starts_with(FEED_KEY_PREFIX) {
        Ok(
            credentials::feed_key_owner(c, &hash, now)?.map(|k| Caller::FeedKey {
                feed_id: k.feed_id,
                key_id: k.key_id,
                name: k.key_name,
            }),
        )
    } else {
        Ok(None)
    }
}
