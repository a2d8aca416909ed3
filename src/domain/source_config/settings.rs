//! A source's `config` object: checked field by field against its kind's definition, and
//! split into the part stored in clear and the secrets.
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{Mode, SourceKind};
use crate::domain::hook_config::Secret;
use crate::domain::hook_config::input::{Input as ConfigInput, MAX_TEXT};
use crate::primitives::FieldError;

/// Shortest and longest poll interval: a feed is not hammered, and a change shows within a day.
pub const MIN_INTERVAL: Duration = Duration::from_secs(10);
pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// Settings of a NuGet V3 source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NugetConfig {
    pub service_index: String,
    /// Sent as `X-NuGet-ApiKey`.
    pub api_key: Option<Secret>,
    /// Basic auth, with `password`.
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub packages: Vec<String>,
    pub interval: Duration,
    pub backfill: bool,
}

/// Settings of an npm registry source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpmConfig {
    pub registry: String,
    /// Sent as `Authorization: Bearer`.
    pub token: Option<Secret>,
    /// Package names, or `@scope/*` for every package of a scope.
    pub packages: Vec<String>,
    pub interval: Duration,
    pub backfill: bool,
}

/// Settings of an inbound source: only its secrets, which the server makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundConfig {
    pub secret: Secret,
    /// The secret before the last rotation, valid until the given time (Unix ms).
    pub previous: Option<(Secret, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceConfig {
    Nuget(NugetConfig),
    Npm(NpmConfig),
    Inbound(SourceKind, InboundConfig),
}

fn interval_text(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

impl SourceConfig {
    pub fn kind(&self) -> SourceKind {
        match self {
            SourceConfig::Nuget(_) => SourceKind::Nuget,
            SourceConfig::Npm(_) => SourceKind::Npm,
            SourceConfig::Inbound(k, _) => *k,
        }
    }

    /// How often it is polled (polling kinds).
    pub fn interval(&self) -> Option<Duration> {
        match self {
            SourceConfig::Nuget(c) => Some(c.interval),
            SourceConfig::Npm(c) => Some(c.interval),
            SourceConfig::Inbound(..) => None,
        }
    }

    pub fn backfill(&self) -> bool {
        match self {
            SourceConfig::Nuget(c) => c.backfill,
            SourceConfig::Npm(c) => c.backfill,
            SourceConfig::Inbound(..) => false,
        }
    }

    /// The upstream address: a change of it starts the source over from a new baseline.
    pub fn upstream(&self) -> Option<&str> {
        match self {
            SourceConfig::Nuget(c) => Some(&c.service_index),
            SourceConfig::Npm(c) => Some(&c.registry),
            SourceConfig::Inbound(..) => None,
        }
    }

    /// The settings without secrets, as the API answers them, with `secrets_set` naming the
    /// secrets that have a value.
    pub fn public_json(&self) -> Value {
        let mut set = vec![];
        let mut v = match self {
            SourceConfig::Nuget(c) => {
                if c.api_key.is_some() {
                    set.push("api_key");
                }
                if c.password.is_some() {
                    set.push("password");
                }
                json!({
                    "service_index": c.service_index,
                    "username": c.username,
                    "packages": c.packages,
                    "interval": interval_text(c.interval),
                    "backfill": c.backfill,
                })
            }
            SourceConfig::Npm(c) => {
                if c.token.is_some() {
                    set.push("token");
                }
                json!({
                    "registry": c.registry,
                    "packages": c.packages,
                    "interval": interval_text(c.interval),
                    "backfill": c.backfill,
                })
            }
            SourceConfig::Inbound(..) => json!({}),
        };
        if !set.is_empty() {
            v["secrets_set"] = json!(set);
        }
        v
    }

    /// The settings stored in clear (what `from_stored` reads back).
    pub fn stored_json(&self) -> Value {
        let mut v = self.public_json();
        if let Some(m) = v.as_object_mut() {
            m.remove("secrets_set");
        }
        v
    }

    /// The secret settings, to be sealed.
    pub fn secrets_json(&self) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, s: &Option<Secret>| {
            if let Some(s) = s {
                m.insert(k.into(), Value::String(s.expose().to_owned()));
            }
        };
        match self {
            SourceConfig::Nuget(c) => {
                put("api_key", &c.api_key);
                put("password", &c.password);
            }
            SourceConfig::Npm(c) => put("token", &c.token),
            SourceConfig::Inbound(_, c) => {
                put("secret", &Some(c.secret.clone()));
                if let Some((s, until)) = &c.previous {
                    put("previous", &Some(s.clone()));
                    m.insert("previous_until".into(), json!(until));
                }
            }
        }
        Value::Object(m)
    }

    /// Reads settings back from the store (already validated when written).
    pub fn from_stored(kind: SourceKind, public: &Value, secrets: &Value) -> Result<Self, String> {
        match kind.mode() {
            Mode::Polling => {
                let mut merged = public.as_object().cloned().unwrap_or_default();
                if let Some(s) = secrets.as_object() {
                    merged.extend(s.clone());
                }
                Self::from_input(kind, &Value::Object(merged), None).map_err(|errs| {
                    errs.iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
            }
            Mode::Inbound => {
                let secret = secrets
                    .get("secret")
                    .and_then(Value::as_str)
                    .ok_or("the inbound secret is missing")?;
                let previous = match (
                    secrets.get("previous").and_then(Value::as_str),
                    secrets.get("previous_until").and_then(Value::as_i64),
                ) {
                    (Some(s), Some(until)) => Some((Secret::new(s), until)),
                    _ => None,
                };
                Ok(SourceConfig::Inbound(
                    kind,
                    InboundConfig {
                        secret: Secret::new(secret),
                        previous,
                    },
                ))
            }
        }
    }

    /// Validates a `config` object for a kind; secrets left out keep their `previous` value.
    /// Inbound kinds take no settings (their secret is made by the server: see
    /// [`InboundConfig`]), so this is for the polling kinds.
    pub fn from_input(
        kind: SourceKind,
        value: &Value,
        previous: Option<&SourceConfig>,
    ) -> Result<SourceConfig, Vec<FieldError>> {
        let mut input = ConfigInput::new(value)?;
        let config = match kind {
            SourceKind::Nuget => {
                let prev = match previous {
                    Some(SourceConfig::Nuget(p)) => Some(p),
                    _ => None,
                };
                let service_index = input.url("service_index", true);
                let api_key = input.secret("api_key", prev.and_then(|p| p.api_key.as_ref()), false);
                let username = input.text("username", false, MAX_TEXT);
                let password =
                    input.secret("password", prev.and_then(|p| p.password.as_ref()), false);
                if username.is_some() != password.is_some() {
                    input.error(
                        "password",
                        "basic auth needs both a username and a password",
                    );
                }
                let packages = globs(&mut input, "packages", false);
                let interval = interval(&mut input);
                let backfill = input.flag("backfill", false);
                SourceConfig::Nuget(NugetConfig {
                    service_index: service_index.unwrap_or_default(),
                    api_key,
                    username,
                    password,
                    packages,
                    interval,
                    backfill,
                })
            }
            SourceKind::Npm => {
                let prev = match previous {
                    Some(SourceConfig::Npm(p)) => Some(p),
                    _ => None,
                };
                let registry = input.base_url("registry", "");
                if registry.is_empty() && input.errors.is_empty() {
                    input.error("registry", "is required");
                }
                let token = input.secret("token", prev.and_then(|p| p.token.as_ref()), false);
                let packages = globs(&mut input, "packages", true);
                let interval = interval(&mut input);
                let backfill = input.flag("backfill", false);
                SourceConfig::Npm(NpmConfig {
                    registry,
                    token,
                    packages,
                    interval,
                    backfill,
                })
            }
            inbound => match previous {
                Some(p @ SourceConfig::Inbound(..)) => p.clone(),
                _ => SourceConfig::Inbound(
                    inbound,
                    InboundConfig {
                        secret: Secret::new(new_inbound_secret()),
                        previous: None,
                    },
                ),
            },
        };
        input.finish()?;
        Ok(config)
    }
}

/// A new inbound secret: 32 random bytes, hex (every system's secret field takes it).
pub fn new_inbound_secret() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `interval`: a duration such as `60s` or `5m`, from [`MIN_INTERVAL`] to [`MAX_INTERVAL`].
fn interval(input: &mut ConfigInput<'_>) -> Duration {
    let Some(text) = input.text("interval", false, 40) else {
        return DEFAULT_INTERVAL;
    };
    match humantime::parse_duration(&text) {
        Ok(d) if (MIN_INTERVAL..=MAX_INTERVAL).contains(&d) => d,
        Ok(_) => {
            input.error("interval", "must be from 10s to 24h");
            DEFAULT_INTERVAL
        }
        Err(e) => {
            input.error("interval", format!("{e} (write e.g. 60s or 5m)"));
            DEFAULT_INTERVAL
        }
    }
}

/// A list of package names or globs: a JSON array of strings, or (from a form) one per line
/// or comma-separated. `npm` requires at least one: a registry cannot be listed whole.
fn globs(input: &mut ConfigInput<'_>, name: &'static str, required: bool) -> Vec<String> {
    let items: Vec<String> = match input.raw(name) {
        None => vec![],
        Some(Value::Array(a)) => {
            let mut out = vec![];
            for v in a {
                match v.as_str() {
                    Some(s) => out.push(s.trim().to_owned()),
                    None => {
                        input.error(name, "must be a list of strings");
                        return vec![];
                    }
                }
            }
            out
        }
        Some(Value::String(s)) => s.split(['\n', ',']).map(|x| x.trim().to_owned()).collect(),
        Some(_) => {
            input.error(name, "must be a list of strings");
            return vec![];
        }
    };
    let items: Vec<String> = items.into_iter().filter(|s| !s.is_empty()).collect();
    if required && items.is_empty() {
        input.error(
            name,
            "name at least one package (left-pad) or scope (@acme/*)",
        );
    }
    if items.len() > 1000 {
        input.error(name, "at most 1000 entries");
    }
    for item in &items {
        let ok = item.len() <= 214
            && item
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-*?@/~".contains(c));
        if !ok {
            input.error(
                name,
                format!("{item:?} is not a package name or glob (letters, digits, . _ - / @ and the wildcards * ?)"),
            );
        }
    }
    items
}
