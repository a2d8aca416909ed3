//! Package globs: `*` any run of characters, `?` one character, case-insensitive (NuGet ids
//! ignore case; npm names are lower case anyway).

/// True when `name` matches `pattern`.
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    let n: Vec<char> = name.chars().flat_map(char::to_lowercase).collect();
    // Iterative matching with one backtrack point: linear in practice, never exponential.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
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
    p[pi..].iter().all(|c| *c == '*')
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
