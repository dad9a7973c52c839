//! The master keyring: 256-bit keys with ids, loaded from the environment or a 0600 file.
//!
//! File and variable format: one key per line, `<key id>:<base64 of 32 bytes>`; the last line is
//! the active key, earlier lines stay readable so data protected by them can still be opened.

use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

/// Why the keyring could not be loaded or saved. Never carries key material.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("master key line {line}: {reason}")]
    Malformed { line: usize, reason: &'static str },
    #[error("the master keyring is empty")]
    Empty,
    #[error("cannot read or write the keyring at {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// One 256-bit master key and its id.
#[derive(Clone)]
pub struct MasterKey {
    id: String,
    bytes: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey").field("id", &self.id).field("bytes", &"[redacted]").finish()
    }
}

impl MasterKey {
    /// A fresh random key with a random id.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(bytes.as_mut());
        let mut id = [0u8; 4];
        rand::rng().fill_bytes(&mut id);
        Self { id: format!("mk{}", hex::encode(id)), bytes }
    }

    /// The key's id, stored beside whatever it protects.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Derives a 256-bit subkey for one purpose, so no two uses ever share key material.
    pub fn derive(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(self.bytes.as_ref()).expect("HMAC takes keys of any length");
        mac.update(b"franchise-hub/");
        mac.update(purpose.as_bytes());
        Zeroizing::new(mac.finalize().into_bytes().into())
    }

    fn to_line(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("{}:{}", self.id, STANDARD.encode(self.bytes.as_ref())))
    }
}

/// The master keys, oldest first; the last one is active.
#[derive(Clone, Debug)]
pub struct Keyring {
    keys: Vec<MasterKey>,
}

impl Keyring {
    /// A keyring with one new random key.
    pub fn generate() -> Self {
        Self { keys: vec![MasterKey::generate()] }
    }

    /// Parses the text format (see the module docs).
    pub fn parse(text: &str) -> Result<Self, VaultError> {
        let mut keys = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let malformed = |reason| VaultError::Malformed { line: index + 1, reason };
            let (id, encoded) = line.split_once(':').ok_or(malformed("expected `<id>:<base64 key>`"))?;
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(malformed("the key id must be letters, digits, - or _"));
            }
            let decoded = Zeroizing::new(STANDARD.decode(encoded).map_err(|_| malformed("the key is not base64"))?);
            let bytes: [u8; 32] = decoded.as_slice().try_into().map_err(|_| malformed("the key must be 32 bytes"))?;
            keys.push(MasterKey { id: id.to_owned(), bytes: Zeroizing::new(bytes) });
        }
        if keys.is_empty() {
            return Err(VaultError::Empty);
        }
        Ok(Self { keys })
    }

    /// Reads a keyring file.
    pub fn load(path: &Path) -> Result<Self, VaultError> {
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|source| VaultError::Io { path: path.display().to_string(), source })?,
        );
        Self::parse(&text)
    }

    /// Writes the keyring to `path`, readable by the owner only, replacing it atomically.
    pub fn save(&self, path: &Path) -> Result<(), VaultError> {
        let io = |source| VaultError::Io { path: path.display().to_string(), source };
        let temporary = path.with_extension("tmp");
        {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&temporary).map_err(io)?;
            let mut text = Zeroizing::new(String::from("# Franchise Hub master keys: keep secret, keep backed up.\n"));
            for key in &self.keys {
                text.push_str(&key.to_line());
                text.push('\n');
            }
            file.write_all(text.as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        std::fs::rename(&temporary, path).map_err(io)
    }

    /// Adds a key, which becomes the active one (rotation). Older keys stay for reading.
    pub fn add(&mut self, key: MasterKey) {
        self.keys.push(key);
    }

    /// The key new secrets are protected with.
    pub fn active(&self) -> &MasterKey {
        self.keys.last().expect("a keyring is never empty")
    }

    /// Every key, oldest first.
    pub fn keys(&self) -> &[MasterKey] {
        &self.keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyring_round_trips_through_a_private_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("master.key");
        let ring = Keyring::generate();
        ring.save(&path).expect("save");
        let loaded = Keyring::load(&path).expect("load");
        assert_eq!(loaded.active().id(), ring.active().id());
        assert_eq!(*loaded.active().derive("x"), *ring.active().derive("x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn malformed_keyrings_say_which_line_and_never_echo_the_key() {
        let secretish = "mk1:c2VjcmV0";
        let error = Keyring::parse(&format!("# comment\n{secretish}")).expect_err("short key");
        let message = error.to_string();
        assert!(message.contains("line 2") && message.contains("32 bytes"), "{message}");
        assert!(!message.contains("c2VjcmV0"));
        assert!(matches!(Keyring::parse("\n# nothing\n"), Err(VaultError::Empty)));
        assert!(Keyring::parse("no-colon").is_err());
    }

    #[test]
    fn debug_output_is_redacted() {
        let ring = Keyring::generate();
        let line = ring.active().to_line();
        let encoded = line.split_once(':').map(|(_, key)| key.to_owned()).expect("line");
        assert!(!format!("{ring:?}").contains(&encoded));
    }

    #[test]
    fn purposes_get_different_subkeys() {
        let key = MasterKey::generate();
        assert_ne!(*key.derive("a"), *key.derive("b"));
    }
}
