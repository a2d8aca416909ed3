//! Standard Webhooks signatures (https://www.standardwebhooks.com) for `http` hooks.
//!
//! A hook's secret is `whsec_` + base64 of the key (its format is in
//! [`crate::primitives::webhook_secret`]); each delivery carries `webhook-id`,
//! `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{ts}.{body}">`.
//! Receivers verify with any Standard Webhooks library (or Svix's), so the exact bytes matter.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub use crate::primitives::webhook_secret::{generate_secret, parse_secret};

fn mac(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length (long ones are hashed), so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `webhook-signature` value for one delivery: `v1,<base64>`.
pub fn sign(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = mac(key, msg_id, timestamp, body).finalize().into_bytes();
    format!("v1,{}", STANDARD.encode(tag))
}

/// Whether a `webhook-signature` header (space-separated `v1,<base64>` entries, so that keys can
/// be rotated) holds a valid signature for this message. Compares in constant time. It does not
/// check the timestamp's age: that needs a clock and is the caller's business.
pub fn verify(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let expected = mac(key, msg_id, timestamp, body).finalize().into_bytes();
    header
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        // Evaluate every entry rather than stopping early: cheap, and timing then says nothing.
        .fold(false, |found, sig| {
            found | bool::from(sig.as_slice().ct_eq(expected.as_slice()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn matches_standard_webhooks_vector() {
        let key = parse_secret(SECRET).unwrap();
        assert_eq!(key.len(), 24);
        assert_eq!(sign(&key, ID, TS, BODY), SIG);
    }

    #[test]
    fn verifies_and_rejects() {
        let key = parse_secret(SECRET).unwrap();
        assert!(verify(&key, ID, TS, BODY, SIG));
        assert!(
            verify(&key, ID, TS, BODY, &format!("v1,bm9wZQ== {SIG}")),
            "rotation list"
        );
        let flipped = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=";
        let v2 = "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        let other_body: &[u8] = br#"{"test": 2432232315}"#;
        #[rustfmt::skip]
        let bad = [
            (ID, TS, BODY, flipped), (ID, TS + 1, BODY, SIG), ("msg_other", TS, BODY, SIG),
            (ID, TS, other_body, SIG), (ID, TS, BODY, v2), (ID, TS, BODY, ""),
        ];
        for (id, ts, body, header) in bad {
            assert!(!verify(&key, id, ts, body, header), "{id} {ts} {header}");
        }
    }

    #[test]
    fn generated_secrets_parse_and_differ() {
        let a = generate_secret();
        let b = generate_secret();
        assert!(a.starts_with("whsec_"), "{a}");
        assert_ne!(a, b);
        assert_eq!(parse_secret(&a).unwrap().len(), 32);
        let key = parse_secret(&a).unwrap();
        assert!(verify(&key, ID, TS, BODY, &sign(&key, ID, TS, BODY)));
    }
}
