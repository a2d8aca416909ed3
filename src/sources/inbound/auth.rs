//! Checking an inbound request against the source's valid secrets (the current one, and the
//! previous one during the 24 hours after a rotation).
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::error::InboundError;
use super::kind::AuthScheme;
use super::request::Headers;

/// Which of `secrets` authenticates the request (its index), or why none does.
pub fn authenticate(
    scheme: AuthScheme,
    headers: &Headers,
    body: &[u8],
    secrets: &[&str],
) -> Result<usize, InboundError> {
    let value = headers
        .get(scheme.header())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(InboundError::MissingCredential(scheme))?;
    let matches = |secret: &str| match scheme {
        AuthScheme::HmacSha256Hex { .. } => hmac_matches(value, secret, body),
        AuthScheme::Token { .. } => constant_time_eq(value, secret),
        AuthScheme::Bearer => bearer_token(value).is_some_and(|t| constant_time_eq(t, secret)),
    };
    // "Authorization: Basic ..." or a bare token is no bearer credential at all.
    if scheme == AuthScheme::Bearer && bearer_token(value).is_none() {
        return Err(InboundError::MissingCredential(scheme));
    }
    secrets
        .iter()
        .position(|s| !s.is_empty() && matches(s))
        .ok_or(InboundError::BadCredential(scheme))
}

/// `sha256=<hex>` as GitHub and npm send it, hex in either case.
pub fn sign_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

fn hmac_matches(value: &str, secret: &str, body: &[u8]) -> bool {
    let Some(hex) = value.strip_prefix("sha256=") else {
        return false;
    };
    let Some(sent) = decode_hex(hex) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    mac.verify_slice(&sent).is_ok()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Equal in time that does not depend on where the two differ (only the length may show).
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GITHUB: AuthScheme = AuthScheme::HmacSha256Hex {
        header: "X-Hub-Signature-256",
    };
    const GITLAB: AuthScheme = AuthScheme::Token {
        header: "X-Gitlab-Token",
    };

    #[test]
    fn hmac_accepts_the_current_or_the_previous_secret_and_says_which() {
        let body = br#"{"zen":"Keep it logically awesome."}"#;
        let sig = sign_hex("old", body);
        let h = Headers::new().with(
            "x-hub-signature-256",
            sig.to_uppercase().replace("SHA256=", "sha256="),
        );
        assert_eq!(authenticate(GITHUB, &h, body, &["new", "old"]), Ok(1));
        assert_eq!(
            authenticate(GITHUB, &h, body, &["new"]),
            Err(InboundError::BadCredential(GITHUB))
        );
        let tampered = br#"{"zen":"Keep it logically awesome!"}"#;
        assert_eq!(
            authenticate(GITHUB, &h, tampered, &["new", "old"]),
            Err(InboundError::BadCredential(GITHUB))
        );
    }

    #[test]
    fn a_missing_or_garbled_signature_is_refused() {
        let body = b"{}";
        assert_eq!(
            authenticate(GITHUB, &Headers::new(), body, &["s"]),
            Err(InboundError::MissingCredential(GITHUB))
        );
        for bad in ["sha1=00", "sha256=zz", "sha256=abc", "sha256="] {
            let h = Headers::new().with("X-Hub-Signature-256", bad);
            assert_eq!(
                authenticate(GITHUB, &h, body, &["s"]),
                Err(InboundError::BadCredential(GITHUB)),
                "{bad}"
            );
        }
    }

    #[test]
    fn tokens_and_bearers_must_be_equal() {
        let h = Headers::new().with("X-Gitlab-Token", "fhin_x");
        assert_eq!(authenticate(GITLAB, &h, b"", &["fhin_x"]), Ok(0));
        assert!(authenticate(GITLAB, &h, b"", &["fhin_xy"]).is_err());
        assert!(authenticate(GITLAB, &h, b"", &[""]).is_err());
        let h = Headers::new().with("Authorization", "bearer  fhin_x");
        assert_eq!(
            authenticate(AuthScheme::Bearer, &h, b"", &["fhin_x"]),
            Ok(0)
        );
        let h = Headers::new().with("Authorization", "Basic fhin_x");
        assert_eq!(
            authenticate(AuthScheme::Bearer, &h, b"", &["fhin_x"]),
            Err(InboundError::MissingCredential(AuthScheme::Bearer))
        );
    }
}
