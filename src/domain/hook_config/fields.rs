//! A hook kind's settings as the form shows them: one list of fields per kind, declared in the
//! kind's module beside the parser that reads the same names, so form, select options and
//! parser cannot drift apart.

/// A setting with a closed set of values: (the name the API and the store use, the value,
/// the form's label), listed in the form's order with the default first.
pub type Choice<T> = (&'static str, T, &'static str);

/// A choice's options for a select: (value, label).
pub fn options<T>(choices: &[Choice<T>]) -> Vec<(&'static str, &'static str)> {
    choices
        .iter()
        .map(|(name, _, label)| (*name, *label))
        .collect()
}

/// How a setting is entered on the form.
#[derive(Clone, Copy)]
pub enum Control {
    Text,
    Url,
    Number,
    /// Write-only: never shown, left blank to keep the stored value.
    Secret,
    Checkbox {
        default: bool,
    },
    /// One of the options a [`Choice`] list gives (through [`options`]).
    Select(fn() -> Vec<(&'static str, &'static str)>),
    /// http's extra headers: one `Name: value` per line.
    Headers,
}

impl Control {
    pub fn is_secret(self) -> bool {
        matches!(self, Control::Secret)
    }
}

/// One setting of a kind.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub control: Control,
    pub required: bool,
    pub placeholder: &'static str,
}

/// A [`Field`], positionally, so that the lists read as tables.
pub const fn field(
    name: &'static str,
    label: &'static str,
    control: Control,
    required: bool,
    placeholder: &'static str,
    help: &'static str,
) -> Field {
    Field {
        name,
        label,
        help,
        control,
        required,
        placeholder,
    }
}
