//! Mappings of every model but sales, on payloads shaped like the spec's schemas.

use hub_core::records::{AppointmentStatus, PayoutStatus, RecordData, RefundStatus, SourceRecord};
use serde_json::{Value, json};

use super::super::{mapping, wire};
use super::{at, catalog, dec, from_json, money};
use crate::source::ConnectorError;

fn data(record: &SourceRecord) -> &RecordData {
    &record.data
}

#[test]
fn a_location_keeps_its_zone_currency_one_line_address_and_status() {
    let location: wire::Location = from_json(json!({
        "id": "L_DOWNTOWN", "name": "Downtown Cuts", "business_name": "Fade Masters LLC",
        "timezone": "America/Chicago", "currency": "USD", "status": "ACTIVE", "country": "US",
        "created_at": "2020-01-01T00:00:00Z", "merchant_id": "M1", "capabilities": ["CREDIT_CARD_PROCESSING"],
        "address": { "address_line_1": "100 Main St", "address_line_2": "Suite 2", "locality": "Austin",
                     "administrative_district_level_1": "TX", "postal_code": "78701", "country": "US" }
    }));
    let record = mapping::location(&location);
    assert_eq!(record.external_id, "L_DOWNTOWN");
    assert_eq!(record.provider_location_id.as_deref(), Some("L_DOWNTOWN"));
    assert_eq!(record.remote_updated_at, None, "Square's Location has no updated_at");
    let RecordData::Location(shop) = data(&record) else { panic!("a location") };
    assert_eq!(shop.name, "Downtown Cuts");
    assert_eq!(shop.time_zone.as_deref(), Some("America/Chicago"));
    assert_eq!(shop.currency.map(|c| c.to_string()).as_deref(), Some("USD"));
    assert_eq!(shop.address.as_deref(), Some("100 Main St, Suite 2, Austin, TX, 78701, US"));
    assert!(shop.active);

    let closed: wire::Location =
        from_json(json!({ "id": "L_OLD", "business_name": "Old Shop", "status": "INACTIVE", "currency": "BTC" }));
    let RecordData::Location(old) = mapping::location(&closed).data else { panic!("a location") };
    assert_eq!(old.name, "Old Shop", "the business name stands in for a missing nickname");
    assert!(!old.active);
    assert_eq!(old.currency, None, "a code outside ISO 4217 is left out, not guessed");
    assert_eq!(old.address, None);
}

#[test]
fn a_team_member_lists_their_locations_and_has_one_only_when_assigned_to_one() {
    let all = ["L1".to_owned(), "L2".to_owned()];
    let member = |assigned: Value| -> wire::TeamMember {
        from_json(json!({ "id": "TM_SAM", "status": "ACTIVE", "given_name": "Sam", "family_name": "Cutter",
                          "email_address": "sam@example.com", "updated_at": "2026-11-01T10:00:00Z",
                          "assigned_locations": assigned }))
    };
    let explicit =
        mapping::team_member(&member(json!({ "assignment_type": "EXPLICIT_LOCATIONS", "location_ids": ["L2"] })), &all);
    assert_eq!(explicit.provider_location_id.as_deref(), Some("L2"));
    assert_eq!(explicit.remote_updated_at, Some(at("2026-11-01T10:00:00Z")));
    let RecordData::StaffMember(sam) = &explicit.data else { panic!("a staff member") };
    assert_eq!(
        (sam.given_name.as_deref(), sam.family_name.as_deref(), sam.active),
        (Some("Sam"), Some("Cutter"), true)
    );
    assert_eq!(sam.provider_location_ids, ["L2"]);

    let everywhere =
        mapping::team_member(&member(json!({ "assignment_type": "ALL_CURRENT_AND_FUTURE_LOCATIONS" })), &all);
    let RecordData::StaffMember(roaming) = &everywhere.data else { panic!("a staff member") };
    assert_eq!(roaming.provider_location_ids, ["L1", "L2"], "all locations means every one the seller has");
    assert_eq!(everywhere.provider_location_id, None, "two shops: no single home");

    let former: wire::TeamMember = from_json(json!({ "id": "TM_OLD", "status": "INACTIVE" }));
    let RecordData::StaffMember(old) = mapping::team_member(&former, &all).data else { panic!("a staff member") };
    assert!(!old.active);
    assert!(old.provider_location_ids.is_empty());
}

#[test]
fn a_customer_keeps_contact_fields_and_first_seen_is_creation() {
    let customer: wire::Customer = from_json(json!({
        "id": "CUST_ADA", "created_at": "2024-02-03T04:05:06Z", "updated_at": "2026-11-02T00:00:00Z",
        "given_name": "Ada", "family_name": "Lovelace", "email_address": "ada@example.com",
        "phone_number": "+15125550100", "creation_source": "APPOINTMENTS", "version": 3,
        "preferences": { "email_unsubscribed": false }, "nickname": "  "
    }));
    let record = mapping::customer(&customer);
    assert_eq!((record.external_id.as_str(), record.provider_location_id.as_deref()), ("CUST_ADA", None));
    assert_eq!(record.remote_updated_at, Some(at("2026-11-02T00:00:00Z")));
    let RecordData::Customer(ada) = &record.data else { panic!("a customer") };
    assert_eq!(ada.email.as_deref(), Some("ada@example.com"));
    assert_eq!(ada.phone.as_deref(), Some("+15125550100"));
    assert_eq!(ada.first_seen_at, Some(at("2024-02-03T04:05:06Z")));
}

fn payment_refund(status: &str) -> wire::PaymentRefund {
    from_json(json!({
        "id": "PR_1", "status": status, "location_id": "L_DOWNTOWN", "amount_money": money(1000, "USD"),
        "payment_id": "PAY_1", "order_id": "ORDER_FADE_1", "reason": "Uneven fade", "destination_type": "CARD",
        "created_at": "2026-11-21T09:00:00.000Z", "updated_at": "2026-11-21T09:00:05.000Z",
        "processing_fee": [{ "amount_money": money(-30, "USD"), "type": "INITIAL" }]
    }))
}

#[test]
fn a_payment_refund_maps_every_status_and_links_its_payment_and_order() {
    for (square, unified) in [
        ("PENDING", RefundStatus::Pending),
        ("COMPLETED", RefundStatus::Completed),
        ("REJECTED", RefundStatus::Rejected),
        ("FAILED", RefundStatus::Failed),
    ] {
        let record = mapping::payment_refund(&payment_refund(square)).expect("a known status maps");
        assert_eq!(record.provider_location_id.as_deref(), Some("L_DOWNTOWN"));
        assert_eq!(record.remote_updated_at, Some(at("2026-11-21T09:00:05Z")));
        let RecordData::Refund(refund) = &record.data else { panic!("a refund") };
        assert_eq!(refund.status, unified, "{square}");
        assert_eq!(refund.amount, dec("10.00"));
        assert_eq!(refund.sale_external_id.as_deref(), Some("ORDER_FADE_1"));
        assert_eq!(refund.payment_external_id.as_deref(), Some("PAY_1"));
        assert_eq!(refund.refunded_at, at("2026-11-21T09:00:00Z"));
        assert_eq!(refund.reason.as_deref(), Some("Uneven fade"));
    }
    let error = mapping::payment_refund(&payment_refund("REVERSED")).expect_err("an unknown status is not guessed");
    assert!(
        matches!(&error, ConnectorError::BadResponse { message, .. } if message.contains("refund PR_1")),
        "{error}"
    );
}

#[test]
fn a_payout_sums_its_fees_and_maps_every_status() {
    let payout = |status: Option<&str>| -> wire::Payout {
        let mut body = json!({
            "id": "PO_1", "location_id": "L_DOWNTOWN", "created_at": "2026-11-22T02:00:00Z",
            "updated_at": "2026-11-23T02:00:00Z", "amount_money": money(123_456, "USD"), "type": "BATCH",
            "destination": { "type": "BANK_ACCOUNT", "id": "ccof:1" }, "arrival_date": "2026-11-24", "version": 2,
            "payout_fee": [{ "amount_money": money(150, "USD"), "type": "TRANSFER_FEE" },
                           { "amount_money": money(12, "USD"), "type": "TAX_ON_TRANSFER_FEE" }]
        });
        if let Some(status) = status {
            body["status"] = json!(status);
        }
        from_json(body)
    };
    for (square, unified) in [
        (Some("SENT"), PayoutStatus::Sent),
        (Some("PAID"), PayoutStatus::Paid),
        (Some("FAILED"), PayoutStatus::Failed),
        (None, PayoutStatus::Pending),
    ] {
        let record = mapping::payout(&payout(square)).expect("maps");
        assert_eq!(record.provider_location_id.as_deref(), Some("L_DOWNTOWN"));
        let RecordData::Payout(mapped) = &record.data else { panic!("a payout") };
        assert_eq!(mapped.status, unified);
        assert_eq!((mapped.amount, mapped.fee), (dec("1234.56"), dec("1.62")));
        assert_eq!(mapped.arrival_date.map(|d| d.to_string()).as_deref(), Some("2026-11-24"));
    }
    let mut euros = payout(Some("PAID"));
    euros.payout_fee[0].amount_money = Some(wire::Money { amount: Some(1), currency: Some("EUR".into()) });
    assert!(mapping::payout(&euros).is_err(), "a fee in another currency is refused");
}

fn timecard(body: Value) -> wire::Timecard {
    from_json(body)
}

#[test]
fn a_closed_timecard_counts_unpaid_breaks_and_keeps_wage_and_declared_tips() {
    let card = timecard(json!({
        "id": "TC_1", "location_id": "L_DOWNTOWN", "team_member_id": "TM_SAM", "timezone": "America/Chicago",
        "start_at": "2026-11-20T09:00:00-06:00", "end_at": "2026-11-20T17:30:00-06:00", "status": "CLOSED",
        "wage": { "title": "Barber", "hourly_rate": money(1850, "USD"), "tip_eligible": true },
        "breaks": [
            { "id": "B1", "start_at": "2026-11-20T12:00:00-06:00", "end_at": "2026-11-20T12:30:00-06:00",
              "break_type_id": "BT1", "name": "Lunch", "expected_duration": "PT30M", "is_paid": false },
            { "id": "B2", "start_at": "2026-11-20T15:00:00-06:00", "end_at": "2026-11-20T15:10:00-06:00",
              "break_type_id": "BT2", "name": "Coffee", "expected_duration": "PT10M", "is_paid": true }
        ],
        "declared_cash_tip_money": money(2500, "USD"), "version": 3, "updated_at": "2026-11-21T00:00:00Z"
    }));
    let record = mapping::timecard(&card).expect("maps");
    assert_eq!(record.provider_location_id.as_deref(), Some("L_DOWNTOWN"));
    let RecordData::Timecard(shift) = &record.data else { panic!("a timecard") };
    assert_eq!(shift.start_at, at("2026-11-20T15:00:00Z"), "offsets become UTC");
    assert_eq!(shift.end_at, Some(at("2026-11-20T23:30:00Z")));
    assert_eq!(shift.break_minutes, 30, "the paid coffee break is worked time");
    assert_eq!(shift.worked_minutes(), Some(480));
    assert_eq!((shift.hourly_rate, shift.declared_cash_tips), (Some(dec("18.50")), Some(dec("25.00"))));
    assert_eq!(shift.staff_external_id.as_deref(), Some("TM_SAM"));
}

#[test]
fn an_open_timecard_has_no_end_and_a_running_break_does_not_count_yet() {
    let card = timecard(json!({
        "id": "TC_2", "location_id": "L_DOWNTOWN", "team_member_id": "TM_SAM", "status": "OPEN",
        "start_at": "2026-11-22T14:00:00Z",
        "breaks": [{ "id": "B3", "start_at": "2026-11-22T16:00:00Z", "break_type_id": "BT1", "name": "Lunch",
                     "expected_duration": "PT30M", "is_paid": false }]
    }));
    let RecordData::Timecard(shift) = mapping::timecard(&card).expect("maps").data else { panic!("a timecard") };
    assert_eq!((shift.end_at, shift.break_minutes, shift.worked_minutes()), (None, 0, None));
    assert_eq!((shift.hourly_rate, shift.currency), (None, None));
}

fn booking(status: &str) -> wire::Booking {
    from_json(json!({
        "id": "BK_1", "version": 2, "status": status, "created_at": "2026-11-01T00:00:00Z",
        "updated_at": "2026-11-02T00:00:00Z", "start_at": "2026-11-25T15:00:00Z", "location_id": "L_DOWNTOWN",
        "customer_id": "CUST_ADA", "customer_note": "Short on the sides", "location_type": "BUSINESS_LOCATION",
        "appointment_segments": [
            { "duration_minutes": 30, "service_variation_id": "VAR_FADE", "team_member_id": "TM_SAM",
              "service_variation_version": 1, "intermission_minutes": 5 },
            { "duration_minutes": 15, "service_variation_id": "VAR_BEARD", "team_member_id": "TM_SAM",
              "service_variation_version": 1 },
            { "duration_minutes": 10, "service_variation_id": "VAR_GONE", "team_member_id": "TM_JO" }
        ]
    }))
}

#[test]
fn every_booking_status_maps_and_services_are_named_from_the_catalog() {
    for (square, unified) in [
        ("PENDING", AppointmentStatus::Pending),
        ("ACCEPTED", AppointmentStatus::Booked),
        ("CANCELLED_BY_CUSTOMER", AppointmentStatus::Cancelled),
        ("CANCELLED_BY_SELLER", AppointmentStatus::Cancelled),
        ("DECLINED", AppointmentStatus::Cancelled),
        ("NO_SHOW", AppointmentStatus::NoShow),
    ] {
        let record = mapping::booking(&booking(square), &catalog()).expect("a known status maps");
        assert_eq!(record.provider_location_id.as_deref(), Some("L_DOWNTOWN"));
        assert_eq!(record.remote_updated_at, Some(at("2026-11-02T00:00:00Z")));
        let RecordData::Appointment(visit) = &record.data else { panic!("an appointment") };
        assert_eq!(visit.status, unified, "{square}");
        assert_eq!(visit.start_at, at("2026-11-25T15:00:00Z"));
        assert_eq!(visit.duration_minutes, 60, "30 + 5 between + 15 + 10");
        assert_eq!(visit.staff_external_id.as_deref(), Some("TM_SAM"));
        assert_eq!(visit.customer_external_id.as_deref(), Some("CUST_ADA"));
        assert_eq!(visit.services, ["Skin Fade (Regular)", "Beard Trim (Hot towel)", "VAR_GONE"]);
    }
    assert!(mapping::booking(&booking("RESCHEDULED"), &catalog()).is_err(), "an unknown status is not guessed");
}

#[test]
fn the_catalog_tells_services_from_products() {
    use hub_core::records::LineKind;
    let variations = catalog();
    let kind = |id: &str| variations.get(id).map(|variation| variation.kind);
    assert_eq!(kind("VAR_FADE"), Some(LineKind::Service), "APPOINTMENTS_SERVICE with a duration");
    assert_eq!(kind("VAR_BEARD"), Some(LineKind::Service), "APPOINTMENTS_SERVICE");
    assert_eq!(kind("VAR_POMADE"), Some(LineKind::Product), "REGULAR");
    assert_eq!(kind("VAR_CARD"), Some(LineKind::Other), "GIFT_CARD");
    let orphan: wire::BatchRetrieveCatalogObjectsResponse = from_json(json!({
        "objects": [{ "type": "ITEM_VARIATION", "id": "VAR_ORPHAN", "item_variation_data": { "item_id": "ITEM_GONE" } }]
    }));
    let found = super::super::catalog::variations(&orphan);
    assert_eq!(found.get("VAR_ORPHAN").map(|v| v.kind), Some(LineKind::Other), "no parent item: not classified");
}
