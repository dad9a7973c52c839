//! Outbound requests never reach private addresses unless they are allow-listed.

use std::time::{Duration, Instant};

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use hub_resilience::ssrf::{self, AllowList, IpNet, SsrfError};
use hub_resilience::{ResilienceConfig, ResilienceError};
use reqwest::Url;

use crate::support;

const PRIVATE_URLS: [&str; 8] = [
    "http://127.0.0.1/",
    "http://10.20.30.40/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/",
    "http://[fc00::1]/",
    "http://[fd00:ec2::254]/",
    "http://0.0.0.0/",
    "http://[::ffff:127.0.0.1]/",
];

fn networks(texts: &[&str]) -> anyhow::Result<AllowList> {
    let mut allow = AllowList::new();
    for text in texts {
        allow = allow.allow_network(text.parse::<IpNet>()?);
    }
    Ok(allow)
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allow_listed() -> anyhow::Result<()> {
    let allow = networks(&["127.0.0.0/8", "10.0.0.0/8", "169.254.0.0/16", "::1/128", "fc00::/7", "0.0.0.0/8"])?;
    for text in PRIVATE_URLS {
        let url = Url::parse(text)?;
        let refused = ssrf::check_url(&url, &AllowList::new()).await;
        assert!(matches!(refused, Err(SsrfError::Forbidden { .. })), "{text} must be refused: {refused:?}");
        assert!(ssrf::check_url(&url, &allow).await.is_ok(), "{text} is allowed by the allow-list");
    }
    let public = Url::parse("https://93.184.216.34/")?;
    assert!(ssrf::check_url(&public, &AllowList::new()).await.is_ok());
    let scheme = Url::parse("file:///etc/passwd")?;
    assert!(matches!(ssrf::check_url(&scheme, &AllowList::new()).await, Err(SsrfError::Scheme(_))));
    Ok(())
}

#[tokio::test]
async fn a_host_name_resolving_to_loopback_is_refused() -> anyhow::Result<()> {
    let url = Url::parse("http://localhost:8080/")?;
    let refused = ssrf::check_url(&url, &AllowList::new()).await;
    assert!(matches!(refused, Err(SsrfError::Forbidden { kind, .. }) if kind == "loopback"), "{refused:?}");
    assert!(ssrf::check_url(&url, &AllowList::loopback()).await.is_ok());
    assert!(ssrf::check_url(&url, &AllowList::new().allow_host("LOCALHOST")).await.is_ok());
    Ok(())
}

#[tokio::test]
async fn the_client_never_dials_a_refused_address() -> anyhow::Result<()> {
    let router = Router::new()
        .route("/hello", get(|| async { "hello" }))
        .route("/to-metadata", get(|| async { Redirect::temporary("http://169.254.169.254/latest/meta-data/") }));
    let (address, log) = support::serve(router).await?;
    let port = address.port();

    let guarded = support::client(ResilienceConfig::default())?;
    for url in [format!("http://127.0.0.1:{port}/hello"), format!("http://localhost:{port}/hello")] {
        let result = guarded.execute(support::get(&guarded, "ssrf", &url)?).await;
        assert!(matches!(result, Err(ResilienceError::Blocked(_))), "{url}: {result:?}");
        assert!(result.is_err_and(|error| !error.is_retryable()));
    }
    assert_eq!(log.len(), 0, "nothing reached the server");

    let allowed = support::client(support::test_config())?;
    let url = format!("http://localhost:{port}/hello");
    let response = allowed.execute(support::get(&allowed, "ssrf", &url)?).await?;
    assert_eq!(response.body.as_ref(), b"hello", "allow-listed loopback is reachable by name");

    let started = Instant::now();
    let url = format!("http://127.0.0.1:{port}/to-metadata");
    let result = allowed.execute(support::get(&allowed, "ssrf", &url)?).await;
    assert!(matches!(result, Err(ResilienceError::Blocked(_))), "redirects are checked: {result:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "refused before any connection attempt");
    Ok(())
}
