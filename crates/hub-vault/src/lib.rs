//! Secrets at rest: the master keyring that every other secret hangs from, envelope encryption
//! of credentials, and API-key hashing.
//!
//! API keys are random 200-bit strings shown once; the store keeps only an HMAC-SHA256 of each,
//! keyed by a key derived from the master key, so a stolen database alone cannot check guesses.
#![forbid(unsafe_code)]

mod api_keys;
mod envelope;
mod keyring;

pub use api_keys::{API_KEY_PREFIX, ApiKeyHasher, GeneratedApiKey};
pub use envelope::{DataKey, EnvelopeError, WrappedDataKey, sealed_key_id};
pub use keyring::{Keyring, MasterKey, VaultError};
