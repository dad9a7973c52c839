//! The credential vault: seals and opens secrets for one owner with the network's data keys,
//! which it keeps wrapped in the store and unwrapped only in memory. Also master-key rotation.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use hub_core::id::NetworkId;
use hub_store::{Store, StoreError, StoredDataKey};
use hub_vault::{DataKey, EnvelopeError, Keyring, MasterKey, WrappedDataKey, sealed_key_id};
use zeroize::Zeroizing;

/// Why the vault could not seal or open.
#[derive(Debug, thiserror::Error)]
pub enum VaultFailure {
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the keyring could not be reloaded: {0}")]
    Keyring(String),
}

/// Seals and opens credentials; one per process, shared.
pub struct CredentialVault {
    store: Arc<dyn Store>,
    keyring: RwLock<Keyring>,
    /// Where to re-read the keyring when a data key names a master key we do not know yet
    /// (another node or `hub keys rotate` added it).
    keyring_path: Option<PathBuf>,
    data_keys: Mutex<HashMap<(NetworkId, String), DataKey>>,
}

fn to_wrapped(stored: StoredDataKey) -> WrappedDataKey {
    WrappedDataKey { id: stored.id, master_key_id: stored.master_key_id, wrapped: stored.wrapped }
}

fn to_stored(wrapped: WrappedDataKey) -> StoredDataKey {
    StoredDataKey { id: wrapped.id, master_key_id: wrapped.master_key_id, wrapped: wrapped.wrapped }
}

impl CredentialVault {
    /// A vault over `store` with `keyring` (re-read from `keyring_path` when it meets a new key id).
    pub fn new(store: Arc<dyn Store>, keyring: Keyring, keyring_path: Option<PathBuf>) -> Self {
        Self { store, keyring: RwLock::new(keyring), keyring_path, data_keys: Mutex::new(HashMap::new()) }
    }

    fn keyring(&self) -> Keyring {
        self.keyring.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    fn cached(&self, network_id: &NetworkId, key_id: &str) -> Option<DataKey> {
        let cache = self.data_keys.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.get(&(network_id.clone(), key_id.to_owned())).cloned()
    }

    fn remember(&self, network_id: &NetworkId, key: &DataKey) {
        let mut cache = self.data_keys.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.insert((network_id.clone(), key.id().to_owned()), key.clone());
    }

    fn unwrap_key(&self, network_id: &NetworkId, stored: &WrappedDataKey) -> Result<DataKey, VaultFailure> {
        match DataKey::unwrap(&self.keyring(), network_id.as_str(), stored) {
            Err(EnvelopeError::UnknownMasterKey(id)) => {
                let Some(path) = &self.keyring_path else { return Err(EnvelopeError::UnknownMasterKey(id).into()) };
                let reloaded = Keyring::load(path).map_err(|error| VaultFailure::Keyring(error.to_string()))?;
                *self.keyring.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = reloaded;
                Ok(DataKey::unwrap(&self.keyring(), network_id.as_str(), stored)?)
            }
            other => Ok(other?),
        }
    }

    /// The data key new secrets of this network are sealed with, creating the first one.
    async fn current_key(&self, network_id: &NetworkId) -> Result<DataKey, VaultFailure> {
        if let Some(stored) = self.store.newest_data_key(network_id).await? {
            if let Some(key) = self.cached(network_id, &stored.id) {
                return Ok(key);
            }
            let key = self.unwrap_key(network_id, &to_wrapped(stored))?;
            self.remember(network_id, &key);
            return Ok(key);
        }
        self.new_data_key(network_id).await
    }

    async fn new_data_key(&self, network_id: &NetworkId) -> Result<DataKey, VaultFailure> {
        let key = DataKey::generate();
        let wrapped = key.wrap(&self.keyring(), network_id.as_str());
        self.store.insert_data_key(network_id, &to_stored(wrapped)).await?;
        self.remember(network_id, &key);
        Ok(key)
    }

    /// Seals `plaintext` so that only `owner` (a connection id) in this network can open it.
    pub async fn seal(&self, network_id: &NetworkId, owner: &str, plaintext: &[u8]) -> Result<String, VaultFailure> {
        Ok(self.current_key(network_id).await?.seal(owner, plaintext))
    }

    /// Opens a value sealed for `owner`.
    pub async fn open(
        &self,
        network_id: &NetworkId,
        owner: &str,
        sealed: &str,
    ) -> Result<Zeroizing<Vec<u8>>, VaultFailure> {
        let key_id = sealed_key_id(sealed)?;
        let key = match self.cached(network_id, key_id) {
            Some(key) => key,
            None => {
                let stored = self
                    .store
                    .data_key(network_id, key_id)
                    .await?
                    .ok_or_else(|| EnvelopeError::UnknownDataKey(key_id.to_owned()))?;
                let key = self.unwrap_key(network_id, &to_wrapped(stored))?;
                self.remember(network_id, &key);
                key
            }
        };
        Ok(key.open(owner, sealed)?)
    }

    /// Makes `master` the active master key and re-wraps every data key with it. Secrets stay
    /// sealed as they were; nodes that have not seen `master` yet re-read the keyring on demand.
    pub async fn rotate_master_key(&self, master: MasterKey) -> Result<usize, VaultFailure> {
        let mut keyring = self.keyring();
        keyring.add(master);
        if let Some(path) = &self.keyring_path {
            keyring.save(path).map_err(|error| VaultFailure::Keyring(error.to_string()))?;
        }
        *self.keyring.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = keyring.clone();
        let mut rewrapped = 0;
        for (network_id, stored) in self.store.all_data_keys().await? {
            let wrapped = DataKey::rewrap(&keyring, network_id.as_str(), &to_wrapped(stored))?;
            self.store.rewrap_data_key(&network_id, &to_stored(wrapped)).await?;
            rewrapped += 1;
        }
        Ok(rewrapped)
    }

    /// Starts a new data key for a network; secrets sealed from now on use it.
    pub async fn start_new_data_key(&self, network_id: &NetworkId) -> Result<String, VaultFailure> {
        Ok(self.new_data_key(network_id).await?.id().to_owned())
    }
}
