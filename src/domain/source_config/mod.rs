//! What a source reads and with which settings: its kind (defined once here, with the label,
//! help and fields that lists, forms and the OpenAPI derive from) and the validated `config`
//! object of the API contract (settings.rs), split into the part stored in clear and the secrets.
mod settings;

pub use settings::*;

/// The kinds of sources: two that feedhooks polls, five that push to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    Nuget,
    Npm,
    Github,
    Gitlab,
    NpmHook,
    Verdaccio,
    Generic,
}

/// How a kind gets its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// feedhooks polls the upstream on an interval.
    Polling,
    /// The upstream posts its own webhooks to the source's inbound URL.
    Inbound,
}

/// One kind's definition.
pub struct KindDef {
    pub kind: SourceKind,
    pub name: &'static str,
    pub label: &'static str,
    pub mode: Mode,
    /// One line for lists and the kind chooser.
    pub summary: &'static str,
    /// The settings of `config`, in the form's order.
    pub fields: &'static [FieldDef],
}

/// How a setting is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Text,
    Url,
    /// Write-only: the form shows whether it is set, never its value.
    Secret,
    /// A list, one entry per line.
    Lines,
    Checkbox,
}

/// One setting of a kind, for the form and the docs.
pub struct FieldDef {
    pub name: &'static str,
    pub label: &'static str,
    pub input: Input,
    pub required: bool,
    pub help: &'static str,
}

const fn field(
    name: &'static str,
    label: &'static str,
    input: Input,
    required: bool,
    help: &'static str,
) -> FieldDef {
    FieldDef {
        name,
        label,
        input,
        required,
        help,
    }
}

const INTERVAL: FieldDef = field(
    "interval",
    "Poll interval",
    Input::Text,
    false,
    "How often to look for changes: from 10s to 24h. Default 60s.",
);
const BACKFILL: FieldDef = field(
    "backfill",
    "Backfill",
    Input::Checkbox,
    false,
    "Send an event for every package version already there on the first poll. Without it the first poll only records what is there, and only later changes become events.",
);

const NUGET_FIELDS: &[FieldDef] = &[
    field(
        "service_index",
        "Service index URL",
        Input::Url,
        true,
        "The feed's NuGet V3 index.json, e.g. https://api.nuget.org/v3/index.json or https://nuget.example.com/v3/index.json.",
    ),
    field(
        "packages",
        "Packages",
        Input::Lines,
        false,
        "Package ids or globs to watch, one per line (MyCompany.*); case does not matter. Empty watches every package.",
    ),
    field(
        "api_key",
        "API key",
        Input::Secret,
        false,
        "For a private feed that takes an X-NuGet-ApiKey header.",
    ),
    field(
        "username",
        "Username",
        Input::Text,
        false,
        "For a private feed behind basic auth, with the password.",
    ),
    field(
        "password",
        "Password",
        Input::Secret,
        false,
        "The basic-auth password.",
    ),
    INTERVAL,
    BACKFILL,
];

const NPM_FIELDS: &[FieldDef] = &[
    field(
        "registry",
        "Registry URL",
        Input::Url,
        true,
        "The registry's base URL, e.g. https://registry.npmjs.org or http://verdaccio.example.com:4873.",
    ),
    field(
        "packages",
        "Packages",
        Input::Lines,
        true,
        "Package names or scopes, one per line: left-pad, @acme/* (a scope is expanded through the registry's search).",
    ),
    field(
        "token",
        "Token",
        Input::Secret,
        false,
        "For a private registry: sent as Authorization: Bearer.",
    ),
    INTERVAL,
    BACKFILL,
];

const KINDS: [KindDef; 7] = [
    KindDef {
        kind: SourceKind::Nuget,
        name: "nuget",
        label: "NuGet V3 feed",
        mode: Mode::Polling,
        summary: "Polls a NuGet V3 feed (its catalog, or its search and registrations) for added, deleted, unlisted and relisted packages.",
        fields: NUGET_FIELDS,
    },
    KindDef {
        kind: SourceKind::Npm,
        name: "npm",
        label: "npm registry",
        mode: Mode::Polling,
        summary: "Polls an npm registry's package documents for published, unpublished, deprecated and undeprecated versions.",
        fields: NPM_FIELDS,
    },
    KindDef {
        kind: SourceKind::Github,
        name: "github",
        label: "GitHub",
        mode: Mode::Inbound,
        summary: "Receives GitHub webhooks: Actions workflow runs become build events, published packages package.added.",
        fields: &[],
    },
    KindDef {
        kind: SourceKind::Gitlab,
        name: "gitlab",
        label: "GitLab",
        mode: Mode::Inbound,
        summary: "Receives GitLab pipeline webhooks as build events.",
        fields: &[],
    },
    KindDef {
        kind: SourceKind::NpmHook,
        name: "npm-hook",
        label: "npm hooks",
        mode: Mode::Inbound,
        summary: "Receives npm registry hooks: publish, unpublish, deprecate and undeprecate.",
        fields: &[],
    },
    KindDef {
        kind: SourceKind::Verdaccio,
        name: "verdaccio",
        label: "Verdaccio notify",
        mode: Mode::Inbound,
        summary: "Receives Verdaccio's notify call on each publish as package.added.",
        fields: &[],
    },
    KindDef {
        kind: SourceKind::Generic,
        name: "generic",
        label: "Generic",
        mode: Mode::Inbound,
        summary: "Receives envelopes in the spec's own format, for scripts that cannot hold a feed key.",
        fields: &[],
    },
];

impl SourceKind {
    pub const ALL: [SourceKind; 7] = [
        SourceKind::Nuget,
        SourceKind::Npm,
        SourceKind::Github,
        SourceKind::Gitlab,
        SourceKind::NpmHook,
        SourceKind::Verdaccio,
        SourceKind::Generic,
    ];

    pub fn def(self) -> &'static KindDef {
        KINDS
            .iter()
            .find(|d| d.kind == self)
            .expect("every kind has a definition")
    }

    pub fn as_str(self) -> &'static str {
        self.def().name
    }

    pub fn label(self) -> &'static str {
        self.def().label
    }

    pub fn mode(self) -> Mode {
        self.def().mode
    }

    pub fn fields(self) -> &'static [FieldDef] {
        self.def().fields
    }

    pub fn parse(s: &str) -> Option<SourceKind> {
        KINDS.iter().find(|d| d.name == s).map(|d| d.kind)
    }

    /// The names of the kinds of one mode, for the poller's query.
    pub fn names(mode: Mode) -> Vec<&'static str> {
        KINDS
            .iter()
            .filter(|d| d.mode == mode)
            .map(|d| d.name)
            .collect()
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests;
