//! Helpers of the inbound tests: recorded payloads, and signatures made and checked by
//! GitHub's own library (`@octokit/webhooks-methods`, run by node) rather than by our code.
use std::path::PathBuf;

use serde_json::Value;

use super::{Headers, InboundKind, InboundRequest, SourceRef, Translation};
use crate::events::validate_envelope;

pub const SOURCE: SourceRef<'static> = SourceRef { id: 7, name: "ci" };

/// A file of `tests/fixtures/inbound/` (see the README there for where each came from).
pub fn fixture(path: &str) -> Vec<u8> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/inbound")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

pub fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// `v` as bytes after `edit` changed it (to derive a recorded payload's sibling).
pub fn edited(bytes: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = json(bytes);
    edit(&mut v);
    serde_json::to_vec_pretty(&v).unwrap()
}

/// Runs an ES module with node in the test tools dir, `body` on its standard input.
fn node(script: &str, env: &[(&str, &str)], body: &[u8]) -> String {
    crate::test_tools::node("@octokit/webhooks-methods", script, env, body)
}

/// `X-Hub-Signature-256` as GitHub makes it, by `@octokit/webhooks-methods`' `sign`.
pub fn octokit_sign(secret: &str, body: &[u8]) -> String {
    node(
        "import { sign } from '@octokit/webhooks-methods';
         import fs from 'node:fs';
         console.log(await sign(process.env.SECRET, fs.readFileSync(0, 'utf8')));",
        &[("SECRET", secret)],
        body,
    )
}

/// Whether `@octokit/webhooks-methods`' `verify` accepts `signature` for `body`.
pub fn octokit_verify(secret: &str, body: &[u8], signature: &str) -> bool {
    node(
        "import { verify } from '@octokit/webhooks-methods';
         import fs from 'node:fs';
         const ok = await verify(process.env.SECRET, fs.readFileSync(0, 'utf8'), process.env.SIG);
         console.log(ok ? 'valid' : 'invalid');",
        &[("SECRET", secret), ("SIG", signature)],
        body,
    ) == "valid"
}

/// `x-npm-signature` as npm's reference receiver (npm/npm-hook-receiver) computes it: node's
/// own crypto, `'sha256=' + createHmac('sha256', secret).update(body).digest('hex')`.
pub fn npm_sign(secret: &str, body: &[u8]) -> String {
    node(
        "import crypto from 'node:crypto';
         import fs from 'node:fs';
         const h = crypto.createHmac('sha256', process.env.SECRET).update(fs.readFileSync(0));
         console.log('sha256=' + h.digest('hex'));",
        &[("SECRET", secret)],
        body,
    )
}

pub fn json_headers() -> Headers {
    Headers::new().with("Content-Type", "application/json")
}

/// Authenticates and translates; panics on an error.
pub fn receive_ok(
    kind: InboundKind,
    headers: &Headers,
    body: &[u8],
    secrets: &[&str],
) -> Translation {
    let request = InboundRequest { headers, body };
    super::receive(kind, request, secrets, SOURCE)
        .unwrap_or_else(|e| panic!("refused: {e}"))
        .translation
}

/// The envelopes of a translation, each checked by the same validator as the ingest API.
pub fn events(t: Translation) -> Vec<Value> {
    let Translation::Events(events) = t else {
        panic!("expected events, got {t:?}");
    };
    for e in &events {
        if let Err(errors) = validate_envelope(e) {
            panic!("invalid envelope {e}: {errors:?}");
        }
    }
    events
}

pub fn one_event(t: Translation) -> Value {
    let mut all = events(t);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}
