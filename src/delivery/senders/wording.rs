//! The owner's template of one message part, rendered for the channel; `None` leaves the
//! sender's built-in wording.
use super::OutgoingEvent;
use crate::domain::hook_config::wording::TemplatePart;
use crate::events::template::{self, Escape};

/// Renders the template of `part`, values escaped with `escape`. A template that fails is a
/// configuration error naming the event and the part.
pub fn templated(
    ev: &OutgoingEvent<'_>,
    part: TemplatePart,
    escape: Option<Escape>,
) -> Result<Option<String>, String> {
    let Some(source) = ev.template.and_then(|t| t.get(part)) else {
        return Ok(None);
    };
    template::render(source, ev.parsed, &ev.extras, escape)
        .map(Some)
        .map_err(|e| {
            format!(
                "the {} template of {} fails: {e}",
                part.as_str(),
                ev.event.name()
            )
        })
}
