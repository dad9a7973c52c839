//! A network whose royalties were worked out by hand, computed by the hub to the cent, on SQLite
//! and PostgreSQL: three franchisees (one with marginal tiers and two shops in two time zones,
//! one under its minimum, one billed in CAD with a sale in USD), November issued, then a refund
//! and a late-synced sale of November that become adjustment lines on December.
//!
//! Rounding is per line to the cent, half away from zero; each expected figure is derived in the
//! comment beside it.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use hub_analytics::royalties::RoyaltyError;
use hub_analytics::royalties::engine::compute;
use hub_core::access::TenantScope;
use hub_core::id::{ConnectionId, FranchiseeId, LocationId, NetworkId};
use hub_core::page::PageRequest;
use hub_core::records::{RecordData, RefundStatus, Sale, SaleRefund};
use hub_core::royalties::{
    AgreementTerms, ExchangeRate, LineKind, NewAgreement, PeriodLength, RoyaltyStatement, RoyaltyTier, SalesBase,
    StatementStatus,
};
use hub_core::tenancy::{Currency, Name, NewFranchisee, NewLocation, TimeZone};
use hub_store::{ChangeContext, NewSyncRun, RecordUpsert, Store, SyncCheckpoint, SyncPage};
use rust_decimal::Decimal;

hub_store::tests_on_both_backends!(hand_computed_network_matches_to_the_cent);

fn money(text: &str) -> Decimal {
    text.parse().expect("decimal")
}

fn day(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

fn currency(code: &str) -> Currency {
    Currency::parse(code).expect("currency")
}

struct Shop {
    franchisee: FranchiseeId,
    location: LocationId,
    connection: ConnectionId,
}

async fn franchisee(store: &dyn Store, network: &NetworkId, name: &str, code: &str) -> FranchiseeId {
    let scope = TenantScope::network(network.clone());
    let new = NewFranchisee { name: Name::parse(name).expect("name"), currency: currency(code) };
    store.create_franchisee(&scope, &ChangeContext::cli(), new).await.expect("franchisee").id
}

async fn shop(store: &dyn Store, network: &NetworkId, franchisee: &FranchiseeId, name: &str, zone: &str) -> Shop {
    let scope = TenantScope::network(network.clone());
    let new = NewLocation {
        franchisee_id: franchisee.clone(),
        name: Name::parse(name).expect("name"),
        time_zone: TimeZone::parse(zone).expect("zone"),
        territory_id: None,
    };
    let location = store.create_location(&scope, &ChangeContext::cli(), new).await.expect("location");
    Shop { franchisee: franchisee.clone(), location: location.id, connection: ConnectionId::new() }
}

/// A sale as a connector would map it: figures that add up (`Sale::validate`).
fn sale(at: &str, code: &str, gross: &str, discount: &str, tax: &str, tip: &str, refunded: &str) -> Sale {
    let (gross, discount, tax, tip, refunded) =
        (money(gross), money(discount), money(tax), money(tip), money(refunded));
    let total = gross - discount + tax + tip;
    let occurred_at: DateTime<Utc> = at.parse().expect("instant");
    let sale = Sale {
        occurred_at,
        currency: currency(code),
        gross,
        discount,
        service_charges: money("0.00"),
        tax,
        tip,
        total,
        refunded,
        net: total - tax - tip - refunded,
        customer_external_id: None,
        lines: Vec::new(),
        tenders: Vec::new(),
        refunds: if refunded.is_zero() {
            Vec::new()
        } else {
            vec![SaleRefund {
                external_id: format!("R-{at}"),
                amount: refunded,
                status: RefundStatus::Completed,
                refunded_at: occurred_at,
            }]
        },
    };
    assert_eq!(sale.validate(), Ok(()));
    sale
}

/// Syncs `sales` (external id, sale) of one shop, as the sync engine writes a page.
async fn sync(store: &dyn Store, network: &NetworkId, shop: &Shop, sales: Vec<(&str, Sale)>) {
    let (run, _) = store
        .create_sync_run(NewSyncRun {
            network_id: network.clone(),
            connection_id: shop.connection.clone(),
            franchisee_id: Some(shop.franchisee.clone()),
            location_id: Some(shop.location.clone()),
            mode: hub_core::records::SyncMode::Incremental,
            trigger: "test".into(),
        })
        .await
        .expect("run");
    store.start_sync_run(network, &run.id).await.expect("start");
    let upserts: Vec<RecordUpsert> = sales
        .into_iter()
        .map(|(external_id, sale)| {
            let occurred_at = sale.occurred_at;
            let data = RecordData::Sale(sale);
            let json = data.to_json();
            let source = hub_core::records::SourceRecord {
                external_id: external_id.to_owned(),
                remote_updated_at: Some(occurred_at),
                provider_location_id: Some("L".into()),
                data,
            };
            RecordUpsert {
                external_id: external_id.to_owned(),
                franchisee_id: Some(shop.franchisee.clone()),
                location_id: Some(shop.location.clone()),
                provider_location_id: Some("L".into()),
                occurred_at: Some(occurred_at),
                remote_updated_at: Some(occurred_at),
                content_hash: source.content_hash(&json),
                data: json,
            }
        })
        .collect();
    store
        .apply_sync_page(SyncPage {
            network_id: network.clone(),
            run_id: run.id.clone(),
            connection_id: shop.connection.clone(),
            provider: "square".into(),
            model: hub_core::records::Model::Sale,
            mark_seen: false,
            fetched: upserts.len() as u64,
            pages: 1,
            upserts,
            deletes: Vec::new(),
            checkpoint: SyncCheckpoint::default(),
        })
        .await
        .expect("page");
    store.finish_sync_run(network, &run.id, None).await.expect("finish");
}

fn terms(code: &str, royalty: &str, ad_fund: &str, fee: &str, minimum: &str) -> AgreementTerms {
    AgreementTerms {
        currency: currency(code),
        period: PeriodLength::Monthly,
        royalty_rate: money(royalty),
        tiers: Vec::new(),
        ad_fund_rate: money(ad_fund),
        technology_fee_per_location: money(fee),
        minimum_royalty: money(minimum),
        sales_base: SalesBase::default(),
    }
}

/// `(kind, adjustment, base, amount)` of every line.
fn lines(statement: &RoyaltyStatement) -> Vec<(LineKind, bool, String, String)> {
    statement.lines.iter().map(|l| (l.kind, l.adjustment, l.base.to_string(), l.amount.to_string())).collect()
}

fn line(kind: LineKind, adjustment: bool, base: &str, amount: &str) -> (LineKind, bool, String, String) {
    (kind, adjustment, base.to_owned(), amount.to_owned())
}

async fn hand_computed_network_matches_to_the_cent(store: Arc<dyn Store>) {
    let ctx = ChangeContext::cli();
    let network =
        store.create_network(&ctx, Name::parse("Fixture Barbers").expect("name"), currency("USD")).await.expect("net");
    let net = network.id.clone();
    let scope = TenantScope::network(net.clone());
    let november = day("2026-11-01");

    // North: 6% up to 10,000.00 then 5% (marginal), 2% brand fund, 99.00 per shop, two shops.
    let north = franchisee(&*store, &net, "North Shears LLC", "USD").await;
    let chicago = shop(&*store, &net, &north, "Chicago Loop", "America/Chicago").await;
    let denver = shop(&*store, &net, &north, "Denver RiNo", "America/Denver").await;
    let mut north_terms = terms("USD", "0.06", "0.02", "99.00", "0");
    north_terms.tiers = vec![RoyaltyTier { above: money("10000.00"), rate: money("0.05") }];
    // Small: 6%, minimum royalty 500.00, 1.5% brand fund, 50.00 per shop.
    let small = franchisee(&*store, &net, "Small Fades Co.", "USD").await;
    let small_shop = shop(&*store, &net, &small, "Evanston", "America/Chicago").await;
    // Maple: billed in CAD, 5%, 2% brand fund, 75.00 CAD per shop.
    let maple = franchisee(&*store, &net, "Maple Cuts Inc.", "CAD").await;
    let toronto = shop(&*store, &net, &maple, "Toronto Queen West", "America/Toronto").await;
    for (owner, terms) in [
        (&north, north_terms),
        (&small, terms("USD", "0.06", "0.015", "50.00", "500.00")),
        (&maple, terms("CAD", "0.05", "0.02", "75.00", "0")),
    ] {
        let new =
            NewAgreement { franchisee_id: owner.clone(), effective_from: day("2026-01-01"), effective_to: None, terms };
        store.create_agreement(&scope, &ctx, new).await.expect("agreement");
    }

    // North's sales. Base = gross − discount − refunds (tax and tips are never in gross).
    sync(
        &*store,
        &net,
        &chicago,
        vec![
            // 8,000.00 − 500.00 discount = 7,500.00 (the 600.00 tax and 1,000.00 tip do not count).
            ("A1", sale("2026-11-10T15:00:00Z", "USD", "8000.00", "500.00", "600.00", "1000.00", "0.00")),
            // 23:30 on 30 November in Chicago (UTC−6): November. 1,000.00.
            ("A3", sale("2026-12-01T05:30:00Z", "USD", "1000.00", "0.00", "0.00", "0.00", "0.00")),
            // 23:30 on 31 October in Chicago (UTC−5, still daylight time): not November.
            ("A4", sale("2026-11-01T04:30:00Z", "USD", "999.00", "0.00", "0.00", "0.00", "0.00")),
        ],
    )
    .await;
    // 4,200.00 − 200.00 refunded = 4,000.00.
    sync(
        &*store,
        &net,
        &denver,
        vec![("A2", sale("2026-11-20T18:00:00Z", "USD", "4200.00", "0.00", "0.00", "0.00", "200.00"))],
    )
    .await;
    // Small: 3,334.75.
    sync(
        &*store,
        &net,
        &small_shop,
        vec![("B1", sale("2026-11-12T16:00:00Z", "USD", "3334.75", "0.00", "0.00", "0.00", "0.00"))],
    )
    .await;
    // Maple: 2,000.00 CAD, and a visitor paying in USD: 100.00 − 10.00 discount = 90.00 USD.
    sync(
        &*store,
        &net,
        &toronto,
        vec![
            ("C1", sale("2026-11-15T17:00:00Z", "CAD", "2000.00", "0.00", "260.00", "0.00", "0.00")),
            ("C2", sale("2026-11-16T17:00:00Z", "USD", "100.00", "10.00", "0.00", "0.00", "0.00")),
        ],
    )
    .await;

    // North, November: base 7,500.00 + 1,000.00 + 4,000.00 = 12,500.00.
    let north_nov = compute(&*store, &scope, &ctx, &north, november).await.expect("north november");
    assert_eq!(north_nov.sales_base, money("12500.00"));
    assert_eq!(
        lines(&north_nov),
        vec![
            line(LineKind::Royalty, false, "10000.00", "600.00"), // 10,000.00 × 6%
            line(LineKind::Royalty, false, "2500.00", "125.00"),  // (12,500.00 − 10,000.00) × 5%
            line(LineKind::AdFund, false, "12500.00", "250.00"),  // 12,500.00 × 2%
            line(LineKind::TechnologyFee, false, "0", "198.00"),  // 2 shops × 99.00
        ]
    );
    assert_eq!(north_nov.total.to_string(), "1173.00"); // 600 + 125 + 250 + 198
    assert_eq!((north_nov.period_end, north_nov.status), (day("2026-11-30"), StatementStatus::Draft));
    assert_eq!(north_nov.consolidated.total.to_string(), "1173.00", "already in the network's currency");
    assert!(north_nov.consolidated.rate.is_none());
    let traced = store.list_traced_sales(&scope, &north_nov.id, november, &PageRequest::first()).await.expect("trace");
    assert_eq!(traced.items.len(), 3, "A1, A2 and A3; A4 belongs to October");
    assert_eq!(traced.items.iter().map(|s| s.base).sum::<Decimal>(), money("12500.00"));
    assert_eq!(north_nov.lines[0].sale_count, 3);

    // Recomputing the draft gives the same statement.
    let again = compute(&*store, &scope, &ctx, &north, november).await.expect("recompute");
    assert_eq!(
        (again.id.clone(), lines(&again), again.total),
        (north_nov.id.clone(), lines(&north_nov), north_nov.total)
    );

    // Small, November: 3,334.75 × 6% = 200.085 → 200.09 (half away from zero; banker's would give
    // 200.08). Below the 500.00 minimum: top-up 500.00 − 200.09 = 299.91. Brand fund
    // 3,334.75 × 1.5% = 50.02125 → 50.02. One shop: 50.00. Total 600.02.
    let small_nov = compute(&*store, &scope, &ctx, &small, november).await.expect("small november");
    assert_eq!(
        lines(&small_nov),
        vec![
            line(LineKind::Royalty, false, "3334.75", "200.09"),
            line(LineKind::MinimumTopUp, false, "0", "299.91"),
            line(LineKind::AdFund, false, "3334.75", "50.02"),
            line(LineKind::TechnologyFee, false, "0", "50.00"),
        ]
    );
    assert_eq!(small_nov.total.to_string(), "600.02");

    // Maple needs USD→CAD for its visitor's sale: with no rate stored, nothing is computed.
    let missing = compute(&*store, &scope, &ctx, &maple, november).await;
    assert!(matches!(missing, Err(RoyaltyError::MissingRate { .. })), "{missing:?}");
    assert_eq!(store.find_statement(&scope, &maple, november).await.expect("find"), None, "nothing changed");
    let rate = |from: &str, to: &str, value: &str, date: &str, source: &str| ExchangeRate {
        from: currency(from),
        to: currency(to),
        rate: money(value),
        rate_date: day(date),
        source: source.into(),
    };
    store
        .add_exchange_rate(&scope, &ctx, rate("USD", "CAD", "1.3800", "2026-10-31", "Bank of Canada"))
        .await
        .expect("rate");
    store
        .add_exchange_rate(&scope, &ctx, rate("USD", "CAD", "1.3925", "2026-11-30", "Bank of Canada"))
        .await
        .expect("rate");
    // Dated after the period: never used for November.
    store
        .add_exchange_rate(&scope, &ctx, rate("USD", "CAD", "1.5000", "2026-12-01", "Bank of Canada"))
        .await
        .expect("rate");
    // Consolidation to the network's USD needs CAD→USD too.
    let missing = compute(&*store, &scope, &ctx, &maple, november).await;
    assert!(matches!(missing, Err(RoyaltyError::MissingRate { from, .. }) if from == currency("CAD")), "{missing:?}");
    store
        .add_exchange_rate(&scope, &ctx, rate("CAD", "USD", "0.7180", "2026-11-30", "Bank of Canada"))
        .await
        .expect("rate");
    // Base: 2,000.00 CAD + 90.00 USD × 1.3925 = 125.325 → 125.33 CAD, so 2,125.33 CAD.
    // Royalty 2,125.33 × 5% = 106.2665 → 106.27; brand fund × 2% = 42.5066 → 42.51; one shop 75.00.
    // Total 223.78 CAD; consolidated at 0.7180: 160.67404 → 160.67 USD.
    let maple_nov = compute(&*store, &scope, &ctx, &maple, november).await.expect("maple november");
    assert_eq!(maple_nov.sales_base, money("2125.33"));
    assert_eq!(
        lines(&maple_nov),
        vec![
            line(LineKind::Royalty, false, "2125.33", "106.27"),
            line(LineKind::AdFund, false, "2125.33", "42.51"),
            line(LineKind::TechnologyFee, false, "0", "75.00"),
        ]
    );
    assert_eq!((maple_nov.total.to_string(), maple_nov.currency), ("223.78".to_owned(), currency("CAD")));
    assert_eq!(maple_nov.consolidated.total.to_string(), "160.67");
    assert_eq!(maple_nov.consolidated.currency, currency("USD"));
    let used = maple_nov.consolidated.rate.as_ref().expect("a consolidation rate");
    assert_eq!(
        (used.rate, used.rate_date, used.source.as_str()),
        (money("0.7180"), day("2026-11-30"), "Bank of Canada")
    );
    let usd_cad = maple_nov.exchange_rates.iter().find(|r| r.from == currency("USD")).expect("the USD→CAD rate");
    assert_eq!((usd_cad.rate, usd_cad.rate_date), (money("1.3925"), day("2026-11-30")));

    for statement in [&north_nov, &small_nov, &maple_nov] {
        store.issue_statement(&scope, &ctx, &statement.id).await.expect("issue");
    }

    // After issue: A1 is refunded 1,000.00 (its base drops to 6,500.00) and a November sale of
    // Denver syncs late (A5, 300.00). December has one sale of 5,000.00 (A6).
    sync(
        &*store,
        &net,
        &chicago,
        vec![
            ("A1", sale("2026-11-10T15:00:00Z", "USD", "8000.00", "500.00", "600.00", "1000.00", "1000.00")),
            ("A6", sale("2026-12-10T15:00:00Z", "USD", "5000.00", "0.00", "0.00", "0.00", "0.00")),
        ],
    )
    .await;
    sync(
        &*store,
        &net,
        &denver,
        vec![("A5", sale("2026-11-25T18:00:00Z", "USD", "300.00", "0.00", "0.00", "0.00", "0.00"))],
    )
    .await;
    let issued = store.get_statement(&scope, &north_nov.id).await.expect("november");
    assert_eq!((lines(&issued), issued.total), (lines(&north_nov), north_nov.total), "issued statements never change");

    // November recomputed: 12,500.00 − 1,000.00 + 300.00 = 11,800.00. Royalty 600.00 +
    // 1,800.00 × 5% = 90.00 → 690.00 against 725.00 billed: −35.00 (base 11,800 − 12,500 = −700,
    // across two rates, so no single rate). Brand fund 236.00 against 250.00: −14.00.
    // December: 5,000.00 × 6% = 300.00, × 2% = 100.00, 198.00; total 598.00 − 35.00 − 14.00 = 549.00.
    let december = day("2026-12-01");
    let north_dec = compute(&*store, &scope, &ctx, &north, december).await.expect("north december");
    assert_eq!(
        lines(&north_dec),
        vec![
            line(LineKind::Royalty, false, "5000.00", "300.00"),
            line(LineKind::AdFund, false, "5000.00", "100.00"),
            line(LineKind::TechnologyFee, false, "0", "198.00"),
            line(LineKind::Royalty, true, "-700.00", "-35.00"),
            line(LineKind::AdFund, true, "-700.00", "-14.00"),
        ]
    );
    assert_eq!(north_dec.total.to_string(), "549.00");
    let adjustment = &north_dec.lines[3];
    assert_eq!((adjustment.period_start, adjustment.rate, adjustment.sale_count), (november, None, 2));
    assert_eq!(north_dec.lines[4].rate, Some(money("0.02")));
    let traced = store.list_traced_sales(&scope, &north_dec.id, november, &PageRequest::first()).await.expect("trace");
    let mut deltas: Vec<String> = traced.items.iter().map(|s| s.base.to_string()).collect();
    deltas.sort();
    assert_eq!(deltas, vec!["-1000.00", "300.00"], "the refund and the late sale, nothing else");

    // Recomputing December is idempotent, and the other franchisees have nothing to adjust.
    let again = compute(&*store, &scope, &ctx, &north, december).await.expect("recompute december");
    assert_eq!(
        (again.id.clone(), lines(&again), again.total),
        (north_dec.id.clone(), lines(&north_dec), north_dec.total)
    );
    let small_dec = compute(&*store, &scope, &ctx, &small, december).await.expect("small december");
    assert!(small_dec.lines.iter().all(|line| !line.adjustment));
    // No sales: royalty 0.00, top-up 500.00, brand fund 0.00, 50.00: 550.00.
    assert_eq!(small_dec.total.to_string(), "550.00");

    // Issued, December's adjustments count as billed: January adjusts nothing more.
    store.issue_statement(&scope, &ctx, &north_dec.id).await.expect("issue december");
    let refused = compute(&*store, &scope, &ctx, &north, november).await;
    assert!(matches!(refused, Err(RoyaltyError::Conflict(_))), "an issued period is never recomputed");
    let north_jan = compute(&*store, &scope, &ctx, &north, day("2027-01-01")).await.expect("north january");
    assert!(north_jan.lines.iter().all(|line| !line.adjustment), "{:?}", lines(&north_jan));
    assert_eq!(north_jan.total.to_string(), "198.00"); // no sales: 0.00 + 0.00 + 2 × 99.00
    let bad = compute(&*store, &scope, &ctx, &north, day("2027-02-02")).await;
    assert!(
        matches!(&bad, Err(RoyaltyError::Invalid(error)) if error.field.as_deref() == Some("period_start")),
        "{bad:?}"
    );
}
