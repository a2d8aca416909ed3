//! What a digest says. Two steps, both pure: when a digest is made, [`listing`] stores its
//! envelope (a header and one summary line per event); when it is sent, [`fit`] cuts the list
//! to the channel's room between lines ("… and 12 more") and [`template`] words it per kind.
//! Cutting at send time keeps one stored listing right for every channel and every redelivery.
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

use super::hook_config::HookKind;
use super::hook_config::wording::TemplatePart;
use super::hook_templates::MessageTemplate;
use super::time::rfc3339;
use crate::events::render;

/// The envelope's `PayloadType` of a digest (API.md, Hooks: `digest`).
pub const PAYLOAD_TYPE: &str = "DigestWebHookEventPayloadV1";
/// Events a digest lists by name; it counts the rest.
pub const MAX_LISTED: usize = 200;

/// One digest about to be stored.
pub struct Digest<'a> {
    pub feed_identifier: &'a str,
    pub feed_url: String,
    pub hook_name: &'a str,
    /// The digest delivery's page, where everything it carried is listed.
    pub page: String,
    /// The zone its times are told in (the quiet hours' zone), UTC without one.
    pub tz: Option<(&'a str, &'a TimeZone)>,
    pub count: i64,
    pub first_at: i64,
    pub last_at: i64,
    pub now: i64,
}

/// The stored envelope of a digest listing `envelopes` (the first of what it carries).
pub fn listing(d: &Digest<'_>, identifier: &str, envelopes: &[String]) -> Value {
    let events: Vec<String> = envelopes
        .iter()
        .map(|e| render(&serde_json::from_str(e).unwrap_or(Value::Null)).summary)
        .collect();
    json!({
        "Identifier": identifier,
        "When": rfc3339(d.now),
        "PayloadType": PAYLOAD_TYPE,
        "Payload": {
            "FeedIdentifier": d.feed_identifier,
            "FeedUrl": d.feed_url,
            "HookName": d.hook_name,
            "Count": d.count,
            "From": rfc3339(d.first_at),
            "To": rfc3339(d.last_at),
            "Header": header(d),
            "Events": events,
            "Page": d.page,
        }
    })
}

/// "40 events on feed sample-feed, 10:00–10:14 UTC" (dates too when the span crosses one).
fn header(d: &Digest<'_>) -> String {
    let (name, tz) = match d.tz {
        Some((name, tz)) => (name, tz.clone()),
        None => ("UTC", TimeZone::UTC),
    };
    let local = |ms: i64| {
        Timestamp::from_millisecond(ms)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned(tz.clone())
    };
    let (from, to) = (local(d.first_at), local(d.last_at));
    let span = if from.date() == to.date() {
        format!("{}–{}", from.strftime("%H:%M"), to.strftime("%H:%M"))
    } else {
        format!(
            "{} – {}",
            from.strftime("%Y-%m-%d %H:%M"),
            to.strftime("%Y-%m-%d %H:%M")
        )
    };
    let events = if d.count == 1 { "event" } else { "events" };
    format!(
        "{} {events} on feed {}, {span} {name}",
        d.count, d.feed_identifier
    )
}

/// The stored listing with what one channel shows added to its `Payload`: `Lines` (as many
/// summaries as fit in `room`, measured by `measure`), `More` (how many are not shown) and
/// `Text` (header, lines, "… and N more", the page's link).
pub fn fit(stored: &Value, room: usize, measure: &dyn Fn(&str) -> usize) -> Value {
    let mut out = stored.clone();
    let p = &stored["Payload"];
    let header = p["Header"].as_str().unwrap_or_default();
    let page = p["Page"].as_str().unwrap_or_default();
    let count = p["Count"].as_i64().unwrap_or_default();
    let events: Vec<&str> = p["Events"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let body = |shown: usize| {
        let mut t = header.to_owned();
        for line in &events[..shown] {
            t.push_str("\n- ");
            t.push_str(line);
        }
        let more = count - shown as i64;
        if shown > 0 && more > 0 {
            t.push_str(&format!("\n… and {more} more"));
        }
        t
    };
    // Measured with the link after a space, as X counts a link only as a word of its own.
    let fits = |shown: usize| measure(&format!("{} {page}", body(shown))) <= room;
    // Longer lists measure longer, so halving finds the most that fit.
    let (mut shown, mut too_many) = (0, events.len() + 1);
    while too_many - shown > 1 {
        let mid = (shown + too_many) / 2;
        if fits(mid) {
            shown = mid;
        } else {
            too_many = mid;
        }
    }
    let text = format!("{}\n{page}", body(shown));
    let payload = &mut out["Payload"];
    payload["Lines"] = json!(events[..shown]);
    payload["More"] = json!(count - shown as i64);
    payload["Text"] = json!(text);
    out
}

/// The wording of a digest on `kind`'s channel; the context is [`fit`]'s envelope, so every
/// value is escaped for its channel like an event's.
pub fn template(kind: HookKind) -> MessageTemplate {
    const TEXT: &str = "{{ Payload.Text }}";
    const MORE: &str =
        "{% if Payload.More and Payload.Lines %}… and {{ Payload.More }} more{% endif %}";
    let html = format!(
        "<p><strong>{{{{ Payload.Header }}}}</strong></p>\n<ul>\n{{% for line in Payload.Lines %}}<li>{{{{ line }}}}</li>\n{{% endfor %}}</ul>\n<p>{MORE}</p>\n\
         <p><a href=\"{{{{ Payload.Page }}}}\">Everything this digest carried</a></p>"
    );
    let hipchat = format!(
        "<strong>{{{{ Payload.Header }}}}</strong>{{% for line in Payload.Lines %}}<br>• {{{{ line }}}}{{% endfor %}}<br>{MORE}\
         <br><a href=\"{{{{ Payload.Page }}}}\">{{{{ Payload.Page }}}}</a>"
    );
    // A card's text block is Markdown, where a line break needs an empty line.
    let teams = format!(
        "{{{{ Payload.Header }}}}{{% for line in Payload.Lines %}}\n\n- {{{{ line }}}}{{% endfor %}}\n\n{MORE}\n\n{{{{ Payload.Page }}}}"
    );
    match kind {
        HookKind::Email => MessageTemplate::built_in(&[
            (TemplatePart::Subject, "{{ Payload.Header }}"),
            (TemplatePart::Text, TEXT),
            (TemplatePart::Html, &html),
        ]),
        HookKind::Hipchat => MessageTemplate::built_in(&[(TemplatePart::Text, &hipchat)]),
        HookKind::Teams => MessageTemplate::built_in(&[(TemplatePart::Text, &teams)]),
        _ => MessageTemplate::built_in(&[(TemplatePart::Text, TEXT)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventType;
    use crate::events::examples::example_json;
    use crate::events::template::{Extras, render as render_template};

    fn digest(count: i64, tz: Option<(&'static str, &'static TimeZone)>) -> Digest<'static> {
        Digest {
            feed_identifier: "sample-feed",
            feed_url: "https://hooks.example/feeds/sample-feed".into(),
            hook_name: "Phone <on call>",
            page: "https://hooks.example/feeds/sample-feed/deliveries/77".into(),
            tz,
            count,
            // 2026-12-04 22:50 and 23:05 UTC.
            first_at: 1_796_424_600_000,
            last_at: 1_796_425_500_000,
            now: 1_796_425_560_000,
        }
    }

    fn pushed(n: usize) -> Vec<String> {
        vec![example_json(EventType::PackageAdded).to_owned(); n]
    }

    #[test]
    fn the_listing_names_each_event_and_tells_the_span_in_the_quiet_hours_zone() {
        let listed = listing(&digest(40, None), "id-1", &pushed(40));
        let p = &listed["Payload"];
        assert_eq!(listed["PayloadType"], PAYLOAD_TYPE);
        assert_eq!(
            p["Header"],
            "40 events on feed sample-feed, 22:50–23:05 UTC"
        );
        assert_eq!(p["Events"].as_array().unwrap().len(), 40);
        let summary =
            render(&serde_json::from_str(example_json(EventType::PackageAdded)).unwrap()).summary;
        assert_eq!(p["Events"][0], summary.as_str());
        let tokyo: &'static TimeZone = Box::leak(Box::new(TimeZone::get("Asia/Tokyo").unwrap()));
        let zoned = listing(&digest(1, Some(("Asia/Tokyo", tokyo))), "id-2", &pushed(1));
        assert_eq!(
            zoned["Payload"]["Header"],
            "1 event on feed sample-feed, 07:50–08:05 Asia/Tokyo"
        );
        let mut overnight = digest(2, None);
        overnight.last_at = overnight.first_at + 2 * 3_600_000;
        assert_eq!(
            listing(&overnight, "id-3", &pushed(2))["Payload"]["Header"],
            "2 events on feed sample-feed, 2026-12-04 22:50 – 2026-12-05 00:50 UTC"
        );
    }

    #[test]
    fn a_long_list_is_cut_between_lines_and_counts_the_rest() {
        let listed = listing(&digest(250, None), "id-1", &pushed(MAX_LISTED));
        let chars = |s: &str| s.chars().count();
        let sms = fit(&listed, 1600, &chars);
        let p = &sms["Payload"];
        let text = p["Text"].as_str().unwrap();
        let shown = p["Lines"].as_array().unwrap().len();
        assert!(chars(text) <= 1600, "{}", chars(text));
        assert!(shown > 1 && shown < MAX_LISTED, "{shown}");
        assert_eq!(p["More"], 250 - shown as i64);
        assert!(
            text.contains(&format!("\n… and {} more\n", 250 - shown)),
            "{text}"
        );
        assert!(text.ends_with("/deliveries/77"), "{text}");
        // One more line would not have fitted.
        let longer = format!("{text}\n- {}", p["Lines"][0].as_str().unwrap());
        assert!(chars(&longer) > 1600);
        // Room for everything: every line, nothing "more".
        let mail = fit(
            &listing(&digest(3, None), "id-2", &pushed(3)),
            30_000,
            &chars,
        );
        assert_eq!(mail["Payload"]["More"], 0);
        assert!(!mail["Payload"]["Text"].as_str().unwrap().contains("more"));
    }

    #[test]
    fn each_channel_words_it_with_values_escaped() {
        let chars = |s: &str| s.chars().count();
        let mut listed = listing(&digest(2, None), "id-1", &pushed(2));
        listed["Payload"]["Events"][0] = json!("Package <b>A</b> & co");
        let sent = fit(&listed, 30_000, &chars);
        let t = template(HookKind::Email);
        let html = render_template(
            t.get(TemplatePart::Html).unwrap(),
            &sent,
            &Extras::default(),
            Some(crate::events::text::escape_html),
        )
        .unwrap();
        assert!(
            html.contains("<li>Package &lt;b&gt;A&lt;/b&gt; &amp; co</li>"),
            "{html}"
        );
        assert!(html.contains("href=\"https://hooks.example/feeds/sample-feed/deliveries/77\""));
        let subject = render_template(
            t.get(TemplatePart::Subject).unwrap(),
            &sent,
            &Extras::default(),
            None,
        )
        .unwrap();
        assert_eq!(subject, "2 events on feed sample-feed, 22:50–23:05 UTC");
        let sms = render_template(
            template(HookKind::Twilio).get(TemplatePart::Text).unwrap(),
            &sent,
            &Extras::default(),
            None,
        )
        .unwrap();
        assert_eq!(sms, sent["Payload"]["Text"].as_str().unwrap());
    }
}
