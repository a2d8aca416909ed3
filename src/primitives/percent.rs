//! Percent-encoding of RFC 3986's unreserved set, which OAuth 1.0a (RFC 5849 §3.6) requires
//! and which the senders use for path segments; redaction looks for secrets in this form too.

/// RFC 5849 §3.6 percent-encoding: everything but ALPHA, DIGIT, `-`, `.`, `_`, `~` becomes
/// `%XX` with upper-case hex, byte by byte of the UTF-8 form. (Not form-encoding: a space is
/// `%20`, never `+`.)
pub fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encodes_per_rfc5849() {
        let cases = [
            ("AZaz09-._~", "AZaz09-._~"),
            ("a b+c", "a%20b%2Bc"),
            ("Ladies + Gentlemen", "Ladies%20%2B%20Gentlemen"),
            ("An encoded string!", "An%20encoded%20string%21"),
            ("Dogs, Cats & Mice", "Dogs%2C%20Cats%20%26%20Mice"),
            ("☃", "%E2%98%83"),
            ("/?=&%*'", "%2F%3F%3D%26%25%2A%27"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(percent_encode(input), want, "{input:?}");
        }
    }
}
