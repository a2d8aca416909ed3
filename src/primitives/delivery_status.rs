//! Where a delivery stands, as one closed set.

/// A delivery's state. The store keeps `pending`, `succeeded` or `failed` in its `status`
/// column and parks a waiting delivery by its due time; `db` turns the two into this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Due at a time: its first attempt, or a retry on the schedule.
    Pending,
    /// Not due at any time: it waits for its hook to be enabled again (parked).
    Waiting,
    Succeeded,
    Failed,
}

impl DeliveryStatus {
    /// The statuses a list can be filtered by and the chart counts, in the chart's order. A
    /// waiting delivery counts as pending: it has not been delivered yet.
    pub const LISTED: [DeliveryStatus; 3] = [
        DeliveryStatus::Succeeded,
        DeliveryStatus::Failed,
        DeliveryStatus::Pending,
    ];

    /// The name the API and pages show. The contract's `status` knows no waiting state: a
    /// waiting delivery is `pending` there, with `waiting_for_hook` saying why it is not due.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending | DeliveryStatus::Waiting => "pending",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// The status named `s` as a filter spells it (`pending` includes the waiting ones).
    pub fn parse(s: &str) -> Option<Self> {
        Self::LISTED.into_iter().find(|k| k.as_str() == s)
    }

    /// Not finished: an attempt is still to come.
    pub fn is_open(self) -> bool {
        matches!(self, DeliveryStatus::Pending | DeliveryStatus::Waiting)
    }

    /// The names of [`Self::LISTED`] in the contract's order (`pending`, `succeeded`,
    /// `failed`), for the OpenAPI enum and error messages.
    pub fn listed_names() -> [&'static str; 3] {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Succeeded,
            DeliveryStatus::Failed,
        ]
        .map(DeliveryStatus::as_str)
    }
}

impl std::fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_parses_back() {
        for s in DeliveryStatus::LISTED {
            assert_eq!(DeliveryStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(DeliveryStatus::parse("waiting"), None);
        assert_eq!(DeliveryStatus::Waiting.as_str(), "pending");
        assert_eq!(
            DeliveryStatus::listed_names(),
            ["pending", "succeeded", "failed"]
        );
    }
}
