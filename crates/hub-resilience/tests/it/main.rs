//! End-to-end tests of the outbound stack: real HTTP servers on loopback, the real client.

mod emulated;
mod fair_share;
mod isolation;
mod metrics;
mod priority;
mod recovery;
mod retry;
mod ssrf;
mod support;
