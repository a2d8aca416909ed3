//! OAuth 1.0a (RFC 5849) HMAC-SHA1 signing for X/Twitter's `POST /2/tweets`.
//!
//! That endpoint takes a JSON body, which is not part of the signature base string (only
//! form-encoded bodies are), so the base string is made of the method, the URL and the URL's
//! query parameters plus the `oauth_*` parameters. Written by hand rather than with a crate
//! because it is small and the exact encoding is what makes or breaks the signature.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::Rng;
use rand::distributions::Alphanumeric;
use sha1::Sha1;

pub use crate::primitives::percent::percent_encode;

/// The four secrets of an OAuth 1.0a user context.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthCredentials {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub token: String,
    pub token_secret: String,
}

// Hand-written so that a stray `{:?}` in a log line can not print the secrets.
impl std::fmt::Debug for OAuthCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthCredentials")
            .field("consumer_key", &self.consumer_key)
            .field("consumer_secret", &"<redacted>")
            .field("token", &self.token)
            .field("token_secret", &"<redacted>")
            .finish()
    }
}

/// A fresh nonce: 42 random alphanumerics (about 250 bits), unique per request as X requires.
pub fn new_nonce() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(42)
        .map(char::from)
        .collect()
}

/// The base string URI (RFC 5849 §3.4.1.2: lower-case scheme and host, port only when not the
/// default, path, no query or fragment) and the URL's decoded query parameters.
fn split_url(url: &str) -> (String, Vec<(String, String)>) {
    match url::Url::parse(url) {
        Ok(u) => {
            let mut base = format!("{}://{}", u.scheme(), u.host_str().unwrap_or(""));
            if let Some(port) = u.port() {
                // `Url::port` is already `None` for the scheme's default port.
                base.push_str(&format!(":{port}"));
            }
            base.push_str(u.path());
            let query = u
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            (base, query)
        }
        // An unparseable URL can not be requested either (reqwest refuses it before sending);
        // signing the text as given keeps this function total without hiding that failure.
        Err(_) => {
            let end = url.find(['?', '#']).unwrap_or(url.len());
            (url[..end].to_owned(), Vec::new())
        }
    }
}

/// The signature base string of RFC 5849 §3.4.1 for these parameters.
fn base_string(method: &str, base_uri: &str, params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    // Sorted by encoded name, then encoded value, byte-wise (§3.4.1.3.2).
    encoded.sort();
    let normalized: Vec<String> = encoded
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(base_uri),
        percent_encode(&normalized.join("&"))
    )
}

/// The HMAC-SHA1 signature, base64, of a base string under the consumer and token secrets.
fn signature(base: &str, creds: &OAuthCredentials) -> String {
    let key = format!(
        "{}&{}",
        percent_encode(&creds.consumer_secret),
        percent_encode(&creds.token_secret)
    );
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("HMAC accepts any key");
    mac.update(base.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The whole `Authorization` header value, `OAuth oauth_consumer_key="...", ...`, for a request
/// whose body is not form-encoded (JSON). Query parameters of `url` are signed; an empty token
/// is left out (two-legged use), which X's user-context endpoints do not accept anyway.
pub fn authorization_header(
    method: &str,
    url: &str,
    creds: &OAuthCredentials,
    nonce: &str,
    timestamp: u64,
) -> String {
    let mut oauth: Vec<(String, String)> = vec![
        ("oauth_consumer_key".into(), creds.consumer_key.clone()),
        ("oauth_nonce".into(), nonce.to_owned()),
        ("oauth_signature_method".into(), "HMAC-SHA1".into()),
        ("oauth_timestamp".into(), timestamp.to_string()),
        ("oauth_version".into(), "1.0".into()),
    ];
    if !creds.token.is_empty() {
        oauth.push(("oauth_token".into(), creds.token.clone()));
    }
    let (base_uri, mut params) = split_url(url);
    params.extend(oauth.iter().cloned());
    let sig = signature(&base_string(method, &base_uri, &params), creds);
    oauth.push(("oauth_signature".into(), sig));
    oauth.sort();
    let fields: Vec<String> = oauth
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", percent_encode(k), percent_encode(v)))
        .collect();
    format!("OAuth {}", fields.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x_docs_creds() -> OAuthCredentials {
        OAuthCredentials {
            consumer_key: "xvz1evFS4wEEPTGEFPHBog".into(),
            consumer_secret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw".into(),
            token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb".into(),
            token_secret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE".into(),
        }
    }
    const NONCE: &str = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";

    #[test]
    fn matches_x_docs_vector() {
        let h = authorization_header(
            "POST",
            "https://api.x.com/2/tweets",
            &x_docs_creds(),
            NONCE,
            1318622958,
        );
        assert_eq!(
            h,
            "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", \
             oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", \
             oauth_signature=\"lr%2BtV%2FDKclEvXKVjG6tgaSSLV0k%3D\", \
             oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1318622958\", \
             oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", \
             oauth_version=\"1.0\""
        );
        // Method case and the default port do not change the signature.
        let same = authorization_header(
            "post",
            "HTTPS://API.X.COM:443/2/tweets",
            &x_docs_creds(),
            NONCE,
            1318622958,
        );
        assert_eq!(same, h);
    }

    #[test]
    fn rfc5849_base_string_example() {
        // RFC 5849 §3.4.1.1, with its parameters (including a form body and repeated names).
        let params: Vec<(String, String)> = [
            ("b5", "=%3D"),
            ("a3", "a"),
            ("c@", ""),
            ("a2", "r b"),
            ("oauth_consumer_key", "9djdj82h48djs9d2"),
            ("oauth_token", "kkk9d7dh3k39sjv7"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131201"),
            ("oauth_nonce", "7d8f3e4a"),
            ("c2", ""),
            ("a3", "2 q"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (uri, query) =
            split_url("http://EXAMPLE.COM:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b");
        assert_eq!(uri, "http://example.com/request");
        assert_eq!(query.len(), 4);
        assert_eq!(query[0], ("b5".to_string(), "=%3D".to_string()));
        assert_eq!(
            base_string("post", &uri, &params),
            "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q\
             %26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_\
             key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m\
             ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk\
             9d7dh3k39sjv7"
        );
    }

    #[test]
    fn query_parameters_are_signed_and_nonces_differ() {
        let c = x_docs_creds();
        let plain = authorization_header("POST", "https://api.x.com/2/tweets", &c, NONCE, 1);
        let query = authorization_header("POST", "https://api.x.com/2/tweets?a=1", &c, NONCE, 1);
        assert_ne!(plain, query);
        let frag = authorization_header("POST", "https://api.x.com/2/tweets#x", &c, NONCE, 1);
        assert_eq!(plain, frag);
        let (a, b) = (new_nonce(), new_nonce());
        assert_eq!(a.len(), 42);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, b);
        assert!(!format!("{c:?}").contains("kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"));
    }
}
