//! How a hook's deliveries go out: how many attempts at once (`max_in_flight`), and whether
//! one at a time in the order the events were accepted (`ordered`).
use serde_json::Value;

use crate::primitives::FieldError;

/// Attempts a hook has in flight at once unless its owner says otherwise: enough for a
/// typical receiver, few enough that a hanging one holds little.
pub const DEFAULT_MAX_IN_FLIGHT: i64 = 8;
/// The most a hook may ask for; the worker's overall limit stays far above it.
pub const MAX_IN_FLIGHT_LIMIT: i64 = 64;

/// The settings as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concurrency {
    pub max_in_flight: i64,
    pub ordered: bool,
}

impl Default for Concurrency {
    fn default() -> Self {
        Concurrency {
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            ordered: false,
        }
    }
}

/// The message of an out-of-range or non-numeric `max_in_flight`, one wording for API and form.
pub fn max_in_flight_error() -> FieldError {
    FieldError::new(
        "max_in_flight",
        format!(
            "must be a whole number from 1 to {MAX_IN_FLIGHT_LIMIT} (attempts in flight at once; the default is {DEFAULT_MAX_IN_FLIGHT})"
        ),
    )
}

impl Concurrency {
    /// The given values over `previous` (what is left out stays); every error is pushed.
    pub fn from_input(
        max_in_flight: Option<&Value>,
        ordered: Option<&Value>,
        previous: Concurrency,
        errors: &mut Vec<FieldError>,
    ) -> Concurrency {
        let mut out = previous;
        match max_in_flight {
            None => {}
            Some(v) => match v.as_i64() {
                Some(n) if (1..=MAX_IN_FLIGHT_LIMIT).contains(&n) => out.max_in_flight = n,
                _ => errors.push(max_in_flight_error()),
            },
        }
        match ordered {
            None => {}
            Some(Value::Bool(b)) => out.ordered = *b,
            Some(_) => errors.push(FieldError::new("ordered", "must be true or false")),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(m: Option<Value>, o: Option<Value>) -> Result<Concurrency, Vec<FieldError>> {
        let mut errors = vec![];
        let c =
            Concurrency::from_input(m.as_ref(), o.as_ref(), Concurrency::default(), &mut errors);
        if errors.is_empty() {
            Ok(c)
        } else {
            Err(errors)
        }
    }

    #[test]
    fn left_out_keeps_the_previous_and_the_range_is_one_to_sixty_four() {
        assert_eq!(parse(None, None).unwrap(), Concurrency::default());
        assert_eq!(parse(Some(json!(1)), None).unwrap().max_in_flight, 1);
        assert_eq!(parse(Some(json!(64)), None).unwrap().max_in_flight, 64);
        for bad in [
            json!(0),
            json!(65),
            json!(-1),
            json!(2.5),
            json!("8"),
            json!(null),
        ] {
            let errs = parse(Some(bad.clone()), None).unwrap_err();
            assert_eq!(errs[0].field, "max_in_flight", "{bad}");
            assert!(errs[0].message.contains("from 1 to 64"), "{bad}");
        }
        assert!(parse(None, Some(json!(true))).unwrap().ordered);
        assert_eq!(
            parse(None, Some(json!("yes"))).unwrap_err()[0].field,
            "ordered"
        );
    }
}
