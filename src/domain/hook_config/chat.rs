//! Settings of the chat hooks: HipChat, Slack and Microsoft Teams.
use serde_json::{Map, Value};

use super::fields::{Choice, Control, Control::*, Field, field, options};
use super::input::{Input, check_web_url};
use super::{KindConfig, Secret};

pub const HIPCHAT_DEFAULT_SERVER: &str = "https://api.hipchat.com";

/// Background colour of a HipChat notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HipchatColor {
    Yellow,
    Green,
    Red,
    Purple,
    Gray,
    Random,
}

impl HipchatColor {
    /// (API name, value, the form's label), the default first.
    pub const CHOICES: &'static [Choice<HipchatColor>] = &[
        ("yellow", HipchatColor::Yellow, "Yellow"),
        ("green", HipchatColor::Green, "Green"),
        ("red", HipchatColor::Red, "Red"),
        ("purple", HipchatColor::Purple, "Purple"),
        ("gray", HipchatColor::Gray, "Gray"),
        ("random", HipchatColor::Random, "Random"),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HipchatColor::Yellow => "yellow",
            HipchatColor::Green => "green",
            HipchatColor::Red => "red",
            HipchatColor::Purple => "purple",
            HipchatColor::Gray => "gray",
            HipchatColor::Random => "random",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HipchatConfig {
    /// Base URL of the HipChat (Server / Data Center) installation, without trailing slash.
    pub server: String,
    /// Room id or name.
    pub room: String,
    pub auth_token: Secret,
    pub color: HipchatColor,
    /// Build events: gray when queued or started, green when succeeded, red when failed.
    pub color_by_status: bool,
    /// Whether room members are notified.
    pub notify: bool,
}

impl KindConfig for HipchatConfig {
    fn parse(input: &mut Input<'_>, previous: Option<&Self>) -> Option<Self> {
        let server = input.base_url("server", HIPCHAT_DEFAULT_SERVER);
        // HipChat's own limit on room names.
        let room = input.text("room", true, 100);
        let auth_token = input.secret("auth_token", previous.map(|p| &p.auth_token), true);
        let color = input.choice("color", HipchatColor::CHOICES, HipchatColor::Yellow);
        let color_by_status = input.flag("color_by_status", true);
        let notify = input.flag("notify", false);
        Some(HipchatConfig {
            server,
            room: room?,
            auth_token: auth_token?,
            color,
            color_by_status,
            notify,
        })
    }

    fn public_fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("server".into(), self.server.clone().into());
        m.insert("room".into(), self.room.clone().into());
        m.insert("color".into(), self.color.as_str().into());
        m.insert("color_by_status".into(), self.color_by_status.into());
        m.insert("notify".into(), self.notify.into());
        m
    }

    fn secret_fields(&self) -> Vec<(&'static str, &Secret)> {
        vec![("auth_token", &self.auth_token)]
    }
}

/// A webhook URL that is itself the credential (Slack, Teams): kept as a secret, checked as a URL.
fn webhook_url(input: &mut Input<'_>, previous: Option<&Secret>) -> Option<Secret> {
    let url = input.secret("webhook_url", previous, true)?;
    match check_web_url(url.expose()) {
        Ok(_) => Some(url),
        Err(message) => {
            input.error("webhook_url", message);
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SlackConfig {
    /// The incoming-webhook URL; whoever has it can post, so it is a secret as a whole.
    pub webhook_url: Secret,
    /// `#channel` or `@user` override; only legacy webhooks honour it.
    pub channel: Option<String>,
}

impl KindConfig for SlackConfig {
    fn parse(input: &mut Input<'_>, previous: Option<&Self>) -> Option<Self> {
        let webhook_url = webhook_url(input, previous.map(|p| &p.webhook_url));
        let channel = input.text("channel", false, 80);
        if channel
            .as_deref()
            .is_some_and(|c| c.contains(char::is_whitespace))
        {
            input.error(
                "channel",
                "must be a channel like #builds or a user like @ann, without spaces",
            );
        }
        Some(SlackConfig {
            webhook_url: webhook_url?,
            channel,
        })
    }

    fn public_fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(
            "channel".into(),
            self.channel.clone().unwrap_or_default().into(),
        );
        m
    }

    fn secret_fields(&self) -> Vec<(&'static str, &Secret)> {
        vec![("webhook_url", &self.webhook_url)]
    }

    /// The path alone (`/services/T0/B0/XXXX`) identifies the webhook too.
    fn derived_secrets(&self) -> Vec<String> {
        url_path(&self.webhook_url)
    }
}

/// The path and the query of a webhook URL: either may carry its credential (Slack's
/// `/services/T0/B0/XXXX`, a Workflows URL's `sig=`), and either can show up alone.
fn url_path(url: &Secret) -> Vec<String> {
    let Ok(u) = url::Url::parse(url.expose()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if u.path().len() > 1 {
        out.push(u.path().to_owned());
    }
    if let Some(query) = u.query().filter(|q| !q.is_empty()) {
        out.push(query.to_owned());
        out.extend(
            u.query_pairs()
                .filter(|(_, v)| v.len() >= 8)
                .map(|(_, v)| v.into_owned()),
        );
    }
    out
}

/// Which card Teams gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamsFormat {
    /// An Adaptive Card in a message, as Teams Workflows webhooks expect.
    Adaptive,
    /// The legacy Office 365 connector MessageCard.
    Messagecard,
}

impl TeamsFormat {
    pub const CHOICES: &'static [Choice<TeamsFormat>] = &[
        (
            "adaptive",
            TeamsFormat::Adaptive,
            "Adaptive Card (Workflows webhooks)",
        ),
        (
            "messagecard",
            TeamsFormat::Messagecard,
            "MessageCard (legacy Office 365 connectors)",
        ),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TeamsFormat::Adaptive => "adaptive",
            TeamsFormat::Messagecard => "messagecard",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TeamsConfig {
    /// The Workflows (or legacy connector) URL; a secret as a whole, like Slack's.
    pub webhook_url: Secret,
    pub format: TeamsFormat,
}

impl KindConfig for TeamsConfig {
    fn parse(input: &mut Input<'_>, previous: Option<&Self>) -> Option<Self> {
        let webhook_url = webhook_url(input, previous.map(|p| &p.webhook_url));
        let format = input.choice("format", TeamsFormat::CHOICES, TeamsFormat::Adaptive);
        Some(TeamsConfig {
            webhook_url: webhook_url?,
            format,
        })
    }

    fn public_fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("format".into(), self.format.as_str().into());
        m
    }

    fn secret_fields(&self) -> Vec<(&'static str, &Secret)> {
        vec![("webhook_url", &self.webhook_url)]
    }

    fn derived_secrets(&self) -> Vec<String> {
        url_path(&self.webhook_url)
    }
}

/// The form's fields of the chat hooks, named as the parser above reads them.
pub const HIPCHAT_FIELDS: &[Field] = &[
    field(
        "server",
        "Server",
        Url,
        false,
        "https://api.hipchat.com",
        "Your HipChat Server or Data Center address; leave blank for hipchat.com.",
    ),
    field(
        "room",
        "Room",
        Text,
        true,
        "Builds",
        "The room's id or name.",
    ),
    field(
        "auth_token",
        "Room notification token",
        Control::Secret,
        true,
        "",
        "A token allowed to send notifications to the room.",
    ),
    field(
        "color",
        "Colour",
        Select(|| options(HipchatColor::CHOICES)),
        false,
        "",
        "The notification's background colour.",
    ),
    field(
        "color_by_status",
        "Colour build events by result",
        Checkbox { default: true },
        false,
        "",
        "Gray while queued or started, green when the build succeeded, red when it failed.",
    ),
    field(
        "notify",
        "Notify room members",
        Checkbox { default: false },
        false,
        "",
        "Makes the room light up or ping its members.",
    ),
];

pub const SLACK_FIELDS: &[Field] = &[
    field(
        "webhook_url",
        "Incoming webhook URL",
        Control::Secret,
        true,
        "https://hooks.slack.com/services/…",
        "From the Slack app's Incoming Webhooks page. Whoever has it can post, so it is kept like a password.",
    ),
    field(
        "channel",
        "Channel",
        Text,
        false,
        "#builds",
        "A #channel or @user; only legacy webhooks honour it.",
    ),
];

pub const TEAMS_FIELDS: &[Field] = &[
    field(
        "webhook_url",
        "Webhook URL",
        Control::Secret,
        true,
        "https://….webhook.office.com/…",
        "The Workflows (or legacy connector) URL of the channel; kept like a password.",
    ),
    field(
        "format",
        "Card format",
        Select(|| options(TeamsFormat::CHOICES)),
        false,
        "",
        "Workflows webhooks take Adaptive Cards; old connectors take MessageCards.",
    ),
];
