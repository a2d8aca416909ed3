//! Tests of `render.rs`: golden files for the nine spec examples, and hostile input.
//!
//! To rewrite the goldens after a deliberate change, run the tests with
//! `FEEDHOOKS_BLESS=1`, then read every changed file before committing it.

use super::super::test_support::example;
use super::*;
use serde_json::json;

macro_rules! golden {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!(
                "../../tests/fixtures/rendered/",
                $name,
                ".summary.txt"
            )),
            include_str!(concat!("../../tests/fixtures/rendered/", $name, ".txt")),
            include_str!(concat!("../../tests/fixtures/rendered/", $name, ".html")),
        )
    };
}

/// (event name, summary, text, html) as frozen in tests/fixtures/rendered/.
fn golden(t: EventType) -> (&'static str, &'static str, &'static str, &'static str) {
    match t {
        EventType::Ping => golden!("ping"),
        EventType::PackageAdded => golden!("package.added"),
        EventType::PackageDeleted => golden!("package.deleted"),
        EventType::PackageListed => golden!("package.listed"),
        EventType::PackagePinned => golden!("package.pinned"),
        EventType::PackagePushed => golden!("package.pushed"),
        EventType::BuildQueued => golden!("build.queued"),
        EventType::BuildStarted => golden!("build.started"),
        EventType::BuildFinished => golden!("build.finished"),
    }
}

// file!() is absolute when this module is included by an absolute #[path] (as in a scratch
// crate), which is what Path::join is meant to handle here.
#[allow(clippy::join_absolute_paths)]
fn bless(name: &str, r: &Rendered) {
    // file!() is relative to the crate root (or absolute, see above).
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file!());
    let dir = here
        .parent()
        .expect("a source file has a folder")
        .join("../../tests/fixtures/rendered");
    for (ext, content) in [
        ("summary.txt", format!("{}\n", r.summary)),
        ("txt", r.text.clone()),
        ("html", r.html.clone()),
    ] {
        std::fs::write(dir.join(format!("{name}.{ext}")), content).expect("write golden");
    }
}

#[test]
fn spec_examples_match_goldens() {
    for t in EventType::ALL {
        let (name, summary, text, html) = golden(t);
        let r = render(&example(t));
        if std::env::var_os("FEEDHOOKS_BLESS").is_some() {
            bless(name, &r);
            continue;
        }
        assert_eq!(
            r.summary,
            summary.trim_end_matches('\n'),
            "{name}.summary.txt"
        );
        assert_eq!(r.text, text, "{name}.txt");
        assert_eq!(r.html, html, "{name}.html");
    }
}

#[test]
fn summaries_of_the_spec_examples() {
    let summary = |t| render(&example(t)).summary;
    assert_eq!(
        summary(EventType::PackageAdded),
        "maartenba added NuGet package GoogleAnalyticsTracker.WP8 1.0.0-CI00002 to feed sample-feed"
    );
    assert_eq!(
        summary(EventType::PackageListed),
        "maartenba unlisted NuGet package GoogleAnalyticsTracker.Simple 1.0.0-CI00002 in feed sample-feed"
    );
    assert_eq!(
        summary(EventType::BuildFinished),
        "Build SampleBuild (master) succeeded in feed sample-feed"
    );
    // The spec's ping has no feed (the server fills it in).
    assert_eq!(summary(EventType::Ping), "Ping from maartenba");
    let mut v = example(EventType::Ping);
    v["Payload"]["FeedIdentifier"] = json!("sample-feed");
    assert_eq!(render(&v).summary, "Ping from feed sample-feed");
    v.as_object_mut().expect("object").remove("Username");
    v["Payload"]["FeedIdentifier"] = json!(null);
    assert_eq!(render(&v).summary, "Ping");
}

#[test]
fn links_are_in_fixed_order() {
    let r = render(&example(EventType::PackagePushed));
    let labels: Vec<&str> = r.links.iter().map(|l| l.label).collect();
    assert_eq!(labels, ["Details", "Download", "Feed", "Target feed"]);
    assert_eq!(r.links[3].url, "https://www.myget.org/F/other-feed/");
    let r = render(&example(EventType::BuildFinished));
    let labels: Vec<&str> = r.links.iter().map(|l| l.label).collect();
    assert_eq!(labels, ["Build log", "Feed"]);
}

#[test]
fn missing_username_reads_naturally() {
    let mut v = example(EventType::PackageDeleted);
    v.as_object_mut().expect("object").remove("Username");
    assert_eq!(
        render(&v).summary,
        "NuGet package GoogleAnalyticsTracker.Core 1.0.0-CI00002 was deleted from feed sample-feed"
    );
    v["Payload"]
        .as_object_mut()
        .expect("payload")
        .remove("PackageType");
    assert!(
        render(&v)
            .summary
            .starts_with("Package GoogleAnalyticsTracker.Core 1.0.0-CI00002 was deleted")
    );
    let mut v = example(EventType::Ping);
    v["Username"] = json!("");
    assert!(render(&v).text.contains("This is a test message to check"));
}

#[test]
fn script_in_description_is_escaped() {
    let mut v = example(EventType::PackageAdded);
    v["Payload"]["PackageMetadata"]["Description"] =
        json!("<script>alert('x')</script> & \"more\"");
    v["Payload"]["PackageIdentifier"] = json!("<b>Evil</b>");
    let r = render(&v);
    assert!(!r.html.contains("<script"), "{}", r.html);
    assert!(!r.html.contains("<b>"));
    assert!(
        r.html
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;")
    );
    assert!(
        r.text.contains("<script>alert('x')</script>"),
        "text stays as sent"
    );
}

#[test]
fn javascript_url_is_not_a_link() {
    let mut v = example(EventType::PackageAdded);
    v["Payload"]["PackageDetailsUrl"] = json!("javascript:alert(document.cookie)");
    v["Payload"]["PackageDownloadUrl"] = json!("https://x.example/\"><script>");
    v["Payload"]["FeedUrl"] = json!("JaVaScRiPt:alert(1)");
    let r = render(&v);
    assert!(r.links.is_empty(), "{:?}", r.links);
    assert!(!r.html.to_lowercase().contains("href=\"javascript"));
    assert!(!r.html.contains("<a "));
    assert!(
        r.html
            .contains("Details: javascript:alert(document.cookie)")
    );
    assert!(
        r.text
            .contains("Details: javascript:alert(document.cookie)")
    );
    assert!(
        r.html
            .contains("Download: https://x.example/&quot;&gt;&lt;script&gt;")
    );
    // A web URL is linked, escaped inside the attribute.
    v["Payload"]["PackageDownloadUrl"] = json!("https://x.example/?q='a'&b=1");
    let r = render(&v);
    assert!(
        r.html
            .contains("<a href=\"https://x.example/?q=&#39;a&#39;&amp;b=1\">Download</a>")
    );
}

#[test]
fn huge_description_does_not_panic() {
    let mut v = example(EventType::PackagePushed);
    v["Payload"]["PackageMetadata"]["Description"] = json!("é\u{0}\n".repeat(35_000));
    v["Payload"]["PackageIdentifier"] = json!("x".repeat(100_000));
    v["Payload"]["PackageMetadata"]["Dependencies"] =
        json!(vec![json!({"PackageIdentifier": "d"}); 500]);
    let r = render(&v);
    assert!(r.text.len() < 10_000, "{}", r.text.len());
    assert!(r.summary.chars().count() < 500);
    assert!(r.text.contains("… and 450 more"));
}

#[test]
fn summary_stays_on_one_line() {
    let mut v = example(EventType::PackageListed);
    v["Username"] = json!("eve\nadmin");
    v["Payload"]["PackageIdentifier"] = json!("a\r\nb\tc\u{1b}[31m\u{202E}");
    let r = render(&v);
    assert!(!r.summary.chars().any(char::is_control), "{:?}", r.summary);
    assert_eq!(
        r.summary,
        "eve admin unlisted NuGet package a b c [31m 1.0.0-CI00002 in feed sample-feed"
    );
}

#[test]
fn unvalidated_input_renders_with_question_marks() {
    for v in [
        json!(null),
        json!([]),
        json!("x"),
        json!({}),
        json!({"Payload": 5}),
        json!({"PayloadType": 7}),
    ] {
        let r = render(&v);
        assert_eq!(r.summary, "Event ? in feed ?");
        assert!(r.links.is_empty());
    }
    let v = json!({"PayloadType": "PackageAddedWebHookEventPayloadV1", "Payload": {"PackageMetadata": 3, "Packages": {}}});
    assert_eq!(render(&v).summary, "Package ? ? was added to feed ?");
    let v = json!({"PayloadType": "BuildFinishedWebHookEventPayloadV1", "Payload": {"Branch": null, "Result": 1}});
    assert_eq!(render(&v).summary, "Build ? finished in feed ?");
    let v = json!({"PayloadType": "PackagePinnedWebHookEventPayloadV1", "Username": "u", "Payload": {}, "When": "soon"});
    let r = render(&v);
    assert_eq!(r.summary, "u pinned or unpinned package ? ? in feed ?");
    assert!(r.text.contains("When: soon"));
    let v = json!({"PayloadType": "Foo", "Payload": {"FeedIdentifier": "f"}});
    assert_eq!(render(&v).summary, "Event Foo in feed f");
}

#[test]
fn push_target_falls_back() {
    let mut v = example(EventType::PackagePushed);
    v["Payload"]["TargetPackageSourceName"] = json!(null);
    assert!(
        render(&v)
            .summary
            .ends_with("from feed sample-feed to https://www.myget.org/F/other-feed/")
    );
    v["Payload"]["TargetPackageSourceUrl"] = json!(null);
    assert!(
        render(&v)
            .summary
            .ends_with("from feed sample-feed to another feed")
    );
}

#[test]
fn build_results() {
    assert_eq!(
        build_result(&example(EventType::BuildQueued)),
        Some(BuildResult::Started)
    );
    assert_eq!(
        build_result(&example(EventType::BuildStarted)),
        Some(BuildResult::Started)
    );
    let mut v = example(EventType::BuildFinished);
    assert_eq!(build_result(&v), Some(BuildResult::Succeeded));
    v["Payload"]["Result"] = json!("failed");
    assert_eq!(build_result(&v), Some(BuildResult::Failed));
    assert!(
        render(&v)
            .summary
            .starts_with("Build SampleBuild (master) failed")
    );
    v["Payload"]["Result"] = json!("odd");
    assert_eq!(build_result(&v), None);
    assert_eq!(build_result(&example(EventType::PackageAdded)), None);
    assert_eq!(build_result(&json!(null)), None);
}
