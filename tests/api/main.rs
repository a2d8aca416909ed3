//! One integration test binary (one link step), one module per capability.
mod helpers;

mod access;
mod browser;
mod cli;
mod crash;
mod delivery;
mod events;
mod faults;
mod foundation;
mod fuzz;
mod hostile;
mod matrix;
mod nuget_feed;
mod oauth;
mod openapi;
mod receiver;
mod secrets;
mod security;
mod services;
mod sources_npm;
mod sources_nuget;
mod ssrf;
mod ui;
mod verdaccio;
