//! One invalid input field, as every layer reports it: the event validator, the domain's
//! checks, the pages' forms and the API's problem+json.
use serde::Serialize;

/// One invalid input field and what is wrong with it, in words a person can act on. `field` is
/// a dotted path for JSON (`Payload.Packages[1].PackageIdentifier`, `""` for the root) or the
/// form field's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    /// "Payload.PackageIdentifier: is required", for logs and the command line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.field.as_str() {
            "" => f.write_str(&self.message),
            field => write!(f, "{field}: {}", self.message),
        }
    }
}
