//! Standard Webhooks signatures (https://www.standardwebhooks.com) for `http` hooks.
//!
//! A hook's secret is `whsec_` + base64 of the key; each delivery carries `webhook-id`,
//! `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{ts}.{body}">`.
//! Receivers verify with any Standard Webhooks library (or Svix's), so the exact bytes matter.

use base64::Engine;
use base64::alphabet::STANDARD as STANDARD_ALPHABET;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Prefix of every secret, as in the Standard Webhooks reference libraries.
pub const SECRET_PREFIX: &str = "whsec_";
/// Shortest key accepted: 24 bytes is what Svix issues; less would be a weak HMAC key.
pub const MIN_KEY_LEN: usize = 24;
/// Longest key accepted: the spec's upper bound (64 bytes, SHA-256's block size).
pub const MAX_KEY_LEN: usize = 64;

/// Standard alphabet that accepts the body with or without `=` padding: people paste secrets
/// from other tools, some of which strip padding.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &STANDARD_ALPHABET,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a secret was refused. Messages never repeat the secret, since they end up in logs and
/// API answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error(
        "the secret must start with \"whsec_\" followed by base64, e.g. as made by the hook form"
    )]
    MissingPrefix,
    #[error("the secret after \"whsec_\" is empty")]
    Empty,
    #[error("the secret after \"whsec_\" is not valid base64 ({0})")]
    NotBase64(String),
    #[error("the secret decodes to {0} bytes; it must be {MIN_KEY_LEN} to {MAX_KEY_LEN} bytes")]
    BadLength(usize),
}

/// A new secret: `whsec_` + base64 of 32 bytes from the operating system's random source.
pub fn generate_secret() -> String {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The key bytes of a `whsec_...` secret.
pub fn parse_secret(s: &str) -> Result<Vec<u8>, SecretError> {
    let body = s
        .trim()
        .strip_prefix(SECRET_PREFIX)
        .ok_or(SecretError::MissingPrefix)?;
    if body.is_empty() {
        return Err(SecretError::Empty);
    }
    let key = LENIENT
        .decode(body)
        .map_err(|e| SecretError::NotBase64(e.to_string()))?;
    if !(MIN_KEY_LEN..=MAX_KEY_LEN).contains(&key.len()) {
        return Err(SecretError::BadLength(key.len()));
    }
    Ok(key)
}

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

    #[test]
    fn parses_secrets() {
        let b64 = |n: usize| STANDARD.encode(vec![7u8; n]);
        use SecretError::*;
        #[rustfmt::skip]
        let cases: Vec<(String, Result<usize, SecretError>)> = vec![
            (SECRET.to_owned(), Ok(24)), (format!(" {SECRET}\n"), Ok(24)),
            (format!("whsec_{}", b64(32)), Ok(32)),
            (format!("whsec_{}", b64(32).trim_end_matches('=')), Ok(32)),
            (format!("whsec_{}", b64(64)), Ok(64)),
            (format!("whsec_{}", b64(23)), Err(BadLength(23))),
            (format!("whsec_{}", b64(65)), Err(BadLength(65))),
            ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(), Err(MissingPrefix)),
            ("WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(), Err(MissingPrefix)),
            ("".into(), Err(MissingPrefix)), ("whsec_".into(), Err(Empty)),
        ];
        for (input, want) in cases {
            assert_eq!(parse_secret(&input).map(|k| k.len()), want, "{input:?}");
        }
        for input in [
            "whsec_not base64!",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS_",
        ] {
            let err = parse_secret(input).unwrap_err();
            assert!(matches!(err, SecretError::NotBase64(_)), "{input}: {err:?}");
            assert!(
                !err.to_string().contains("MfKQ"),
                "error leaks the secret: {err}"
            );
        }
    }
}
