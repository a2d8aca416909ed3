//! The errors every domain service returns; the web layer turns them into pages or problem+json.
use serde::Serialize;

use crate::db::DbError;

/// One invalid input field and what is wrong with it, in words a person can act on. `field` is
/// a dotted path for JSON (`Payload.Packages[1].PackageIdentifier`, `""` for the root) or the
/// form field's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    /// "Payload.PackageIdentifier: is required", for logs and the command line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.field.as_str() {
            "" => f.write_str(&self.message),
            field => write!(f, "{field}: {}", self.message),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Unknown, or not visible to the caller: the two are deliberately indistinguishable.
    #[error("not found")]
    NotFound,
    /// Visible to the caller, but this action needs a higher role (e.g. only the owner).
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The input is not even well-formed (e.g. broken JSON); the text says where.
    #[error("{0}")]
    Malformed(String),
    /// The database is busy, locked or out of space; the caller may try again shortly.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl DomainError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        DomainError::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<DbError> for DomainError {
    fn from(e: DbError) -> Self {
        if e.is_transient() {
            DomainError::Unavailable(e.to_string())
        } else {
            DomainError::Unexpected(e.into())
        }
    }
}

impl From<rusqlite::Error> for DomainError {
    fn from(e: rusqlite::Error) -> Self {
        DbError::from(e).into()
    }
}
