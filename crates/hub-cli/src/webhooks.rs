//! `hub webhooks verify`: checks one recorded delivery offline with the same verifier the
//! server's webhook routes use, so an operator can tell a forged or mangled delivery from a
//! misconfigured secret.
//!
//! Output contract: `valid` on stdout and exit 0 when the delivery verifies; `invalid: <reason>`
//! on stdout and exit 1 when it does not; clap's usage errors exit 2. Which secret matched, the
//! event id and a handshake's answer go to stderr.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::{Args, Subcommand};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use hub_webhooks::{DeliveryKind, InboundRequest, Scheme, WebhookSecret, verify};

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Verifies one recorded delivery: prints `valid` (exit 0) or why it is refused (exit 1).
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The provider that sent it: a catalog id (stripe, square, quickbooks-online, hubspot, twilio,
    /// sendgrid, meta, clover, toast, google-calendar, standard-webhooks, fransmart, ifpg) or
    /// clover-hosted-checkout.
    #[arg(long, value_name = "P", value_parser = parse_provider)]
    provider: Scheme,
    /// A secret to try, as the provider shows it (for SendGrid the verification public key);
    /// repeat to try several, as during a rotation.
    #[arg(long = "secret", value_name = "S", required = true, value_parser = parse_secret)]
    secrets: Vec<WebhookSecret>,
    /// The raw body exactly as received.
    #[arg(long, value_name = "F")]
    body_file: PathBuf,
    /// A request header as received, `Name: value`; repeat for each. `Content-Type` tells Twilio
    /// form bodies from JSON.
    #[arg(long = "header", value_name = "'NAME: VALUE'", value_parser = parse_header)]
    headers: Vec<(HeaderName, HeaderValue)>,
    /// The URL the provider called, exactly as it signed it (Square, Twilio, HubSpot; the Meta
    /// handshake's query).
    #[arg(long, value_name = "U")]
    url: Option<String>,
    /// The request method.
    #[arg(long, value_name = "M", default_value = "POST", value_parser = parse_method)]
    method: Method,
    /// The clock to measure timestamp tolerance against, in unix seconds (default: now).
    #[arg(long, value_name = "UNIX_SECONDS")]
    now: Option<u64>,
}

pub fn run(command: WebhooksCommand) -> anyhow::Result<ExitCode> {
    let WebhooksCommand::Verify(args) = command;
    let body = std::fs::read(&args.body_file)
        .with_context(|| format!("cannot read the body file {}", args.body_file.display()))?;
    let mut headers = HeaderMap::new();
    for (name, value) in args.headers {
        headers.append(name, value);
    }
    let request = InboundRequest { method: &args.method, url: args.url.as_deref(), headers: &headers, body: &body };
    let now = args.now.map_or_else(SystemTime::now, |seconds| UNIX_EPOCH + Duration::from_secs(seconds));
    match verify(args.provider, &args.secrets, &request, now) {
        Ok(verified) => {
            println!("valid");
            eprintln!("secret #{} of {} matched", verified.secret_index + 1, args.secrets.len());
            if let Some(id) = &verified.event_id {
                eprintln!("event id: {id}");
            }
            match &verified.kind {
                DeliveryKind::Event => {}
                DeliveryKind::MetaSubscription { challenge } => {
                    eprintln!("subscription handshake: answer 200 with the challenge {challenge:?}");
                }
                DeliveryKind::GoogleChannel(channel) => eprintln!(
                    "channel {} resource {} state {:?} message {}",
                    channel.channel_id, channel.resource_id, channel.resource_state, channel.message_number
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(reason) => {
            println!("invalid: {reason}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn parse_provider(id: &str) -> Result<Scheme, String> {
    Scheme::for_provider(id).map_err(|_| {
        let known: Vec<&str> = Scheme::provider_ids().collect();
        format!("no webhook scheme for {id:?}; known providers: {}", known.join(", "))
    })
}

fn parse_secret(value: &str) -> Result<WebhookSecret, String> {
    WebhookSecret::new(value).map_err(|_| "the secret is empty".to_owned())
}

fn parse_header(text: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = text.split_once(':').ok_or_else(|| format!("{text:?} is not `Name: value`"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("{:?} is not a header name", name.trim()))?;
    let value =
        HeaderValue::from_str(value.trim()).map_err(|_| format!("the value of {name} is not valid header text"))?;
    Ok((name, value))
}

fn parse_method(text: &str) -> Result<Method, String> {
    Method::from_bytes(text.to_ascii_uppercase().as_bytes()).map_err(|_| format!("{text:?} is not an HTTP method"))
}
