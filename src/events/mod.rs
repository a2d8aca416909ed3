//! Events: what a feed can report, how an incoming envelope is checked, its JSON Schema, and
//! how it reads to people.
//!
//! The wire format is MyGet's webhook envelope (`spec/myget-webhooks.md`):
//! `{"Identifier"?, "Username"?, "When"?, "PayloadType", "Payload"}`. All per-event facts are
//! in one table, [`catalog::EVENTS`]; [`validate`] and [`schema`] both read it, so the checks
//! and the published schema can not drift apart. [`render`] turns an envelope into the
//! summary, text and HTML every notification channel uses.

pub mod catalog;
pub mod examples;
pub mod render;
pub mod schema;
pub mod template;
pub(crate) mod text;
pub mod validate;

pub use catalog::EventType;
pub use render::{BuildResult, Link, Rendered, build_result, render};
pub use schema::json_schema;
pub use validate::validate_envelope;

#[cfg(test)]
mod test_support {
    pub use super::examples::example;
}
