//! Square emulator figures: how long generating a dataset takes (12 shops × 90 days × 30–50
//! sales a day, and one shop × 730 days × 55–65), and how fast a client pulls every order and
//! payment of it through the HTTP API. Prints numbers; asserts nothing.
//!
//! `cargo bench -p hub-emulators --bench square_dataset`

use std::net::SocketAddr;
use std::time::Instant;

use chrono::NaiveDate;
use hub_emulators::{EmulatorState, SQUARE_DATA_SCOPES, SquareLocationSpec, SquareMerchantConfig};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::json;

/// A page, reading only the cursor and counting records (so the figures are the emulator's,
/// not the client's JSON parsing).
#[derive(Deserialize)]
struct Page {
    cursor: Option<String>,
    #[serde(default)]
    orders: Vec<IgnoredAny>,
    #[serde(default)]
    payments: Vec<IgnoredAny>,
}

async fn page(request: reqwest::RequestBuilder, bytes: &mut usize) -> Page {
    let body = request.send().await.expect("answers").bytes().await.expect("a body");
    *bytes += body.len();
    serde_json::from_slice(&body).expect("a page")
}

fn config(merchant_id: &str, shops: usize, days: u32, orders: std::ops::RangeInclusive<u32>) -> SquareMerchantConfig {
    let zones = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"];
    SquareMerchantConfig {
        merchant_id: merchant_id.to_owned(),
        business_name: None,
        locations: (0..shops)
            .map(|n| SquareLocationSpec::new(format!("Shop {n}"), zones[n % zones.len()], "USD"))
            .collect(),
        days,
        end_date: NaiveDate::from_ymd_opt(2025, 6, 30).expect("a date"),
        seed: 7,
        orders_per_day: orders,
    }
}

/// Every order and payment of a merchant: counts, seconds, and bytes of JSON received.
async fn pull(http: &reqwest::Client, base: &str, token: &str, locations: &[String]) -> [(usize, f64, usize); 2] {
    let (mut order_bytes, mut payment_bytes) = (0, 0);
    let started = Instant::now();
    let mut orders = 0;
    for chunk in locations.chunks(10) {
        let mut cursor: Option<String> = None;
        loop {
            let mut body = json!({"location_ids": chunk, "limit": 1000, "query": {"sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"}}});
            if let Some(cursor) = &cursor {
                body["cursor"] = json!(cursor);
            }
            let request = http.post(format!("{base}/square/v2/orders/search")).bearer_auth(token).json(&body);
            let page = page(request, &mut order_bytes).await;
            orders += page.orders.len();
            cursor = page.cursor;
            if cursor.is_none() {
                break;
            }
        }
    }
    let order_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut payments = 0;
    for location in locations {
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!(
                "{base}/square/v2/payments?limit=100&begin_time=2020-01-01T00:00:00Z&end_time=2030-01-01T00:00:00Z&location_id={location}&sort_field=UPDATED_AT&sort_order=ASC"
            );
            if let Some(cursor) = &cursor {
                url.push_str(&format!("&cursor={cursor}"));
            }
            let page = page(http.get(url).bearer_auth(token), &mut payment_bytes).await;
            payments += page.payments.len();
            cursor = page.cursor;
            if cursor.is_none() {
                break;
            }
        }
    }
    [(orders, order_seconds, order_bytes), (payments, started.elapsed().as_secs_f64(), payment_bytes)]
}

/// The process's resident memory in MB, where Linux tells it.
fn resident_megabytes() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kilobytes: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes / 1024.0)
}

#[tokio::main]
async fn main() {
    let address: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    let emulator = hub_emulators::start(address, EmulatorState::new()).await.expect("binds");
    let square = emulator.state().square();
    let http = reqwest::Client::new();
    for (name, config) in [
        ("12 shops × 90 days × 30–50/day", config("MLBENCHWIDE", 12, 90, 30..=50)),
        ("1 shop × 730 days × 55–65/day", config("MLBENCHDEEP", 1, 730, 55..=65)),
    ] {
        let before = resident_megabytes();
        let started = Instant::now();
        let counts = square.configure_merchant(&config).expect("configured");
        let generated = started.elapsed().as_secs_f64();
        if let (Some(before), Some(after)) = (before, resident_megabytes()) {
            println!("{name}: resident memory {before:.0} MB before, {after:.0} MB after generating");
        }
        println!(
            "{name}: generated {} orders, {} payments, {} refunds, {} customers, {} timecards, {} bookings in {:.3} s",
            counts.orders,
            counts.payments,
            counts.refunds,
            counts.customers,
            counts.timecards,
            counts.bookings,
            generated
        );
        let token = square.issue_access_token(&config.merchant_id, &SQUARE_DATA_SCOPES).expect("a token");
        let locations: Vec<String> = square.locations(&config.merchant_id).into_iter().map(|l| l.id).collect();
        let pulled = pull(&http, &emulator.base_url(), &token, &locations).await;
        for ((count, seconds, bytes), (what, size)) in pulled.into_iter().zip([("orders", 1000), ("payments", 100)]) {
            let rate = count as f64 / seconds;
            let megabytes = bytes as f64 / 1e6;
            println!(
                "  pulled {count} {what} in {seconds:.2} s ({rate:.0}/s, pages of {size}, {megabytes:.0} MB of JSON)"
            );
        }
    }
    emulator.stop().await.expect("stops");
}
