//! Client-credentials token endpoints: ADP, Power BI, FranConnect and Salesforce.

use hub_emulators::{DEFAULT_CLIENT_SECRET, TokenLifetimes};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{Harness, oauth_error_code};

#[tokio::test]
async fn adp_client_credentials_give_a_one_hour_token_without_refresh() {
    let harness = Harness::start().await;
    let client = harness.client("adp");
    let reply = client.client_credentials().await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!((reply.body["expires_in"].clone(), reply.body["token_type"].clone()), (json!(3600), json!("Bearer")));
    assert!(reply.refresh_token().is_none());
    assert_eq!(client.whoami(&reply.access_token()).await.0, StatusCode::OK);
    assert_eq!(harness.state().token_requests(client.provider).client_credentials, 1);

    // ADP also takes the secret in the form.
    let form = harness
        .http
        .post(client.urls.token.clone().expect("a token URL"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", hub_emulators::DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(form.status(), StatusCode::OK);
}

#[tokio::test]
async fn adp_refuses_a_wrong_secret_and_other_grants() {
    let harness = Harness::start().await;
    let mut client = harness.client("adp");
    let code_grant = client
        .token_request(
            &client.token_url_with_parameters(),
            vec![("grant_type", "authorization_code".to_owned()), ("code", "x".to_owned())],
        )
        .await;
    assert_eq!(oauth_error_code(&code_grant.body).as_deref(), Some("unsupported_grant_type"));
    client.client_secret = Some("wrong".to_owned());
    let reply = client.client_credentials().await;
    assert_eq!(
        (reply.status, oauth_error_code(&reply.body)),
        (StatusCode::UNAUTHORIZED, Some("invalid_client".to_owned()))
    );
}

#[tokio::test]
async fn adp_tokens_expire_on_the_test_lifetime() {
    let harness = Harness::start().await;
    let client = harness.client("adp");
    let short = TokenLifetimes { access: Some(std::time::Duration::from_millis(300)), refresh: None };
    harness.state().set_token_lifetimes(client.provider, short);
    let token = client.client_credentials().await.access_token();
    assert_eq!(client.whoami(&token).await.0, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(client.whoami(&token).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn power_bi_and_franconnect_issue_app_tokens_at_their_catalog_urls() {
    let harness = Harness::start().await;
    for id in ["power-bi", "franconnect"] {
        let client = harness.client(id);
        let reply = client.client_credentials().await;
        assert_eq!(reply.status, StatusCode::OK, "{id}: {reply:?}");
        assert_eq!(client.whoami(&reply.access_token()).await.0, StatusCode::OK, "{id}");
    }
    let power_bi = harness.client("power-bi");
    let (status, body) = power_bi.whoami("stale").await;
    assert_eq!((status, body["error"]["code"].clone()), (StatusCode::UNAUTHORIZED, json!("InvalidToken")));
}

#[tokio::test]
async fn salesforce_client_credentials_need_the_secret() {
    let harness = Harness::start().await;
    let mut client = harness.client("salesforce");
    let reply = client.client_credentials().await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert!(reply.refresh_token().is_none());
    client.client_secret = None;
    let refused = client.client_credentials().await;
    assert_eq!(oauth_error_code(&refused.body).as_deref(), Some("invalid_client"));
}

#[tokio::test]
async fn minted_tokens_work_without_the_oauth_dance() {
    let harness = Harness::start().await;
    let client = harness.client("square");
    let token = harness.state().issue_access_token(client.provider, hub_emulators::DEFAULT_CLIENT_ID).expect("minted");
    assert_eq!(client.whoami(&token).await.0, StatusCode::OK);
    let unknown = harness.state().issue_access_token(client.provider, "nobody");
    assert_eq!(unknown, Err(hub_emulators::EmulatorError::UnknownClient("nobody".to_owned())));
}
