//! The inbound kinds, each defined once: name, label, how it authenticates, what it maps, and
//! the steps that connect the other system. Lists, forms, the source page and the docs all
//! read these definitions, so they can not drift apart.

/// A system that pushes its own webhooks to `POST /api/v1/inbound/{source id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InboundKind {
    Github,
    Gitlab,
    NpmHook,
    Verdaccio,
    Generic,
}

/// How a kind proves that a request comes from the system that holds the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    /// `header: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>`.
    HmacSha256Hex { header: &'static str },
    /// The header carries the secret itself (compared in constant time).
    Token { header: &'static str },
    /// `Authorization: Bearer <secret>`.
    Bearer,
}

impl AuthScheme {
    /// The header this scheme reads.
    pub fn header(self) -> &'static str {
        match self {
            AuthScheme::HmacSha256Hex { header } | AuthScheme::Token { header } => header,
            AuthScheme::Bearer => "Authorization",
        }
    }

    /// "X-Hub-Signature-256 header", for messages.
    pub fn header_label(self) -> String {
        match self {
            AuthScheme::Bearer => "Authorization: Bearer header".to_owned(),
            other => format!("{} header", other.header()),
        }
    }

    /// What the owner should check when this scheme refuses a request.
    pub fn hint(self) -> &'static str {
        match self {
            AuthScheme::HmacSha256Hex { .. } => {
                "set the webhook's secret to the one shown when the source was created"
            }
            AuthScheme::Token { .. } => {
                "set the webhook's secret token to the one shown when the source was created"
            }
            AuthScheme::Bearer => "send the source's secret as \"Authorization: Bearer <secret>\"",
        }
    }

    /// One line for the source page and the docs.
    pub fn describe(self) -> String {
        match self {
            AuthScheme::HmacSha256Hex { header } => {
                format!("{header}: sha256=<hex HMAC-SHA256 of the body with the secret>")
            }
            AuthScheme::Token { header } => format!("{header} equal to the secret"),
            AuthScheme::Bearer => "Authorization: Bearer <secret>".to_owned(),
        }
    }
}

/// One upstream change and the event it becomes, for the mapping tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    pub upstream: &'static str,
    pub event: &'static str,
}

/// One step of connecting the other system. `{url}` and `{secret}` are replaced when shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub text: &'static str,
    /// A block to copy as it is (a command, a config snippet).
    pub code: Option<&'static str>,
}

/// Everything known about one inbound kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindDefinition {
    pub kind: InboundKind,
    /// As in the API's `kind` field.
    pub name: &'static str,
    pub label: &'static str,
    pub summary: &'static str,
    pub auth: AuthScheme,
    pub mapping: &'static [Mapping],
    pub steps: &'static [Step],
}

/// Shown where a secret belongs once the secret itself can no longer be shown.
pub const SECRET_PLACEHOLDER: &str = "<the secret shown when the source was created>";

const fn step(text: &'static str) -> Step {
    Step { text, code: None }
}

const fn step_with(text: &'static str, code: &'static str) -> Step {
    Step {
        text,
        code: Some(code),
    }
}

const fn map(upstream: &'static str, event: &'static str) -> Mapping {
    Mapping { upstream, event }
}

/// The Verdaccio `notify` entry; `content` is a Handlebars template Verdaccio fills with the
/// publish (`publishType`, `publishedPackage` = `name@version`, `publisher.name`). Triple braces
/// keep Handlebars from HTML-escaping names (npm names and versions never hold a quote).
pub const VERDACCIO_NOTIFY: &str = r#"notify:
  feedhooks:
    method: POST
    headers:
      - Content-Type: application/json
      - Authorization: Bearer {secret}
    endpoint: {url}
    content: '{"publishType":"{{publishType}}","publishedPackage":"{{{publishedPackage}}}","publisher":"{{publisher.name}}"}'"#;

/// Indexed by `InboundKind as usize`; a test checks the order.
pub static KINDS: [KindDefinition; 5] = [
    KindDefinition {
        kind: InboundKind::Github,
        name: "github",
        label: "GitHub (Actions and Packages)",
        summary: "A repository's or organization's webhook: workflow runs become build events, \
                  published packages package.added.",
        auth: AuthScheme::HmacSha256Hex {
            header: "X-Hub-Signature-256",
        },
        mapping: &[
            map("workflow_run requested", "build.queued"),
            map("workflow_run in_progress", "build.started"),
            map(
                "workflow_run completed (Result success when the conclusion is success, else failed)",
                "build.finished",
            ),
            map("package / registry_package published", "package.added"),
            map("ping", "answered 200, listed, no event"),
        ],
        steps: &[
            step(
                "On GitHub, open the repository (or organization) Settings > Webhooks > Add webhook.",
            ),
            step_with("Payload URL:", "{url}"),
            step("Content type: application/json."),
            step_with("Secret:", "{secret}"),
            step("SSL verification: keep \"Enable SSL verification\"."),
            step(
                "Which events would you like to trigger this webhook? Choose \"Let me select \
                 individual events.\", tick \"Workflow runs\" and \"Packages\" (and \"Registry \
                 packages\" where GitHub still lists it), and untick \"Pushes\".",
            ),
            step(
                "Keep \"Active\" ticked and press \"Add webhook\". GitHub sends a ping at once; it \
                 appears below under Requests received.",
            ),
        ],
    },
    KindDefinition {
        kind: InboundKind::Gitlab,
        name: "gitlab",
        label: "GitLab CI",
        summary: "A project's or group's webhook: pipeline status changes become build events.",
        auth: AuthScheme::Token {
            header: "X-Gitlab-Token",
        },
        mapping: &[
            map("Pipeline Hook, status created or pending", "build.queued"),
            map("Pipeline Hook, status running", "build.started"),
            map(
                "Pipeline Hook, status success, failed or canceled (Result success or failed)",
                "build.finished",
            ),
        ],
        steps: &[
            step("On GitLab, open the project (or group) Settings > Webhooks > Add new webhook."),
            step_with("URL:", "{url}"),
            step_with("Secret token:", "{secret}"),
            step("Trigger: tick \"Pipeline events\" only."),
            step("SSL verification: keep \"Enable SSL verification\" ticked."),
            step(
                "Press \"Add webhook\". To try it, choose Test > Pipeline events beside the new \
                 webhook; the request appears below under Requests received.",
            ),
        ],
    },
    KindDefinition {
        kind: InboundKind::NpmHook,
        name: "npm-hook",
        label: "npm registry hooks",
        summary: "npm's own hooks for a package, a scope or an owner: publish, unpublish and \
                  deprecation.",
        auth: AuthScheme::HmacSha256Hex {
            header: "x-npm-signature",
        },
        mapping: &[
            map("package:publish", "package.added"),
            map("package:unpublish", "package.deleted"),
            map("package:deprecate", "package.listed (Action unlisted)"),
            map("package:undeprecate", "package.listed (Action listed)"),
        ],
        steps: &[
            step_with(
                "Signed in to npm as an owner of the package or scope, add the hook with the npm \
                 CLI; name a package (left-pad), a scope (@acme) or an owner (~alice):",
                "npm hook add @acme {url} {secret}",
            ),
            step("Check it with `npm hook ls`; npm signs every delivery with the secret."),
        ],
    },
    KindDefinition {
        kind: InboundKind::Verdaccio,
        name: "verdaccio",
        label: "Verdaccio notify",
        summary: "Verdaccio's notify block: each publish becomes package.added, each version \
                  unpublished package.deleted, with no polling.",
        auth: AuthScheme::Bearer,
        mapping: &[
            map("notify on publish", "package.added"),
            map("notify on unpublish of a version", "package.deleted"),
        ],
        steps: &[
            step_with(
                "Add this block to Verdaccio's config.yaml (beside any notify entries you have):",
                VERDACCIO_NOTIFY,
            ),
            step(
                "Restart Verdaccio. It notifies on publish and unpublish only; for deprecations \
                 add an npm source that polls the same registry.",
            ),
        ],
    },
    KindDefinition {
        kind: InboundKind::Generic,
        name: "generic",
        label: "Generic (envelopes)",
        summary: "A script or system that posts the spec's envelopes itself, with this source's \
                  secret instead of a feed key.",
        auth: AuthScheme::Bearer,
        mapping: &[map("the envelope as sent", "its PayloadType")],
        steps: &[step_with(
            "POST one envelope per request, as to the ingest API:",
            "curl -X POST {url} \\\n  -H 'Authorization: Bearer {secret}' \\\n  \
             -H 'Content-Type: application/json' \\\n  \
             -d '{\"PayloadType\": \"BuildStartedWebHookEventPayloadV1\", \
             \"Payload\": {\"Name\": \"nightly\", \"Branch\": \"main\"}}'",
        )],
    },
];

impl InboundKind {
    pub const ALL: [InboundKind; 5] = [
        InboundKind::Github,
        InboundKind::Gitlab,
        InboundKind::NpmHook,
        InboundKind::Verdaccio,
        InboundKind::Generic,
    ];

    pub fn definition(self) -> &'static KindDefinition {
        &KINDS[self as usize]
    }

    /// As in the API, e.g. `npm-hook`.
    pub fn name(self) -> &'static str {
        self.definition().name
    }

    pub fn auth(self) -> AuthScheme {
        self.definition().auth
    }

    /// The kind with this API name (exact).
    pub fn from_name(name: &str) -> Option<Self> {
        KINDS.iter().find(|d| d.name == name).map(|d| d.kind)
    }
}

impl std::fmt::Display for InboundKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Step {
    /// The step's text and code with the source's URL, and its secret where it is still known.
    pub fn render(&self, url: &str, secret: Option<&str>) -> (String, Option<String>) {
        let secret = secret.unwrap_or(SECRET_PLACEHOLDER);
        let fill = |s: &str| s.replace("{url}", url).replace("{secret}", secret);
        (fill(self.text), self.code.map(fill))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_the_order_of_the_enum_and_names_round_trip() {
        for (i, kind) in InboundKind::ALL.iter().enumerate() {
            assert_eq!(KINDS[i].kind, *kind);
            assert_eq!(InboundKind::from_name(kind.name()), Some(*kind));
        }
        assert_eq!(InboundKind::from_name("npm_hook"), None);
    }

    /// The owner's documentation repeats what the definitions say: every code block exactly
    /// (with `<inbound_url>` and `<secret>` for the source's own), every quoted field name of
    /// the other system's settings page, and every event a kind maps to.
    #[test]
    fn the_docs_say_what_the_definitions_say() {
        const DOC: &str = "docs/inbound.md";
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DOC);
        let doc = std::fs::read_to_string(&path).unwrap();
        let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let flat_doc = flat(&doc);
        for def in &KINDS {
            assert!(
                doc.contains(&format!("`{}`", def.name)),
                "{DOC} lacks {}",
                def.name
            );
            for step in def.steps {
                let (text, code) = step.render("<inbound_url>", Some("<secret>"));
                if let Some(code) = code.filter(|c| c.contains('\n') || c.contains(' ')) {
                    assert!(doc.contains(&code), "{DOC} lacks the block\n{code}");
                }
                for quoted in text.split('"').skip(1).step_by(2) {
                    assert!(flat_doc.contains(&flat(quoted)), "{DOC} lacks \"{quoted}\"");
                }
            }
        }
    }

    #[test]
    fn every_kind_tells_where_the_url_and_the_secret_go() {
        for def in &KINDS {
            let rendered: Vec<String> = def
                .steps
                .iter()
                .map(|s| {
                    let (text, code) = s.render("https://hooks.example/api/v1/inbound/7", None);
                    text + &code.unwrap_or_default()
                })
                .collect();
            let all = rendered.join("\n");
            assert!(
                all.contains("https://hooks.example/api/v1/inbound/7"),
                "{}",
                def.name
            );
            assert!(all.contains(SECRET_PLACEHOLDER), "{}", def.name);
            assert!(
                !all.contains("{url}") && !all.contains("{secret}"),
                "{}",
                def.name
            );
        }
    }
}
