//! Tests of the senders against local fakes and a real SMTP server.
