//! The settings fields of each hook kind as the form shows them: label, help, input type, and
//! how a posted value becomes the API's `config` object (so the form and the API share one
//! validation in the domain).
use crate::domain::hook_config::HookKind;

#[derive(Clone, Copy, PartialEq, Eq)]
/// How a setting is entered on the form.
pub enum Control {
    Text,
    Url,
    Number,
    /// Write-only: never shown, left blank to keep the stored value.
    Secret,
    Checkbox {
        default: bool,
    },
    Select(&'static [(&'static str, &'static str)]),
    /// http's extra headers: one `Name: value` per line.
    Headers,
}

pub struct Spec {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub control: Control,
    pub required: bool,
    pub placeholder: &'static str,
}

const fn field(
    name: &'static str,
    label: &'static str,
    control: Control,
    required: bool,
    placeholder: &'static str,
    help: &'static str,
) -> Spec {
    Spec {
        name,
        label,
        help,
        control,
        required,
        placeholder,
    }
}

use Control::*;

const HTTP: &[Spec] = &[
    field(
        "url",
        "URL",
        Url,
        true,
        "https://ci.example.com/hooks/myget",
        "Each event's envelope is POSTed here as JSON.",
    ),
    field(
        "secret",
        "Signing secret",
        Secret,
        false,
        "whsec_…",
        "Signs each request with Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature), so the receiver can check it came from here. A whsec_ value, or tick “generate” below.",
    ),
    field(
        "headers",
        "Extra headers",
        Headers,
        false,
        "X-Team: ops\nAuthorization: Bearer …",
        "One “Name: value” per line, sent with every request. Values of credential-like headers are kept out of the delivery log.",
    ),
    field(
        "verify_tls",
        "Check the receiver's TLS certificate",
        Checkbox { default: true },
        false,
        "",
        "Turn off only for a receiver with a self-signed certificate on a network you trust.",
    ),
];

const TLS: &[(&str, &str)] = &[
    ("starttls", "STARTTLS (usually port 587)"),
    ("tls", "TLS from the start (usually port 465)"),
    ("none", "None (a relay on a trusted network only)"),
];
const BODY: &[(&str, &str)] = &[
    ("html", "HTML with a plain-text part"),
    ("text", "Plain text"),
    ("json", "The event's JSON"),
];
const EMAIL: &[Spec] = &[
    field(
        "host",
        "SMTP server",
        Text,
        true,
        "smtp.example.com",
        "Host name of the mail server that sends the messages.",
    ),
    field(
        "port",
        "Port",
        Number,
        false,
        "",
        "Leave blank for the usual port of the security mode: 25 with none, 587 with STARTTLS, 465 with TLS.",
    ),
    field(
        "tls",
        "Connection security",
        Select(TLS),
        false,
        "",
        "STARTTLS is required when chosen: a server that does not offer it fails the attempt.",
    ),
    field(
        "username",
        "Username",
        Text,
        false,
        "",
        "For SMTP AUTH; leave blank for none (this also removes the password).",
    ),
    field(
        "password",
        "Password",
        Secret,
        false,
        "",
        "Stored encrypted; never shown again.",
    ),
    field(
        "from",
        "From",
        Text,
        true,
        "feedhooks@example.com",
        "The sender address, or a mailbox like “Builds <builds@example.com>”.",
    ),
    field(
        "to",
        "To",
        Text,
        true,
        "dev@example.com; ops@example.com",
        "One or more addresses, separated by “;”.",
    ),
    field(
        "body",
        "Message body",
        Select(BODY),
        false,
        "",
        "What the message contains.",
    ),
];

const COLORS: &[(&str, &str)] = &[
    ("yellow", "Yellow"),
    ("green", "Green"),
    ("red", "Red"),
    ("purple", "Purple"),
    ("gray", "Gray"),
    ("random", "Random"),
];
const HIPCHAT: &[Spec] = &[
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
        Secret,
        true,
        "",
        "A token allowed to send notifications to the room.",
    ),
    field(
        "color",
        "Colour",
        Select(COLORS),
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

const SLACK: &[Spec] = &[
    field(
        "webhook_url",
        "Incoming webhook URL",
        Secret,
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

const TEAMS_FORMATS: &[(&str, &str)] = &[
    ("adaptive", "Adaptive Card (Workflows webhooks)"),
    ("messagecard", "MessageCard (legacy Office 365 connectors)"),
];
const TEAMS: &[Spec] = &[
    field(
        "webhook_url",
        "Webhook URL",
        Secret,
        true,
        "https://….webhook.office.com/…",
        "The Workflows (or legacy connector) URL of the channel; kept like a password.",
    ),
    field(
        "format",
        "Card format",
        Select(TEAMS_FORMATS),
        false,
        "",
        "Workflows webhooks take Adaptive Cards; old connectors take MessageCards.",
    ),
];

const TWILIO: &[Spec] = &[
    field(
        "account_sid",
        "Account SID",
        Text,
        true,
        "AC…",
        "AC followed by 32 hex digits, from the Twilio console.",
    ),
    field(
        "auth_token",
        "Auth token",
        Secret,
        true,
        "",
        "The account's auth token.",
    ),
    field(
        "from",
        "From",
        Text,
        true,
        "+14155550100",
        "Your Twilio number in E.164 form, or an alphanumeric sender id.",
    ),
    field(
        "to",
        "To",
        Text,
        true,
        "+14155550123",
        "The phone to text, in E.164 form.",
    ),
    field(
        "api_base",
        "API address",
        Url,
        false,
        "https://api.twilio.com",
        "Leave blank for Twilio's own.",
    ),
];

const TWITTER: &[Spec] = &[
    field(
        "consumer_key",
        "API key",
        Text,
        true,
        "",
        "The app's consumer key.",
    ),
    field(
        "consumer_secret",
        "API key secret",
        Secret,
        true,
        "",
        "The app's consumer secret.",
    ),
    field(
        "token",
        "Access token",
        Text,
        true,
        "",
        "The access token of the account that posts.",
    ),
    field(
        "token_secret",
        "Access token secret",
        Secret,
        true,
        "",
        "Its secret.",
    ),
    field(
        "api_base",
        "API address",
        Url,
        false,
        "https://api.x.com",
        "Leave blank for X's own.",
    ),
];

pub fn specs(kind: HookKind) -> &'static [Spec] {
    match kind {
        HookKind::Http => HTTP,
        HookKind::Email => EMAIL,
        HookKind::Hipchat => HIPCHAT,
        HookKind::Slack => SLACK,
        HookKind::Teams => TEAMS,
        HookKind::Twilio => TWILIO,
        HookKind::X => TWITTER,
    }
}

/// One line on what each kind does, for the kind chooser.
pub fn kind_help(kind: HookKind) -> &'static str {
    match kind {
        HookKind::Http => "POST each event's JSON to a URL, optionally signed.",
        HookKind::Email => "Mail each event through your SMTP server.",
        HookKind::Hipchat => "Notify a HipChat room.",
        HookKind::Slack => "Post to a Slack channel through an incoming webhook.",
        HookKind::Teams => "Post a card to a Microsoft Teams channel.",
        HookKind::Twilio => "Text a phone through Twilio.",
        HookKind::X => "Post package news to an X account.",
    }
}
