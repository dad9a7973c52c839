//! The royalty store's conformance suite (agreements, exchange rates, statements with their
//! traces, invoices, provider accounts): written once, run against SQLite and PostgreSQL.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use hub_core::access::TenantScope;
use hub_core::id::{ConnectionId, FranchiseeId, LocationId, NetworkId};
use hub_core::page::PageRequest;
use hub_core::records::{Model, SyncMode};
use hub_core::royalties::{
    AgreementTerms, Consolidated, ExchangeRate, LineKind, NewAgreement, PeriodLength, SalesBase, StatementLine,
    StatementStatus, TracedSale,
};
use hub_core::tenancy::{Currency, Name, NewFranchisee, NewLocation, TimeZone};
use hub_store::{
    ChangeContext, InvoiceUpdate, NewSyncRun, RecordUpsert, StatementDraft, StatementFilter, Store, StoreError,
    SyncCheckpoint, SyncPage,
};
use rust_decimal::Decimal;

hub_store::tests_on_both_backends!(
    agreements_supersede_open_ended_ones_and_refuse_overlaps,
    exchange_rates_are_immutable_and_found_on_or_before_a_date,
    drafts_are_replaced_until_issued_and_never_after,
    statements_and_traces_are_scoped_to_the_caller,
    invoices_are_recorded_and_paid_statements_leave_the_work_list,
    sales_are_read_by_instant_and_changes_by_feed_position,
);

fn usd() -> Currency {
    Currency::parse("USD").expect("USD")
}

fn day(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

fn money(text: &str) -> Decimal {
    text.parse().expect("decimal")
}

struct Owner {
    network: NetworkId,
    franchisee: FranchiseeId,
    location: LocationId,
}

async fn owner(store: &dyn Store, network: Option<NetworkId>, label: &str) -> Owner {
    let network = match network {
        Some(network) => network,
        None => {
            store.create_network(&ChangeContext::cli(), Name::parse("Net").expect("name"), usd()).await.expect("net").id
        }
    };
    let scope = TenantScope::network(network.clone());
    let franchisee = store
        .create_franchisee(
            &scope,
            &ChangeContext::cli(),
            NewFranchisee { name: Name::parse(label).expect("name"), currency: usd() },
        )
        .await
        .expect("franchisee");
    let location = store
        .create_location(
            &scope,
            &ChangeContext::cli(),
            NewLocation {
                franchisee_id: franchisee.id.clone(),
                name: Name::parse(&format!("{label} shop")).expect("name"),
                time_zone: TimeZone::parse("America/Chicago").expect("zone"),
                territory_id: None,
            },
        )
        .await
        .expect("location");
    Owner { network, franchisee: franchisee.id, location: location.id }
}

fn terms() -> AgreementTerms {
    AgreementTerms {
        currency: usd(),
        period: PeriodLength::Monthly,
        royalty_rate: money("0.06"),
        tiers: Vec::new(),
        ad_fund_rate: money("0.02"),
        technology_fee_per_location: money("99.00"),
        minimum_royalty: Decimal::ZERO,
        sales_base: SalesBase::default(),
    }
}

fn agreement(owner: &Owner, from: &str, to: Option<&str>) -> NewAgreement {
    NewAgreement {
        franchisee_id: owner.franchisee.clone(),
        effective_from: day(from),
        effective_to: to.map(day),
        terms: terms(),
    }
}

async fn draft(store: &dyn Store, owner: &Owner, period: &str, total: &str, trace: Vec<TracedSale>) -> StatementDraft {
    let scope = TenantScope::network(owner.network.clone());
    let agreement = match store.agreement_on(&scope, &owner.franchisee, day(period)).await.expect("lookup") {
        Some(agreement) => agreement,
        None => store
            .create_agreement(&scope, &ChangeContext::cli(), agreement(owner, "2026-01-01", None))
            .await
            .expect("agreement"),
    };
    let start = day(period);
    StatementDraft {
        franchisee_id: owner.franchisee.clone(),
        period_start: start,
        period_end: PeriodLength::Monthly.period_end(start),
        currency: usd(),
        lines: vec![StatementLine {
            line_id: 1,
            kind: LineKind::Royalty,
            period_start: start,
            adjustment: false,
            description: "Royalty 6% of sales".into(),
            base: money("100.00"),
            rate: Some(money("0.06")),
            quantity: None,
            amount: money(total),
            sale_count: trace.len() as u64,
        }],
        total: money(total),
        sales_base: money("100.00"),
        consolidated: Consolidated { currency: usd(), total: money(total), rate: None },
        exchange_rates: Vec::new(),
        agreement,
        locations: vec![owner.location.clone()],
        source_seq: 7,
        trace,
    }
}

fn traced(owner: &Owner, period: &str, record: &str, base: &str) -> TracedSale {
    TracedSale {
        period_start: day(period),
        record_id: hub_core::id::RecordId::parse(record).expect("record id"),
        location_id: owner.location.clone(),
        local_date: day(period),
        currency: usd(),
        base: money(base),
    }
}

async fn agreements_supersede_open_ended_ones_and_refuse_overlaps(store: Arc<dyn Store>) {
    let owner = owner(&*store, None, "North").await;
    let scope = TenantScope::network(owner.network.clone());
    let ctx = ChangeContext::cli();
    let first = store.create_agreement(&scope, &ctx, agreement(&owner, "2026-01-01", None)).await.expect("first");
    let second = store.create_agreement(&scope, &ctx, agreement(&owner, "2026-07-01", None)).await.expect("second");
    let on = |date: &'static str| {
        let store = Arc::clone(&store);
        let scope = scope.clone();
        let franchisee = owner.franchisee.clone();
        async move { store.agreement_on(&scope, &franchisee, day(date)).await.expect("lookup").map(|a| a.id) }
    };
    assert_eq!(on("2026-06-30").await, Some(first.id.clone()), "the first now ends the day before the second");
    assert_eq!(on("2026-07-01").await, Some(second.id.clone()));
    assert_eq!(on("2025-12-31").await, None);
    let overlap = store.create_agreement(&scope, &ctx, agreement(&owner, "2026-03-01", Some("2026-03-31"))).await;
    assert!(matches!(overlap, Err(StoreError::Conflict { .. })), "{overlap:?}");
    let mut bad = agreement(&owner, "2026-09-01", Some("2026-08-01"));
    assert!(matches!(store.create_agreement(&scope, &ctx, bad.clone()).await, Err(StoreError::Invalid(_))));
    bad.effective_to = None;
    bad.terms.royalty_rate = money("6");
    assert!(matches!(store.create_agreement(&scope, &ctx, bad).await, Err(StoreError::Invalid(_))));

    let listed = store.list_agreements(&scope, Some(&owner.franchisee), &PageRequest::first()).await.expect("list");
    assert_eq!(listed.items.len(), 2);
    assert_eq!(listed.items[0].effective_to, Some(day("2026-06-30")));
    let own = TenantScope::franchisee(owner.network.clone(), owner.franchisee.clone());
    let refused = store.create_agreement(&own, &ctx, agreement(&owner, "2027-01-01", None)).await;
    assert!(matches!(refused, Err(StoreError::OutOfScope { .. })), "franchisees do not write their own agreements");
    let other = owner_in(&*store, &owner.network, "South").await;
    let theirs = TenantScope::franchisee(owner.network.clone(), other);
    assert!(store.list_agreements(&theirs, None, &PageRequest::first()).await.expect("list").items.is_empty());
}

async fn owner_in(store: &dyn Store, network: &NetworkId, label: &str) -> FranchiseeId {
    owner(store, Some(network.clone()), label).await.franchisee
}

async fn exchange_rates_are_immutable_and_found_on_or_before_a_date(store: Arc<dyn Store>) {
    let owner = owner(&*store, None, "North").await;
    let scope = TenantScope::network(owner.network.clone());
    let ctx = ChangeContext::cli();
    let eur = Currency::parse("EUR").expect("EUR");
    let rate = |date: &str, value: &str| ExchangeRate {
        from: eur,
        to: usd(),
        rate: money(value),
        rate_date: day(date),
        source: "ECB reference rate".into(),
    };
    store.add_exchange_rate(&scope, &ctx, rate("2026-10-31", "1.0800")).await.expect("october");
    store.add_exchange_rate(&scope, &ctx, rate("2026-11-30", "1.0850")).await.expect("november");
    let again = store.add_exchange_rate(&scope, &ctx, rate("2026-11-30", "1.2000")).await;
    assert!(matches!(again, Err(StoreError::Conflict { .. })), "a recorded rate never changes");
    let bad = store.add_exchange_rate(&scope, &ctx, rate("2026-12-01", "0")).await;
    assert!(matches!(bad, Err(StoreError::Invalid(_))));
    let found = store.exchange_rate_on(&owner.network, eur, usd(), day("2026-11-15")).await.expect("lookup");
    assert_eq!(found.map(|r| (r.rate, r.rate_date)), Some((money("1.0800"), day("2026-10-31"))));
    let found = store.exchange_rate_on(&owner.network, eur, usd(), day("2026-12-31")).await.expect("lookup");
    assert_eq!(found.map(|r| r.rate), Some(money("1.0850")));
    assert_eq!(store.exchange_rate_on(&owner.network, usd(), eur, day("2026-12-31")).await.expect("lookup"), None);
    assert_eq!(store.exchange_rate_on(&owner.network, eur, usd(), day("2026-10-30")).await.expect("lookup"), None);
    let first = store.list_exchange_rates(&scope, &PageRequest { limit: 1, after: None }).await.expect("page");
    assert_eq!(first.items[0].rate_date, day("2026-11-30"), "newest first");
    let after = hub_core::page::decode_cursor(first.next_cursor.as_deref().expect("more")).expect("cursor");
    let second = store.list_exchange_rates(&scope, &PageRequest { limit: 1, after: Some(after) }).await.expect("page");
    assert_eq!(second.items[0].rate_date, day("2026-10-31"));
    assert!(second.next_cursor.is_none());
}

async fn drafts_are_replaced_until_issued_and_never_after(store: Arc<dyn Store>) {
    let owner = owner(&*store, None, "North").await;
    let scope = TenantScope::network(owner.network.clone());
    let ctx = ChangeContext::cli();
    let sale_a = hub_core::id::RecordId::new().to_string();
    let sale_b = hub_core::id::RecordId::new().to_string();
    let first =
        draft(&*store, &owner, "2026-11-01", "6.00", vec![traced(&owner, "2026-11-01", &sale_a, "100.00")]).await;
    let saved = store.save_statement_draft(&scope, &ctx, first).await.expect("draft");
    assert_eq!((saved.status, saved.total), (StatementStatus::Draft, money("6.00")));
    let replacement =
        draft(&*store, &owner, "2026-11-01", "12.00", vec![traced(&owner, "2026-11-01", &sale_b, "200.00")]).await;
    let replaced = store.save_statement_draft(&scope, &ctx, replacement).await.expect("recompute");
    assert_eq!(replaced.id, saved.id, "recomputing keeps the statement");
    assert_eq!(replaced.total, money("12.00"));
    let trace =
        store.list_traced_sales(&scope, &saved.id, day("2026-11-01"), &PageRequest::first()).await.expect("trace");
    assert_eq!(trace.items.iter().map(|s| s.record_id.to_string()).collect::<Vec<_>>(), vec![sale_b.clone()]);
    assert!(store.billed_traces(&scope, &owner.franchisee, day("2026-11-01")).await.expect("billed").is_empty());

    let (issued, newly) = store.issue_statement(&scope, &ctx, &saved.id).await.expect("issue");
    assert!(newly && issued.status == StatementStatus::Issued && issued.issued_at.is_some());
    let (again, newly) = store.issue_statement(&scope, &ctx, &saved.id).await.expect("issue again");
    assert!(!newly && again.issued_at == issued.issued_at, "issuing twice changes nothing");
    let late = draft(&*store, &owner, "2026-11-01", "1.00", Vec::new()).await;
    assert!(matches!(store.save_statement_draft(&scope, &ctx, late).await, Err(StoreError::Conflict { .. })));
    let kept = store.get_statement(&scope, &saved.id).await.expect("get");
    assert_eq!((kept.total, kept.lines.len()), (money("12.00"), 1), "an issued statement never changes");
    let billed = store.billed_traces(&scope, &owner.franchisee, day("2026-11-01")).await.expect("billed");
    assert_eq!(billed.len(), 1);
    assert_eq!(billed[0].base, money("200.00"));
    assert_eq!(store.issued_statements(&scope, &owner.franchisee).await.expect("issued").len(), 1);
    let found = store.find_statement(&scope, &owner.franchisee, day("2026-11-01")).await.expect("find");
    assert_eq!(found.map(|s| s.id), Some(saved.id.clone()));
}

async fn statements_and_traces_are_scoped_to_the_caller(store: Arc<dyn Store>) {
    let north = owner(&*store, None, "North").await;
    let south = owner(&*store, Some(north.network.clone()), "South").await;
    let scope = TenantScope::network(north.network.clone());
    let ctx = ChangeContext::cli();
    let mut ids = Vec::new();
    for (owner, period) in [(&north, "2026-10-01"), (&north, "2026-11-01"), (&south, "2026-11-01")] {
        let sale = hub_core::id::RecordId::new().to_string();
        let new = draft(&*store, owner, period, "6.00", vec![traced(owner, period, &sale, "100.00")]).await;
        ids.push(store.save_statement_draft(&scope, &ctx, new).await.expect("draft").id);
    }
    let north_only = TenantScope::franchisee(north.network.clone(), north.franchisee.clone());
    let seen =
        store.list_statements(&north_only, &StatementFilter::default(), &PageRequest::first()).await.expect("list");
    assert_eq!(seen.items.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), vec![ids[0].clone(), ids[1].clone()]);
    assert!(matches!(store.get_statement(&north_only, &ids[2]).await, Err(StoreError::NotFound { .. })));
    let theirs = store.list_traced_sales(&north_only, &ids[2], day("2026-11-01"), &PageRequest::first()).await;
    assert!(matches!(theirs, Err(StoreError::NotFound { .. })), "another franchisee's trace is invisible");
    let november = StatementFilter { period_start: Some(day("2026-11-01")), ..StatementFilter::default() };
    assert_eq!(store.list_statements(&scope, &november, &PageRequest::first()).await.expect("list").items.len(), 2);
    let ranged = StatementFilter {
        period_from: Some(day("2026-10-15")),
        period_to: Some(day("2026-12-31")),
        ..StatementFilter::default()
    };
    assert_eq!(store.list_statements(&scope, &ranged, &PageRequest::first()).await.expect("list").items.len(), 2);
    let drafts = StatementFilter { status: Some(StatementStatus::Issued), ..StatementFilter::default() };
    assert!(store.list_statements(&scope, &drafts, &PageRequest::first()).await.expect("list").items.is_empty());
    let first = store
        .list_statements(&scope, &StatementFilter::default(), &PageRequest { limit: 2, after: None })
        .await
        .expect("page");
    assert_eq!(first.items.len(), 2);
    let after = hub_core::page::decode_cursor(first.next_cursor.as_deref().expect("more")).expect("cursor");
    let rest = store
        .list_statements(&scope, &StatementFilter::default(), &PageRequest { limit: 2, after: Some(after) })
        .await
        .expect("page");
    assert_eq!(rest.items.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), vec![ids[2].clone()]);
    let write = store
        .save_statement_draft(&north_only, &ctx, draft(&*store, &north, "2026-12-01", "1.00", Vec::new()).await)
        .await;
    assert!(matches!(write, Err(StoreError::OutOfScope { .. })), "franchisees do not compute their own statements");
    let issue = store.issue_statement(&north_only, &ctx, &ids[0]).await;
    assert!(matches!(issue, Err(StoreError::OutOfScope { .. })));
}

async fn invoices_are_recorded_and_paid_statements_leave_the_work_list(store: Arc<dyn Store>) {
    let owner = owner(&*store, None, "North").await;
    let scope = TenantScope::network(owner.network.clone());
    let ctx = ChangeContext::cli();
    let saved = store
        .save_statement_draft(&scope, &ctx, draft(&*store, &owner, "2026-11-01", "6.00", Vec::new()).await)
        .await
        .expect("draft");
    let update = |status: &str, balance: &str| InvoiceUpdate {
        invoice_id: "145".into(),
        invoice_number: Some("R202611-x".into()),
        invoice_status: status.into(),
        invoice_balance: money(balance),
    };
    let early = store.record_invoice(&owner.network, &saved.id, update("open", "6.00")).await;
    assert!(matches!(early, Err(StoreError::Conflict { .. })), "drafts are not invoiced");
    store.issue_statement(&scope, &ctx, &saved.id).await.expect("issue");
    let open = store.record_invoice(&owner.network, &saved.id, update("open", "6.00")).await.expect("invoice");
    assert_eq!((open.status, open.invoice_id.as_deref()), (StatementStatus::Issued, Some("145")));
    let awaiting = store.statements_awaiting_payment(100).await.expect("awaiting");
    assert!(awaiting.iter().any(|s| s.id == saved.id));
    let other = InvoiceUpdate { invoice_id: "999".into(), ..update("open", "6.00") };
    assert!(matches!(store.record_invoice(&owner.network, &saved.id, other).await, Err(StoreError::Conflict { .. })));
    let paid = store.record_invoice(&owner.network, &saved.id, update("paid", "0")).await.expect("paid");
    assert_eq!((paid.status, paid.invoice_balance), (StatementStatus::Paid, Some(Decimal::ZERO)));
    assert!(paid.paid_at.is_some());
    assert!(!store.statements_awaiting_payment(100).await.expect("awaiting").iter().any(|s| s.id == saved.id));

    let connection = ConnectionId::new();
    assert_eq!(store.provider_account(&owner.network, &connection).await.expect("none"), None);
    store.set_provider_account(&owner.network, &connection, "quickbooks-online", "9130").await.expect("set");
    store.set_provider_account(&owner.network, &connection, "quickbooks-online", "9131").await.expect("reset");
    assert_eq!(store.provider_account(&owner.network, &connection).await.expect("get").as_deref(), Some("9131"));
}

fn sale_json(occurred_at: &str, gross: &str) -> String {
    format!(
        r#"{{"occurred_at":"{occurred_at}","currency":"USD","gross":"{gross}","discount":"0.00","service_charges":"0.00","tax":"0.00","tip":"0.00","total":"{gross}","refunded":"0.00","net":"{gross}","customer_external_id":null,"lines":[],"tenders":[],"refunds":[]}}"#
    )
}

async fn write_sales(store: &dyn Store, owner: &Owner, connection: &ConnectionId, sales: &[(&str, &str, &str)]) {
    let (run, _) = store
        .create_sync_run(NewSyncRun {
            network_id: owner.network.clone(),
            connection_id: connection.clone(),
            franchisee_id: Some(owner.franchisee.clone()),
            location_id: Some(owner.location.clone()),
            mode: SyncMode::Incremental,
            trigger: "test".into(),
        })
        .await
        .expect("run");
    store.start_sync_run(&owner.network, &run.id).await.expect("start");
    let upserts = sales
        .iter()
        .map(|(external, at, gross)| {
            let occurred: DateTime<Utc> = at.parse().expect("instant");
            let data = sale_json(at, gross);
            RecordUpsert {
                external_id: (*external).to_owned(),
                franchisee_id: Some(owner.franchisee.clone()),
                location_id: Some(owner.location.clone()),
                provider_location_id: Some("L1".into()),
                occurred_at: Some(occurred),
                remote_updated_at: Some(occurred),
                content_hash: format!("{external}-{gross}"),
                data,
            }
        })
        .collect::<Vec<_>>();
    store
        .apply_sync_page(SyncPage {
            network_id: owner.network.clone(),
            run_id: run.id.clone(),
            connection_id: connection.clone(),
            provider: "square".into(),
            model: Model::Sale,
            mark_seen: false,
            fetched: upserts.len() as u64,
            pages: 1,
            upserts,
            deletes: Vec::new(),
            checkpoint: SyncCheckpoint::default(),
        })
        .await
        .expect("page");
    store.finish_sync_run(&owner.network, &run.id, None).await.expect("finish");
}

async fn sales_are_read_by_instant_and_changes_by_feed_position(store: Arc<dyn Store>) {
    let owner = owner(&*store, None, "North").await;
    let other = owner_in(&*store, &owner.network, "South").await;
    let scope = TenantScope::network(owner.network.clone());
    let connection = ConnectionId::new();
    assert_eq!(store.change_head(&owner.network).await.expect("head"), 0);
    write_sales(
        &*store,
        &owner,
        &connection,
        &[("S1", "2026-11-01T05:00:00Z", "10.00"), ("S2", "2026-12-01T05:59:59Z", "20.00")],
    )
    .await;
    let head = store.change_head(&owner.network).await.expect("head");
    assert_eq!(head, 2);
    let from: DateTime<Utc> = "2026-11-01T05:00:00Z".parse().expect("instant");
    let to: DateTime<Utc> = "2026-12-01T06:00:00Z".parse().expect("instant");
    let sales = store.sales_between(&scope, &owner.location, from, to).await.expect("sales");
    assert_eq!(sales.len(), 2, "from is inclusive");
    let sales = store
        .sales_between(&scope, &owner.location, from, "2026-12-01T05:59:59Z".parse().expect("instant"))
        .await
        .expect("sales");
    assert_eq!(sales.len(), 1, "to is exclusive");
    let theirs = TenantScope::franchisee(owner.network.clone(), other.clone());
    assert!(store.sales_between(&theirs, &owner.location, from, to).await.expect("sales").is_empty());

    write_sales(
        &*store,
        &owner,
        &connection,
        &[("S1", "2026-11-01T05:00:00Z", "10.00"), ("S2", "2026-12-01T05:59:59Z", "15.00")],
    )
    .await;
    let changed = store.sales_changed_after(&scope, &owner.franchisee, head).await.expect("changed");
    assert_eq!(changed.len(), 1, "only the sale whose content changed: {changed:?}");
    assert_eq!(changed[0].occurred_at, "2026-12-01T05:59:59Z".parse::<DateTime<Utc>>().expect("instant"));
    assert_eq!(store.sales_changed_after(&scope, &owner.franchisee, 0).await.expect("all").len(), 2);
    assert!(store.sales_changed_after(&scope, &other, 0).await.expect("none").is_empty());
}
