//! NuGet V3 feeds, starting from the service index: the catalog where the feed has one, else
//! its search and registration resources diffed against what was seen.
use std::collections::HashMap;

use super::fetch::{Auth, Validators};
use super::poll::{PollCtx, PollError};
use crate::domain::source_config::NugetConfig;

pub fn auth(cfg: &NugetConfig) -> Auth {
    let mut auth = Auth::none();
    if let Some(key) = &cfg.api_key {
        auth = auth.header("x-nuget-apikey", key.expose());
    }
    if let (Some(user), Some(password)) = (&cfg.username, &cfg.password) {
        auth = auth.basic(user, password.expose());
    }
    auth
}

pub async fn poll(
    _ctx: &mut PollCtx,
    _cfg: &NugetConfig,
    _validators: &mut HashMap<String, Validators>,
    _next_poll_at: i64,
) -> Result<(), PollError> {
    Err(PollError::Shape("not yet".into()))
}
