//! What a hook delivers to and with which settings: its kind and the validated `config` object
//! of the API contract, split into the part stored in clear and the secrets stored encrypted.
//!
//! Each kind's settings live in their own type (in the files beside this one) behind
//! [`KindConfig`]; [`HookConfig`] only dispatches.
mod chat;
mod email;
pub mod fields;
mod http;
pub mod input;
mod social;
#[cfg(test)]
mod tests;
pub mod wording;

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

pub use chat::{HipchatColor, HipchatConfig, SlackConfig, TeamsConfig, TeamsFormat};
pub use email::{BodyFormat, EmailConfig, TlsMode};
pub use http::{HttpConfig, is_sensitive_header as http_sensitive_header};
pub use social::{TwilioConfig, XConfig};

use crate::events::EventType;
use crate::primitives::FieldError;
use fields::Field;
use input::Input;

/// What a kind is called and how its settings are entered: one per kind, in [`HookKind::def`].
pub struct KindDef {
    /// The API's name.
    pub name: &'static str,
    pub label: &'static str,
    pub summary: &'static str,
    pub fields: &'static [Field],
    /// The message parts owners may template, with the built-in wording of each; none for
    /// `http`, whose receivers depend on the spec's envelope.
    pub wording: &'static [wording::Wording],
    /// How long a digest's text may be on this channel (in its own measure: X's weighted
    /// characters, characters elsewhere), so the list is cut between lines, never inside one;
    /// `None` for `http`, which never batches.
    pub digest_room: Option<usize>,
}

/// The kinds of hooks, one per sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookKind {
    Http,
    Email,
    Hipchat,
    Slack,
    Teams,
    Twilio,
    /// X (formerly Twitter); the API still calls the kind `twitter`.
    X,
}

impl HookKind {
    pub const ALL: [HookKind; 7] = [
        HookKind::Http,
        HookKind::Email,
        HookKind::Hipchat,
        HookKind::Slack,
        HookKind::Teams,
        HookKind::Twilio,
        HookKind::X,
    ];

    /// The kind's one definition, from which its name, label, help and form derive.
    pub fn def(self) -> &'static KindDef {
        const fn def(
            name: &'static str,
            label: &'static str,
            summary: &'static str,
            fields: &'static [Field],
            wording: &'static [wording::Wording],
            digest_room: Option<usize>,
        ) -> KindDef {
            KindDef {
                name,
                label,
                summary,
                fields,
                wording,
                digest_room,
            }
        }
        const HTTP: KindDef = def(
            "http",
            "HTTP POST",
            "POST each event's JSON to a URL, optionally signed.",
            http::FIELDS,
            &[],
            None,
        );
        const EMAIL: KindDef = def(
            "email",
            "Email",
            "Mail each event through your SMTP server.",
            email::FIELDS,
            wording::EMAIL,
            // Under the templates' 64 KiB output, with the HTML part that lists the same lines.
            Some(30_000),
        );
        const HIPCHAT: KindDef = def(
            "hipchat",
            "HipChat",
            "Notify a HipChat room.",
            chat::HIPCHAT_FIELDS,
            wording::HIPCHAT,
            Some(9_000),
        );
        const SLACK: KindDef = def(
            "slack",
            "Slack",
            "Post to a Slack channel through an incoming webhook.",
            chat::SLACK_FIELDS,
            wording::SLACK,
            Some(3_500),
        );
        const TEAMS: KindDef = def(
            "teams",
            "Microsoft Teams",
            "Post a card to a Microsoft Teams channel.",
            chat::TEAMS_FIELDS,
            wording::TEAMS,
            Some(8_000),
        );
        const TWILIO: KindDef = def(
            "twilio",
            "Twilio SMS",
            "Text a phone through Twilio.",
            social::TWILIO_FIELDS,
            wording::TWILIO,
            Some(1_600),
        );
        // The API still calls the kind `twitter`.
        const X: KindDef = def(
            "twitter",
            "X (Twitter)",
            "Post package news to an X account.",
            social::X_FIELDS,
            wording::X,
            Some(280),
        );
        match self {
            HookKind::Http => &HTTP,
            HookKind::Email => &EMAIL,
            HookKind::Hipchat => &HIPCHAT,
            HookKind::Slack => &SLACK,
            HookKind::Teams => &TEAMS,
            HookKind::Twilio => &TWILIO,
            HookKind::X => &X,
        }
    }

    /// The API's name of the kind.
    pub fn as_str(self) -> &'static str {
        self.def().name
    }

    /// Its settings as the form shows them.
    pub fn fields(self) -> &'static [Field] {
        self.def().fields
    }

    /// One line on what it does, for the kind chooser.
    pub fn summary(self) -> &'static str {
        self.def().summary
    }

    /// The kind named `s` (exact, as the API spells it).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How people call it, for pages.
    pub fn label(self) -> &'static str {
        self.def().label
    }

    /// The events a hook of this kind can be subscribed to.
    ///
    /// - `http`, `email`, `hipchat`, `slack`, `teams`, `twilio`: every event, ping included. The
    ///   raw envelope (http) or its rendering says something useful about each, and a ping is
    ///   how an owner checks that the settings work.
    /// - `twitter`: every event but `ping`, `build.queued` and `build.started`. A tweet is
    ///   public: a test message would be posted for all followers to see (and X refuses the
    ///   second identical one as duplicate content), and a build that has only been queued or
    ///   started tells followers nothing; `build.finished` says how it went.
    pub fn supported_events(self) -> &'static [EventType] {
        const TWITTER: [EventType; 6] = [
            EventType::PackageAdded,
            EventType::PackageDeleted,
            EventType::PackageListed,
            EventType::PackagePinned,
            EventType::PackagePushed,
            EventType::BuildFinished,
        ];
        match self {
            HookKind::X => &TWITTER,
            _ => &EventType::ALL,
        }
    }
}

impl fmt::Display for HookKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secret setting. Its `Debug` never shows the value, so a `{:?}` of a config is safe to log.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(SecretString::from(value.into()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for Secret {}

/// What every kind's settings type provides; [`HookConfig`] dispatches to it.
pub(crate) trait KindConfig: Sized {
    /// Reads and checks the settings; errors go to `input`. `None` when any setting is wrong.
    fn parse(input: &mut Input<'_>, previous: Option<&Self>) -> Option<Self>;
    /// The settings without secrets, as the API shows them.
    fn public_fields(&self) -> Map<String, Value>;
    /// The secrets that have a value, by setting name.
    fn secret_fields(&self) -> Vec<(&'static str, &Secret)>;
    /// Other forms of the secrets that can show up on the wire (e.g. Basic auth's base64).
    fn derived_secrets(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A hook's validated settings, one variant per kind.
#[derive(Debug, Clone, PartialEq)]
pub enum HookConfig {
    Http(HttpConfig),
    Email(EmailConfig),
    Hipchat(HipchatConfig),
    Slack(SlackConfig),
    Teams(TeamsConfig),
    Twilio(TwilioConfig),
    X(XConfig),
}

/// The result of [`HookConfig::from_input`].
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedConfig {
    pub config: HookConfig,
    /// A secret made because the input asked for one (`"secret": "generate"`); shown to the
    /// user once, and never again.
    pub generated_secret: Option<String>,
}

/// Runs `f` on the inner settings, whatever the kind.
macro_rules! each_kind {
    ($config:expr, $c:ident => $body:expr) => {
        match $config {
            HookConfig::Http($c) => $body,
            HookConfig::Email($c) => $body,
            HookConfig::Hipchat($c) => $body,
            HookConfig::Slack($c) => $body,
            HookConfig::Teams($c) => $body,
            HookConfig::Twilio($c) => $body,
            HookConfig::X($c) => $body,
        }
    };
}
pub(crate) use each_kind;

/// The previous settings of kind `$variant`, if that is what `$prev` holds.
macro_rules! prev_of {
    ($prev:expr, $variant:ident) => {
        match $prev {
            Some(HookConfig::$variant(c)) => Some(c),
            _ => None,
        }
    };
}

fn parse_kind<T: KindConfig>(
    input: &Value,
    previous: Option<&T>,
    wrap: fn(T) -> HookConfig,
) -> Result<HookConfig, Vec<FieldError>> {
    let mut reader = Input::new(input)?;
    let parsed = T::parse(&mut reader, previous);
    reader.finish()?;
    // `finish` saw no error, so every getter succeeded; `None` here would be a bug in a parser
    // that failed without saying why, reported rather than hidden.
    parsed
        .map(wrap)
        .ok_or_else(|| vec![FieldError::new("config", "is not valid")])
}

impl HookConfig {
    pub fn kind(&self) -> HookKind {
        match self {
            HookConfig::Http(_) => HookKind::Http,
            HookConfig::Email(_) => HookKind::Email,
            HookConfig::Hipchat(_) => HookKind::Hipchat,
            HookConfig::Slack(_) => HookKind::Slack,
            HookConfig::Teams(_) => HookKind::Teams,
            HookConfig::Twilio(_) => HookKind::Twilio,
            HookConfig::X(_) => HookKind::X,
        }
    }

    /// Validates API or form input (the `config` object of the API contract).
    ///
    /// Secret settings (`*` in API.md) that are absent, `null` or `""` keep their value from
    /// `previous` (an edit of a hook of the same kind). For `http`, `"secret": "generate"` makes
    /// a new `whsec_` secret, returned in `generated_secret` to be shown once, and
    /// `"secret": "remove"` drops it; for `email`, an empty `username` drops the password too.
    /// Errors name fields as `config.url`, `config.to`, ...
    pub fn from_input(
        kind: HookKind,
        input: &Value,
        previous: Option<&HookConfig>,
    ) -> Result<ParsedConfig, Vec<FieldError>> {
        let prev = previous.filter(|p| p.kind() == kind);
        let config = match kind {
            HookKind::Http => {
                let prev = prev_of!(prev, Http);
                let mut reader = Input::new(input)?;
                let parsed = HttpConfig::parse_with_generation(&mut reader, prev);
                reader.finish()?;
                let (config, generated_secret) =
                    parsed.ok_or_else(|| vec![FieldError::new("config", "is not valid")])?;
                return Ok(ParsedConfig {
                    config: HookConfig::Http(config),
                    generated_secret,
                });
            }
            HookKind::Email => parse_kind(input, prev_of!(prev, Email), HookConfig::Email),
            HookKind::Hipchat => parse_kind(input, prev_of!(prev, Hipchat), HookConfig::Hipchat),
            HookKind::Slack => parse_kind(input, prev_of!(prev, Slack), HookConfig::Slack),
            HookKind::Teams => parse_kind(input, prev_of!(prev, Teams), HookConfig::Teams),
            HookKind::Twilio => parse_kind(input, prev_of!(prev, Twilio), HookConfig::Twilio),
            HookKind::X => parse_kind(input, prev_of!(prev, X), HookConfig::X),
        }?;
        Ok(ParsedConfig {
            config,
            generated_secret: None,
        })
    }

    /// The settings without any secret, as the API returns them and as stored in clear, plus
    /// `"secrets_set": [...]` naming the secrets that have a value.
    pub fn public_json(&self) -> Value {
        let (mut fields, secrets) = each_kind!(self, c => (c.public_fields(), c.secret_fields()));
        let names: Vec<Value> = secrets.iter().map(|(n, _)| Value::from(*n)).collect();
        fields.insert("secrets_set".into(), Value::Array(names));
        Value::Object(fields)
    }

    /// Only the secret settings, for encrypted storage.
    pub fn secrets_json(&self) -> Value {
        let secrets = each_kind!(self, c => c.secret_fields());
        let map: Map<String, Value> = secrets
            .into_iter()
            .map(|(name, s)| (name.to_owned(), Value::from(s.expose())))
            .collect();
        Value::Object(map)
    }

    /// Rebuilds a config from its stored halves ([`Self::public_json`] and
    /// [`Self::secrets_json`]). The same checks as for input apply, so a stored config that no
    /// longer passes them is reported rather than sent.
    pub fn from_stored(
        kind: HookKind,
        public: &Value,
        secrets: &Value,
    ) -> Result<HookConfig, String> {
        let mut merged = match public {
            Value::Object(m) => m.clone(),
            Value::Null => Map::new(),
            _ => return Err("the stored settings are not a JSON object".into()),
        };
        merged.remove("secrets_set");
        match secrets {
            Value::Object(m) => merged.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
            Value::Null => {}
            _ => return Err("the stored secrets are not a JSON object".into()),
        }
        Self::from_input(kind, &Value::Object(merged), None)
            .map(|p| p.config)
            .map_err(|errors| {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                format!(
                    "the stored {kind} settings are invalid: {}",
                    list.join("; ")
                )
            })
    }

    /// Every secret value, and the forms derived from them that go on the wire (such as the
    /// base64 of Basic auth), for redaction.
    pub fn secret_values(&self) -> Vec<String> {
        each_kind!(self, c => secret_values_of(c))
    }
}

/// Every secret value of one kind's settings, with the forms derived from them.
pub(crate) fn secret_values_of<T: KindConfig>(config: &T) -> Vec<String> {
    let mut values: Vec<String> = config
        .secret_fields()
        .into_iter()
        .map(|(_, s)| s.expose().to_owned())
        .chain(config.derived_secrets())
        .filter(|v| !v.is_empty())
        .collect();
    values.sort();
    values.dedup();
    values
}
