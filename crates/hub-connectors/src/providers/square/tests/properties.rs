//! Property tests: mappings never panic on whatever amounts and strings Square sends; any order
//! whose figures add up maps to a sale that validates; cursors and errors read anything safely.

use chrono::{DateTime, Utc};
use hub_core::money::from_minor_units;
use hub_core::records::{Model, RecordData, RefundStatus};
use hub_core::tenancy::Currency;
use proptest::prelude::*;

use super::super::SquareConnector;
use super::super::cursor::{AppointmentWalk, SaleWalk, decode, encode};
use super::super::errors::error_from;
use super::super::wire::{
    AppliedTax, AppointmentSegment, Booking, Break, LineItem, Money, Order, OrderRefund, OrderTax, Payout, PayoutFee,
    RoundingAdjustment, ServiceCharge, Tender, Timecard, TimecardWage,
};
use super::super::{mapping, sale};
use super::fake::FakeSquare;
use super::{catalog, request};
use crate::source::{ApiResponse, ConnectorError, SourceConnector, SyncMode};

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (-10_000_000_000_i64..10_000_000_000).prop_map(|seconds| DateTime::from_timestamp(seconds, 0).unwrap_or_default())
}

/// Any instant chrono can hold, often right at its ends (where arithmetic overflows).
fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    let (min, max) = (DateTime::<Utc>::MIN_UTC.timestamp(), DateTime::<Utc>::MAX_UTC.timestamp());
    let month = 31 * 86_400;
    prop_oneof![min..min + month, max - month..=max, min..=max, 0_i64..4_102_444_800,]
        .prop_map(|seconds| DateTime::from_timestamp(seconds, 0).unwrap_or_default())
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[A-Z_]{1,12}", ".{0,40}"]
}

fn currency_code() -> impl Strategy<Value = String> {
    prop_oneof![Just("USD".to_owned()), Just("JPY".to_owned()), Just("KWD".to_owned()), Just("usd".to_owned()), text()]
}

fn any_money() -> impl Strategy<Value = Option<Money>> {
    proptest::option::of(
        (proptest::option::of(any::<i64>()), proptest::option::of(currency_code()))
            .prop_map(|(amount, currency)| Money { amount, currency }),
    )
}

fn any_line() -> impl Strategy<Value = LineItem> {
    let quantity =
        prop_oneof![Just(None), proptest::option::of(text()), proptest::option::of("-?[0-9]{0,40}(\\.[0-9]{0,40})?")];
    let item_type = proptest::option::of(prop_oneof![Just("ITEM".to_owned()), Just("GIFT_CARD".to_owned()), text()]);
    let catalog_id =
        proptest::option::of(prop_oneof![Just("VAR_FADE".to_owned()), Just("VAR_POMADE".to_owned()), text()]);
    let applied = proptest::collection::vec(
        (proptest::option::of(prop_oneof![Just("inc".to_owned()), text()]), any_money())
            .prop_map(|(tax_uid, applied_money)| AppliedTax { tax_uid, applied_money }),
        0..3,
    );
    (
        proptest::option::of(text()),
        quantity,
        catalog_id,
        item_type,
        applied,
        [any_money(), any_money(), any_money(), any_money()],
    )
        .prop_map(|(name, quantity, catalog_object_id, item_type, applied_taxes, [base, gross, tax, discount])| {
            LineItem {
                name,
                quantity,
                catalog_object_id,
                variation_name: None,
                item_type,
                applied_taxes,
                base_price_money: base,
                gross_sales_money: gross,
                total_tax_money: tax,
                total_discount_money: discount,
            }
        })
}

fn any_order() -> impl Strategy<Value = Order> {
    let state = prop_oneof![4 => Just(Some("COMPLETED".to_owned())), 1 => proptest::option::of(text())];
    let tender =
        (proptest::option::of(text()), any_money(), any_money()).prop_map(|(tender_type, amount_money, tip_money)| {
            Tender { id: Some("T".into()), tender_type, amount_money, tip_money, ..Tender::default() }
        });
    let refund = (proptest::option::of(text()), any_money(), proptest::option::of(instant())).prop_map(
        |(status, amount_money, created_at)| OrderRefund { id: Some("R".into()), status, amount_money, created_at },
    );
    let taxes = proptest::collection::vec(
        proptest::option::of(prop_oneof![Just("INCLUSIVE".to_owned()), Just("ADDITIVE".to_owned()), text()])
            .prop_map(|tax_type| OrderTax { uid: Some("inc".into()), tax_type }),
        0..2,
    );
    (
        state,
        proptest::collection::vec(any_line(), 0..4),
        taxes,
        proptest::collection::vec(tender, 0..3),
        proptest::collection::vec(refund, 0..3),
        [any_money(), any_money(), any_money(), any_money(), any_money(), any_money()],
        proptest::option::of(instant()),
    )
        .prop_map(
            |(
                state,
                line_items,
                taxes,
                tenders,
                refunds,
                [total, tax, discount, tip, service, rounding],
                closed_at,
            )| Order {
                id: Some("O".into()),
                location_id: Some("L".into()),
                state,
                line_items,
                taxes,
                tenders,
                refunds,
                service_charges: vec![ServiceCharge {
                    applied_taxes: vec![AppliedTax { tax_uid: Some("inc".into()), applied_money: tax.clone() }],
                }],
                rounding_adjustment: Some(RoundingAdjustment { amount_money: rounding }),
                closed_at,
                total_money: total,
                total_tax_money: tax,
                total_discount_money: discount,
                total_tip_money: tip,
                total_service_charge_money: service,
                ..Order::default()
            },
        )
}

/// One line of an order whose figures add up: (gross, discount ≤ gross, tax, quantity).
fn sound_line() -> impl Strategy<Value = (i64, i64, i64, u8)> {
    (0_i64..1_000_000_000).prop_flat_map(|gross| (Just(gross), 0..=gross, 0_i64..10_000_000, 1_u8..10))
}

fn money(amount: i64, currency: &str) -> Option<Money> {
    Some(Money { amount: Some(amount), currency: Some(currency.to_owned()) })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mapping_an_order_never_panics(order in any_order()) {
        let mapped = sale::order(&order, &catalog());
        if let Ok(Some(record)) = mapped {
            prop_assert_eq!(record.data.validate(), Ok(()), "whatever maps, validates");
        }
    }

    #[test]
    fn an_order_whose_figures_add_up_maps_to_a_sale_that_validates(
        code in prop_oneof![Just("USD"), Just("JPY"), Just("KWD"), Just("EUR"), Just("GBP")],
        lines in proptest::collection::vec(sound_line(), 1..6),
        service in 0_i64..1_000_000,
        tip in 0_i64..1_000_000,
        inclusive in any::<bool>(),
        refunds in proptest::collection::vec((0_i64..1_000_000, 0_usize..4), 0..4),
    ) {
        let currency = Currency::parse(code).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (net_gross, discount, tax): (i64, i64, i64) =
            lines.iter().fold((0, 0, 0), |(g, d, t), (gross, discount, tax, _)| (g + gross, d + discount, t + tax));
        // Additive tax is on top of gross; European inclusive tax is inside Square's gross.
        let total = net_gross - discount + service + tax + tip;
        let statuses = ["APPROVED", "PENDING", "REJECTED", "FAILED"];
        let order = Order {
            id: Some("O".into()),
            location_id: Some("L".into()),
            state: Some("COMPLETED".into()),
            closed_at: Some(DateTime::UNIX_EPOCH),
            taxes: vec![OrderTax { uid: Some("vat".into()), tax_type: Some(if inclusive { "INCLUSIVE" } else { "ADDITIVE" }.into()) }],
            line_items: lines.iter().map(|(gross, discount, tax, quantity)| LineItem {
                name: Some("Cut".into()),
                quantity: Some(quantity.to_string()),
                catalog_object_id: Some("VAR_FADE".into()),
                gross_sales_money: money(if inclusive { gross + tax } else { *gross }, code),
                total_discount_money: money(*discount, code),
                total_tax_money: money(*tax, code),
                applied_taxes: vec![AppliedTax { tax_uid: Some("vat".into()), applied_money: money(*tax, code) }],
                ..LineItem::default()
            }).collect(),
            refunds: refunds.iter().map(|(amount, status)| OrderRefund {
                id: Some("R".into()),
                status: Some(statuses[*status].into()),
                amount_money: money(*amount, code),
                created_at: Some(DateTime::UNIX_EPOCH),
            }).collect(),
            total_money: money(total, code),
            total_tax_money: money(tax, code),
            total_discount_money: money(discount, code),
            total_tip_money: money(tip, code),
            total_service_charge_money: money(service, code),
            ..Order::default()
        };
        let record = sale::order(&order, &catalog()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let record = record.ok_or_else(|| TestCaseError::fail("a completed order is a sale"))?;
        let RecordData::Sale(mapped) = &record.data else { return Err(TestCaseError::fail("not a sale")) };
        prop_assert_eq!(mapped.validate(), Ok(()));
        let units = |amount: i64| from_minor_units(amount, currency);
        prop_assert_eq!(mapped.total, units(total));
        prop_assert_eq!(mapped.gross, units(net_gross), "gross never includes tax");
        prop_assert_eq!(mapped.tax, units(tax));
        let refunded: i64 = refunds.iter().filter(|(_, status)| *status == 0).map(|(amount, _)| amount).sum();
        prop_assert_eq!(mapped.refunded, units(refunded));
        prop_assert_eq!(mapped.net, units(total - tax - tip - refunded));
        let completed = mapped.refunds.iter().filter(|r| r.status == RefundStatus::Completed).count();
        prop_assert_eq!(completed, refunds.iter().filter(|(_, status)| *status == 0).count());
    }

    #[test]
    fn timecards_payouts_and_bookings_never_panic(
        start in any_instant(),
        end in proptest::option::of(any_instant()),
        breaks in proptest::collection::vec((any_instant(), proptest::option::of(any_instant()), proptest::option::of(any::<bool>())), 0..4),
        status in proptest::option::of(text()),
        [rate, tips, amount] in [any_money(), any_money(), any_money()],
        fees in proptest::collection::vec(any_money(), 0..3),
        arrival in proptest::option::of(text()),
        segments in proptest::collection::vec((proptest::option::of(any::<i64>()), proptest::option::of(any::<i64>())), 0..4),
    ) {
        let card = Timecard {
            id: "TC".into(), location_id: "L".into(), team_member_id: None, start_at: start, end_at: end,
            wage: Some(TimecardWage { hourly_rate: rate }),
            breaks: breaks.into_iter().map(|(start_at, end_at, is_paid)| Break { start_at, end_at, is_paid }).collect(),
            status: status.clone(), updated_at: None, declared_cash_tip_money: tips,
        };
        let _ = mapping::timecard(&card);
        let payout = Payout {
            id: "P".into(), status: status.clone(), location_id: "L".into(), created_at: Some(start), updated_at: None,
            amount_money: amount, payout_fee: fees.into_iter().map(|amount_money| PayoutFee { amount_money }).collect(),
            arrival_date: arrival,
        };
        let _ = mapping::payout(&payout);
        let booking = Booking {
            id: "B".into(), status, updated_at: None, start_at: start, location_id: None, customer_id: None,
            appointment_segments: segments.into_iter().map(|(duration_minutes, intermission_minutes)| AppointmentSegment {
                duration_minutes, intermission_minutes, service_variation_id: Some("VAR_FADE".into()), team_member_id: None,
            }).collect(),
        };
        let _ = mapping::booking(&booking, &catalog());
    }

    #[test]
    fn any_text_as_a_cursor_is_refused_or_read_never_a_panic(text in ".{0,200}") {
        let read = decode::<SaleWalk>(&text, Model::Sale);
        prop_assert!(matches!(read, Err(ConnectorError::Unsupported(_))), "random text is not our cursor");
    }

    #[test]
    fn a_booking_window_from_any_cursor_is_walked_or_refused_never_a_panic(
        window_start in any_instant(),
        until in any_instant(),
        page in proptest::option::of("[a-z]{1,8}"),
    ) {
        let cursor = encode(Model::Appointment, &AppointmentWalk { window_start, until, page });
        let runtime = tokio::runtime::Builder::new_current_thread().build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let api = FakeSquare::new();
        let result = runtime.block_on(
            SquareConnector::new().fetch(&api, request(Model::Appointment, SyncMode::Incremental, None, Some(&cursor))),
        );
        if window_start >= until {
            prop_assert!(matches!(result, Err(ConnectorError::Unsupported(_))), "{result:?}");
        } else {
            // The fake has no bookings route: the request was built and sent.
            prop_assert!(matches!(result, Err(ConnectorError::Rejected { status: 404, .. })), "{result:?}");
        }
    }

    #[test]
    fn walk_states_survive_the_round_trip(
        location_ids in proptest::collection::vec(".{0,20}", 0..25),
        batch in 0_usize..3,
        since in proptest::option::of(instant()),
        page in proptest::option::of(".{0,50}"),
    ) {
        let walk = SaleWalk { location_ids, batch, updated_since: since, page };
        let text = encode(Model::Sale, &walk);
        prop_assert_eq!(decode::<SaleWalk>(&text, Model::Sale).ok(), Some(walk));
        prop_assert!(decode::<SaleWalk>(&text, Model::Refund).is_err());
    }

    #[test]
    fn any_answer_is_classified_and_the_status_decides_when_square_says_nothing(
        status in 100_u16..600,
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let error = error_from(&ApiResponse { status, headers: vec![("retry-after".into(), "x".into())], body: body.clone() });
        let is_envelope = serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| v.get("errors").is_some());
        if !is_envelope {
            match status {
                401 => prop_assert!(matches!(error, ConnectorError::Unauthorized { .. }), "{error}"),
                408 | 429 | 500.. => prop_assert!(error.is_retryable(), "{error}"),
                400..500 => prop_assert!(matches!(error, ConnectorError::Rejected { .. }), "{error}"),
                _ => prop_assert!(matches!(error, ConnectorError::BadResponse { .. }), "{error}"),
            }
        }
    }
}
