//! Who may do what: roles, scopes (a node of the tenant hierarchy) and the one permission table.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::id::{ApiKeyId, FranchiseeId, LocationId, NetworkId, UserId};

/// What a principal is for. The permission table below is the only place that gives roles meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the network: everything within it.
    NetworkAdmin,
    /// Reads the network's aggregates; changes nothing and sees no customer PII.
    NetworkAnalyst,
    /// Runs one franchisee's shops.
    FranchiseeAdmin,
    /// Runs one shop.
    LocationManager,
    /// A machine that writes records and webhooks within its scope.
    Integration,
}

impl Role {
    /// Every role, in order of reach.
    pub const ALL: [Role; 5] =
        [Self::NetworkAdmin, Self::NetworkAnalyst, Self::FranchiseeAdmin, Self::LocationManager, Self::Integration];

    /// The wire name (`network_admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NetworkAdmin => "network_admin",
            Self::NetworkAnalyst => "network_analyst",
            Self::FranchiseeAdmin => "franchisee_admin",
            Self::LocationManager => "location_manager",
            Self::Integration => "integration",
        }
    }

    /// Parses the wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// Whether this role may do `permission` (within its scope; scope is enforced by the store).
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match permission {
            ReadTenancy | ReadRecords | ReadAnalytics => true,
            ManageFranchisees | ManageTerritories => self == NetworkAdmin,
            UpdateFranchisee | ManageLocations | ManageApiKeys | ReadAudit => {
                matches!(self, NetworkAdmin | FranchiseeAdmin)
            }
            UpdateLocation => matches!(self, NetworkAdmin | FranchiseeAdmin | LocationManager),
            ReadCustomerPii => !matches!(self, NetworkAnalyst),
            ManageConnections => matches!(self, NetworkAdmin | FranchiseeAdmin | LocationManager),
            ManageProviderSettings | OperateJobs => self == NetworkAdmin,
            ManageWebhooks => matches!(self, NetworkAdmin | FranchiseeAdmin | LocationManager | Integration),
            ManageRoyalties => self == NetworkAdmin,
            ReadRoyalties => matches!(self, NetworkAdmin | NetworkAnalyst | FranchiseeAdmin),
        }
    }

    /// Whether a key with this role may have a scope of `kind`. Network roles need the network;
    /// a franchisee admin needs a franchisee; a location manager needs a location.
    pub fn fits_scope(self, kind: ScopeKind) -> bool {
        match self {
            Self::NetworkAdmin | Self::NetworkAnalyst => kind == ScopeKind::Network,
            Self::FranchiseeAdmin => kind == ScopeKind::Franchisee,
            Self::LocationManager => kind == ScopeKind::Location,
            Self::Integration => true,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Things a role may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read franchisees, territories and locations in scope.
    ReadTenancy,
    /// Read synced records, the change feed and sync runs in scope (customer PII only with
    /// [`Permission::ReadCustomerPii`]).
    ReadRecords,
    /// Create and delete franchisees.
    ManageFranchisees,
    /// Change a franchisee's details.
    UpdateFranchisee,
    /// Create, change and delete territories.
    ManageTerritories,
    /// Create and delete locations.
    ManageLocations,
    /// Change a location's details.
    UpdateLocation,
    /// Create, list and revoke API keys.
    ManageApiKeys,
    /// Read the audit log.
    ReadAudit,
    /// Read KPIs and exports of sales and KPIs in scope (network benchmarks carry no shop's
    /// identity; exports carry no customer data).
    ReadAnalytics,
    /// See customers' names, emails and phone numbers.
    ReadCustomerPii,
    /// Create, authorize, refresh and revoke connections in scope.
    ManageConnections,
    /// Set the network's own OAuth apps and provider URLs.
    ManageProviderSettings,
    /// See, retry and cancel the network's background jobs.
    OperateJobs,
    /// Register inbound webhook sources and outbound webhook endpoints in scope; see their
    /// deliveries, replay and recover them.
    ManageWebhooks,
    /// Create agreements and exchange rates; compute and issue royalty statements.
    ManageRoyalties,
    /// Read agreements, exchange rates and royalty statements in scope (with their traces).
    ReadRoyalties,
}

/// Which level of the hierarchy a scope is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Network,
    Franchisee,
    Location,
}

/// The part of a network a principal can see: all of it, one franchisee's shops, or one shop.
/// Every store query is filtered by this.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantScope {
    pub network_id: NetworkId,
    pub franchisee_id: Option<FranchiseeId>,
    /// Set only together with `franchisee_id` (the shop's owner).
    pub location_id: Option<LocationId>,
}

impl TenantScope {
    /// The whole network.
    pub fn network(network_id: NetworkId) -> Self {
        Self { network_id, franchisee_id: None, location_id: None }
    }

    /// One franchisee and its shops.
    pub fn franchisee(network_id: NetworkId, franchisee_id: FranchiseeId) -> Self {
        Self { network_id, franchisee_id: Some(franchisee_id), location_id: None }
    }

    /// One shop, owned by `franchisee_id`.
    pub fn location(network_id: NetworkId, franchisee_id: FranchiseeId, location_id: LocationId) -> Self {
        Self { network_id, franchisee_id: Some(franchisee_id), location_id: Some(location_id) }
    }

    /// Which level this scope is.
    pub fn kind(&self) -> ScopeKind {
        match (&self.franchisee_id, &self.location_id) {
            (_, Some(_)) => ScopeKind::Location,
            (Some(_), None) => ScopeKind::Franchisee,
            (None, None) => ScopeKind::Network,
        }
    }

    /// Whether `other` lies within this scope (a scope contains itself).
    pub fn contains(&self, other: &TenantScope) -> bool {
        self.network_id == other.network_id
            && self.franchisee_id.as_ref().is_none_or(|own| other.franchisee_id.as_ref() == Some(own))
            && self.location_id.as_ref().is_none_or(|own| other.location_id.as_ref() == Some(own))
    }
}

/// Who an authenticated caller is: a machine's API key or a dashboard user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    ApiKey(ApiKeyId),
    User(UserId),
}

impl Subject {
    /// The id in text form (`key_…` or `usr_…`): what OAuth flows record as their starter.
    pub fn as_str(&self) -> &str {
        match self {
            Self::ApiKey(id) => id.as_str(),
            Self::User(id) => id.as_str(),
        }
    }

    /// Parses what [`Subject::as_str`] wrote; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        ApiKeyId::parse(text).map(Self::ApiKey).or_else(|_| UserId::parse(text).map(Self::User)).ok()
    }
}

/// An authenticated caller: an API key or a dashboard user, with its role and scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: Subject,
    pub role: Role,
    pub scope: TenantScope,
}

impl Principal {
    /// Whether the role allows `permission`.
    pub fn may(&self, permission: Permission) -> bool {
        self.role.allows(permission)
    }

    /// The actor recorded in the audit log for this principal's changes.
    pub fn actor(&self) -> Actor {
        match &self.subject {
            Subject::ApiKey(id) => Actor::ApiKey(id.clone()),
            Subject::User(id) => Actor::User(id.clone()),
        }
    }
}

/// Who made a change, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A request authenticated by this key.
    ApiKey(ApiKeyId),
    /// A dashboard user, signed in with email and password.
    User(UserId),
    /// A person or script at the command line (`hub init`, `hub keys …`).
    Cli,
    /// The hub itself (schedules, workers).
    System,
}

impl Actor {
    /// The kind column of the audit log.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ApiKey(_) => "api_key",
            Self::User(_) => "user",
            Self::Cli => "cli",
            Self::System => "system",
        }
    }

    /// The id column of the audit log (empty when the kind says it all).
    pub fn id(&self) -> &str {
        match self {
            Self::ApiKey(id) => id.as_str(),
            Self::User(id) => id.as_str(),
            Self::Cli | Self::System => "",
        }
    }
}

/// An API key as stored and listed: never the secret, only a short prefix to recognise it by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub network_id: NetworkId,
    pub role: Role,
    /// Set for keys scoped to one franchisee, or to one of its locations.
    pub franchisee_id: Option<FranchiseeId>,
    /// Set for keys scoped to one location.
    pub location_id: Option<LocationId>,
    pub name: Option<String>,
    /// The first characters of the key, enough to tell keys apart in a list.
    pub display_prefix: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl ApiKey {
    /// The scope this key grants.
    pub fn scope(&self) -> TenantScope {
        TenantScope {
            network_id: self.network_id.clone(),
            franchisee_id: self.franchisee_id.clone(),
            location_id: self.location_id.clone(),
        }
    }

    /// The principal a request made with this key acts as; `None` once revoked.
    pub fn principal(&self) -> Option<Principal> {
        self.revoked_at.is_none().then(|| Principal {
            subject: Subject::ApiKey(self.id.clone()),
            role: self.role,
            scope: self.scope(),
        })
    }
}

/// What the store needs to save a new key: the keyed hash of the secret, never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub role: Role,
    pub scope: TenantScope,
    pub name: Option<String>,
    pub display_prefix: String,
    pub secret_hash: String,
    /// Which hashing key made `secret_hash`, so keys survive a change of hashing key.
    pub hash_key_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_change_things_and_analysts_see_no_pii() {
        for role in Role::ALL {
            assert!(role.allows(Permission::ReadTenancy));
        }
        assert!(!Role::NetworkAnalyst.allows(Permission::UpdateLocation));
        assert!(!Role::NetworkAnalyst.allows(Permission::ReadCustomerPii));
        assert!(!Role::LocationManager.allows(Permission::ManageLocations));
        assert!(Role::LocationManager.allows(Permission::UpdateLocation));
        assert!(!Role::FranchiseeAdmin.allows(Permission::ManageFranchisees));
        assert!(!Role::Integration.allows(Permission::ManageApiKeys));
        assert!(Role::NetworkAdmin.allows(Permission::ManageRoyalties));
        assert!(!Role::FranchiseeAdmin.allows(Permission::ManageRoyalties));
        assert!(Role::FranchiseeAdmin.allows(Permission::ReadRoyalties));
        assert!(Role::NetworkAnalyst.allows(Permission::ReadRoyalties));
        assert!(!Role::LocationManager.allows(Permission::ReadRoyalties));
    }

    #[test]
    fn scopes_contain_only_their_descendants() {
        let network = NetworkId::new();
        let franchisee = FranchiseeId::new();
        let location = LocationId::new();
        let whole = TenantScope::network(network.clone());
        let owner = TenantScope::franchisee(network.clone(), franchisee.clone());
        let shop = TenantScope::location(network.clone(), franchisee.clone(), location);
        let other_owner = TenantScope::franchisee(network.clone(), FranchiseeId::new());
        assert!(whole.contains(&owner) && whole.contains(&shop) && owner.contains(&shop));
        assert!(!owner.contains(&whole) && !shop.contains(&owner) && !owner.contains(&other_owner));
        assert!(!whole.contains(&TenantScope::network(NetworkId::new())));
    }

    #[test]
    fn roles_fit_their_level() {
        assert!(Role::NetworkAdmin.fits_scope(ScopeKind::Network));
        assert!(!Role::NetworkAdmin.fits_scope(ScopeKind::Franchisee));
        assert!(!Role::FranchiseeAdmin.fits_scope(ScopeKind::Location));
        assert!(Role::Integration.fits_scope(ScopeKind::Location));
        assert_eq!(Role::parse("location_manager"), Some(Role::LocationManager));
        assert_eq!(Role::parse("root"), None);
    }
}
