//! The emulator's shared state and its control surface as Rust methods: clients, consent,
//! revocation, token lifetimes, token-endpoint faults, counters and injected HTTP faults.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::EmulatorError;
use crate::faults::{ArmedRule, FaultRule, HttpFault};
use crate::oauth::grants::{ClientIdentity, Issuance, OAuthServer};
use crate::providers::quickbooks_online::QuickBooks;
use crate::providers::square::{SquareHandle, SquareStore};
use crate::providers::{EmulatedProvider, profile};

/// The client id every emulated provider knows from the start.
pub const DEFAULT_CLIENT_ID: &str = "emulator-client";
/// The secret of [`DEFAULT_CLIENT_ID`].
pub const DEFAULT_CLIENT_SECRET: &str = "emulator-secret";

/// An OAuth client registered with an emulated provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRegistration {
    pub client_id: String,
    pub client_secret: String,
    /// Redirect URIs the client may use; empty accepts any absolute `http(s)` URI.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
}

impl ClientRegistration {
    /// A client that may redirect anywhere.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self { client_id: client_id.into(), client_secret: client_secret.into(), redirect_uris: Vec::new() }
    }

    /// The emulator's default client (`emulator-client` / `emulator-secret`).
    pub fn default_client() -> Self {
        Self::new(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
    }
}

/// Token lifetimes a test imposes on one provider; `None` keeps the provider's real default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenLifetimes {
    pub access: Option<Duration>,
    pub refresh: Option<Duration>,
}

/// A fault the token endpoint answers with instead of (or before) doing its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status in the provider's error format (`Status(503)`); anything but a 4xx or
    /// 5xx counts as 503.
    Status(u16),
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Answer `invalid_grant` in the provider's format, whatever was sent.
    InvalidGrant,
}

/// Token requests a provider has received, by grant type (counted before any fault applies).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TokenRequestCounts {
    pub authorization_code: u64,
    pub refresh_token: u64,
    pub client_credentials: u64,
    /// Missing or unsupported `grant_type`.
    pub other: u64,
}

impl TokenRequestCounts {
    /// Every token request.
    pub fn total(&self) -> u64 {
        self.authorization_code + self.refresh_token + self.client_credentials + self.other
    }

    pub(crate) fn count(&mut self, grant_type: &str) {
        match grant_type {
            "authorization_code" => self.authorization_code += 1,
            "refresh_token" => self.refresh_token += 1,
            "client_credentials" => self.client_credentials += 1,
            _ => self.other += 1,
        }
    }
}

/// What the emulator knows about a live access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub client_id: String,
    /// The merchant, realm, org or account the token acts for.
    pub account: String,
    pub scopes: Vec<String>,
    pub expires_at: DateTime<Utc>,
}

/// A token-endpoint fault and how many more requests it applies to (`None`: until cleared).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ArmedFault {
    pub fault: Fault,
    pub remaining: Option<u32>,
}

/// Everything one emulated provider holds.
pub(crate) struct ProviderState {
    pub oauth: OAuthServer,
    pub deny_next: bool,
    pub token_fault: Option<ArmedFault>,
    pub lifetimes: TokenLifetimes,
    pub counts: TokenRequestCounts,
}

impl ProviderState {
    fn new() -> Self {
        Self {
            oauth: OAuthServer::with_clients([ClientRegistration::default_client()]),
            deny_next: false,
            token_fault: None,
            lifetimes: TokenLifetimes::default(),
            counts: TokenRequestCounts::default(),
        }
    }

    /// The next token-endpoint fault, counting it down.
    pub fn take_token_fault(&mut self) -> Option<Fault> {
        let armed = self.token_fault.as_mut()?;
        let fault = armed.fault;
        if let Some(remaining) = armed.remaining.as_mut() {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                self.token_fault = None;
            }
        }
        Some(fault)
    }
}

struct Inner {
    /// Indexed by [`EmulatedProvider::index`].
    providers: [Mutex<ProviderState>; EmulatedProvider::ALL.len()],
    faults: Mutex<Vec<ArmedRule>>,
    quickbooks: QuickBooks,
    square: SquareStore,
}

/// Shared state of every emulated provider. Cheap to clone; tests keep a clone to steer the
/// emulator while it serves.
#[derive(Clone)]
pub struct EmulatorState {
    inner: Arc<Inner>,
}

impl Default for EmulatorState {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for EmulatorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorState").finish_non_exhaustive()
    }
}

impl EmulatorState {
    /// Every provider at its real defaults, each knowing the default client.
    pub fn new() -> Self {
        let providers = std::array::from_fn(|_| Mutex::new(ProviderState::new()));
        Self {
            inner: Arc::new(Inner {
                providers,
                faults: Mutex::new(Vec::new()),
                quickbooks: QuickBooks::default(),
                square: SquareStore::default(),
            }),
        }
    }

    /// Registers (or replaces) a client with one provider.
    pub fn register_client(&self, provider: EmulatedProvider, client: ClientRegistration) {
        self.with_provider(provider, |state| state.oauth.clients.insert(client.client_id.clone(), client));
    }

    /// Makes the provider's next authorization answer `error=access_denied`, as if the person
    /// clicked "deny".
    pub fn deny_next_authorization(&self, provider: EmulatedProvider) {
        self.with_provider(provider, |state| state.deny_next = true);
    }

    /// Revokes every grant: access tokens answer 401, refresh tokens and codes `invalid_grant`.
    pub fn revoke_all_tokens(&self, provider: EmulatedProvider) {
        self.with_provider(provider, |state| state.oauth.revoke_all());
    }

    /// Refuses every existing refresh token and pending code with `invalid_grant` (as when the
    /// provider drops a grant on its side); access tokens keep working until they expire.
    pub fn force_invalid_grant(&self, provider: EmulatedProvider) {
        self.with_provider(provider, |state| state.oauth.force_invalid_grant());
    }

    /// Makes the token endpoint(s) answer with `fault` until [`Self::clear_token_endpoint_fault`].
    pub fn token_endpoint_fault(&self, provider: EmulatedProvider, fault: Fault) {
        self.with_provider(provider, |state| state.token_fault = Some(ArmedFault { fault, remaining: None }));
    }

    /// Makes the next `times` token requests answer with `fault`.
    pub fn token_endpoint_fault_times(&self, provider: EmulatedProvider, fault: Fault, times: u32) {
        let armed = (times > 0).then_some(ArmedFault { fault, remaining: Some(times) });
        self.with_provider(provider, |state| state.token_fault = armed);
    }

    /// Lets the token endpoint(s) answer normally again.
    pub fn clear_token_endpoint_fault(&self, provider: EmulatedProvider) {
        self.with_provider(provider, |state| state.token_fault = None);
    }

    /// Overrides token lifetimes for tokens issued from now on (zero makes them expire at once).
    pub fn set_token_lifetimes(&self, provider: EmulatedProvider, lifetimes: TokenLifetimes) {
        self.with_provider(provider, |state| state.lifetimes = lifetimes);
    }

    /// Token requests received so far, by grant type.
    pub fn token_requests(&self, provider: EmulatedProvider) -> TokenRequestCounts {
        self.with_provider(provider, |state| state.counts)
    }

    /// Whether `access_token` would be accepted by the provider's protected endpoints now.
    pub fn access_token_valid(&self, provider: EmulatedProvider, access_token: &str) -> bool {
        self.token_info(provider, access_token).is_some()
    }

    /// Who a live access token belongs to; `None` when it is unknown, expired or revoked.
    pub fn token_info(&self, provider: EmulatedProvider, access_token: &str) -> Option<TokenInfo> {
        let info = self.with_provider(provider, |state| state.oauth.bearer(Utc::now(), access_token)).ok()?;
        Some(TokenInfo {
            client_id: info.client_id,
            account: info.account,
            scopes: info.scopes,
            expires_at: info.expires_at,
        })
    }

    /// Mints an access token for a registered client without the OAuth dance, for tests and
    /// benchmarks of the APIs behind it.
    pub fn issue_access_token(&self, provider: EmulatedProvider, client_id: &str) -> Result<String, EmulatorError> {
        self.with_provider(provider, |state| {
            if !state.oauth.clients.contains_key(client_id) {
                return Err(EmulatorError::UnknownClient(client_id.to_owned()));
            }
            let issuance = Issuance { profile: profile(provider), lifetimes: state.lifetimes, now: Utc::now() };
            let client = ClientIdentity { client_id: client_id.to_owned(), authenticated: true };
            state
                .oauth
                .client_credentials(issuance, &client, Vec::new())
                .map(|issued| issued.access_token)
                .map_err(|error| EmulatorError::Refused(error.description()))
        })
    }

    /// Adds an HTTP fault for requests under `/{provider}{path_prefix}`.
    pub fn inject_fault(&self, rule: FaultRule) -> Result<(), EmulatorError> {
        let armed = ArmedRule::new(rule)?;
        lock(&self.inner.faults).push(armed);
        Ok(())
    }

    /// The HTTP faults still armed.
    pub fn active_faults(&self) -> Vec<FaultRule> {
        lock(&self.inner.faults).iter().map(ArmedRule::rule).collect()
    }

    /// Recover now: drops every injected HTTP fault and every token-endpoint fault.
    pub fn clear_faults(&self) {
        lock(&self.inner.faults).clear();
        for provider in EmulatedProvider::ALL {
            self.clear_token_endpoint_fault(provider);
        }
    }

    /// QuickBooks Online's emulated companies (Accounting API data, throttling, webhooks).
    pub fn quickbooks(&self) -> QuickBooks {
        self.inner.quickbooks.clone()
    }

    /// The Square emulator's data: configure merchants, make changes, read counts and totals.
    pub fn square(&self) -> SquareHandle {
        SquareHandle::new(self.clone())
    }

    pub(crate) fn square_store(&self) -> &SquareStore {
        &self.inner.square
    }

    /// Forgets everything: clients, tokens, counters, overrides, faults and API data.
    pub fn reset(&self) {
        lock(&self.inner.faults).clear();
        self.inner.quickbooks.reset();
        self.inner.square.clear();
        for provider in EmulatedProvider::ALL {
            self.with_provider(provider, |state| *state = ProviderState::new());
        }
    }

    /// The HTTP fault for a request to `path`, if one applies, counting it down.
    pub(crate) fn take_http_fault(&self, path: &str) -> Option<HttpFault> {
        let mut faults = lock(&self.inner.faults);
        let index = faults.iter().position(|armed| armed.matches(path))?;
        let (fault, exhausted) = faults[index].take();
        if exhausted {
            faults.remove(index);
        }
        Some(fault)
    }

    /// Runs `f` on one provider's state under its lock (never held across an `.await`).
    pub(crate) fn with_provider<R>(&self, provider: EmulatedProvider, f: impl FnOnce(&mut ProviderState) -> R) -> R {
        f(&mut lock(&self.inner.providers[provider.index()]))
    }
}

/// Locks, carrying on after a panic elsewhere: the emulator's state stays usable in tests.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
