//! One integration test binary (one link step), one module per capability.
mod helpers;

mod cli;
mod foundation;
