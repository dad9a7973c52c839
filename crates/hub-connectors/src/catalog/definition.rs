//! The shape of one provider definition, its environments and the URLs each environment uses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{AuthKind, TokenBehaviour};
use super::signature::SignatureScheme;
use super::traffic::{Pagination, RateLimitPolicy};
use hub_core::records::Model;

/// Everything the hub needs to know about one provider before it writes a line of client code.
///
/// Definitions are `'static` data: the catalog is compiled in, holds no secrets and can be listed
/// as-is by `GET /v1/providers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProviderDefinition {
    /// Stable lowercase slug used in URLs, connections and the emulator (`quickbooks-online`).
    pub id: &'static str,
    /// The name a person recognises.
    pub name: &'static str,
    pub category: Category,
    /// The provider note these facts come from, in `../shared/providers/`.
    pub source: &'static str,
    pub auth: AuthKind,
    /// Scopes the hub asks for when a connection is authorized (empty where scopes are set on the
    /// provider's side, such as Clover's app permissions or ADP's API products).
    pub default_scopes: &'static [&'static str],
    pub token: TokenBehaviour,
    pub endpoints: Endpoints,
    /// Per-connection values that appear as `{name}` in this provider's URLs (a Salesforce
    /// `{instance_url}`, a Power BI `{tenant_id}`); the connection fills them in.
    pub url_parameters: &'static [&'static str],
    pub pagination: Pagination,
    /// `None` when the hub never calls the provider (inbound-only partners, Looker Studio).
    pub rate_limit: Option<RateLimitPolicy>,
    pub webhook_signature: Option<SignatureScheme>,
    /// Unified models the hub reads from this provider.
    pub reads: &'static [Model],
    /// Unified models the hub writes to this provider.
    pub writes: &'static [Model],
}

impl ProviderDefinition {
    /// The URLs to use in `environment`; `emulator_base` (e.g. `http://127.0.0.1:4010`) is the
    /// origin the local emulator listens on and only matters for [`Environment::Emulator`].
    /// `None` when the provider has no such environment (or no API at all).
    pub fn urls(&self, environment: Environment, emulator_base: &str) -> Option<ProviderUrls> {
        match environment {
            Environment::Production => self.endpoints.production.map(|set| set.resolve("")),
            Environment::Sandbox => self.endpoints.sandbox.map(|set| set.resolve("")),
            Environment::Emulator => {
                self.endpoints.emulator.map(|set| set.resolve(emulator_base.trim_end_matches('/')))
            }
        }
    }

    /// Whether a person authorizes the connection in a browser (OAuth 2.0 authorization code).
    pub fn uses_authorization_code(&self) -> bool {
        matches!(self.auth, AuthKind::OAuth2Code { .. })
    }
}

/// What kind of system a provider is, for grouping in the dashboard and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Point of sale.
    Pos,
    Payments,
    Accounting,
    Payroll,
    Crm,
    Marketing,
    Messaging,
    Calendar,
    /// Business intelligence tools the hub pushes figures into.
    Bi,
    /// Franchise management and franchise development.
    Franchise,
    /// Partner feeds that push to the hub.
    Partner,
}

/// Which copy of a provider a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Production,
    Sandbox,
    /// The local emulator (`hub-emulators`): tests, the demo and benchmarks only.
    Emulator,
}

impl Environment {
    /// Every environment.
    pub const ALL: [Self; 3] = [Self::Production, Self::Sandbox, Self::Emulator];

    /// The wire and storage name (`production`, `sandbox`, `emulator`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Sandbox => "sandbox",
            Self::Emulator => "emulator",
        }
    }

    /// Parses the wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|environment| environment.as_str() == text)
    }
}

/// The endpoint sets of one provider, one per environment it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Endpoints {
    pub production: Option<EndpointSet>,
    /// `None` when the provider has no separate test environment the notes describe.
    pub sandbox: Option<EndpointSet>,
    /// Paths relative to the emulator's origin, each starting with `/{provider}` (or `/google`
    /// for the four Google products, which share one Google OAuth server).
    pub emulator: Option<EndpointSet>,
}

/// The URLs of one environment, as written in the provider notes (absolute) or as served by the
/// emulator (paths starting with `/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct EndpointSet {
    /// Where a person approves access (OAuth 2.0 authorization code).
    pub authorize: Option<&'static str>,
    /// Where tokens are obtained (or, for provider logins, where the hub signs in).
    pub token: Option<&'static str>,
    /// Where refresh tokens are exchanged, when it is not the token endpoint (Clover).
    pub refresh: Option<&'static str>,
    pub revoke: Option<&'static str>,
    /// The root API paths are appended to.
    pub api_base: &'static str,
    /// Other roots the provider splits its API over (`name`, `url`).
    pub other_bases: &'static [(&'static str, &'static str)],
}

impl EndpointSet {
    fn resolve(&self, prefix: &str) -> ProviderUrls {
        let join = |url: &str| format!("{prefix}{url}");
        ProviderUrls {
            authorize: self.authorize.map(join),
            token: self.token.map(join),
            refresh: self.refresh.map(join),
            revoke: self.revoke.map(join),
            api_base: join(self.api_base),
            other_bases: self.other_bases.iter().map(|(name, url)| ((*name).to_owned(), join(url))).collect(),
        }
    }
}

/// Concrete URLs for one provider in one environment. `{name}` placeholders listed in
/// [`ProviderDefinition::url_parameters`] are left for the connection to fill in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProviderUrls {
    pub authorize: Option<String>,
    pub token: Option<String>,
    pub refresh: Option<String>,
    pub revoke: Option<String>,
    pub api_base: String,
    pub other_bases: BTreeMap<String, String>,
}

impl ProviderUrls {
    /// Where refresh tokens go: the dedicated refresh endpoint when there is one, else the token
    /// endpoint.
    pub fn refresh_endpoint(&self) -> Option<&str> {
        self.refresh.as_deref().or(self.token.as_deref())
    }

    /// Every URL in this set, for checks that apply to all of them.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        [&self.authorize, &self.token, &self.refresh, &self.revoke]
            .into_iter()
            .filter_map(|url| url.as_deref())
            .chain(std::iter::once(self.api_base.as_str()))
            .chain(self.other_bases.values().map(String::as_str))
    }
}
