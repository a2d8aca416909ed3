//! feedhooks: a self-hosted webhook server for package feeds, after MyGet's feed webhooks.
//!
//! Data flows one way: the feed system posts events to the API, which stores each event with
//! one pending delivery per subscribed hook in one transaction; a background worker claims due
//! deliveries and hands each to the sender for its hook's kind, logging every attempt.
pub mod admin_cli;
pub mod app;
pub mod backup;
pub mod cli;
pub mod config;
pub mod data_dir;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod events;
pub mod primitives;
pub mod sources;
#[cfg(test)]
mod test_tools;
pub mod web;

pub use app::Application;
pub use config::Settings;
