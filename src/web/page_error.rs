//! Why a page cannot be shown, and the small error page (or sign-in redirect) that says so.
//! Beside `pages` rather than in it, so that the CSRF extractor can refuse a form without
//! depending on the pages it guards.
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::db::users::UserRow;
use crate::domain::DomainError;

/// What every page's layout needs: who is signed in, the CSRF token for its forms, and the
/// message left by the previous form post. Defined here, with no way to make one from a
/// request, so an error page can wear it; `pages` builds it (`Chrome::new`).
pub struct Chrome {
    pub user: Option<UserRow>,
    pub csrf: String,
    pub flash: Option<Flash>,
}

#[derive(Clone)]
pub struct Flash {
    /// `ok` or `error`: a CSS class.
    pub kind: &'static str,
    pub text: String,
}

/// Why a page cannot be shown; rendered as a small error page (or a redirect to sign in).
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("page not found")]
    NotFound,
    #[error("sign in required")]
    SignInRequired { next: String },
    #[error("the form's security token is missing or wrong")]
    CsrfRejected,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("the server is busy")]
    Unavailable,
    #[error("unexpected error")]
    Internal,
}

impl From<DomainError> for PageError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound => PageError::NotFound,
            DomainError::Forbidden(m) => PageError::Forbidden(m),
            DomainError::Conflict(m) | DomainError::Malformed(m) => PageError::BadRequest(m),
            DomainError::Invalid(errs) => PageError::BadRequest(
                errs.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            DomainError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                PageError::Unavailable
            }
            DomainError::Unexpected(cause) => {
                tracing::error!(error = ?cause, "unexpected error");
                PageError::Internal
            }
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage<'a> {
    chrome: Chrome,
    status: u16,
    title: &'a str,
    message: String,
}

impl PageError {
    /// The page that says what went wrong, under the navigation `chrome` gives (the error
    /// itself cannot see the request; `pages::error_chrome::with_user` renders it again with
    /// the signed-in user).
    pub(crate) fn page(&self, chrome: Chrome) -> ErrorPage<'static> {
        let status = self.status_code();
        let message = match self {
            PageError::CsrfRejected => {
                "This form was not sent from a feedhooks page, or it is too old. Go back, reload the page and try again.".into()
            }
            PageError::NotFound => "There is nothing here, or you may not see it.".into(),
            PageError::Unavailable => "The server is busy. Try again in a moment.".into(),
            PageError::Internal => "Something went wrong on the server; the details are in its log.".into(),
            other => other.to_string(),
        };
        ErrorPage {
            chrome,
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error"),
            message,
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            PageError::CsrfRejected | PageError::Forbidden(_) => StatusCode::FORBIDDEN,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let PageError::SignInRequired { next } = self {
            let to = format!(
                "/login?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to))
                .finish();
        }
        let status = self.status_code();
        let page = self.page(Chrome {
            user: None,
            csrf: String::new(),
            flash: None,
        });
        let mut res = HttpResponse::build(status);
        if matches!(self, PageError::Unavailable) {
            res.insert_header((header::RETRY_AFTER, "2"));
        }
        res.content_type(ContentType::html())
            .body(page.render().unwrap_or_else(|_| "error".into()))
    }
}
