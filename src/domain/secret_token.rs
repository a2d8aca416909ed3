//! Bearer secrets: session ids, personal access tokens and feed keys. Each is 32 random bytes,
//! shown once, and stored only as its SHA-256 (enough for 256-bit random values; a slow hash
//! would only slow every API call).
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const PERSONAL_TOKEN_PREFIX: &str = "fhp_";
pub const FEED_KEY_PREFIX: &str = "fhk_";

/// A new secret with a recognisable prefix (so leaked ones can be found by secret scanners),
/// and the hash to store.
pub fn generate(prefix: &str) -> (String, [u8; 32]) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
    let h = hash(&token);
    (token, h)
}

pub fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (a, ha) = generate(FEED_KEY_PREFIX);
        let (b, _) = generate(FEED_KEY_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with("fhk_") && a.len() == 4 + 43);
        assert_eq!(hash(&a), ha);
    }
}
