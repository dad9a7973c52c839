//! Franchise Hub's domain types: no IO, no async, only values that are valid by construction.
#![forbid(unsafe_code)]

pub mod access;
pub mod audit;
pub mod connection;
pub mod error;
pub mod id;
pub mod money;
pub mod page;
pub mod records;
pub mod royalties;
pub mod tenancy;

pub use error::{ErrorCode, ValidationError};
