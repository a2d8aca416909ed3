//! Event sources: upstream feeds that feedhooks polls (NuGet V3, npm registries), and the
//! inbound kinds whose upstream posts its own webhooks. Each kind is a mapping "upstream
//! documents -> changes -> envelopes" plus the poller or inbound verifier that runs it; every
//! event ends in the same domain ingest path as the API's.
pub mod backoff;
pub mod change;
pub mod fetch;
pub mod glob;
pub mod inbound;
pub mod npm;
pub mod nuget;
pub mod poll;
pub mod poller;
