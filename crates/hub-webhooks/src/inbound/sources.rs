//! Webhook sources: registering them (a URL token shown once, stored only as its hash; secrets
//! sealed by the vault), rotating their secrets with an overlap, and finding them again on every
//! delivery, through a short-lived cache of the opened secrets so the hot path costs no vault
//! work and no database read.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use hub_core::access::TenantScope;
use hub_core::id::{ConnectionId, FranchiseeId, LocationId, WebhookSourceId};
use hub_oauth::CredentialVault;
use hub_store::{ChangeContext, NewWebhookSource, SealedSecret, SecretPurpose, Store, WebhookSource};
use rand::RngCore;
use sha2::Digest;

use crate::WebhookSecret;
use crate::runtime_error::RuntimeError;

/// Every URL token starts with this.
pub const TOKEN_PREFIX: &str = "whk_";
/// Hex characters after the prefix (32 random bytes).
const TOKEN_HEX: usize = 64;
/// How long an opened source is trusted before it is read again (a rotation or deletion made on
/// another node shows within this).
const CACHE_TTL: Duration = Duration::from_secs(5);
/// The most sources kept opened in memory.
const CACHE_LIMIT: usize = 10_000;

/// A new URL token and the hash it is stored under.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    let hash = token_hash(&token);
    (token, hash)
}

/// The stored form of a token: SHA-256, hex. (The token carries 256 random bits, so a plain hash
/// cannot be reversed by guessing.)
pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Whether `text` can be a token at all (garbage costs no lookup).
pub fn is_token(text: &str) -> bool {
    text.len() == TOKEN_PREFIX.len() + TOKEN_HEX
        && text.starts_with(TOKEN_PREFIX)
        && text[TOKEN_PREFIX.len()..].bytes().all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

/// A source with its live secrets opened.
pub struct OpenedSource {
    pub source: WebhookSource,
    pub signing: Vec<WebhookSecret>,
    pub verify_tokens: Vec<WebhookSecret>,
}

/// What registering a source needs.
#[derive(Debug, Clone)]
pub struct SourceRegistration {
    pub provider: String,
    pub secret: WebhookSecret,
    /// Meta's subscription handshake token.
    pub verify_token: Option<WebhookSecret>,
    pub connection_id: Option<ConnectionId>,
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    pub notification_url: Option<String>,
}

/// Registers, rotates and finds sources.
pub struct SourceDirectory {
    store: Arc<dyn Store>,
    vault: Arc<CredentialVault>,
    cache: RwLock<HashMap<String, (Arc<OpenedSource>, Instant)>>,
}

impl SourceDirectory {
    pub fn new(store: Arc<dyn Store>, vault: Arc<CredentialVault>) -> Self {
        Self { store, vault, cache: RwLock::new(HashMap::new()) }
    }

    async fn seal(
        &self,
        scope: &TenantScope,
        owner: &WebhookSourceId,
        purpose: SecretPurpose,
        secret: &WebhookSecret,
    ) -> Result<SealedSecret, RuntimeError> {
        let sealed = self.vault.seal(&scope.network_id, owner.as_str(), secret.expose().as_bytes()).await?;
        Ok(SealedSecret { purpose, sealed, added_at: Utc::now(), expires_at: None })
    }

    /// Registers a source; returns it with its URL token (shown once).
    pub async fn register(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        registration: SourceRegistration,
    ) -> Result<(WebhookSource, String), RuntimeError> {
        let id = WebhookSourceId::new();
        let (token, token_hash) = new_token();
        let mut secrets = vec![self.seal(scope, &id, SecretPurpose::Signing, &registration.secret).await?];
        if let Some(verify_token) = &registration.verify_token {
            secrets.push(self.seal(scope, &id, SecretPurpose::VerifyToken, verify_token).await?);
        }
        let new = NewWebhookSource {
            id,
            provider: registration.provider,
            token_hash,
            connection_id: registration.connection_id,
            franchisee_id: registration.franchisee_id,
            location_id: registration.location_id,
            notification_url: registration.notification_url,
            secrets,
        };
        let source = self.store.create_webhook_source(scope, ctx, new).await?;
        Ok((source, token))
    }

    /// Adds `secret` as the source's current secret of `purpose`; the ones it replaces stay valid
    /// for `overlap` (so deliveries signed before the provider switched still verify).
    pub async fn rotate(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        id: &WebhookSourceId,
        purpose: SecretPurpose,
        secret: &WebhookSecret,
        overlap: Duration,
    ) -> Result<WebhookSource, RuntimeError> {
        let source = self.store.get_webhook_source(scope, id).await?;
        let now = Utc::now();
        let retire_at = now + chrono::Duration::from_std(overlap).unwrap_or(chrono::Duration::days(1));
        let mut secrets: Vec<SealedSecret> = source
            .secrets
            .into_iter()
            .filter(|sealed| sealed.is_live(now))
            .map(|mut sealed| {
                if sealed.purpose == purpose && sealed.expires_at.is_none() {
                    sealed.expires_at = Some(retire_at);
                }
                sealed
            })
            .collect();
        secrets.push(self.seal(scope, id, purpose, secret).await?);
        let updated = self.store.set_webhook_source_secrets(scope, ctx, id, secrets).await?;
        self.forget(id);
        Ok(updated)
    }

    /// Drops a source from the cache (after a change on this node).
    pub fn forget(&self, id: &WebhookSourceId) {
        let mut cache = self.cache.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.retain(|_, (opened, _)| &opened.source.id != id);
    }

    /// The source behind a URL token, its live secrets opened; `None` for an unknown token.
    pub async fn find(&self, token: &str) -> Result<Option<Arc<OpenedSource>>, RuntimeError> {
        if !is_token(token) {
            return Ok(None);
        }
        let hash = token_hash(token);
        {
            let cache = self.cache.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some((opened, at)) = cache.get(&hash)
                && at.elapsed() < CACHE_TTL
            {
                return Ok(Some(Arc::clone(opened)));
            }
        }
        let Some(source) = self.store.find_webhook_source_by_token(&hash).await? else {
            return Ok(None);
        };
        let now = Utc::now();
        let (mut signing, mut verify_tokens) = (Vec::new(), Vec::new());
        // Newest first: the current secret is tried before the ones being retired.
        for sealed in source.secrets.iter().rev().filter(|sealed| sealed.is_live(now)) {
            let opened = self.vault.open(&source.network_id, source.id.as_str(), &sealed.sealed).await?;
            let text = String::from_utf8(opened.to_vec())
                .map_err(|_| RuntimeError::Misconfigured("a sealed webhook secret is not text".into()))?;
            let secret = WebhookSecret::new(text).map_err(|error| RuntimeError::Misconfigured(error.to_string()))?;
            match sealed.purpose {
                SecretPurpose::Signing => signing.push(secret),
                SecretPurpose::VerifyToken => verify_tokens.push(secret),
            }
        }
        let opened = Arc::new(OpenedSource { source, signing, verify_tokens });
        let mut cache = self.cache.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if cache.len() >= CACHE_LIMIT {
            cache.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
        }
        cache.insert(hash, (Arc::clone(&opened), Instant::now()));
        Ok(Some(opened))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_recognised() {
        let (token, hash) = new_token();
        assert!(is_token(&token));
        assert_eq!(token_hash(&token), hash);
        assert_ne!(new_token().0, token);
        assert!(!is_token("whk_short"));
        assert!(!is_token(&token.to_uppercase()));
        assert!(!is_token(&token.replace("whk_", "key_")));
    }
}
