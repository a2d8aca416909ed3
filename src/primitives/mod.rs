//! The bottom of the house: small types every layer shares and that depend on nothing of
//! ours. The store spells them as SQL codes (`db`), the API and pages as JSON and text; in
//! between they are these enums.
pub mod delivery_status;
pub mod error_kind;
pub mod field_error;
pub mod percent;
pub mod webhook_secret;

pub use delivery_status::DeliveryStatus;
pub use error_kind::ErrorKind;
pub use field_error::FieldError;
