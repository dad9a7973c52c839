//! Webhooks as a receiver sees them: signed POSTs (`intuit-signature` = base64 HMAC-SHA256 of
//! the raw body with the verifier token) in the CloudEvents format, or the legacy one, sent
//! for API and control-surface changes, and retried until the receiver accepts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use hub_emulators::quickbooks_online::{EntityKind, WebhookConfig, WebhookFormat};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::mpsc;

use super::{REALM, connect, id};
use crate::common::Harness;

const VERIFIER_TOKEN: &str = "verifier-7f3a";

/// A notification as received: the signature header and the raw body.
struct Received {
    signature: String,
    body: Bytes,
}

#[derive(Clone)]
struct Receiver {
    sender: mpsc::UnboundedSender<Received>,
    /// How many requests to answer 500 before answering 200.
    failures_left: Arc<AtomicU32>,
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature =
        headers.get("intuit-signature").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    let _ = receiver.sender.send(Received { signature, body });
    let failing = receiver.failures_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1));
    if failing.is_ok() { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK }
}

/// A webhook endpoint on a loopback port.
async fn start_receiver(failures: u32) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (sender, received) = mpsc::unbounded_channel();
    let receiver = Receiver { sender, failures_left: Arc::new(AtomicU32::new(failures)) };
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("binds");
    let address = listener.local_addr().expect("an address");
    let app = Router::new().route("/webhooks/quickbooks", post(receive)).with_state(receiver);
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/webhooks/quickbooks"), received)
}

async fn next(received: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(10), received.recv()).await.expect("a notification in time").expect("open")
}

/// Verifies the signature the way the hub must: over the raw bytes.
fn verify(received: &Received) -> Value {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(VERIFIER_TOKEN.as_bytes()).expect("any key length");
    mac.update(&received.body);
    let signature = STANDARD.decode(&received.signature).expect("a base64 signature");
    mac.verify_slice(&signature).expect("intuit-signature is HMAC-SHA256 of the raw body with the verifier token");
    serde_json::from_slice(&received.body).expect("a JSON body")
}

#[tokio::test]
async fn invoice_and_payment_changes_arrive_signed_as_cloudevents() {
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    let customer = company.customer("Signal Cuts").await;
    let royalty = company.item("Royalty").await;
    let (url, mut received) = start_receiver(0).await;
    let quickbooks = harness.state().quickbooks();
    quickbooks.configure_webhooks(
        REALM,
        WebhookConfig::new(url, VERIFIER_TOKEN).with_entities(vec![EntityKind::Invoice, EntityKind::Payment]),
    );

    let invoice = company.invoice(&customer, &royalty, 420.0).await;
    let payment = quickbooks.mark_invoice_paid(REALM, &id(&invoice)).expect("an open invoice");

    let mut events = Vec::new();
    for _ in 0..3 {
        let body = verify(&next(&mut received).await);
        let batch = body.as_array().expect("CloudEvents arrive as a JSON array");
        events.extend(batch.iter().cloned());
    }
    let summary: Vec<(String, String)> = events
        .iter()
        .map(|event| {
            assert_eq!(event["specversion"], "1.0");
            assert_eq!(event["intuitaccountid"], REALM);
            assert_eq!(event["datacontenttype"], "application/json");
            assert!(event["source"].as_str().is_some_and(|source| source.starts_with("intuit.")));
            assert!(event["id"].as_str().is_some_and(|id| !id.is_empty()) && event["time"].is_string());
            (
                event["type"].as_str().unwrap_or_default().to_owned(),
                event["intuitentityid"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("qbo.invoice.created.v1".to_owned(), id(&invoice)),
            ("qbo.payment.created.v1".to_owned(), id(&payment)),
            ("qbo.invoice.updated.v1".to_owned(), id(&invoice)),
        ],
        "customers and items were filtered out; the paid invoice was updated"
    );
    // The log records an attempt once the receiver's answer is in.
    let mut deliveries = quickbooks.webhook_deliveries(REALM);
    for _ in 0..100 {
        if deliveries.iter().all(|delivery| delivery.delivered) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        deliveries = quickbooks.webhook_deliveries(REALM);
    }
    assert_eq!(deliveries.len(), 3);
    assert!(
        deliveries.iter().all(|delivery| delivery.attempts.len() == 1 && delivery.attempts[0].status == Some(200)),
        "{deliveries:?}"
    );
}

#[tokio::test]
async fn failed_deliveries_are_retried_and_the_legacy_format_is_available() {
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    let (url, mut received) = start_receiver(2).await;
    let quickbooks = harness.state().quickbooks();
    let config = WebhookConfig::new(url, VERIFIER_TOKEN).with_format(WebhookFormat::Legacy).with_retry_delays(vec![
        Duration::from_millis(20),
        Duration::from_millis(20),
        Duration::from_millis(20),
    ]);
    quickbooks.configure_webhooks(REALM, config);
    let customer = company.customer("Retry Cuts").await;

    let attempts: Vec<Received> = vec![next(&mut received).await, next(&mut received).await, next(&mut received).await];
    assert!(attempts.windows(2).all(|pair| pair[0].body == pair[1].body), "a retry resends the same body");
    let body = verify(&attempts[2]);
    let notification = &body["eventNotifications"][0];
    assert_eq!(notification["realmId"], REALM);
    let entity = &notification["dataChangeEvent"]["entities"][0];
    assert_eq!((entity["name"].as_str(), entity["operation"].as_str()), (Some("Customer"), Some("Create")));
    assert_eq!(entity["id"], customer.as_str());
    assert!(entity["lastUpdated"].is_string());

    // The log shows the two failures and the success.
    let mut delivered = false;
    for _ in 0..50 {
        let deliveries = quickbooks.webhook_deliveries(REALM);
        if deliveries.first().is_some_and(|delivery| delivery.delivered) {
            let statuses: Vec<Option<u16>> = deliveries[0].attempts.iter().map(|attempt| attempt.status).collect();
            assert_eq!(statuses, vec![Some(500), Some(500), Some(200)]);
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(delivered, "{:?}", quickbooks.webhook_deliveries(REALM));

    // Without a configuration nothing is sent.
    quickbooks.remove_webhooks(REALM);
    company.customer("Quiet Cuts").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(received.try_recv().is_err(), "no notification after removing the webhook");
}
