//! The unified models a provider can feed or receive (design §6), as the catalog names them.
//!
//! The records themselves belong in `hub-core` once the unified model lands there; the catalog
//! only needs their names.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A kind of unified record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    Location,
    StaffMember,
    /// Personal data: erasable on request.
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
