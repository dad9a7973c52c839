//! Envelope encryption for credentials: each network has random data keys, each data key is
//! wrapped by a master key, and each secret is sealed with a data key and bound to its owner.
//!
//! Sealed text is `v1.<data key id>.<base64 nonce ‖ ciphertext>`. The associated data names the
//! owner (a connection id), so a ciphertext copied to another row or tenant fails to open.
//! XChaCha20-Poly1305's 192-bit random nonces are safe at any volume.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use zeroize::Zeroizing;

use crate::keyring::{Keyring, MasterKey};

const WRAP_PURPOSE: &str = "data-key-wrap/v1";
const NONCE_LEN: usize = 24;

/// Why sealing or opening failed. Never carries key material or plaintext.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("sealed value is malformed")]
    Malformed,
    #[error("data key {0} is not available")]
    UnknownDataKey(String),
    #[error("master key {0} is not in the keyring")]
    UnknownMasterKey(String),
    #[error("decryption failed: wrong key, wrong owner, or tampered ciphertext")]
    Decrypt,
}

/// A network's data key in the clear (in memory only).
#[derive(Clone)]
pub struct DataKey {
    id: String,
    bytes: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey").field("id", &self.id).finish_non_exhaustive()
    }
}

/// A data key as stored: wrapped by the master key named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedDataKey {
    pub id: String,
    pub master_key_id: String,
    /// base64 of nonce ‖ ciphertext.
    pub wrapped: String,
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

fn seal_raw(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> String {
    let cipher = XChaCha20Poly1305::new(key.into());
    let nonce: [u8; NONCE_LEN] = random();
    let ciphertext = cipher
        .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad })
        .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ciphertext);
    STANDARD_NO_PAD.encode(out)
}

fn open_raw(key: &[u8; 32], aad: &[u8], sealed: &str) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    let bytes = STANDARD_NO_PAD.decode(sealed).map_err(|_| EnvelopeError::Malformed)?;
    if bytes.len() < NONCE_LEN + 16 {
        return Err(EnvelopeError::Malformed);
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| EnvelopeError::Malformed)?;
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt(&XNonce::from(nonce), Payload { msg: ciphertext, aad })
        .map(Zeroizing::new)
        .map_err(|_| EnvelopeError::Decrypt)
}

fn wrap_aad(network_id: &str, key_id: &str) -> Vec<u8> {
    format!("hub/data-key/{network_id}/{key_id}").into_bytes()
}

impl DataKey {
    /// A fresh random data key.
    pub fn generate() -> Self {
        Self { id: format!("dk{}", hex::encode(random::<6>())), bytes: Zeroizing::new(random()) }
    }

    /// The id stored in every value it seals.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Wraps this key for storage with the keyring's active master key, bound to `network_id`.
    pub fn wrap(&self, keyring: &Keyring, network_id: &str) -> WrappedDataKey {
        self.wrap_with(keyring.active(), network_id)
    }

    fn wrap_with(&self, master: &MasterKey, network_id: &str) -> WrappedDataKey {
        let kek = master.derive(WRAP_PURPOSE);
        WrappedDataKey {
            id: self.id.clone(),
            master_key_id: master.id().to_owned(),
            wrapped: seal_raw(&kek, &wrap_aad(network_id, &self.id), self.bytes.as_ref()),
        }
    }

    /// Unwraps a stored key with whichever master key wrapped it.
    pub fn unwrap(keyring: &Keyring, network_id: &str, stored: &WrappedDataKey) -> Result<Self, EnvelopeError> {
        let master = keyring
            .keys()
            .iter()
            .find(|key| key.id() == stored.master_key_id)
            .ok_or_else(|| EnvelopeError::UnknownMasterKey(stored.master_key_id.clone()))?;
        let kek = master.derive(WRAP_PURPOSE);
        let bytes = open_raw(&kek, &wrap_aad(network_id, &stored.id), &stored.wrapped)?;
        let bytes: [u8; 32] = bytes.as_slice().try_into().map_err(|_| EnvelopeError::Malformed)?;
        Ok(Self { id: stored.id.clone(), bytes: Zeroizing::new(bytes) })
    }

    /// Re-wraps a stored key under the keyring's active master key (rotation without re-encryption).
    pub fn rewrap(
        keyring: &Keyring,
        network_id: &str,
        stored: &WrappedDataKey,
    ) -> Result<WrappedDataKey, EnvelopeError> {
        Ok(Self::unwrap(keyring, network_id, stored)?.wrap(keyring, network_id))
    }

    /// Seals `plaintext` for `owner` (e.g. a connection id).
    pub fn seal(&self, owner: &str, plaintext: &[u8]) -> String {
        format!("v1.{}.{}", self.id, seal_raw(&self.bytes, owner.as_bytes(), plaintext))
    }

    /// Opens a value this key sealed for `owner`.
    pub fn open(&self, owner: &str, sealed: &str) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
        let (key_id, body) = parse_sealed(sealed)?;
        if key_id != self.id {
            return Err(EnvelopeError::UnknownDataKey(key_id.to_owned()));
        }
        open_raw(&self.bytes, owner.as_bytes(), body)
    }
}

/// The data key id a sealed value needs, so the caller can fetch that key.
pub fn sealed_key_id(sealed: &str) -> Result<&str, EnvelopeError> {
    parse_sealed(sealed).map(|(key_id, _)| key_id)
}

fn parse_sealed(sealed: &str) -> Result<(&str, &str), EnvelopeError> {
    let rest = sealed.strip_prefix("v1.").ok_or(EnvelopeError::Malformed)?;
    rest.split_once('.').ok_or(EnvelopeError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_for_their_owner() {
        let key = DataKey::generate();
        let sealed = key.seal("conn_a", b"refresh-token-123");
        assert!(!sealed.contains("refresh-token-123"));
        assert_eq!(key.open("conn_a", &sealed).expect("open").as_slice(), b"refresh-token-123");
        assert_eq!(key.open("conn_b", &sealed).map(|_| ()), Err(EnvelopeError::Decrypt));
        assert_eq!(sealed_key_id(&sealed), Ok(key.id()));
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(key.open("conn_a", &tampered).is_err());
        assert_eq!(
            DataKey::generate().open("conn_a", &sealed).map(|_| ()),
            Err(EnvelopeError::UnknownDataKey(key.id().to_owned()))
        );
    }

    #[test]
    fn data_keys_survive_master_key_rotation_and_stay_bound_to_their_network() {
        let mut keyring = Keyring::generate();
        let key = DataKey::generate();
        let stored = key.wrap(&keyring, "net_1");
        assert!(DataKey::unwrap(&keyring, "net_2", &stored).is_err(), "bound to its network");

        keyring.add(crate::MasterKey::generate());
        let rewrapped = DataKey::rewrap(&keyring, "net_1", &stored).expect("rewrap");
        assert_eq!(rewrapped.master_key_id, keyring.active().id());
        assert_ne!(rewrapped.master_key_id, stored.master_key_id);
        let sealed = key.seal("conn", b"secret");
        let reopened = DataKey::unwrap(&keyring, "net_1", &rewrapped).expect("unwrap");
        assert_eq!(reopened.open("conn", &sealed).expect("open").as_slice(), b"secret");
        // The old wrapping still opens while the old master key is in the ring.
        assert!(DataKey::unwrap(&keyring, "net_1", &stored).is_ok());
    }
}
