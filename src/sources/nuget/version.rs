//! NuGet version strings: the normalized form the V3 protocol uses in URLs and comparisons.

/// The normalized, lower-case form: build metadata dropped (`1.0.0+abc` is `1.0.0`), three
/// or four numeric parts without leading zeros (`1.0` is `1.0.0`, `1.0.0.0` is `1.0.0`).
/// A string that is no version is returned lower-cased as it is.
pub fn normalize(version: &str) -> String {
    let without_meta = version.split('+').next().unwrap_or(version);
    let (numbers, label) = match without_meta.split_once('-') {
        Some((n, l)) => (n, Some(l)),
        None => (without_meta, None),
    };
    let parts: Option<Vec<u64>> = numbers.split('.').map(|p| p.parse().ok()).collect();
    let Some(mut parts) = parts.filter(|p| (1..=4).contains(&p.len())) else {
        return version.to_lowercase();
    };
    while parts.len() < 3 {
        parts.push(0);
    }
    if parts.len() == 4 && parts[3] == 0 {
        parts.pop();
    }
    let mut out = parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".");
    if let Some(label) = label {
        out.push('-');
        out.push_str(label);
    }
    out.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn versions_normalize_as_nuget_does() {
        for (given, want) in [
            ("1.0", "1.0.0"),
            ("1.0.0.0", "1.0.0"),
            ("1.0.0.1", "1.0.0.1"),
            ("01.002.3", "1.2.3"),
            ("1.0.729-Unstable", "1.0.729-unstable"),
            ("2.0.0-rc.1+build.5", "2.0.0-rc.1"),
            ("1.0.0+Meta", "1.0.0"),
            ("not-a-version", "not-a-version"),
        ] {
            assert_eq!(normalize(given), want, "{given}");
        }
    }
}
