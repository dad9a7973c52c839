//! Connections: one tenant's link to one provider account, and the states it moves through.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::TenantScope;
use crate::id::{ConnectionId, FranchiseeId, LocationId, NetworkId};

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Created; waiting for the owner to authorize at the provider.
    Pending,
    /// Credentials are valid (or refreshable).
    Active,
    /// A token refresh is in flight.
    Refreshing,
    /// The provider refused our refresh token (`invalid_grant`): a person must reconnect.
    NeedsReauthorization,
    /// Disconnected on purpose; credentials are deleted.
    Revoked,
    /// Calls keep failing for reasons other than authorization.
    Failing,
}

impl ConnectionStatus {
    /// Every status.
    pub const ALL: [Self; 6] =
        [Self::Pending, Self::Active, Self::Refreshing, Self::NeedsReauthorization, Self::Revoked, Self::Failing];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Refreshing => "refreshing",
            Self::NeedsReauthorization => "needs_reauthorization",
            Self::Revoked => "revoked",
            Self::Failing => "failing",
        }
    }

    /// Parses the storage name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// A connection as the API shows it: never a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Connection {
    pub id: ConnectionId,
    pub network_id: NetworkId,
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    /// The provider id from the catalog (`square`, `quickbooks-online`, …).
    pub provider: String,
    /// `production`, `sandbox` or `emulator`.
    pub environment: String,
    pub status: ConnectionStatus,
    /// Scopes granted by the provider (or requested, while pending).
    pub scopes: Vec<String>,
    /// When the current access token expires, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    pub last_refreshed_at: Option<DateTime<Utc>>,
    /// The last failure, phrased for a person, with no secret in it.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Connection {
    /// The part of the network this connection belongs to.
    pub fn scope(&self) -> TenantScope {
        TenantScope {
            network_id: self.network_id.clone(),
            franchisee_id: self.franchisee_id.clone(),
            location_id: self.location_id.clone(),
        }
    }
}
