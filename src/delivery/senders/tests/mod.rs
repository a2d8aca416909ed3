//! Tests of the senders against local fakes on 127.0.0.1 and a real SMTP server.
mod chat;
mod email;
mod fake;
mod http;
mod social;
mod templates;
