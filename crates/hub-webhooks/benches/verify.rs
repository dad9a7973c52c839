//! What inbound verification costs per delivery, per scheme, on the valid path (the one every
//! genuine delivery takes), beside a baseline measured in the same run: one HMAC-SHA256 over the
//! same body, the least any body-signing verifier must do. Prints figures; asserts nothing.
//!
//! `cargo bench -p hub-webhooks --bench verify`

#[path = "../tests/schemes/support.rs"]
#[allow(dead_code)]
mod support;

#[path = "../tests/common/signed.rs"]
#[allow(dead_code)]
mod signed;

use std::hint::black_box;
use std::time::{Duration, Instant};

use hub_webhooks::{Scheme, verify};
use signed::{BODY_SIGNING, T, signed, token_delivery};
use support::{at, hmac_sha256};

/// Runs `work` for about `budget` and answers the mean time per call.
fn per_call(budget: Duration, mut work: impl FnMut()) -> Duration {
    for _ in 0..100 {
        work();
    }
    let mut calls = 0u32;
    let started = Instant::now();
    while started.elapsed() < budget {
        for _ in 0..64 {
            work();
        }
        calls += 64;
    }
    started.elapsed() / calls
}

fn main() {
    // A body the size of a typical single event (Stripe, Square): about 2 KiB of JSON.
    let mut body = b"{\"timestamp\":\"2023-11-14T22:13:20Z\",\"id\":\"evt_1\",\"data\":\"".to_vec();
    body.extend(std::iter::repeat_n(b'x', 2000));
    body.extend_from_slice(b"\"}");
    let budget = Duration::from_millis(300);
    let baseline = per_call(budget, || {
        black_box(hmac_sha256(black_box(b"property-secret"), black_box(&body)));
    });
    println!("body {} bytes; baseline one HMAC-SHA256 over it: {:>8.2} µs", body.len(), micros(baseline));
    println!("{:<28} {:>12} {:>10}", "scheme", "µs/verify", "× baseline");
    let deliveries = BODY_SIGNING
        .iter()
        .map(|scheme| (*scheme, signed(*scheme, &body)))
        .chain([Scheme::CloverAuthCode, Scheme::GoogleChannelToken].map(|scheme| (scheme, token_delivery(scheme))));
    for (scheme, (delivery, secrets)) in deliveries {
        let request = delivery.request();
        assert!(verify(scheme, &secrets, &request, at(T)).is_ok(), "{scheme} must verify");
        let cost = per_call(budget, || {
            let _ = black_box(verify(scheme, black_box(&secrets), black_box(&request), at(T)));
        });
        let ratio = cost.as_secs_f64() / baseline.as_secs_f64();
        println!("{:<28} {:>12.2} {:>10.2}", scheme.to_string(), micros(cost), ratio);
    }
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}
