//! Identifiers people type: feed identifiers (fixed by the contract) and usernames.
use std::fmt;

use crate::primitives::FieldError;

/// 1 to 64 of `a-z`, `0-9`, `-`, `.`, `_`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeedIdentifier(String);

impl FeedIdentifier {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        check_name(field, s, "a feed identifier").map(FeedIdentifier)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Same alphabet as feed identifiers; stored lower-case so `Alice` and `alice` are one user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        check_name(field, &s.trim().to_ascii_lowercase(), "a username").map(Username)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FeedIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_name(field: &str, s: &str, what: &str) -> Result<String, FieldError> {
    let err = |m: String| Err(FieldError::new(field, m));
    if s.is_empty() {
        return err(format!("{what} is required"));
    }
    if s.len() > 64 {
        return err(format!("{what} has at most 64 characters"));
    }
    if !s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return err(format!("{what} starts with a lower-case letter or a digit"));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '-' | '.' | '_'))
    {
        return err(format!(
            "{what} may hold only a-z, 0-9, '-', '.' and '_', not {c:?}"
        ));
    }
    Ok(s.to_owned())
}

/// The kind a create names, or an edit's, which cannot change: `what` (a hook, a source)
/// says what to create instead, and `all` lists the kinds for the error.
pub fn kind_given<K: Copy + PartialEq>(
    given: Option<&str>,
    stored: Option<K>,
    parse: impl Fn(&str) -> Option<K>,
    all: &[&str],
    what: &str,
    errors: &mut Vec<FieldError>,
) -> Option<K> {
    let error = match (stored, given) {
        (Some(k), None) => return Some(k),
        (Some(k), Some(g)) if parse(g) == Some(k) => return Some(k),
        (Some(_), Some(_)) => format!("cannot change; create a new {what} instead"),
        (None, Some(g)) => match parse(g) {
            Some(k) => return Some(k),
            None => format!("must be one of: {}", all.join(", ")),
        },
        (None, None) => "is required".to_owned(),
    };
    errors.push(FieldError::new("kind", error));
    None
}

/// The name a create or an edit gives: the one typed (checked as a label of at most 100
/// characters), else the stored one, else `default` (the kind's label).
pub fn name_given(
    typed: Option<&str>,
    stored: Option<&str>,
    default: &str,
    errors: &mut Vec<FieldError>,
) -> String {
    match (typed, stored) {
        (Some(n), _) if !n.trim().is_empty() => label("name", n, 100)
            .map_err(|e| errors.push(e))
            .unwrap_or_default(),
        (_, Some(p)) => p.to_owned(),
        _ => default.to_owned(),
    }
}

/// A free-text display name or label: trimmed, 1 to `max` characters, no control characters.
pub fn label(field: &str, s: &str, max: usize) -> Result<String, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if s.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("has at most {max} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_identifiers_follow_the_contract() {
        for ok in ["sample-feed", "a", "0.x_y-z", &"a".repeat(64)] {
            assert!(FeedIdentifier::parse("identifier", ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", ".a", "A", "a b", "a/b", &"a".repeat(65), "é"] {
            assert!(FeedIdentifier::parse("identifier", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames_are_case_folded() {
        assert_eq!(Username::parse("u", " Alice ").unwrap().as_str(), "alice");
    }
}
