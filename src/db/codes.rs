//! The SQL edge of the shared enums: how a delivery's status and an error kind are spelled in
//! the store, and read back. Nothing outside `db` sees these strings.
use rusqlite::Row;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, Type, ValueRef};

use crate::primitives::{DeliveryStatus, ErrorKind};

/// A far-future due time: deliveries of a disabled hook wait here until it is enabled again,
/// out of the way of the claim query's index scan.
pub const PARKED: i64 = i64::MAX / 2;

/// The due time of a delivery held for its hook's digest (one before [`PARKED`], so it is
/// neither claimed nor taken for a disabled hook's). Written out in [`HELD_SQL`] for the
/// partial index `deliveries_held`, which only a literal in the query can use.
pub const HELD: i64 = PARKED - 1;
pub const HELD_SQL: &str = "4611686018427387902";

/// The `status` column's value: a waiting delivery is stored as pending, parked by its due time.
pub const fn status_code(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Pending | DeliveryStatus::Waiting => "pending",
        DeliveryStatus::Succeeded => "succeeded",
        DeliveryStatus::Failed => "failed",
    }
}

/// The status of a stored delivery from its `status` column and its due time.
pub fn status_of(code: &str, due_at: Option<i64>) -> Option<DeliveryStatus> {
    Some(match code {
        "pending" if due_at.is_some_and(|t| t >= PARKED) => DeliveryStatus::Waiting,
        "pending" => DeliveryStatus::Pending,
        "succeeded" => DeliveryStatus::Succeeded,
        "failed" => DeliveryStatus::Failed,
        _ => return None,
    })
}

/// [`status_of`] the row's `status` and `due_at` columns, by position.
pub fn read_status(r: &Row<'_>, status: usize, due_at: usize) -> rusqlite::Result<DeliveryStatus> {
    let code: String = r.get(status)?;
    status_of(&code, r.get(due_at)?).ok_or_else(|| {
        let e = format!("unknown delivery status {code:?}");
        rusqlite::Error::FromSqlConversionFailure(status, Type::Text, e.into())
    })
}

impl ToSql for ErrorKind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for ErrorKind {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let code = value.as_str()?;
        ErrorKind::parse(code).ok_or_else(|| {
            FromSqlError::Other(format!("unknown error kind {code:?} in the attempt log").into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_codes() {
        for s in DeliveryStatus::LISTED {
            let due = s.is_open().then_some(1);
            assert_eq!(status_of(status_code(s), due).unwrap(), s);
        }
        let parked = status_of(status_code(DeliveryStatus::Waiting), Some(PARKED));
        assert_eq!(parked.unwrap(), DeliveryStatus::Waiting);
        assert!(status_of("lost", None).is_none());
        assert_eq!(HELD.to_string(), HELD_SQL);
        assert_eq!(
            status_of("pending", Some(HELD)),
            Some(DeliveryStatus::Pending)
        );
    }
}
