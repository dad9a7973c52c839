//! Which outcomes are retried, how often, and how long the stack waits in between.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use hub_resilience::{
    DefaultClassifier, ResilienceConfig, ResilienceError, ResilientClient, SalesforceClassifier, TimeoutPhase,
};
use reqwest::Method;

use crate::support::{self, RequestLog};

/// `/{case}/{status}` answers `status`; a few cases answer something special.
async fn answer(Path((case, status)): Path<(String, u16)>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match case.as_str() {
        "salesforce" | "salesforce-default" => (
            StatusCode::FORBIDDEN,
            r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#,
        )
            .into_response(),
        "retry-after" => (status, [("retry-after", "1")], "busy").into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            (status, "late").into_response()
        }
        _ => (status, format!("{case} answered {status}")).into_response(),
    }
}

struct Fixture {
    client: ResilientClient,
    log: RequestLog,
    base: String,
}

async fn fixture(config: ResilienceConfig) -> anyhow::Result<Fixture> {
    let (address, log) = support::serve(Router::new().route("/{case}/{status}", any(answer))).await?;
    Ok(Fixture { client: support::client(config)?, log, base: format!("http://{address}") })
}

fn config() -> ResilienceConfig {
    ResilienceConfig { breaker: support::lenient_breaker(), ..support::test_config() }
}

impl Fixture {
    async fn send(
        &self,
        method: Method,
        path: &str,
        idempotency_key: bool,
    ) -> anyhow::Result<Result<(), ResilienceError>> {
        let mut call = support::call(&self.client, "retry-test", method, &format!("{}{path}", self.base), path)?;
        if idempotency_key {
            call = call.with_idempotency_key();
        }
        Ok(self.client.execute(call).await.map(drop))
    }
}

fn status_of(result: &Result<(), ResilienceError>) -> Option<u16> {
    result.as_ref().err().and_then(ResilienceError::response).map(|response| response.status.as_u16())
}

#[tokio::test]
async fn validation_errors_are_never_retried() -> anyhow::Result<()> {
    let fixture = fixture(config()).await?;
    for path in ["/invalid/400", "/unprocessable/422"] {
        let result = fixture.send(Method::GET, path, false).await?;
        assert!(result.as_ref().is_err_and(|error| !error.is_retryable()), "{path}: {result:?}");
        assert_eq!(fixture.log.count("GET", path), 1, "{path} is sent once");
    }
    Ok(())
}

#[tokio::test]
async fn unavailable_is_retried_up_to_the_attempt_limit() -> anyhow::Result<()> {
    let fixture = fixture(config()).await?;
    let result = fixture.send(Method::GET, "/get/503", false).await?;
    assert_eq!(status_of(&result), Some(503));
    assert!(matches!(result, Err(ResilienceError::Status { attempts: 3, retryable: true, .. })));
    assert_eq!(fixture.log.count("GET", "/get/503"), 3, "three attempts reach the provider");
    for path in ["/bad-gateway/502", "/gateway-timeout/504", "/too-many/429"] {
        let _ = fixture.send(Method::GET, path, false).await?;
        assert_eq!(fixture.log.count("GET", path), 3, "{path} is retried");
    }
    let _ = fixture.send(Method::GET, "/server-error/500", false).await?;
    assert_eq!(fixture.log.count("GET", "/server-error/500"), 1, "500 is not retried");
    Ok(())
}

#[tokio::test]
async fn writes_are_retried_only_with_an_idempotency_key() -> anyhow::Result<()> {
    let fixture = fixture(config()).await?;
    let _ = fixture.send(Method::POST, "/post/503", false).await?;
    assert_eq!(fixture.log.count("POST", "/post/503"), 1, "a plain POST is sent once");
    let _ = fixture.send(Method::POST, "/post-with-key/503", true).await?;
    assert_eq!(fixture.log.count("POST", "/post-with-key/503"), 3, "a POST with a key is retried");
    let _ = fixture.send(Method::PUT, "/put/503", false).await?;
    assert_eq!(fixture.log.count("PUT", "/put/503"), 3, "PUT is idempotent");
    Ok(())
}

#[tokio::test]
async fn salesforce_request_limit_is_retried_through_its_classifier() -> anyhow::Result<()> {
    let fixture = fixture(config()).await?;
    let url = format!("{}/salesforce/403", fixture.base);
    let call = support::get(&fixture.client, "salesforce", &url)?.classifier(Arc::new(SalesforceClassifier));
    let result = fixture.client.execute(call).await;
    assert!(result.as_ref().is_err_and(ResilienceError::is_retryable), "{result:?}");
    assert_eq!(fixture.log.count("GET", "/salesforce/403"), 3);

    let url = format!("{}/salesforce-default/403", fixture.base);
    let call = support::get(&fixture.client, "salesforce", &url)?.classifier(Arc::new(DefaultClassifier));
    let _ = fixture.client.execute(call).await;
    assert_eq!(fixture.log.count("GET", "/salesforce-default/403"), 1, "a plain 403 is final");
    Ok(())
}

#[tokio::test]
async fn retry_after_is_the_minimum_wait_between_attempts() -> anyhow::Result<()> {
    let mut config = config();
    config.retry.max_attempts = 2;
    let fixture = fixture(config).await?;
    let result = fixture.send(Method::GET, "/retry-after/503", false).await?;
    assert_eq!(result.as_ref().err().and_then(ResilienceError::retry_after), Some(Duration::from_secs(1)));
    let arrivals: Vec<Instant> = fixture.log.all().iter().map(|seen| seen.at).collect();
    assert_eq!(arrivals.len(), 2);
    let gap = arrivals[1] - arrivals[0];
    assert!(gap >= Duration::from_millis(950), "the retry waited {gap:?}, less than Retry-After: 1");
    Ok(())
}

#[tokio::test]
async fn slow_answers_time_out_per_attempt_and_in_total() -> anyhow::Result<()> {
    let mut config = config();
    config.timeouts.request = Duration::from_millis(150);
    let fixture = fixture(config).await?;

    let result = fixture.send(Method::GET, "/slow/200", false).await?;
    assert!(matches!(result, Err(ResilienceError::Timeout { phase: TimeoutPhase::Request, .. })), "{result:?}");
    assert_eq!(fixture.log.count("GET", "/slow/200"), 3, "timed-out reads are retried");
    let _ = fixture.send(Method::POST, "/slow/201", false).await?;
    assert_eq!(fixture.log.count("POST", "/slow/201"), 1, "a timed-out POST may have been applied");

    let url = format!("{}/slow/202", fixture.base);
    let call = support::get(&fixture.client, "retry-test", &url)?.total_timeout(Duration::from_millis(250));
    let started = Instant::now();
    let result = fixture.client.execute(call).await;
    assert!(matches!(result, Err(ResilienceError::Timeout { .. })), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(1), "the total deadline bounds every attempt");
    Ok(())
}
