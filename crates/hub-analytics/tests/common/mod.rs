//! A small network with records written the way the sync engine writes them.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use hub_core::access::TenantScope;
use hub_core::id::{ConnectionId, FranchiseeId, LocationId, NetworkId};
use hub_core::records::{
    Appointment, AppointmentStatus, Model, RecordData, RefundStatus, Sale, SaleRefund, SourceRecord, SyncMode, Timecard,
};
use hub_core::tenancy::{Currency, Name, NewFranchisee, NewLocation, TimeZone};
use hub_store::{ChangeContext, NewSyncRun, RecordUpsert, Store, SyncCheckpoint, SyncPage};
use rust_decimal::Decimal;

pub struct Shop {
    pub franchisee: FranchiseeId,
    pub location: LocationId,
    pub connection: ConnectionId,
}

pub async fn network(store: &dyn Store) -> NetworkId {
    let usd = Currency::parse("USD").expect("USD");
    store.create_network(&ChangeContext::cli(), Name::parse("Net").expect("name"), usd).await.expect("network").id
}

/// A franchisee with one shop in `zone`.
pub async fn shop(store: &dyn Store, network: &NetworkId, label: &str, zone: &str) -> Shop {
    let usd = Currency::parse("USD").expect("USD");
    let scope = TenantScope::network(network.clone());
    let franchisee = store
        .create_franchisee(
            &scope,
            &ChangeContext::cli(),
            NewFranchisee { name: Name::parse(label).expect("name"), currency: usd },
        )
        .await
        .expect("franchisee");
    let location = store
        .create_location(
            &scope,
            &ChangeContext::cli(),
            NewLocation {
                franchisee_id: franchisee.id.clone(),
                name: Name::parse(&format!("{label} Main St")).expect("name"),
                time_zone: TimeZone::parse(zone).expect("zone"),
                territory_id: None,
            },
        )
        .await
        .expect("location");
    Shop { franchisee: franchisee.id, location: location.id, connection: ConnectionId::new() }
}

pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("an instant").with_timezone(&Utc)
}

pub fn money(text: &str) -> Decimal {
    text.parse().expect("an amount")
}

/// A sale of `gross` with a 10% tax, a tip, and `refunded` given back.
pub fn sale(occurred_at: &str, currency: &str, gross: &str, tip: &str, refunded: &str, customer: Option<&str>) -> Sale {
    let gross = money(gross);
    let tax = (gross / Decimal::from(10)).round_dp(2);
    let tip = money(tip);
    let refunded = money(refunded);
    let total = gross + tax + tip;
    let occurred_at = at(occurred_at);
    let sale = Sale {
        occurred_at,
        currency: Currency::parse(currency).expect("currency"),
        gross,
        discount: Decimal::ZERO,
        service_charges: Decimal::ZERO,
        tax,
        tip,
        total,
        refunded,
        net: total - tax - tip - refunded,
        customer_external_id: customer.map(str::to_owned),
        lines: vec![],
        tenders: vec![],
        refunds: if refunded.is_zero() {
            vec![]
        } else {
            vec![SaleRefund {
                external_id: "R1".into(),
                amount: refunded,
                status: RefundStatus::Completed,
                refunded_at: occurred_at + chrono::TimeDelta::days(3),
            }]
        },
    };
    sale.validate().expect("the fixture's figures add up");
    sale
}

pub fn appointment(start_at: &str, minutes: u32, status: AppointmentStatus, customer: Option<&str>) -> Appointment {
    Appointment {
        start_at: at(start_at),
        duration_minutes: minutes,
        status,
        customer_external_id: customer.map(str::to_owned),
        staff_external_id: Some("TM1".into()),
        services: vec!["Cut".into()],
    }
}

pub fn timecard(start_at: &str, end_at: &str, break_minutes: u32) -> Timecard {
    Timecard {
        staff_external_id: Some("TM1".into()),
        start_at: at(start_at),
        end_at: Some(at(end_at)),
        break_minutes,
        hourly_rate: None,
        currency: None,
        declared_cash_tips: None,
    }
}

/// Writes `records` (external id, content) of one model for `shop`, and deletes `deletes`, as a
/// sync run would.
pub async fn write(
    store: &dyn Store,
    network: &NetworkId,
    shop: &Shop,
    model: Model,
    records: Vec<(&str, RecordData)>,
    deletes: Vec<&str>,
) {
    let (run, _) = store
        .create_sync_run(NewSyncRun {
            network_id: network.clone(),
            connection_id: shop.connection.clone(),
            franchisee_id: Some(shop.franchisee.clone()),
            location_id: Some(shop.location.clone()),
            mode: SyncMode::Incremental,
            trigger: "test".into(),
        })
        .await
        .expect("run");
    store.start_sync_run(network, &run.id).await.expect("start");
    let upserts = records
        .into_iter()
        .map(|(external_id, data)| {
            let json = data.to_json();
            let source = SourceRecord {
                external_id: external_id.into(),
                remote_updated_at: None,
                provider_location_id: None,
                data: data.clone(),
            };
            RecordUpsert {
                external_id: external_id.into(),
                franchisee_id: Some(shop.franchisee.clone()),
                location_id: Some(shop.location.clone()),
                provider_location_id: None,
                occurred_at: data.occurred_at(),
                remote_updated_at: None,
                content_hash: source.content_hash(&json),
                data: json,
            }
        })
        .collect::<Vec<_>>();
    store
        .apply_sync_page(SyncPage {
            network_id: network.clone(),
            run_id: run.id.clone(),
            connection_id: shop.connection.clone(),
            provider: "square".into(),
            model,
            mark_seen: false,
            fetched: upserts.len() as u64,
            pages: 1,
            upserts,
            deletes: deletes.into_iter().map(str::to_owned).collect(),
            checkpoint: SyncCheckpoint::default(),
        })
        .await
        .expect("page");
    store.finish_sync_run(network, &run.id, None).await.expect("finish");
}
