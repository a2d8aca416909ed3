//! Delivering events: the queue, the worker, the retry policy, signing, the guarded HTTP client
//! and one sender per hook kind.
pub mod after_attempt;
pub mod alerter;
pub mod allow;
pub mod attempt;
pub mod attempt_writer;
pub mod digester;
pub mod mailer;
pub mod metrics;
pub mod oauth1;
pub mod preview;
pub mod replayer;
pub mod resolver;
pub mod retention;
pub mod retry;
pub mod senders;
pub mod signing;
pub mod taken;
pub mod worker;
