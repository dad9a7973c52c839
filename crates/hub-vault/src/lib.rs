//! Secrets at rest: the master keyring that every other secret hangs from, and API-key hashing.
//!
//! API keys are random 200-bit strings shown once; the store keeps only an HMAC-SHA256 of each,
//! keyed by a key derived from the master key, so a stolen database alone cannot check guesses.
#![forbid(unsafe_code)]

mod api_keys;
mod keyring;

pub use api_keys::{API_KEY_PREFIX, ApiKeyHasher, GeneratedApiKey};
pub use keyring::{Keyring, MasterKey, VaultError};
