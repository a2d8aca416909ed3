//! A hook's delivery log for the pages: the same filters as the API's list, served by index
//! seeks however many deliveries the hook has.
use super::DomainError;
use super::hooks::Hook;
use crate::db::Db;
use crate::db::deliveries::{DeliveryFilter, DeliveryRow};

pub async fn page(
    db: &Db,
    hook: &Hook,
    filter: DeliveryFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, DomainError> {
    let hook_id = hook.id;
    Ok(db
        .run(move |c| crate::db::delivery_log::page(c, hook_id, &filter, before, limit))
        .await?)
}
