//! Settings of `email` hooks: an SMTP server and the message's sender and recipients.
use serde_json::{Map, Value};

use super::fields::{Choice, Control, Control::*, Field, field, options};
use super::input::{Input, MAX_TEXT, check_mailbox};
use super::{KindConfig, Secret};

/// Most recipients per hook: a hook mails a team, not a mailing list.
pub const MAX_RECIPIENTS: usize = 50;

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain SMTP (a relay on a trusted network only; no password is sent this way).
    None,
    /// Plain connection upgraded with STARTTLS, which is required: a server that does not
    /// offer it fails the attempt rather than getting the message in clear (opportunistic
    /// STARTTLS can be stripped by anyone on the path).
    Starttls,
    /// TLS from the first byte ("SMTPS", usually port 465).
    Tls,
}

impl TlsMode {
    /// (API name, value, the form's label), in the form's order, the default first.
    pub const CHOICES: &'static [Choice<TlsMode>] = &[
        ("starttls", TlsMode::Starttls, "STARTTLS (usually port 587)"),
        ("tls", TlsMode::Tls, "TLS from the start (usually port 465)"),
        (
            "none",
            TlsMode::None,
            "None (a relay on a trusted network only)",
        ),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::None => "none",
            TlsMode::Starttls => "starttls",
            TlsMode::Tls => "tls",
        }
    }

    /// The usual port of the mode: 25, 587 (submission) or 465 (submissions).
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::None => 25,
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
        }
    }
}

/// What the message body holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// The event's envelope as JSON (pretty-printed, so it reads in a mail client).
    Json,
    /// The plain-text rendering.
    Text,
    /// HTML with the plain-text rendering as the alternative part.
    Html,
}

impl BodyFormat {
    pub const CHOICES: &'static [Choice<BodyFormat>] = &[
        ("html", BodyFormat::Html, "HTML with a plain-text part"),
        ("text", BodyFormat::Text, "Plain text"),
        ("json", BodyFormat::Json, "The event's JSON"),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BodyFormat::Json => "json",
            BodyFormat::Text => "text",
            BodyFormat::Html => "html",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmailConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub from: String,
    /// Each a checked address or mailbox; given as `a@x; b@y`.
    pub to: Vec<String>,
    pub body: BodyFormat,
}

/// Splits `a@x; b@y` on ';' (and ','), trimming and skipping empty entries.
pub fn split_recipients(s: &str) -> Vec<String> {
    s.split([';', ','])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect()
}

fn check_host(host: &str) -> Result<(), &'static str> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    let labels_ok = host.trim_end_matches('.').split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !l.starts_with('-')
            && !l.ends_with('-')
    });
    if labels_ok && host.len() <= 253 {
        Ok(())
    } else {
        Err("must be a host name like smtp.example.com or an IP address, without scheme or port")
    }
}

impl KindConfig for EmailConfig {
    fn parse(input: &mut Input<'_>, previous: Option<&Self>) -> Option<Self> {
        let host = input.text("host", true, 253);
        if let Some(Err(message)) = host.as_deref().map(check_host) {
            input.error("host", message);
        }
        let tls = input.choice("tls", TlsMode::CHOICES, TlsMode::Starttls);
        let port = input.port("port", tls.default_port());
        let username = input.text("username", false, MAX_TEXT);
        let previous_password = previous.and_then(|p| p.password.as_ref());
        let password = input.secret("password", previous_password, false);
        // Without a user there is no login, so a stored password has nothing left to do.
        let password = password.filter(|_| username.is_some());
        if username.is_some() && tls == TlsMode::None {
            input.error("tls", "must be starttls or tls when a username is set: the password would cross the network in clear");
        }
        let from = input.text("from", true, MAX_TEXT);
        if let Some(Err(message)) = from.as_deref().map(check_mailbox) {
            input.error("from", message);
        }
        let to_text = input.text("to", true, 10 * MAX_TEXT);
        let to = to_text.as_deref().map(split_recipients).unwrap_or_default();
        if to_text.is_some() && to.is_empty() {
            input.error(
                "to",
                "needs at least one address, e.g. ops@example.com; dev@example.com",
            );
        }
        if to.len() > MAX_RECIPIENTS {
            input.error(
                "to",
                format!("at most {MAX_RECIPIENTS} recipients are allowed"),
            );
        }
        let bad: Vec<String> = to.iter().filter_map(|r| check_mailbox(r).err()).collect();
        if !bad.is_empty() {
            input.error(
                "to",
                format!("{}; separate addresses with ';'", bad.join("; ")),
            );
        }
        let body = input.choice("body", BodyFormat::CHOICES, BodyFormat::Html);
        Some(EmailConfig {
            host: host?,
            port,
            tls,
            username,
            password,
            from: from?,
            to,
            body,
        })
    }

    fn public_fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("host".into(), self.host.clone().into());
        m.insert("port".into(), self.port.into());
        m.insert("tls".into(), self.tls.as_str().into());
        m.insert(
            "username".into(),
            self.username.clone().unwrap_or_default().into(),
        );
        m.insert("from".into(), self.from.clone().into());
        m.insert("to".into(), self.to.join("; ").into());
        m.insert("body".into(), self.body.as_str().into());
        m
    }

    fn secret_fields(&self) -> Vec<(&'static str, &Secret)> {
        self.password.iter().map(|s| ("password", s)).collect()
    }

    /// SMTP AUTH sends the password base64-encoded (PLAIN and LOGIN alike).
    fn derived_secrets(&self) -> Vec<String> {
        use base64::Engine;
        use base64::engine::general_purpose::STANDARD;
        let (Some(user), Some(password)) = (&self.username, &self.password) else {
            return Vec::new();
        };
        vec![
            STANDARD.encode(password.expose()),
            STANDARD.encode(format!("\0{user}\0{}", password.expose())),
        ]
    }
}

/// The form's fields of `email` hooks, named as the parser above reads them.
pub const FIELDS: &[Field] = &[
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
        Select(|| options(TlsMode::CHOICES)),
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
        Control::Secret,
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
        Select(|| options(BodyFormat::CHOICES)),
        false,
        "",
        "What the message contains.",
    ),
];
