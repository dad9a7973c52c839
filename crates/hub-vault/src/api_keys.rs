//! API keys: generated once, shown once, stored only as a keyed hash.

use hmac::{Hmac, Mac};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::keyring::Keyring;

/// Every key starts with this, so secret scanners and people recognise it.
pub const API_KEY_PREFIX: &str = "hub_";
const SECRET_LEN: usize = 40;
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const PURPOSE: &str = "api-key-hash/v1";

/// A new key: the secret to show once, and what the store keeps.
pub struct GeneratedApiKey {
    /// The full key; shown to its owner once, never stored.
    pub secret: SecretString,
    /// The keyed hash the store looks the key up by.
    pub secret_hash: String,
    /// Which master key the hash was made with.
    pub hash_key_id: String,
    /// The first characters, enough to tell keys apart in a list.
    pub display_prefix: String,
}

/// Hashes API keys with subkeys of every master key in the ring (the active one for new keys).
#[derive(Clone)]
pub struct ApiKeyHasher {
    keys: Vec<(String, Zeroizing<[u8; 32]>)>,
}

impl std::fmt::Debug for ApiKeyHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyHasher")
            .field("key_ids", &self.keys.iter().map(|(id, _)| id).collect::<Vec<_>>())
            .finish()
    }
}

impl ApiKeyHasher {
    /// Derives the hashing subkeys from the keyring.
    pub fn new(keyring: &Keyring) -> Self {
        Self { keys: keyring.keys().iter().rev().map(|key| (key.id().to_owned(), key.derive(PURPOSE))).collect() }
    }

    /// Makes a new key: 40 random characters from a 36-letter alphabet (about 206 bits).
    pub fn generate(&self) -> GeneratedApiKey {
        let mut rng = rand::rng();
        let body: String = (0..SECRET_LEN).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
        let secret = format!("{API_KEY_PREFIX}{body}");
        let (hash_key_id, key) = &self.keys[0];
        GeneratedApiKey {
            secret_hash: hash_with(key, &secret),
            hash_key_id: hash_key_id.clone(),
            display_prefix: secret[..API_KEY_PREFIX.len() + 8].to_owned(),
            secret: SecretString::from(secret),
        }
    }

    /// The hashes a presented key may be stored under, active key first; empty when the text
    /// cannot be a key at all (so garbage costs no database lookup).
    pub fn candidate_hashes(&self, presented: &SecretString) -> Vec<String> {
        let text = presented.expose_secret();
        let well_formed = text.len() == API_KEY_PREFIX.len() + SECRET_LEN
            && text.starts_with(API_KEY_PREFIX)
            && text[API_KEY_PREFIX.len()..].bytes().all(|b| ALPHABET.contains(&b));
        if !well_formed {
            return Vec::new();
        }
        self.keys.iter().map(|(_, key)| hash_with(key, text)).collect()
    }
}

fn hash_with(key: &[u8; 32], secret: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(secret.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_hash_to_what_is_stored() {
        let hasher = ApiKeyHasher::new(&Keyring::generate());
        let key = hasher.generate();
        assert!(key.secret.expose_secret().starts_with(API_KEY_PREFIX));
        assert_eq!(hasher.candidate_hashes(&key.secret), vec![key.secret_hash.clone()]);
        assert!(key.secret.expose_secret().starts_with(&key.display_prefix));
        assert!(!key.secret_hash.contains(&key.secret.expose_secret()[4..]));
    }

    #[test]
    fn another_master_key_gives_another_hash() {
        let key = ApiKeyHasher::new(&Keyring::generate()).generate();
        let other = ApiKeyHasher::new(&Keyring::generate());
        assert_ne!(other.candidate_hashes(&key.secret), vec![key.secret_hash]);
    }

    #[test]
    fn malformed_keys_are_not_looked_up() {
        let hasher = ApiKeyHasher::new(&Keyring::generate());
        for bad in ["", "hub_", "hub_short", "Bearer x", &format!("hub_{}", "A".repeat(40))] {
            assert!(hasher.candidate_hashes(&SecretString::from(bad.to_owned())).is_empty(), "{bad}");
        }
    }
}
