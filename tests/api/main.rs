//! One integration test binary (one link step), one module per capability.
mod helpers;

mod access;
mod audit;
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
mod oauth;
mod openapi;
mod proxy;
mod receiver;
mod restore;
mod schemathesis;
mod secrets;
mod security;
mod services;
mod ssrf;
mod ui;
