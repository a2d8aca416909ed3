//! The format of an `http` hook's signing secret, as Standard Webhooks defines it: `whsec_` +
//! base64 of the key. The hook settings check it, the signer reads the key from it.
use base64::Engine;
use base64::alphabet::STANDARD as STANDARD_ALPHABET;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use rand::RngCore;

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

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

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
