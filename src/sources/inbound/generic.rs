//! The generic kind: the body already is one of the spec's envelopes, for scripts that can keep
//! this source's secret but not a feed key. It is ingested exactly as the API ingests it.
use serde_json::Value;

use super::{InboundError, Translation};

pub(super) fn translate(body: Value) -> Result<Translation, InboundError> {
    Ok(Translation::Events(vec![body]))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{InboundError, InboundKind, InboundRequest};

    const SECRET: &str = "fhin_generic";

    #[test]
    fn an_envelope_passes_through_as_sent_for_the_ingest_path() {
        let body = include_bytes!("../../../tests/fixtures/spec-examples/build.started.json");
        let h = json_headers().with("Authorization", format!("Bearer {SECRET}"));
        let e = one_event(receive_ok(InboundKind::Generic, &h, body, &[SECRET]));
        assert_eq!(e, json(body));
    }

    #[test]
    fn a_body_that_is_not_an_object_or_no_bearer_is_refused() {
        let h = json_headers().with("Authorization", format!("Bearer {SECRET}"));
        let request = InboundRequest {
            headers: &h,
            body: b"[]",
        };
        let err = super::super::receive(InboundKind::Generic, request, &[SECRET], SOURCE);
        assert!(matches!(err, Err(InboundError::Malformed(_))));
        let no_auth = json_headers();
        let request = InboundRequest {
            headers: &no_auth,
            body: b"{}",
        };
        let err = super::super::receive(InboundKind::Generic, request, &[SECRET], SOURCE);
        assert!(err.unwrap_err().is_unauthorized());
    }
}
