//! The domain layer: validated types and the services that pages, API and CLI all call.
pub mod access;
pub mod accounts;
pub mod deliveries;
pub mod error;
pub mod event_detail;
pub mod event_writer;
pub mod feeds;
pub mod hook_concurrency;
pub mod hook_config;
pub mod hook_filter;
pub mod hook_preview;
pub mod hook_templates;
pub mod hooks;
pub mod ingest;
pub mod names;
pub mod password;
pub mod replays;
pub mod secret_box;
pub mod secret_token;
pub mod source_config;
pub mod sources;
pub mod stats;
pub mod throttle;
pub mod time;
pub mod wake;

pub use error::DomainError;
