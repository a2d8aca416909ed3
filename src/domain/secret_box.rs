//! Stored secrets (hook tokens, passwords, webhook URLs) encrypted with a key derived from the
//! data dir's key file: a copy of the database alone does not reveal them.
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::data_dir::SecretKey;

const NONCE_LEN: usize = 24;

#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

#[derive(Debug, thiserror::Error)]
#[error("a stored secret cannot be decrypted (was the key file replaced?)")]
pub struct DecryptError;

impl SecretBox {
    pub fn new(key: &SecretKey) -> Self {
        SecretBox {
            cipher: XChaCha20Poly1305::new(&key.derive("stored-secrets").into()),
        }
    }

    /// Random 24-byte nonce, then the ciphertext with its tag.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plaintext)
            .expect("encryption does not fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if sealed.len() < NONCE_LEN {
            return Err(DecryptError);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), ct)
            .map_err(|_| DecryptError)
    }
}

/// Which stored secrets a key opens: a key file that opens none of them is not the one the
/// database was made with; one that opens some leaves the others' hooks broken.
#[derive(Debug, Default, PartialEq)]
pub struct KeyCheck {
    pub sealed: usize,
    /// The hooks whose secrets this key cannot open.
    pub unopenable: Vec<i64>,
}

impl KeyCheck {
    pub fn wrong_key(&self) -> bool {
        self.sealed > 0 && self.unopenable.len() == self.sealed
    }
}

impl SecretBox {
    pub fn check(&self, sealed: &[(i64, Vec<u8>)]) -> KeyCheck {
        KeyCheck {
            sealed: sealed.len(),
            unopenable: sealed
                .iter()
                .filter(|(_, s)| self.open(s).is_err())
                .map(|(id, _)| *id)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_refuses_other_keys() {
        let a = SecretBox::new(&SecretKey::for_tests([1; 32]));
        let b = SecretBox::new(&SecretKey::for_tests([2; 32]));
        let sealed = a.seal(b"hunter2");
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(a.open(&sealed).unwrap(), b"hunter2");
        assert!(b.open(&sealed).is_err());
        assert_ne!(a.seal(b"x"), a.seal(b"x"), "a fresh nonce each time");
    }

    #[test]
    fn a_key_that_opens_no_secret_is_the_wrong_key() {
        let a = SecretBox::new(&SecretKey::for_tests([1; 32]));
        let b = SecretBox::new(&SecretKey::for_tests([2; 32]));
        let sealed = vec![(1, a.seal(b"x")), (2, b.seal(b"y"))];
        assert_eq!(a.check(&sealed).unopenable, vec![2]);
        assert!(!a.check(&sealed).wrong_key());
        assert!(a.check(&sealed[1..]).wrong_key());
        assert!(!a.check(&[]).wrong_key(), "no secrets: any key will do");
    }
}
