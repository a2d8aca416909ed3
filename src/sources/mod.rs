//! Event sources: systems that feed events into a feed besides the ingest API.
pub mod inbound;
