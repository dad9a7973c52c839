//! The memory of one emulated OAuth server: clients, codes, grants and tokens, and the rules that
//! move between them (code redemption, PKCE, refresh rotation, revocation). No HTTP here.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::errors::{BearerFailure, GrantFailure, OAuthError};
use super::profile::{BearerInfo, Issued, Profile, RefreshRule};
use crate::state::{ClientRegistration, TokenLifetimes};

/// Above this many entries, expired codes and tokens are dropped on the next insert.
const PRUNE_ABOVE: usize = 10_000;

/// What every issuing call needs: the provider's rules, the lifetimes in force, and the time.
#[derive(Clone, Copy)]
pub(crate) struct Issuance<'a> {
    pub profile: &'a Profile,
    pub lifetimes: TokenLifetimes,
    pub now: DateTime<Utc>,
}

/// The parameters of an `authorization_code` token request.
pub(crate) struct Redemption<'a> {
    pub code: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
}

/// A client after authentication: `authenticated` is false when no secret was presented (a
/// public PKCE client may still redeem its own codes).
#[derive(Debug, Clone)]
pub(crate) struct ClientIdentity {
    pub client_id: String,
    pub authenticated: bool,
}

/// An approved authorization request, waiting to become a code.
#[derive(Debug, Clone)]
pub(crate) struct Approval {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub code_challenge: Option<String>,
    pub account: String,
    pub offline: bool,
}

#[derive(Debug)]
struct CodeRecord {
    approval: Approval,
    expires_at: DateTime<Utc>,
    used: bool,
}

/// Who a grant belongs to and what it allows.
#[derive(Debug, Clone)]
struct GrantSummary {
    client_id: String,
    account: String,
    scopes: Vec<String>,
    pkce_flow: bool,
}

#[derive(Debug)]
struct GrantRecord {
    summary: GrantSummary,
    revoked: bool,
    /// Refresh tokens refused (superseded or forced); access tokens live on until they expire.
    refresh_refusal: Option<GrantFailure>,
}

#[derive(Debug)]
struct AccessRecord {
    grant: u64,
    expires_at: DateTime<Utc>,
}

#[derive(Debug)]
struct RefreshRecord {
    grant: u64,
    expires_at: Option<DateTime<Utc>>,
    spent: bool,
}

/// Everything one emulated OAuth server remembers.
#[derive(Debug, Default)]
pub(crate) struct OAuthServer {
    pub clients: HashMap<String, ClientRegistration>,
    codes: HashMap<String, CodeRecord>,
    grants: HashMap<u64, GrantRecord>,
    next_grant: u64,
    access: HashMap<String, AccessRecord>,
    refresh: HashMap<String, RefreshRecord>,
}

impl OAuthServer {
    /// A server that knows only `clients`.
    pub fn with_clients(clients: impl IntoIterator<Item = ClientRegistration>) -> Self {
        Self {
            clients: clients.into_iter().map(|client| (client.client_id.clone(), client)).collect(),
            ..Self::default()
        }
    }

    /// Stores an approval and returns the code that redeems it.
    pub fn issue_code(&mut self, profile: &Profile, now: DateTime<Utc>, approval: Approval) -> String {
        if self.codes.len() > PRUNE_ABOVE {
            self.codes.retain(|_, code| !code.used && code.expires_at > now);
        }
        let code = random_token(profile, "code");
        self.codes.insert(code.clone(), CodeRecord { approval, expires_at: now + profile.lifetimes.code, used: false });
        code
    }

    /// Redeems a code: single use, same client, same redirect URI, PKCE verifier matching.
    pub fn redeem_code(
        &mut self,
        issuance: Issuance<'_>,
        client: &ClientIdentity,
        redemption: Redemption<'_>,
    ) -> Result<Issued, OAuthError> {
        let profile = issuance.profile;
        let record = self.codes.get_mut(redemption.code).ok_or(OAuthError::InvalidGrant(GrantFailure::UnknownCode))?;
        let approval = &record.approval;
        if approval.client_id != client.client_id {
            return Err(OAuthError::InvalidGrant(GrantFailure::ClientMismatch));
        }
        let pkce_flow = approval.code_challenge.is_some();
        require_secret_unless_public(profile, client, pkce_flow)?;
        if record.used {
            return Err(OAuthError::InvalidGrant(GrantFailure::CodeReused));
        }
        if record.expires_at <= issuance.now {
            return Err(OAuthError::InvalidGrant(GrantFailure::CodeExpired));
        }
        if redemption.redirect_uri.is_some_and(|uri| uri != approval.redirect_uri) {
            return Err(OAuthError::InvalidGrant(GrantFailure::RedirectMismatch));
        }
        if let Some(challenge) = &approval.code_challenge {
            let verifier = redemption.code_verifier.ok_or(OAuthError::InvalidGrant(GrantFailure::MissingVerifier))?;
            if !s256_matches(verifier, challenge) {
                return Err(OAuthError::InvalidGrant(GrantFailure::VerifierMismatch));
            }
        }
        record.used = true;
        let approval = record.approval.clone();
        if profile.new_grant_supersedes_previous {
            for grant in self.grants.values_mut() {
                if grant.summary.client_id == approval.client_id && grant.summary.account == approval.account {
                    grant.refresh_refusal = Some(GrantFailure::Superseded);
                }
            }
        }
        let summary = GrantSummary {
            client_id: approval.client_id,
            account: approval.account,
            scopes: approval.scopes,
            pkce_flow,
        };
        let grant_id = self.new_grant(summary.clone());
        let with_refresh = approval.offline && refresh_rule(profile, pkce_flow) != RefreshRule::None;
        Ok(self.issue_tokens(issuance, grant_id, &summary, with_refresh))
    }

    /// Exchanges a refresh token according to the provider's rotation rule.
    pub fn refresh(
        &mut self,
        issuance: Issuance<'_>,
        client: &ClientIdentity,
        refresh_token: &str,
    ) -> Result<Issued, OAuthError> {
        let profile = issuance.profile;
        let unknown = OAuthError::InvalidGrant(GrantFailure::UnknownRefreshToken);
        let record = self.refresh.get(refresh_token).ok_or_else(|| unknown.clone())?;
        let (grant_id, spent, refresh_expires_at) = (record.grant, record.spent, record.expires_at);
        let grant = self.grants.get(&grant_id).ok_or(unknown)?;
        if grant.summary.client_id != client.client_id {
            return Err(OAuthError::InvalidGrant(GrantFailure::ClientMismatch));
        }
        require_secret_unless_public(profile, client, grant.summary.pkce_flow)?;
        if grant.revoked {
            return Err(OAuthError::InvalidGrant(GrantFailure::Revoked));
        }
        if let Some(failure) = grant.refresh_refusal {
            return Err(OAuthError::InvalidGrant(failure));
        }
        if spent {
            return Err(OAuthError::InvalidGrant(GrantFailure::RefreshTokenUsed));
        }
        if refresh_expires_at.is_some_and(|expires_at| expires_at <= issuance.now) {
            return Err(OAuthError::InvalidGrant(GrantFailure::RefreshTokenExpired));
        }
        let summary = grant.summary.clone();
        match refresh_rule(profile, summary.pkce_flow) {
            RefreshRule::Reusable { echo } => {
                let mut issued = self.issue_tokens(issuance, grant_id, &summary, false);
                if echo {
                    issued.refresh_token = Some(refresh_token.to_owned());
                    issued.refresh_expires_at = refresh_expires_at;
                }
                Ok(issued)
            }
            RefreshRule::Rotating | RefreshRule::None => {
                if let Some(record) = self.refresh.get_mut(refresh_token) {
                    record.spent = true;
                }
                Ok(self.issue_tokens(issuance, grant_id, &summary, true))
            }
        }
    }

    /// Issues an app token for an authenticated client (no person, no refresh token).
    pub fn client_credentials(
        &mut self,
        issuance: Issuance<'_>,
        client: &ClientIdentity,
        scopes: Vec<String>,
    ) -> Result<Issued, OAuthError> {
        if !client.authenticated {
            return Err(OAuthError::InvalidClient("client_secret is required".to_owned()));
        }
        let summary = GrantSummary {
            client_id: client.client_id.clone(),
            account: issuance.profile.default_account.to_owned(),
            scopes,
            pkce_flow: false,
        };
        let grant_id = self.new_grant(summary.clone());
        Ok(self.issue_tokens(issuance, grant_id, &summary, false))
    }

    /// Whether `token` is a live access token, and whose.
    pub fn bearer(&self, now: DateTime<Utc>, token: &str) -> Result<BearerInfo, BearerFailure> {
        let record = self.access.get(token).ok_or(BearerFailure::Unknown)?;
        let grant = self.grants.get(&record.grant).ok_or(BearerFailure::Unknown)?;
        if grant.revoked {
            return Err(BearerFailure::Revoked);
        }
        if record.expires_at <= now {
            return Err(BearerFailure::Expired);
        }
        Ok(BearerInfo {
            client_id: grant.summary.client_id.clone(),
            account: grant.summary.account.clone(),
            scopes: grant.summary.scopes.clone(),
            expires_at: record.expires_at,
        })
    }

    /// The account behind an access token, live or not.
    pub fn bearer_account(&self, token: &str) -> Option<String> {
        let record = self.access.get(token)?;
        self.grants.get(&record.grant).map(|grant| grant.summary.account.clone())
    }

    /// Revokes the whole grant behind an access or refresh token of `client_id`; unknown tokens
    /// are ignored (RFC 7009). Returns whether something was revoked.
    pub fn revoke_token(&mut self, client_id: &str, token: &str) -> bool {
        let grant_id = self
            .access
            .get(token)
            .map(|record| record.grant)
            .or_else(|| self.refresh.get(token).map(|record| record.grant));
        match grant_id.and_then(|id| self.grants.get_mut(&id)) {
            Some(grant) if grant.summary.client_id == client_id => {
                grant.revoked = true;
                true
            }
            _ => false,
        }
    }

    /// Revokes every grant of `client_id` on `account` (Square's revoke by merchant).
    pub fn revoke_account(&mut self, client_id: &str, account: &str) -> bool {
        let mut revoked = false;
        let owned_by =
            |grant: &&mut GrantRecord| grant.summary.client_id == client_id && grant.summary.account == account;
        for grant in self.grants.values_mut().filter(owned_by) {
            grant.revoked = true;
            revoked = true;
        }
        revoked
    }

    /// Revokes every grant and pending code: access tokens answer 401, refresh tokens and codes
    /// `invalid_grant`.
    pub fn revoke_all(&mut self) {
        self.codes.clear();
        for grant in self.grants.values_mut() {
            grant.revoked = true;
        }
    }

    /// Refuses every existing refresh token and pending code with `invalid_grant`, leaving access
    /// tokens working until they expire.
    pub fn force_invalid_grant(&mut self) {
        self.codes.clear();
        for grant in self.grants.values_mut() {
            grant.refresh_refusal = Some(GrantFailure::Forced);
        }
    }

    fn new_grant(&mut self, summary: GrantSummary) -> u64 {
        self.next_grant += 1;
        self.grants.insert(self.next_grant, GrantRecord { summary, revoked: false, refresh_refusal: None });
        self.next_grant
    }

    fn issue_tokens(
        &mut self,
        issuance: Issuance<'_>,
        grant_id: u64,
        grant: &GrantSummary,
        with_refresh: bool,
    ) -> Issued {
        let Issuance { profile, lifetimes, now } = issuance;
        if self.access.len() > PRUNE_ABOVE {
            self.access.retain(|_, record| record.expires_at > now);
        }
        let expires_at = now + chrono_duration(lifetimes.access.unwrap_or(profile.lifetimes.access));
        let access_token = random_token(profile, "at");
        self.access.insert(access_token.clone(), AccessRecord { grant: grant_id, expires_at });
        let mut issued = Issued {
            access_token,
            issued_at: now,
            expires_at,
            refresh_token: None,
            refresh_expires_at: None,
            scopes: grant.scopes.clone(),
            account: grant.account.clone(),
        };
        if with_refresh {
            let default_ttl = match grant.pkce_flow {
                true => profile.lifetimes.pkce_refresh.or(profile.lifetimes.refresh),
                false => profile.lifetimes.refresh,
            };
            let refresh_expires_at = lifetimes.refresh.or(default_ttl).map(|ttl| now + chrono_duration(ttl));
            let refresh_token = random_token(profile, "rt");
            let record = RefreshRecord { grant: grant_id, expires_at: refresh_expires_at, spent: false };
            self.refresh.insert(refresh_token.clone(), record);
            issued.refresh_token = Some(refresh_token);
            issued.refresh_expires_at = refresh_expires_at;
        }
        issued
    }
}

/// Confidential clients must present their secret; public clients may go without on grants that
/// began with a PKCE challenge, where the provider allows public clients.
fn require_secret_unless_public(profile: &Profile, client: &ClientIdentity, pkce_flow: bool) -> Result<(), OAuthError> {
    let public_allowed = profile.public_pkce_clients && pkce_flow;
    if client.authenticated || public_allowed {
        Ok(())
    } else {
        Err(OAuthError::InvalidClient("client_secret is required".to_owned()))
    }
}

/// The refresh rule that applies to a grant.
fn refresh_rule(profile: &Profile, pkce_flow: bool) -> RefreshRule {
    match (pkce_flow, profile.pkce_flow_refresh) {
        (true, Some(rule)) => rule,
        _ => profile.refresh,
    }
}

/// RFC 7636 S256: `BASE64URL(SHA256(verifier)) == challenge`, compared without an early exit.
pub(crate) fn s256_matches(verifier: &str, challenge: &str) -> bool {
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    computed.len() == challenge.len()
        && computed.bytes().zip(challenge.bytes()).fold(0u8, |difference, (a, b)| difference | (a ^ b)) == 0
}

/// A fresh unguessable token that names the provider it came from (`square-at-…`).
fn random_token(profile: &Profile, kind: &str) -> String {
    let bytes: [u8; 24] = rand::random();
    format!("{}-{kind}-{}", profile.provider.slug(), URL_SAFE_NO_PAD.encode(bytes))
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}
