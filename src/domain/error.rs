//! The errors every domain service returns; the web layer turns them into pages or problem+json.
use crate::db::DbError;
use crate::primitives::FieldError;

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
