//! The parts of a message an owner may word with a template, and each kind's built-in wording
//! written as such a template: the form's starting point, rendering what the sender writes
//! when no template is set.
use serde::Serialize;

/// One templated part of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplatePart {
    /// An e-mail's subject line.
    Subject,
    /// The message of the chat and SMS kinds; an e-mail's plain-text part.
    Text,
    /// An e-mail's HTML part (its body; the document around it is the sender's).
    Html,
}

impl TemplatePart {
    pub const ALL: [TemplatePart; 3] = [
        TemplatePart::Subject,
        TemplatePart::Text,
        TemplatePart::Html,
    ];

    /// The API's name, also the form field's suffix.
    pub fn as_str(self) -> &'static str {
        match self {
            TemplatePart::Subject => "subject",
            TemplatePart::Text => "text",
            TemplatePart::Html => "html",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            TemplatePart::Subject => "Subject",
            TemplatePart::Text => "Text",
            TemplatePart::Html => "HTML",
        }
    }
}

/// A part a kind lets owners template, with the built-in wording as a template.
pub type Wording = (TemplatePart, &'static str);

pub const EMAIL: &[Wording] = &[
    (TemplatePart::Subject, "{{ summary }}"),
    (TemplatePart::Text, "{{ text }}"),
    (TemplatePart::Html, "{{ html }}"),
];
pub const SLACK: &[Wording] = &[(
    TemplatePart::Text,
    "{{ summary }}{% for link in links %}{% if loop.first %}\n{% else %} | {% endif %}<{{ link.url }}|{{ link.label }}>{% endfor %}",
)];
pub const TEAMS: &[Wording] = &[(TemplatePart::Text, "{{ summary }}")];
/// HipChat messages are HTML: values are escaped.
pub const HIPCHAT: &[Wording] = &[(TemplatePart::Text, "{{ html }}")];
pub const TWILIO: &[Wording] = &[(
    TemplatePart::Text,
    "{{ summary }}{% if links %}\n{{ links[0].url }}{% endif %}",
)];
pub const X: &[Wording] = &[(
    TemplatePart::Text,
    "{{ summary }}{% if links %} {{ links[0].url }}{% endif %}",
)];
