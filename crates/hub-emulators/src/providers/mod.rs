//! The emulated providers: one module per provider with its OAuth profile, response style and
//! any extra routes, and the [`EmulatedProvider`] names tests use to steer them.

mod adp;
mod clover;
mod franconnect;
mod google;
mod hubspot;
mod power_bi;
pub(crate) mod quickbooks_online;
mod sage_intacct;
mod salesforce;
pub(crate) mod square;

use std::fmt;
use std::str::FromStr;

use axum::Router;
use serde::{Serialize, Serializer};

use crate::error::EmulatorError;
use crate::oauth::{self, Profile};
use crate::state::EmulatorState;

/// A provider whose OAuth server the emulator runs. The four Google products share one Google
/// OAuth server, [`EmulatedProvider::Google`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EmulatedProvider {
    // Declared in the order of `ALL`: `index` relies on it.
    Square,
    Clover,
    QuickBooksOnline,
    SageIntacct,
    Salesforce,
    HubSpot,
    /// Google OAuth for `google-calendar`, `google-business-profile`, `google-ads` and `ga4`.
    Google,
    Adp,
    PowerBi,
    FranConnect,
}

impl EmulatedProvider {
    /// Every emulated provider.
    pub const ALL: [Self; 10] = [
        Self::Square,
        Self::Clover,
        Self::QuickBooksOnline,
        Self::SageIntacct,
        Self::Salesforce,
        Self::HubSpot,
        Self::Google,
        Self::Adp,
        Self::PowerBi,
        Self::FranConnect,
    ];

    /// The path prefix it is served under (`/quickbooks-online/…`, `/google/…`).
    pub fn slug(self) -> &'static str {
        match self {
            Self::Square => "square",
            Self::Clover => "clover",
            Self::QuickBooksOnline => "quickbooks-online",
            Self::SageIntacct => "sage-intacct",
            Self::Salesforce => "salesforce",
            Self::HubSpot => "hubspot",
            Self::Google => "google",
            Self::Adp => "adp",
            Self::PowerBi => "power-bi",
            Self::FranConnect => "franconnect",
        }
    }

    /// Its position in [`Self::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The emulated OAuth server behind a catalog provider id (`ga4` → `Google`).
    pub fn for_catalog_id(id: &str) -> Option<Self> {
        match id {
            "google-calendar" | "google-business-profile" | "google-ads" | "ga4" => Some(Self::Google),
            _ => Self::ALL.into_iter().find(|provider| provider.slug() == id),
        }
    }
}

impl FromStr for EmulatedProvider {
    type Err = EmulatorError;

    /// Accepts a slug (`google`) or a catalog id (`google-ads`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::for_catalog_id(text).ok_or_else(|| EmulatorError::UnknownProvider(text.to_owned()))
    }
}

impl fmt::Display for EmulatedProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl Serialize for EmulatedProvider {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.slug())
    }
}

/// The OAuth profile of a provider.
pub(crate) fn profile(provider: EmulatedProvider) -> &'static Profile {
    match provider {
        EmulatedProvider::Square => &square::PROFILE,
        EmulatedProvider::Clover => &clover::PROFILE,
        EmulatedProvider::QuickBooksOnline => &quickbooks_online::PROFILE,
        EmulatedProvider::SageIntacct => &sage_intacct::PROFILE,
        EmulatedProvider::Salesforce => &salesforce::PROFILE,
        EmulatedProvider::HubSpot => &hubspot::PROFILE,
        EmulatedProvider::Google => &google::PROFILE,
        EmulatedProvider::Adp => &adp::PROFILE,
        EmulatedProvider::PowerBi => &power_bi::PROFILE,
        EmulatedProvider::FranConnect => &franconnect::PROFILE,
    }
}

/// Every provider's routes.
pub(crate) fn routes() -> Router<EmulatorState> {
    EmulatedProvider::ALL
        .into_iter()
        .fold(Router::new(), |router, provider| router.merge(oauth::routes(profile(provider))))
        .merge(square::extra_routes())
        .merge(quickbooks_online::routes())
}

#[cfg(test)]
mod tests {
    use super::EmulatedProvider;

    #[test]
    fn index_is_the_position_in_all() {
        for (position, provider) in EmulatedProvider::ALL.into_iter().enumerate() {
            assert_eq!(provider.index(), position, "{provider}");
        }
    }

    #[test]
    fn names_parse_back_and_google_products_share_one_server() {
        for provider in EmulatedProvider::ALL {
            assert_eq!(provider.slug().parse::<EmulatedProvider>(), Ok(provider));
        }
        for id in ["google-calendar", "google-business-profile", "google-ads", "ga4"] {
            assert_eq!(EmulatedProvider::for_catalog_id(id), Some(EmulatedProvider::Google));
        }
        assert!("stripe".parse::<EmulatedProvider>().is_err(), "stripe has no OAuth server to emulate");
    }
}
