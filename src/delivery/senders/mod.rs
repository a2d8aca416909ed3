//! One sender per hook kind: from "deliver this stored event with this hook's settings" to the
//! wire and back, returning the [`Attempt`] record the worker stores and classifies by.
//!
//! Every HTTP-based sender goes through [`http_client`], which enforces `--allow-hosts`, never
//! follows redirects and caps what it reads; e-mail resolves and checks its SMTP host itself.
//! Whatever the kind, every secret of the hook is redacted from the attempt (URL, headers,
//! bodies, error messages) by [`Redactor`] before it is returned.
mod email;
mod errors;
mod format;
mod hipchat;
mod http;
pub mod http_client;
pub mod preview;
mod redact;
mod slack;
pub mod teams;
#[cfg(test)]
mod tests;
mod twilio;
pub mod verdict;
mod wording;
pub mod x;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

pub use redact::Redactor;

use super::allow::AllowList;
use super::attempt::Attempt;
use crate::domain::hook_config::{HookConfig, KindConfig, each_kind, secret_values_of};
use crate::domain::hook_templates::MessageTemplate;
use crate::events::EventType;
use crate::events::template::Extras;

/// What every sender needs from the worker: the guarded HTTP clients, the allow list (e-mail
/// checks its host itself), and the per-attempt timeout.
#[derive(Clone)]
pub struct SendContext {
    /// The guarded client (see [`http_client::build_client`]); certificates are verified.
    pub client: reqwest::Client,
    pub allow: Arc<AllowList>,
    /// Whole-attempt timeout (`--delivery-timeout`).
    pub timeout: Duration,
    /// The same client, without certificate checks, for `http` hooks with `verify_tls: false`.
    pub insecure_client: reqwest::Client,
    /// Extra trusted root certificates (PEM), for a test's own certificate authority. Empty in
    /// production, where the built-in Web PKI roots are trusted.
    pub extra_roots: Vec<Vec<u8>>,
    /// The server's public URL without a trailing `/`, for the links templates print.
    pub base_url: String,
}

impl std::fmt::Debug for SendContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendContext")
            .field("allow", &self.allow.to_string())
            .field("timeout", &self.timeout)
            .field("extra_roots", &self.extra_roots.len())
            .finish()
    }
}

impl SendContext {
    /// Builds the guarded clients, trusting `extra_roots` (PEM certificates) besides the Web PKI.
    pub fn try_new(
        allow: Arc<AllowList>,
        timeout: Duration,
        extra_roots: Vec<Vec<u8>>,
    ) -> Result<Self, String> {
        let client = http_client::build_client(&allow, timeout, true, &extra_roots)?;
        let insecure_client = http_client::build_client(&allow, timeout, false, &extra_roots)?;
        Ok(SendContext {
            client,
            allow,
            timeout,
            insecure_client,
            extra_roots,
            base_url: String::new(),
        })
    }

    /// The same, with the server's public URL for links.
    pub fn with_base_url(mut self, base_url: &str) -> Self {
        self.base_url = base_url.trim_end_matches('/').to_owned();
        self
    }
}

/// One stored event, ready to deliver.
#[derive(Debug, Clone, Copy)]
pub struct OutgoingEvent<'a> {
    pub event: EventType,
    /// The envelope's `Identifier`.
    pub identifier: &'a str,
    /// The envelope JSON exactly as stored; `http` hooks send these bytes unchanged.
    pub envelope: &'a str,
    /// The same envelope, parsed, for the senders that render it.
    pub parsed: &'a Value,
    /// The hook owner's wording of this event, if any (people channels only).
    pub template: Option<&'a MessageTemplate>,
    /// What templates may print besides the envelope.
    pub extras: Extras<'a>,
}

/// Delivers one event with one hook's settings, in two steps: [`Sender::prepare`] builds what
/// goes on the wire without any network call, and [`Sender::send`] sends exactly that. The
/// preview shows the first step, so it cannot differ from what is sent.
pub(crate) trait Sender: KindConfig {
    /// What this kind puts on the wire: an HTTP request or a mail message.
    type Wire: Into<preview::Wire>;

    /// Builds the request; a setting or template that cannot be used says why (not yet
    /// redacted).
    fn prepare(&self, ev: &OutgoingEvent<'_>) -> Result<Self::Wire, http_client::NotSent>;

    /// Every secret of the hook, for [`Redactor`].
    fn redactor(&self) -> Redactor {
        Redactor::new(secret_values_of(self))
    }

    /// Sends. Never fails: whatever happens is described by the returned attempt, with every
    /// secret redacted.
    fn send(
        &self,
        ctx: &SendContext,
        ev: &OutgoingEvent<'_>,
    ) -> impl Future<Output = Attempt> + Send;
}

impl HookConfig {
    /// Delivers `ev` with the sender of this hook's kind.
    pub async fn send(&self, ctx: &SendContext, ev: &OutgoingEvent<'_>) -> Attempt {
        each_kind!(self, c => c.send(ctx, ev).await)
    }

    /// What [`HookConfig::send`] would send for `ev`, secrets redacted; nothing is sent.
    pub fn preview(&self, ev: &OutgoingEvent<'_>) -> Result<preview::Wire, String> {
        each_kind!(self, c => {
            let redactor = c.redactor();
            c.prepare(ev)
                .map(|wire| Into::<preview::Wire>::into(wire).redacted(&redactor))
                .map_err(|n| redactor.text(&n.reason))
        })
    }
}

/// `User-Agent` of the service senders (`http` hooks send the MyGet-compatible one).
pub const USER_AGENT: &str = concat!("feedhooks/", env!("CARGO_PKG_VERSION"));
