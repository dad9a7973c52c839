//! `hub webhooks verify` as an operator runs it on recorded deliveries: the real binary, bodies
//! in temp files, several providers, valid and invalid, exit codes and output checked.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hmac::{Hmac, Mac};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn hub(args: &[&str]) -> Run {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_hub"))
        .args(["webhooks", "verify"])
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run hub");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Writes a recorded body, byte for byte, and returns its path.
fn body_file(dir: &Path, name: &str, body: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).expect("write body");
    path
}

#[track_caller]
fn assert_valid(run: &Run) {
    assert_eq!(run.code, Some(0), "stdout {:?} stderr {:?}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "valid\n");
}

#[track_caller]
fn assert_invalid(run: &Run, reason: &str) {
    assert_eq!(run.code, Some(1), "stdout {:?} stderr {:?}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with("invalid: ") && run.stdout.contains(reason),
        "{:?} should name {reason:?}",
        run.stdout
    );
}

fn stripe_header(secret: &str, t: u64, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("Stripe-Signature: t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

const STRIPE_BODY: &[u8] = b"{\n  \"id\": \"evt_1\",\n  \"object\": \"event\"\n}\n";

#[test]
fn a_recorded_stripe_delivery_verifies_at_its_own_time_and_not_after_tampering() {
    let dir = tempfile::tempdir().expect("dir");
    let body = body_file(dir.path(), "stripe.json", STRIPE_BODY);
    let body = body.to_str().expect("utf8 path");
    let header = stripe_header("whsec_cli", 1_700_000_000, STRIPE_BODY);
    let valid = hub(&[
        "--provider",
        "stripe",
        "--secret",
        "whsec_cli",
        "--body-file",
        body,
        "--header",
        &header,
        "--now",
        "1700000030",
    ]);
    assert_valid(&valid);
    assert!(valid.stderr.contains("event id: evt_1"), "{}", valid.stderr);

    let tampered = body_file(dir.path(), "tampered.json", &STRIPE_BODY[..STRIPE_BODY.len() - 1]);
    let run = hub(&[
        "--provider",
        "stripe",
        "--secret",
        "whsec_cli",
        "--body-file",
        tampered.to_str().expect("utf8"),
        "--header",
        &header,
        "--now",
        "1700000030",
    ]);
    assert_invalid(&run, "no signature matched");
    let wrong = hub(&[
        "--provider",
        "stripe",
        "--secret",
        "whsec_other",
        "--body-file",
        body,
        "--header",
        &header,
        "--now",
        "1700000030",
    ]);
    assert_invalid(&wrong, "no signature matched");
}

#[test]
fn without_now_the_real_clock_judges_the_timestamp() {
    let dir = tempfile::tempdir().expect("dir");
    let body = body_file(dir.path(), "stripe.json", STRIPE_BODY);
    let header = stripe_header("whsec_cli", 1_700_000_000, STRIPE_BODY);
    let run = hub(&[
        "--provider",
        "stripe",
        "--secret",
        "whsec_cli",
        "--body-file",
        body.to_str().expect("utf8"),
        "--header",
        &header,
    ]);
    assert_invalid(&run, "timestamp outside tolerance by");
}

#[test]
fn several_secrets_are_tried_and_the_one_that_matched_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let body = body_file(dir.path(), "stripe.json", STRIPE_BODY);
    let header = stripe_header("whsec_new", 1_700_000_000, STRIPE_BODY);
    let run = hub(&[
        "--provider",
        "stripe",
        "--secret",
        "whsec_old",
        "--secret",
        "whsec_new",
        "--body-file",
        body.to_str().expect("utf8"),
        "--header",
        &header,
        "--now",
        "1700000000",
    ]);
    assert_valid(&run);
    assert!(run.stderr.contains("secret #2 of 2 matched"), "{}", run.stderr);
}

#[test]
fn a_missing_header_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let body = body_file(dir.path(), "stripe.json", STRIPE_BODY);
    let run = hub(&["--provider", "stripe", "--secret", "whsec_cli", "--body-file", body.to_str().expect("utf8")]);
    assert_invalid(&run, "missing header Stripe-Signature");
}

// Square's published example (its Python SDK's tests): the signature covers the URL.
#[test]
fn a_square_delivery_needs_the_url_it_was_sent_to() {
    let dir = tempfile::tempdir().expect("dir");
    let body = br#"{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}"#;
    let body = body_file(dir.path(), "square.json", body);
    let body = body.to_str().expect("utf8");
    let header = "x-square-hmacsha256-signature: GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=";
    let url = "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9";
    let base = ["--provider", "square", "--secret", "Ibxx_5AKakO-3qeNVR61Dw", "--body-file", body, "--header", header];
    assert_valid(&hub(&[&base[..], &["--url", url]].concat()));
    assert_invalid(&hub(&base), "Square signs it");
    assert_invalid(&hub(&[&base[..], &["--url", "https://webhook.site/other"]].concat()), "no signature matched");
}

// Twilio's published example (its Python library's tests): form parameters are signed sorted.
#[test]
fn a_twilio_form_callback_is_told_from_json_by_its_content_type() {
    let dir = tempfile::tempdir().expect("dir");
    let form = b"CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212&Caller=%2B14158675309";
    let body = body_file(dir.path(), "twilio.form", form);
    let base = [
        "--provider",
        "twilio",
        "--secret",
        "12345",
        "--body-file",
        body.to_str().expect("utf8"),
        "--url",
        "https://mycompany.com/myapp.php?foo=1&bar=2",
        "--header",
        "X-Twilio-Signature: RSOYDt4T1cUTdK1PDd93/VVr8B8=",
    ];
    assert_valid(&hub(&[&base[..], &["--header", "Content-Type: application/x-www-form-urlencoded"]].concat()));
    // Without the Content-Type the body is taken for JSON, which Twilio covers by bodySHA256.
    assert_invalid(&hub(&base), "missing query parameter bodySHA256");
}

// SendGrid's published example (its Python library's tests); the secret is the public key.
#[test]
fn a_sendgrid_delivery_verifies_with_the_public_key_as_sendgrid_shows_it() {
    let dir = tempfile::tempdir().expect("dir");
    let payload = "[{\"email\":\"hello@world.com\",\"event\":\"dropped\",\"reason\":\"Bounced Address\",\"sg_event_id\":\"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA\",\"sg_message_id\":\"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0\",\"smtp-id\":\"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>\",\"timestamp\":1600112492}]\r\n";
    let key = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==";
    let signature = "X-Twilio-Email-Event-Webhook-Signature: MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=";
    let timestamp = "X-Twilio-Email-Event-Webhook-Timestamp: 1600112502";
    let recorded = body_file(dir.path(), "sendgrid.json", payload.as_bytes());
    let args = |path: &Path| {
        hub(&[
            "--provider",
            "sendgrid",
            "--secret",
            key,
            "--body-file",
            path.to_str().expect("utf8"),
            "--header",
            signature,
            "--header",
            timestamp,
        ])
    };
    assert_valid(&args(&recorded));
    // The same events with LF instead of CR LF: not the bytes SendGrid signed.
    let reformatted = body_file(dir.path(), "reformatted.json", payload.replace("\r\n", "\n").as_bytes());
    assert_invalid(&args(&reformatted), "no signature matched");
}

// The Standard Webhooks specification's example, as a lead feed (Fransmart) would send it.
#[test]
fn a_lead_feed_delivery_verifies_inside_its_five_minutes() {
    let dir = tempfile::tempdir().expect("dir");
    let body = body_file(dir.path(), "lead.json", br#"{"email":"test@example.com","username":"test_user"}"#);
    let base = [
        "--provider",
        "fransmart",
        "--secret",
        "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
        "--body-file",
        body.to_str().expect("utf8"),
        "--header",
        "webhook-id: msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
        "--header",
        "webhook-timestamp: 1649367553",
        "--header",
        "webhook-signature: v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
    ];
    let valid = hub(&[&base[..], &["--now", "1649367600"]].concat());
    assert_valid(&valid);
    assert!(valid.stderr.contains("event id: msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"), "{}", valid.stderr);
    assert_invalid(&hub(&[&base[..], &["--now", "1649368000"]].concat()), "timestamp outside tolerance by 147 s");
}

#[test]
fn the_meta_subscription_handshake_is_checked_with_the_verify_token() {
    let dir = tempfile::tempdir().expect("dir");
    let empty = body_file(dir.path(), "empty", b"");
    let url = "https://hub.example.com/webhooks/meta?hub.mode=subscribe&hub.verify_token=vt-1&hub.challenge=1158201444";
    let base = ["--provider", "meta", "--body-file", empty.to_str().expect("utf8"), "--method", "GET", "--url", url];
    let valid = hub(&[&base[..], &["--secret", "vt-1"]].concat());
    assert_valid(&valid);
    assert!(valid.stderr.contains("1158201444"), "{}", valid.stderr);
    assert_invalid(&hub(&[&base[..], &["--secret", "vt-2"]].concat()), "hub.verify_token matches none");
}

#[test]
fn usage_errors_exit_2_and_say_what_is_wrong() {
    let dir = tempfile::tempdir().expect("dir");
    let body = body_file(dir.path(), "body", b"{}");
    let body = body.to_str().expect("utf8");
    let unknown = hub(&["--provider", "salesforce", "--secret", "s", "--body-file", body]);
    assert_eq!(unknown.code, Some(2));
    assert!(
        unknown.stderr.contains("no webhook scheme for \"salesforce\"") && unknown.stderr.contains("stripe"),
        "{}",
        unknown.stderr
    );
    let header = hub(&["--provider", "stripe", "--secret", "s", "--body-file", body, "--header", "no colon here"]);
    assert_eq!(header.code, Some(2));
    assert!(header.stderr.contains("is not `Name: value`"), "{}", header.stderr);
    let no_secret = hub(&["--provider", "stripe", "--body-file", body]);
    assert_eq!(no_secret.code, Some(2));
    assert!(no_secret.stderr.contains("--secret"), "{}", no_secret.stderr);
    let missing_file = hub(&["--provider", "stripe", "--secret", "s", "--body-file", "/nonexistent/body.json"]);
    assert_eq!(missing_file.code, Some(1));
    assert!(missing_file.stderr.contains("cannot read the body file"), "{}", missing_file.stderr);
    assert_eq!(missing_file.stdout, "", "nothing claims valid or invalid when the input is missing");
}
