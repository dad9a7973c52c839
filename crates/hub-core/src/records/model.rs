//! The kinds of unified record (design §6): what providers feed the hub or receive from it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A kind of unified record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// A provider's view of a shop (its Square location, say), mapped to a hub location.
    Location,
    StaffMember,
    /// Personal data: erasable on request, hidden from roles that see aggregates only.
    Customer,
    Appointment,
    /// A sale with line items, discounts, tax, tip, refunds and tenders.
    Sale,
    Refund,
    Payout,
    Timecard,
    Lead,
    Review,
    AdSpend,
    LedgerEntry,
    Invoice,
    Message,
    /// Aggregated figures the hub pushes to BI tools (not a stored record).
    Kpi,
}

impl Model {
    /// The models the records store keeps today (unified model v1).
    pub const STORED: [Model; 8] = [
        Self::Location,
        Self::StaffMember,
        Self::Customer,
        Self::Appointment,
        Self::Sale,
        Self::Refund,
        Self::Payout,
        Self::Timecard,
    ];

    /// The stored name (`staff_member`), as in the `model` column and the change feed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Location => "location",
            Self::StaffMember => "staff_member",
            Self::Customer => "customer",
            Self::Appointment => "appointment",
            Self::Sale => "sale",
            Self::Refund => "refund",
            Self::Payout => "payout",
            Self::Timecard => "timecard",
            Self::Lead => "lead",
            Self::Review => "review",
            Self::AdSpend => "ad_spend",
            Self::LedgerEntry => "ledger_entry",
            Self::Invoice => "invoice",
            Self::Message => "message",
            Self::Kpi => "kpi",
        }
    }

    /// The collection name in URLs and counts (`/v1/records/sales`, `"staff_members"`).
    pub fn collection(self) -> &'static str {
        match self {
            Self::Location => "locations",
            Self::StaffMember => "staff_members",
            Self::Customer => "customers",
            Self::Appointment => "appointments",
            Self::Sale => "sales",
            Self::Refund => "refunds",
            Self::Payout => "payouts",
            Self::Timecard => "timecards",
            Self::Lead => "leads",
            Self::Review => "reviews",
            Self::AdSpend => "ad_spend",
            Self::LedgerEntry => "ledger_entries",
            Self::Invoice => "invoices",
            Self::Message => "messages",
            Self::Kpi => "kpis",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::STORED.into_iter().find(|model| model.as_str() == text)
    }

    /// Parses a collection name of a stored model (`sales`).
    pub fn from_collection(text: &str) -> Option<Self> {
        Self::STORED.into_iter().find(|model| model.collection() == text)
    }
}

impl std::fmt::Display for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Model;

    #[test]
    fn stored_models_parse_back_from_both_names() {
        for model in Model::STORED {
            assert_eq!(Model::parse(model.as_str()), Some(model));
            assert_eq!(Model::from_collection(model.collection()), Some(model));
            let wire = serde_json::to_value(model).ok();
            assert_eq!(wire.as_ref().and_then(|v| v.as_str()), Some(model.as_str()));
        }
        assert_eq!(Model::from_collection("sale"), None);
        assert_eq!(Model::parse("kpi"), None, "not stored");
    }
}
