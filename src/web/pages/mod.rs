//! Server-rendered pages. Handlers parse input, call the domain, and render a template or
//! redirect with a flash message (post/redirect/get, so a reload never re-submits a form).
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::db::users::UserRow;
pub use crate::web::page_error::{Chrome, Flash, PageError};

pub mod account;
pub mod admin;
pub mod chart;
pub mod deliveries;
pub mod digest_form;
pub mod error_chrome;
pub mod events;
pub mod feeds;
pub mod filter_form;
pub mod hook_form;
pub mod hook_page;
pub mod hook_preview;
pub mod hooks;
pub mod replays;
pub mod session;
pub mod source_form;
pub mod source_inbound;
pub mod sources;
pub mod templates_form;
pub mod views;

const FLASH_COOKIE: &str = "fh_flash";

impl Chrome {
    pub fn new(req: &HttpRequest, user: Option<UserRow>) -> Self {
        let flash = req
            .cookie(FLASH_COOKIE)
            .and_then(|c| decode_flash(c.value()));
        Chrome {
            user,
            csrf: crate::web::csrf::token(req),
            flash,
        }
    }

    pub fn username(&self) -> &str {
        self.user
            .as_ref()
            .map(|u| u.username.as_str())
            .unwrap_or("")
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.is_admin)
    }
}

fn decode_flash(v: &str) -> Option<Flash> {
    let bytes = URL_SAFE_NO_PAD.decode(v).ok()?;
    let s = String::from_utf8(bytes).ok()?;
    let (kind, text) = s.split_once(':')?;
    let kind = match kind {
        "ok" => "ok",
        _ => "error",
    };
    Some(Flash {
        kind,
        text: text.chars().take(500).collect(),
    })
}

/// Renders a page; a page that had a flash message clears its cookie.
pub fn render(req: &HttpRequest, page: &impl Template) -> HttpResponse {
    render_status(req, StatusCode::OK, page)
}

pub fn render_status(req: &HttpRequest, status: StatusCode, page: &impl Template) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.content_type(ContentType::html());
    // Pages hold per-user data and CSRF tokens: never cached.
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if req.cookie(FLASH_COOKIE).is_some() {
        let mut c = Cookie::build(FLASH_COOKIE, "").path("/").finish();
        c.make_removal();
        res.cookie(c);
    }
    match page.render() {
        Ok(html) => res.body(html),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            HttpResponse::InternalServerError().body("the page could not be rendered")
        }
    }
}

/// 303 to `location`, with a message for the next page.
pub fn redirect(location: &str, kind: &'static str, text: impl AsRef<str>) -> HttpResponse {
    let value = URL_SAFE_NO_PAD.encode(format!("{kind}:{}", text.as_ref()));
    let cookie = Cookie::build(FLASH_COOKIE, value)
        .path("/")
        .http_only(true)
        .finish();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .cookie(cookie)
        .finish()
}

pub fn redirect_plain(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// A location inside this site to return to after sign-in; anything else goes to /feeds, so
/// the login form cannot be turned into an open redirect.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/feeds".to_owned(),
    }
}

/// A time for people: `2026-11-30 03:11:39 UTC`.
pub fn display_time(ms: i64) -> String {
    let s = crate::domain::time::rfc3339(ms);
    format!("{} {} UTC", &s[..10], &s[11..19])
}

/// A token or key as a table row shows it.
pub struct CredentialView {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub last_used: String,
}

impl From<crate::db::credentials::CredentialRow> for CredentialView {
    fn from(r: crate::db::credentials::CredentialRow) -> Self {
        CredentialView {
            id: r.id,
            name: r.name,
            created: display_time(r.created_at),
            last_used: r
                .last_used_at
                .map(display_time)
                .unwrap_or_else(|| "never".into()),
        }
    }
}
