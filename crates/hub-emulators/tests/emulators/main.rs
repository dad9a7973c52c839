//! Emulator tests: real HTTP on loopback through reqwest, one emulator per test.

mod catalog;
mod client_credentials;
mod common;
mod control;
mod faults;
mod flows;
mod providers;
mod quickbooks;
mod square;
mod token_faults;
