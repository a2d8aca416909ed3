//! Password hashing: argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
//! Both functions are CPU-heavy and blocking: call them through `spawn_blocking`.
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

use crate::primitives::FieldError;

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 1024;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks the length rules; says why a password is refused.
pub fn check_policy(field: &str, password: &SecretString) -> Result<(), FieldError> {
    let n = password.expose_secret().chars().count();
    if n < MIN_LENGTH {
        return Err(FieldError::new(
            field,
            format!("must have at least {MIN_LENGTH} characters"),
        ));
    }
    if n > MAX_LENGTH {
        return Err(FieldError::new(
            field,
            format!("must have at most {MAX_LENGTH} characters"),
        ));
    }
    Ok(())
}

pub fn hash(password: &SecretString) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .expect("argon2 hashing with valid parameters does not fail")
        .to_string()
}

/// Verifies `password` against a stored hash; with no stored hash (unknown user) it verifies
/// against a fixed dummy hash, so both failures take the same time.
pub fn verify(stored: Option<&str>, password: &SecretString) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash(&SecretString::from("not a password of anyone")));
    let (phc, known) = match stored {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let ok = PasswordHash::new(phc)
        .map(|parsed| {
            argon2()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    ok && known
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_hide_the_password() {
        let pw = SecretString::from("correct horse battery");
        let h = hash(&pw);
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(!h.contains("correct horse"));
        assert!(verify(Some(&h), &pw));
        assert!(!verify(
            Some(&h),
            &SecretString::from("wrong horse battery")
        ));
        assert!(!verify(None, &pw));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_policy("password", &SecretString::from("short")).is_err());
        assert!(check_policy("password", &SecretString::from("long enough!")).is_ok());
    }
}
