//! One integration test binary (one link step), one module per capability.
mod helpers;

mod access;
mod browser;
mod cli;
mod events;
mod foundation;
mod openapi;
mod secrets;
mod security;
mod ui;
