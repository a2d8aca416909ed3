//! Users, sign-in, sessions, personal access tokens and the one-time setup token.
use std::time::Duration;

use secrecy::SecretString;

use super::names::{Username, label};
use super::secret_token::{self, PERSONAL_TOKEN_PREFIX};
use super::time::now_ms;
use super::{DomainError, password};
use crate::db::credentials::{self, CredentialRow};
use crate::db::users::{self, UserRow};
use crate::db::{Db, DbError};
use crate::primitives::FieldError;

/// A session ends after this long without a request...
pub const SESSION_IDLE: Duration = Duration::from_secs(12 * 60 * 60);
/// ...and at the latest this long after sign-in.
pub const SESSION_MAX: Duration = Duration::from_secs(14 * 24 * 60 * 60);

const SETUP_TOKEN: &str = "setup_token_hash";

pub struct NewUser {
    pub username: String,
    pub email: Option<String>,
    pub password: SecretString,
    pub is_admin: bool,
}

fn check_email(email: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(e) = email.map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    let ok = e.len() <= 254
        && e.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(Some(e.to_owned()))
    } else {
        Err(FieldError::new("email", "is not an e-mail address"))
    }
}

fn validate_new_user(new: &NewUser) -> Result<(Username, Option<String>), DomainError> {
    let mut errors = Vec::new();
    let username = Username::parse("username", &new.username)
        .map_err(|e| errors.push(e))
        .ok();
    let email = check_email(new.email.as_deref())
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if let Err(e) = password::check_policy("password", &new.password) {
        errors.push(e);
    }
    match username {
        Some(u) if errors.is_empty() => Ok((u, email)),
        _ => Err(DomainError::Invalid(errors)),
    }
}

/// Validates and creates a user; the password is hashed off the async threads.
pub async fn create_user(db: &Db, new: NewUser) -> Result<UserRow, DomainError> {
    let (username, email) = validate_new_user(&new)?;
    let hash = hash_blocking(new.password).await?;
    let is_admin = new.is_admin;
    db.run(move |c| {
        let now = now_ms();
        match users::insert_user(c, username.as_str(), email.as_deref(), &hash, is_admin, now)? {
            Some(id) => Ok(UserRow {
                id,
                username: username.to_string(),
                email,
                is_admin,
                created_at: now,
            }),
            None => Err(DomainError::Conflict(format!(
                "the username {username} is taken"
            ))),
        }
    })
    .await
}

async fn hash_blocking(pw: SecretString) -> Result<String, DomainError> {
    tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .map_err(|e| DomainError::Unexpected(e.into()))
}

/// Checks a username and password. Unknown users cost the same time as wrong passwords.
pub async fn authenticate(
    db: &Db,
    username: &str,
    pw: SecretString,
) -> Result<Option<UserRow>, DomainError> {
    let name = username.trim().to_ascii_lowercase();
    let found = db
        .run(move |c| users::find_user_with_hash(c, &name))
        .await?;
    tokio::task::spawn_blocking(move || {
        let ok = password::verify(found.as_ref().map(|(_, h)| h.as_str()), &pw);
        found.filter(|_| ok).map(|(u, _)| u)
    })
    .await
    .map_err(|e| DomainError::Unexpected(e.into()))
}

/// Sets a new password after checking the current one; ends all of the user's sessions.
pub async fn change_password(
    db: &Db,
    user_id: i64,
    current: SecretString,
    new: SecretString,
) -> Result<(), DomainError> {
    password::check_policy("new_password", &new).map_err(|e| DomainError::Invalid(vec![e]))?;
    let stored = db.run(move |c| users::password_hash_of(c, user_id)).await?;
    let ok = tokio::task::spawn_blocking(move || password::verify(stored.as_deref(), &current))
        .await
        .map_err(|e| DomainError::Unexpected(e.into()))?;
    if !ok {
        return Err(DomainError::invalid(
            "current_password",
            "is not your current password",
        ));
    }
    let hash = hash_blocking(new).await?;
    db.run(move |c| users::set_password(c, user_id, &hash))
        .await?;
    Ok(())
}

/// Sets a password without the current one (administrators and the CLI).
pub async fn reset_password(db: &Db, username: &str, new: SecretString) -> Result<(), DomainError> {
    password::check_policy("password", &new).map_err(|e| DomainError::Invalid(vec![e]))?;
    let name = username.trim().to_ascii_lowercase();
    let user = db
        .run(move |c| users::find_user_by_name(c, &name))
        .await?
        .ok_or(DomainError::NotFound)?;
    let hash = hash_blocking(new).await?;
    db.run(move |c| users::set_password(c, user.id, &hash))
        .await?;
    Ok(())
}

/// Starts a session: a new random id every time (so a planted id is useless), stored hashed.
pub async fn start_session(db: &Db, user_id: i64) -> Result<String, DomainError> {
    let (id, hash) = secret_token::generate("");
    db.run(move |c| users::create_session(c, &hash, user_id, now_ms()))
        .await?;
    Ok(id)
}

pub async fn session_user(db: &Db, session_id: &str) -> Result<Option<UserRow>, DomainError> {
    let hash = secret_token::hash(session_id);
    db.run(move |c| {
        let now = now_ms();
        users::session_user(
            c,
            &hash,
            now,
            now - SESSION_IDLE.as_millis() as i64,
            now - SESSION_MAX.as_millis() as i64,
        )
    })
    .await
    .map_err(Into::into)
}

pub async fn end_session(db: &Db, session_id: &str) -> Result<(), DomainError> {
    let hash = secret_token::hash(session_id);
    Ok(db.run(move |c| users::delete_session(c, &hash)).await?)
}

/// Creates a personal access token; the token is returned this once.
pub async fn create_api_token(
    db: &Db,
    user_id: i64,
    name: &str,
) -> Result<(i64, String), DomainError> {
    let name = label("name", name, 100).map_err(|e| DomainError::Invalid(vec![e]))?;
    let (token, hash) = secret_token::generate(PERSONAL_TOKEN_PREFIX);
    let id = db
        .run(move |c| credentials::insert_api_token(c, user_id, &name, &hash, now_ms()))
        .await?;
    Ok((id, token))
}

pub async fn list_api_tokens(db: &Db, user_id: i64) -> Result<Vec<CredentialRow>, DomainError> {
    Ok(db
        .run(move |c| credentials::list_api_tokens(c, user_id))
        .await?)
}

pub async fn revoke_api_token(db: &Db, user_id: i64, id: i64) -> Result<(), DomainError> {
    let gone = db
        .run(move |c| credentials::delete_api_token(c, user_id, id))
        .await?;
    if gone {
        Ok(())
    } else {
        Err(DomainError::NotFound)
    }
}

pub async fn list_users(db: &Db) -> Result<Vec<UserRow>, DomainError> {
    Ok(db.run(|c| users::list_users(c)).await?)
}

pub async fn delete_user(db: &Db, username: &str) -> Result<(), DomainError> {
    let name = username.to_owned();
    db.run(move |c| {
        let user = users::find_user_by_name(c, &name)?.ok_or(DomainError::NotFound)?;
        if users::delete_user(c, user.id)? {
            Ok(())
        } else {
            Err(DomainError::Conflict(format!(
                "{name} still owns feeds; delete them first"
            )))
        }
    })
    .await
}

/// With no user yet, makes a new one-time setup token (replacing any earlier one) and returns
/// it; with users, returns None.
pub async fn issue_setup_token(db: &Db) -> Result<Option<String>, DomainError> {
    db.run(|c| {
        if users::count_users(c)? > 0 {
            users::delete_setting(c, SETUP_TOKEN)?;
            return Ok::<_, DbError>(None);
        }
        let (token, hash) = secret_token::generate("");
        users::put_setting(c, SETUP_TOKEN, &hex(&hash))?;
        Ok(Some(token))
    })
    .await
    .map_err(Into::into)
}

/// True while the token is the live setup token and no user exists.
pub async fn setup_token_valid(db: &Db, token: &str) -> Result<bool, DomainError> {
    let want = hex(&secret_token::hash(token));
    Ok(db
        .run(move |c| {
            Ok::<_, DbError>(
                users::count_users(c)? == 0
                    && users::get_setting(c, SETUP_TOKEN)?.as_deref() == Some(&want),
            )
        })
        .await?)
}

/// Creates the first administrator with the setup token. The check that no user exists, the
/// insert and spending the token are one transaction, so two racing forms make one admin.
pub async fn complete_setup(db: &Db, token: &str, new: NewUser) -> Result<UserRow, DomainError> {
    if !setup_token_valid(db, token).await? {
        return Err(DomainError::NotFound);
    }
    let (username, email) = validate_new_user(&new)?;
    let hash = hash_blocking(new.password).await?;
    let want = hex(&secret_token::hash(token));
    db.run(move |c| {
        let tx = c.transaction().map_err(DbError::from)?;
        if users::count_users(&tx)? > 0
            || users::get_setting(&tx, SETUP_TOKEN)?.as_deref() != Some(&want)
        {
            return Err(DomainError::NotFound);
        }
        let now = now_ms();
        let id = users::insert_user(&tx, username.as_str(), email.as_deref(), &hash, true, now)?
            .ok_or_else(|| DomainError::Conflict(format!("the username {username} is taken")))?;
        users::delete_setting(&tx, SETUP_TOKEN)?;
        tx.commit().map_err(DbError::from)?;
        Ok(UserRow {
            id,
            username: username.to_string(),
            email,
            is_admin: true,
            created_at: now,
        })
    })
    .await
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
