//! Package globs: `*` any run of characters, `?` one character, case-insensitive (NuGet ids
//! ignore case; npm names are lower case anyway).

/// True when `name` matches `pattern`.
pub fn matches(pattern: &str, name: &str) -> bool {
    // Package ids are ASCII nearly always: compared as bytes, with nothing allocated (filters
    // judge every event in the ingest transaction).
    if pattern.is_ascii() && name.is_ascii() {
        return wildcard(pattern.as_bytes(), name.as_bytes(), |a, b| {
            a.eq_ignore_ascii_case(b)
        });
    }
    let p: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    let n: Vec<char> = name.chars().flat_map(char::to_lowercase).collect();
    wildcard(&p, &n, |a, b| a == b)
}

/// `*` and `?` matching of `n` against `p`, `eq` comparing the rest.
fn wildcard<T: Copy + PartialEq + From<u8>>(p: &[T], n: &[T], eq: impl Fn(&T, &T) -> bool) -> bool {
    let (star_c, any_c) = (T::from(b'*'), T::from(b'?'));
    // Iterative matching with one backtrack point: linear in practice, never exponential.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == any_c || eq(&p[pi], &n[ni])) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == star_c {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == star_c)
}

/// True when `name` matches any of `patterns`, or `patterns` is empty (everything).
pub fn any_matches(patterns: &[String], name: &str) -> bool {
    patterns.is_empty() || patterns.iter().any(|p| matches(p, name))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs_match_as_a_person_reads_them() {
        let table = [
            ("MyCompany.*", "mycompany.core", true),
            ("MyCompany.*", "MyCompany", false),
            ("*", "", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*.Tests", "Foo.Bar.tests", true),
            ("@acme/*", "@acme/widgets", true),
            ("@acme/*", "@other/widgets", false),
            ("left-pad", "left-pad", true),
            ("left-pad", "left-pad2", false),
            ("*a*b*c*", "xaxbxcx", true),
            ("*a*b*c*", "xaxcxbx", false),
        ];
        for (p, n, want) in table {
            assert_eq!(matches(p, n), want, "{p} vs {n}");
        }
    }
}
