//! What an alert says: the owners' e-mail, and the envelope and wording an alert hook sends.
//! Pure: the alerter (delivery/alerter.rs) decides when, this module decides the words.
use std::time::Duration;

use serde_json::{Value, json};

use super::hook_config::wording::TemplatePart;
use super::hook_templates::MessageTemplate;
use super::time::rfc3339;
use crate::db::incidents::{Cause, Trouble};

/// The envelope's `PayloadType` of an alert (API.md, Hooks: `alert_hook`).
pub const PAYLOAD_TYPE: &str = "HookAlertWebHookEventPayloadV1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertState {
    Stopped,
    Recovered,
}

/// One alert, about one hook.
#[derive(Debug, Clone)]
pub struct Alert {
    pub state: AlertState,
    pub cause: Cause,
    pub feed_identifier: String,
    pub feed_url: String,
    pub hook_name: String,
    pub hook_kind: String,
    pub hook_page: String,
    /// Why it stopped, or (recovered) what ended it.
    pub reason: String,
    pub last_error: Option<String>,
    pub opened_at: i64,
    pub now: i64,
}

/// Why a hook is in trouble, in the words of the message (no trailing full stop).
pub fn reason_of(t: &Trouble, alert_after: Duration, now: i64) -> String {
    match (t.cause, &t.disabled_reason, t.oldest_pending) {
        (Cause::Disabled, Some(r), _) => format!("it was {r}"),
        (Cause::Backlog, _, Some((oldest, n))) => format!(
            "its oldest pending delivery (of {n}) has waited {}, longer than the {} alerts wait for",
            age(now - oldest),
            humantime::format_duration(alert_after)
        ),
        _ => "it stopped delivering".to_owned(),
    }
}

/// What ended an incident, in the words of the recovery message.
pub fn recovery_of(cause: Cause, alert_after: Duration) -> String {
    match cause {
        Cause::Disabled => {
            "it was enabled again; the deliveries that waited are on their way".into()
        }
        Cause::Backlog => format!(
            "no delivery of it has waited longer than {} any more",
            humantime::format_duration(alert_after)
        ),
    }
}

/// "2h 5m", "40s": an age to the minute (to the second below one).
fn age(ms: i64) -> String {
    let s = (ms.max(0) / 1000) as u64;
    let rounded = if s >= 60 { s - s % 60 } else { s };
    humantime::format_duration(Duration::from_secs(rounded)).to_string()
}

/// An attempt's outcome line ("connect: connection refused") in words an owner reads.
pub fn plain_error(outcome: &str) -> String {
    let words = |kind: &str| match kind {
        "timeout" => Some("the receiver did not answer in time"),
        "connect" => Some("the receiver could not be reached"),
        "dns" => Some("the receiver's host name does not resolve"),
        "tls" => Some("the secure connection to the receiver failed"),
        "blocked" => Some("the receiver's address is not allowed by this server (--allow-hosts)"),
        "http" => Some("the receiver answered with an error"),
        "smtp" => Some("the mail server refused the message"),
        "config" => Some("the hook's settings cannot be used"),
        _ => None,
    };
    let (head, detail) = outcome.split_once(": ").unwrap_or((outcome, ""));
    match words(head) {
        Some(w) if detail.is_empty() => w.to_owned(),
        Some(w) => format!("{w} ({detail})"),
        None => outcome.to_owned(),
    }
}

impl Alert {
    fn state_name(&self) -> &'static str {
        match self.state {
            AlertState::Stopped => "disabled",
            AlertState::Recovered => "recovered",
        }
    }

    pub fn subject(&self) -> String {
        match self.state {
            AlertState::Stopped => format!(
                "Hook \"{}\" of {} stopped delivering",
                self.hook_name, self.feed_identifier
            ),
            AlertState::Recovered => format!(
                "Hook \"{}\" of {} delivers again",
                self.hook_name, self.feed_identifier
            ),
        }
    }

    /// The owners' e-mail (plain text, from this server's own address).
    pub fn mail_text(&self) -> String {
        let what = format!(
            "The {} hook \"{}\" of the feed {}",
            self.hook_kind, self.hook_name, self.feed_identifier
        );
        let mut out = match self.state {
            AlertState::Stopped => format!(
                "{what} has stopped delivering since {}: {}.\n",
                rfc3339(self.opened_at),
                self.reason
            ),
            AlertState::Recovered => format!(
                "{what} delivers again ({} after it stopped): {}.\n",
                age(self.now - self.opened_at),
                self.reason
            ),
        };
        if let Some(e) = &self.last_error {
            out.push_str(&format!("\nLast error: {}\n", plain_error(e)));
        }
        match self.state {
            AlertState::Stopped if self.cause == Cause::Disabled => out.push_str(&format!(
                "\nEnable it on its page, which sends the deliveries that waited:\n{}\n",
                self.hook_page
            )),
            _ => out.push_str(&format!("\nThe hook's page:\n{}\n", self.hook_page)),
        }
        out.push_str(
            "\nYou get this because you own or co-own the feed. One message per incident, and one when it is over.\n",
        );
        out
    }

    /// What an alert hook receives: an envelope like an event's (API.md, `alert_hook`), plus
    /// `Cause` (`disabled` or `backlog`) since the contract's `State` names only two states.
    pub fn envelope(&self, identifier: &str) -> Value {
        json!({
            "Identifier": identifier,
            "When": rfc3339(self.now),
            "PayloadType": PAYLOAD_TYPE,
            "Payload": {
                "FeedIdentifier": self.feed_identifier,
                "FeedUrl": self.feed_url,
                "HookName": self.hook_name,
                "HookPage": self.hook_page,
                "State": self.state_name(),
                "Cause": self.cause.as_str(),
                "Reason": self.reason,
                "LastError": self.last_error.as_deref().map(plain_error),
            }
        })
    }
}

/// The wording of alerts on people channels; the context is [`Alert::envelope`], so every
/// value is escaped for its channel like an event's.
pub fn template() -> MessageTemplate {
    const SUBJECT: &str = "Hook \"{{ Payload.HookName }}\" of {{ Payload.FeedIdentifier }} \
        {% if Payload.State == \"recovered\" %}delivers again{% else %}stopped delivering{% endif %}";
    const TEXT: &str = "Hook \"{{ Payload.HookName }}\" of {{ Payload.FeedIdentifier }} \
        {% if Payload.State == \"recovered\" %}delivers again{% else %}stopped delivering{% endif %}: \
        {{ Payload.Reason }}.{% if Payload.LastError and Payload.State != \"recovered\" %}\nLast error: {{ Payload.LastError }}{% endif %}\n\
        {{ Payload.HookPage }}";
    const HTML: &str = "<p>Hook <strong>{{ Payload.HookName }}</strong> of {{ Payload.FeedIdentifier }} \
        {% if Payload.State == \"recovered\" %}delivers again{% else %}stopped delivering{% endif %}: \
        {{ Payload.Reason }}.</p>{% if Payload.LastError and Payload.State != \"recovered\" %}\n<p>Last error: {{ Payload.LastError }}</p>{% endif %}\n\
        <p><a href=\"{{ Payload.HookPage }}\">The hook's page</a></p>";
    MessageTemplate::built_in(&[
        (TemplatePart::Subject, SUBJECT),
        (TemplatePart::Text, TEXT),
        (TemplatePart::Html, HTML),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::template::{Extras, render};

    fn alert(state: AlertState) -> Alert {
        Alert {
            state,
            cause: Cause::Disabled,
            feed_identifier: "sample-feed".into(),
            feed_url: "https://hooks.example/feeds/sample-feed".into(),
            hook_name: "Build <bot>".into(),
            hook_kind: "HTTP".into(),
            hook_page: "https://hooks.example/feeds/sample-feed/hooks/3".into(),
            reason: "it was disabled because the receiver answered 410 Gone".into(),
            last_error: Some("http: answered 410".into()),
            opened_at: 0,
            now: 3_600_000,
        }
    }

    #[test]
    fn the_mail_says_which_hook_why_the_last_error_and_where_to_mend_it() {
        let text = alert(AlertState::Stopped).mail_text();
        assert!(
            text.contains("\"Build <bot>\" of the feed sample-feed"),
            "{text}"
        );
        assert!(text.contains("410 Gone"), "{text}");
        assert!(
            text.contains("Last error: the receiver answered with an error (answered 410)"),
            "{text}"
        );
        assert!(text.contains("https://hooks.example/feeds/sample-feed/hooks/3"));
        let back = alert(AlertState::Recovered).mail_text();
        assert!(
            back.contains("delivers again (1h after it stopped)"),
            "{back}"
        );
    }

    #[test]
    fn people_channels_word_it_with_values_escaped() {
        let a = alert(AlertState::Stopped);
        let env = a.envelope("id-1");
        assert_eq!(env["Payload"]["State"], "disabled");
        let t = template();
        let html = render(
            t.get(TemplatePart::Html).unwrap(),
            &env,
            &Extras::default(),
            Some(crate::events::text::escape_html),
        )
        .unwrap();
        assert!(
            html.contains("<strong>Build &lt;bot&gt;</strong>"),
            "{html}"
        );
        let text = render(
            t.get(TemplatePart::Text).unwrap(),
            &alert(AlertState::Recovered).envelope("id-2"),
            &Extras::default(),
            None,
        )
        .unwrap();
        assert!(
            text.starts_with("Hook \"Build <bot>\" of sample-feed delivers again"),
            "{text}"
        );
        assert!(!text.contains("Last error"), "{text}");
    }

    #[test]
    fn outcomes_read_as_plain_words() {
        assert_eq!(
            plain_error("connect: connection refused"),
            "the receiver could not be reached (connection refused)"
        );
        assert_eq!(plain_error("answered 500"), "answered 500");
        assert_eq!(age(3_725_000), "1h 2m");
        assert_eq!(age(40_000), "40s");
    }
}
