//! Sales walks through [`SourceConnector::fetch`] against the fake account: location batches,
//! paging within them, resuming from a cursor after a restart, and cursors the connector did not
//! make.

use hub_core::records::{Model, RecordData};
use serde_json::{Value, json};

use super::super::SquareConnector;
use super::fake::{FakeSquare, cursor_of, ok};
use super::{at, catalog_answer, haircut_order, ids, request, walk};
use crate::source::{ConnectorError, FetchedPage, HttpMethod, SourceConnector, SyncMode};

fn order(id: &str, location: &str) -> Value {
    let mut order = haircut_order();
    order["id"] = json!(id);
    order["location_id"] = json!(location);
    order
}

fn location_ids(range: std::ops::RangeInclusive<u32>) -> Vec<String> {
    range.map(|n| format!("L{n}")).collect()
}

/// Twelve shops: orders are searched ten locations at a time; the first ten answer two pages.
fn twelve_shop_account(with_locations: bool) -> FakeSquare {
    let first: String = serde_json::to_string(&location_ids(1..=10)).expect("ids serialize");
    let rest: String = serde_json::to_string(&location_ids(11..=12)).expect("ids serialize");
    let names = location_ids(1..=12);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let fake = if with_locations { FakeSquare::new().with_locations(&names) } else { FakeSquare::new() };
    fake.on(
        HttpMethod::Post,
        "/v2/orders/search",
        None,
        &[("location_ids", &first)],
        ok(json!({ "orders": [order("O1", "L1"), order("O2", "L4")], "cursor": "p2" })),
    )
    .on(
        HttpMethod::Post,
        "/v2/orders/search",
        Some("p2"),
        &[("location_ids", &first)],
        ok(json!({ "orders": [order("O3", "L10")] })),
    )
    .on(
        HttpMethod::Post,
        "/v2/orders/search",
        None,
        &[("location_ids", &rest)],
        ok(json!({ "orders": [order("O4", "L12")], "cursor": "" })),
    )
    .on(HttpMethod::Post, "/v2/catalog/batch-retrieve", None, &[], ok(catalog_answer()))
}

#[tokio::test]
async fn the_connector_names_itself_and_syncs_what_others_refer_to_first() {
    let connector = SquareConnector::new();
    assert_eq!(connector.provider(), "square");
    assert_eq!(
        connector.models(),
        [
            Model::Location,
            Model::StaffMember,
            Model::Customer,
            Model::Sale,
            Model::Refund,
            Model::Payout,
            Model::Timecard,
            Model::Appointment
        ]
    );
    let error = connector.fetch(&FakeSquare::new(), request(Model::Lead, SyncMode::Full, None, None)).await;
    assert!(matches!(error, Err(ConnectorError::Unsupported(_))), "Square has no leads");
}

#[tokio::test]
async fn locations_come_in_one_page() {
    let api = FakeSquare::new().with_locations(&["L1", "L2"]);
    let connector = SquareConnector::new();
    let (records, cursors) = walk(&connector, &api, Model::Location, SyncMode::Full, None, None).await.expect("walks");
    assert_eq!((ids(&records), cursors.len()), (vec!["L1", "L2"], 0));
    assert_eq!(api.sent().len(), 1);
    let resumed = connector.fetch(&api, request(Model::Location, SyncMode::Full, None, Some("{}"))).await;
    assert!(matches!(resumed, Err(ConnectorError::Unsupported(_))));
}

#[tokio::test]
async fn sales_walk_every_location_ten_at_a_time_and_page_within_each_batch() {
    let api = twelve_shop_account(true);
    let connector = SquareConnector::new();
    let (records, cursors) = walk(&connector, &api, Model::Sale, SyncMode::Full, None, None).await.expect("walks");
    assert_eq!(ids(&records), ["O1", "O2", "O3", "O4"]);
    assert_eq!(cursors.len(), 2, "three pages");
    assert!(records.iter().all(|record| matches!(&record.data, RecordData::Sale(sale) if sale.validate().is_ok())));
    assert_eq!(records[3].provider_location_id.as_deref(), Some("L12"));

    assert_eq!(api.sent_to("/v2/locations").len(), 1, "location ids travel in the cursor after the first page");
    let searches = api.sent_to("/v2/orders/search");
    let batches: Vec<(usize, Option<String>)> = searches
        .iter()
        .map(|search| {
            (
                search.json.as_ref().map_or(0, |body| body["location_ids"].as_array().map_or(0, Vec::len)),
                cursor_of(search),
            )
        })
        .collect();
    assert_eq!(batches, [(10, None), (10, Some("p2".into())), (2, None)]);
    assert!(
        searches.iter().all(|search| search.json.as_ref().map(|body| &body["query"])
            == searches[0].json.as_ref().map(|body| &body["query"])),
        "every page re-sends the original query"
    );
    assert_eq!(api.sent_to("/v2/catalog/batch-retrieve").len(), 3, "one catalog lookup per page with items");
}

#[tokio::test]
async fn a_sales_walk_resumes_from_its_cursor_in_a_new_process_without_repeating_anything() {
    let uninterrupted =
        walk(&SquareConnector::new(), &twelve_shop_account(true), Model::Sale, SyncMode::Full, None, None)
            .await
            .expect("walks")
            .0;

    // The first process reads one page, checkpoints the cursor text, and is gone.
    let first = SquareConnector::new()
        .fetch(&twelve_shop_account(true), request(Model::Sale, SyncMode::Full, None, None))
        .await
        .expect("first page");
    let checkpoint: String = first.next_cursor.expect("more to come");
    let parsed: Value = serde_json::from_str(&checkpoint).expect("the cursor is JSON");
    assert_eq!((parsed["connector"].as_str(), parsed["model"].as_str()), (Some("square"), Some("sale")));
    assert_eq!(parsed["state"]["location_ids"].as_array().map(Vec::len), Some(12));

    // A new process: a fresh connector and an account that would refuse a second location list.
    let after = twelve_shop_account(false);
    let (rest, _) = walk(&SquareConnector::new(), &after, Model::Sale, SyncMode::Full, None, Some(checkpoint))
        .await
        .expect("resumes");
    let mut resumed = first.records;
    resumed.extend(rest);
    assert_eq!(resumed, uninterrupted);
    assert!(after.sent_to("/v2/locations").is_empty());
}

#[tokio::test]
async fn an_incremental_sales_walk_keeps_its_boundary_in_the_cursor() {
    let since = at("2026-11-20T00:00:00Z");
    let api = twelve_shop_account(true);
    let connector = SquareConnector::new();
    let first =
        connector.fetch(&api, request(Model::Sale, SyncMode::Incremental, Some(since), None)).await.expect("page");
    let cursor = first.next_cursor.expect("more");
    // Even if the engine passed another boundary now, the walk keeps the query its cursor belongs to.
    let later = Some(at("2026-11-23T00:00:00Z"));
    connector.fetch(&api, request(Model::Sale, SyncMode::Incremental, later, Some(&cursor))).await.expect("page");
    for search in api.sent_to("/v2/orders/search") {
        let body = search.json.expect("a body");
        assert_eq!(body["query"]["filter"]["date_time_filter"]["updated_at"]["start_at"], "2026-11-20T00:00:00.000Z");
        assert_eq!(body["query"]["sort"], json!({ "sort_field": "UPDATED_AT", "sort_order": "ASC" }));
    }
}

#[tokio::test]
async fn a_seller_without_locations_has_no_sales_or_payouts_to_read() {
    let api = FakeSquare::new().with_locations(&[]);
    let connector = SquareConnector::new();
    for model in [Model::Sale, Model::Payout] {
        let page = connector.fetch(&api, request(model, SyncMode::Full, None, None)).await.expect("empty");
        assert_eq!(page, FetchedPage::default(), "{model}");
    }
}

#[tokio::test]
async fn cursors_the_connector_did_not_make_are_refused() {
    let connector = SquareConnector::new();
    let api = twelve_shop_account(true);
    let first = connector.fetch(&api, request(Model::Sale, SyncMode::Full, None, None)).await.expect("page");
    let sale_cursor = first.next_cursor.expect("more");
    let foreign = [
        "not json".to_owned(),
        "{}".to_owned(),
        r#"{"connector":"clover","version":1,"model":"sale","state":{}}"#.to_owned(),
        sale_cursor.replace("\"version\":1", "\"version\":2"),
        sale_cursor.replace("\"batch\":0", "\"batch\":7"),
        sale_cursor.replace("\"batch\":0", "\"batch\":0,\"extra\":true"),
    ];
    for cursor in &foreign {
        let result = connector.fetch(&api, request(Model::Sale, SyncMode::Full, None, Some(cursor))).await;
        assert!(matches!(result, Err(ConnectorError::Unsupported(_))), "{cursor}: {result:?}");
    }
    let wrong_model = connector.fetch(&api, request(Model::Customer, SyncMode::Full, None, Some(&sale_cursor))).await;
    assert!(matches!(wrong_model, Err(ConnectorError::Unsupported(_))), "a sale cursor is not a customer cursor");
}
