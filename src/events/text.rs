//! Small text helpers for rendering untrusted values: HTML escaping, control-character
//! removal, truncation and the http(s) test for links.

/// Escapes the five characters that matter in HTML text and quoted attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Characters that must not reach a rendered line: controls (newlines included), Unicode line
/// and paragraph separators, and bidirectional overrides, which can make a value display as
/// something other than what it is.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200E}' | '\u{200F}')
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `s` with unsafe characters but line breaks turned into spaces: what an owner's template
/// may print of a value.
pub fn without_unsafe(s: &str) -> String {
    s.chars()
        .map(|c| if c != '\n' && is_unsafe(c) { ' ' } else { c })
        .collect()
}

/// One line of at most `max` characters: unsafe characters become spaces, runs of whitespace
/// shrink to one space, and a cut value ends in "…".
pub fn one_line(s: &str, max: usize) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if is_unsafe(c) { ' ' } else { c })
        .collect();
    truncate(
        &cleaned.split_whitespace().collect::<Vec<_>>().join(" "),
        max,
    )
}

/// Multi-line text of at most `max` characters: line breaks are kept (at most one empty line
/// in a row), other unsafe characters become spaces.
pub fn multi_line(s: &str, max: usize) -> String {
    let normalized = s.replace("\r\n", "\n").replace('\r', "\n");
    let mut lines: Vec<String> = Vec::new();
    for line in normalized.split('\n') {
        let line = one_line(line, usize::MAX);
        let blank = line.is_empty();
        if !(blank && lines.last().is_none_or(|l| l.is_empty())) {
            lines.push(line);
        }
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    truncate(&lines.join("\n"), max)
}

/// At most `max` characters (not bytes, so never inside a character); "…" marks a cut.
pub fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some(_) => {
            let keep: String = s.chars().take(max.saturating_sub(1)).collect();
            format!("{}…", keep.trim_end())
        }
    }
}

/// Whether `url` may become a clickable link: http or https, with something after the scheme,
/// and none of the characters RFC 3986 never allows unencoded (whitespace, `"<>\`{}|^`), which
/// could break out of an attribute or a chat service's `<url|label>` markup.
pub fn is_web_url(url: &str) -> bool {
    let has_scheme = |scheme: &str| {
        url.get(..scheme.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(scheme))
    };
    let rest = if has_scheme("https://") {
        url.get(8..)
    } else if has_scheme("http://") {
        url.get(7..)
    } else {
        None
    };
    rest.is_some_and(|r| !r.is_empty())
        && !url
            .chars()
            .any(|c| c.is_whitespace() || is_unsafe(c) || "\"<>\\`{}|^".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn one_line_removes_breaks_and_overrides() {
        assert_eq!(one_line("a\nb\r\n\tc\u{202E}d\u{0}", 100), "a b c d");
        assert_eq!(one_line("  x  ", 100), "x");
        assert_eq!(one_line("abcdef", 4), "abc…");
        assert_eq!(one_line("éééé", 4), "éééé");
    }

    #[test]
    fn multi_line_keeps_paragraphs() {
        assert_eq!(multi_line("a\r\n\r\n\r\nb\u{7}c\n", 100), "a\n\nb c");
        assert_eq!(multi_line("\n\nx", 100), "x");
        assert_eq!(multi_line(&"é".repeat(50), 10).chars().count(), 10);
    }

    #[test]
    fn web_urls() {
        assert!(is_web_url("https://www.myget.org/F/x/"));
        assert!(is_web_url("HTTP://example.com"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url(" https://example.com"));
        assert!(!is_web_url("https://"));
        assert!(!is_web_url("https://exa mple.com"));
        assert!(!is_web_url("/Content/images/packageDefaultIcon.png"));
        assert!(!is_web_url("é"));
        assert!(!is_web_url("https://x.example/\"><script>"));
        assert!(!is_web_url("https://x.example/a|b"));
        assert!(is_web_url("https://x.example/?q='a'&b=1#f"));
    }
}
