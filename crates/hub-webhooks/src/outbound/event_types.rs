//! The outbound event types (`GET /v1/event-types`), and how a change of the feed becomes one.
//!
//! Change events carry the record as it is at fan-out time in `data.record`; a sale whose
//! `refunded` total grew is `sale.refunded`, an appointment whose status became `cancelled` is
//! `appointment.cancelled`, a new appointment is `appointment.booked`. Platform events come from
//! the hub itself (a failed sync, an expired connection, a disabled endpoint) or from other
//! components through [`crate::outbound::Emitter`] (royalty statements).

use hub_core::records::{ChangeKind, Model, redact_pii};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

/// One event type subscribers can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct EventType {
    pub name: &'static str,
    pub description: &'static str,
    /// `change` (from the change feed) or `platform` (from the hub).
    pub source: &'static str,
    /// Whether payloads may hold customer PII (stripped for roles that see aggregates only).
    pub has_pii: bool,
}

const fn change(name: &'static str, description: &'static str) -> EventType {
    EventType { name, description, source: "change", has_pii: false }
}

const fn platform(name: &'static str, description: &'static str) -> EventType {
    EventType { name, description, source: "platform", has_pii: false }
}

/// Every event type, grouped by what it is about.
pub const EVENT_TYPES: &[EventType] = &[
    change("sale.created", "A sale was synced for the first time."),
    change("sale.updated", "A synced sale changed (other than a refund)."),
    change("sale.refunded", "A sale's refunded total grew."),
    change("sale.deleted", "The provider deleted a sale."),
    change("appointment.booked", "An appointment was synced for the first time."),
    change("appointment.updated", "An appointment changed (time, staff, status other than cancelled)."),
    change("appointment.cancelled", "An appointment's status became cancelled."),
    change("appointment.deleted", "The provider deleted an appointment."),
    EventType { has_pii: true, ..change("customer.created", "A customer was synced for the first time.") },
    EventType { has_pii: true, ..change("customer.updated", "A customer's details changed.") },
    EventType { has_pii: true, ..change("customer.deleted", "The provider deleted a customer.") },
    change("refund.created", "A refund was synced."),
    change("refund.updated", "A refund changed (its status, say)."),
    change("refund.deleted", "The provider deleted a refund."),
    change("payout.created", "A payout was synced."),
    change("payout.updated", "A payout changed."),
    change("payout.deleted", "The provider deleted a payout."),
    change("staff_member.created", "A staff member was synced."),
    change("staff_member.updated", "A staff member changed."),
    change("staff_member.deleted", "The provider deleted a staff member."),
    change("timecard.created", "A timecard was synced."),
    change("timecard.updated", "A timecard changed."),
    change("timecard.deleted", "The provider deleted a timecard."),
    change("location.created", "A provider location was synced."),
    change("location.updated", "A provider location changed."),
    change("location.deleted", "The provider deleted a location."),
    platform("connection.expired", "A connection needs to be authorized again (its refresh token was refused)."),
    platform("sync.failed", "A sync run failed after its retries."),
    platform("endpoint.disabled", "A webhook endpoint was disabled after failing for five days."),
    platform("royalty.statement.issued", "A royalty statement was issued to a franchisee."),
];

/// The type named `name`, if there is one.
pub fn event_type(name: &str) -> Option<&'static EventType> {
    EVENT_TYPES.iter().find(|event_type| event_type.name == name)
}

/// What the producer remembers of a record to tell what an update meant.
pub fn mark_of(model: Model, record: &serde_json::Value) -> Option<String> {
    match model {
        Model::Sale => record.get("refunded").and_then(|value| value.as_str()).map(str::to_owned),
        Model::Appointment => record.get("status").and_then(|value| value.as_str()).map(str::to_owned),
        _ => None,
    }
}

/// The event type of one change, given the record now and its previous mark.
pub fn classify(
    kind: ChangeKind,
    model: Model,
    record: Option<&serde_json::Value>,
    previous_mark: Option<&str>,
) -> Option<String> {
    let name = model.as_str();
    if !EVENT_TYPES.iter().any(|event_type| event_type.name.split('.').next() == Some(name)) {
        return None;
    }
    Some(match (kind, model) {
        (ChangeKind::Deleted, _) => format!("{name}.deleted"),
        (ChangeKind::Created, Model::Appointment) => "appointment.booked".to_owned(),
        (ChangeKind::Created, _) => format!("{name}.created"),
        (ChangeKind::Updated, Model::Sale) => {
            let now = record.and_then(|record| mark_of(model, record)).and_then(|text| text.parse::<Decimal>().ok());
            let before = previous_mark.and_then(|text| text.parse::<Decimal>().ok()).unwrap_or(Decimal::ZERO);
            match now {
                Some(refunded) if refunded > before => "sale.refunded".to_owned(),
                _ => "sale.updated".to_owned(),
            }
        }
        (ChangeKind::Updated, Model::Appointment) => {
            let status = record.and_then(|record| mark_of(model, record));
            if status.as_deref() == Some("cancelled") && previous_mark != Some("cancelled") {
                "appointment.cancelled".to_owned()
            } else {
                "appointment.updated".to_owned()
            }
        }
        (ChangeKind::Updated, _) => format!("{name}.updated"),
    })
}

/// The event's `data` as a subscriber whose role may not see PII receives it.
pub fn without_pii(data: &mut serde_json::Value) {
    let model = data.get("model").and_then(|value| value.as_str()).and_then(Model::parse);
    if let (Some(model), Some(record)) = (model, data.get_mut("record")) {
        redact_pii(model, record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_become_the_event_a_subscriber_expects() {
        let sale = json!({"refunded": "5.00"});
        assert_eq!(classify(ChangeKind::Created, Model::Sale, Some(&sale), None).as_deref(), Some("sale.created"));
        assert_eq!(
            classify(ChangeKind::Updated, Model::Sale, Some(&sale), Some("0.00")).as_deref(),
            Some("sale.refunded")
        );
        assert_eq!(
            classify(ChangeKind::Updated, Model::Sale, Some(&sale), Some("5.00")).as_deref(),
            Some("sale.updated")
        );
        assert_eq!(classify(ChangeKind::Updated, Model::Sale, Some(&sale), None).as_deref(), Some("sale.refunded"));
        let cancelled = json!({"status": "cancelled"});
        assert_eq!(
            classify(ChangeKind::Updated, Model::Appointment, Some(&cancelled), Some("booked")).as_deref(),
            Some("appointment.cancelled")
        );
        assert_eq!(
            classify(ChangeKind::Updated, Model::Appointment, Some(&cancelled), Some("cancelled")).as_deref(),
            Some("appointment.updated")
        );
        assert_eq!(
            classify(ChangeKind::Created, Model::Appointment, None, None).as_deref(),
            Some("appointment.booked")
        );
        assert_eq!(classify(ChangeKind::Deleted, Model::Customer, None, None).as_deref(), Some("customer.deleted"));
        for name in ["sale.created", "customer.updated", "appointment.booked", "connection.expired", "sync.failed"] {
            assert!(event_type(name).is_some(), "{name}");
        }
    }

    #[test]
    fn pii_is_stripped_from_customer_payloads() {
        let mut data = json!({"model": "customer", "record": {"email": "a@b.c", "given_name": "Ada"}});
        without_pii(&mut data);
        assert!(data["record"]["email"].is_null() && data["record"]["given_name"].is_null());
    }
}
