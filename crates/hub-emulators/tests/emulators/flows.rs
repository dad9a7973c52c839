//! The authorization-code scenarios every emulated code-flow provider must pass, run once per
//! provider; expectations (PKCE, rotation) come from the catalog definition.

use hub_connectors::catalog::Refresh;
use hub_emulators::{DEFAULT_CLIENT_ID, TokenLifetimes};
use reqwest::StatusCode;

use crate::common::{Harness, Pkce, REDIRECT_URI, Reply, oauth_error_code};

fn assert_invalid_grant(reply: &Reply) {
    assert!(reply.status.is_client_error(), "expected a 4xx: {reply:?}");
    assert_eq!(oauth_error_code(&reply.body).as_deref(), Some("invalid_grant"), "{reply:?}");
}

async fn code_flow_reaches_whoami(id: &str) {
    let harness = Harness::start().await;
    let client = harness.client(id);
    let token = client.connect().await.access_token();

    let (status, body) = client.whoami(&token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["client_id"], DEFAULT_CLIENT_ID);
    assert!(harness.state().access_token_valid(client.provider, &token));
    let (status, _) = client.whoami("not-a-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!harness.state().access_token_valid(client.provider, "not-a-token"));

    let counts = harness.state().token_requests(client.provider);
    assert_eq!((counts.authorization_code, counts.total()), (1, 1));
}

async fn wrong_pkce_verifier_is_invalid_grant(id: &str) {
    let harness = Harness::start().await;
    let client = harness.client(id);
    let pkce = Pkce::new();
    let code = client.code(Some(&pkce)).await;
    let reply = client.exchange(&code, Some(REDIRECT_URI), Some(&Pkce::new().verifier)).await;
    if client.uses_pkce() {
        assert_invalid_grant(&reply);
        let missing = client.exchange(&client.code(Some(&pkce)).await, Some(REDIRECT_URI), None).await;
        assert_invalid_grant(&missing);
    } else {
        // PKCE is not documented for this provider: the challenge is ignored, as the catalog says.
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    }
}

async fn code_replay_is_invalid_grant(id: &str) {
    let harness = Harness::start().await;
    let client = harness.client(id);
    let pkce = client.uses_pkce().then(Pkce::new);
    let verifier = pkce.as_ref().map(|pkce| pkce.verifier.as_str());
    let code = client.code(pkce.as_ref()).await;
    assert_eq!(client.exchange(&code, Some(REDIRECT_URI), verifier).await.status, StatusCode::OK);
    assert_invalid_grant(&client.exchange(&code, Some(REDIRECT_URI), verifier).await);
    assert_invalid_grant(&client.exchange("made-up-code", Some(REDIRECT_URI), verifier).await);
}

async fn redirect_uri_mismatch_is_refused(id: &str) {
    let harness = Harness::start().await;
    let client = harness.client(id);
    let pkce = client.uses_pkce().then(Pkce::new);
    let verifier = pkce.as_ref().map(|pkce| pkce.verifier.as_str());
    let code = client.code(pkce.as_ref()).await;
    assert_invalid_grant(&client.exchange(&code, Some("http://127.0.0.1:9/elsewhere"), verifier).await);
}

async fn denied_consent_redirects_with_access_denied(id: &str) {
    let harness = Harness::start().await;
    let client = harness.client(id);
    let pkce = client.uses_pkce().then(Pkce::new);
    harness.state().deny_next_authorization(client.provider);
    let redirect = client.authorize(REDIRECT_URI, "state-denied", pkce.as_ref()).await;
    assert_eq!(redirect.get("error").map(String::as_str), Some("access_denied"), "{redirect:?}");
    assert_eq!(redirect.get("state").map(String::as_str), Some("state-denied"));
    assert!(!redirect.contains_key("code"));
    // Only the next authorization is denied.
    client.code(pkce.as_ref()).await;
}

async fn refresh_follows_the_catalog_rotation_rule(id: &str) {
    let harness = Harness::start().await;
    let client = harness.client(id);
    let first = client.connect().await;
    let refresh_token = first.refresh_token().expect("a refresh token");

    let refreshed = client.refresh(&refresh_token).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{refreshed:?}");
    assert_ne!(refreshed.access_token(), first.access_token());
    assert_eq!(client.whoami(&refreshed.access_token()).await.0, StatusCode::OK);
    assert_eq!(harness.state().token_requests(client.provider).refresh_token, 1);

    let token = client.definition.token;
    let rule = if client.uses_pkce() { token.pkce_flow_refresh.unwrap_or(token.refresh) } else { token.refresh };
    match rule {
        Refresh::Reusable => {
            if let Some(returned) = refreshed.refresh_token() {
                assert_eq!(returned, refresh_token, "a reusable refresh token comes back unchanged");
            }
            let again = client.refresh(&refresh_token).await;
            assert_eq!(again.status, StatusCode::OK, "{again:?}");
        }
        Refresh::Rotating | Refresh::SingleUseRotating => {
            let rotated = refreshed.refresh_token().expect("a new refresh token");
            assert_ne!(rotated, refresh_token);
            assert_invalid_grant(&client.refresh(&refresh_token).await);
            assert_eq!(client.refresh(&rotated).await.status, StatusCode::OK);
        }
        Refresh::None => panic!("{id} issues refresh tokens"),
    }
}

async fn revoked_grant_is_invalid_grant(id: &str) {
    let harness = Harness::start().await;
    let client = harness.client(id);
    let reply = client.connect().await;
    harness.state().revoke_all_tokens(client.provider);
    assert_invalid_grant(&client.refresh(&reply.refresh_token().expect("a refresh token")).await);
    assert_eq!(client.whoami(&reply.access_token()).await.0, StatusCode::UNAUTHORIZED);
    assert!(!harness.state().access_token_valid(client.provider, &reply.access_token()));
}

async fn expired_access_token_is_refused_until_refreshed(id: &str) {
    let harness = Harness::start().await;
    let client = harness.client(id);
    let expire_at_once = TokenLifetimes { access: Some(std::time::Duration::ZERO), refresh: None };
    harness.state().set_token_lifetimes(client.provider, expire_at_once);
    let reply = client.connect().await;
    if let Some(expires_in) = reply.body.get("expires_in") {
        assert_eq!(expires_in, 0);
    }
    assert_eq!(client.whoami(&reply.access_token()).await.0, StatusCode::UNAUTHORIZED);

    harness.state().set_token_lifetimes(client.provider, TokenLifetimes::default());
    let refreshed = client.refresh(&reply.refresh_token().expect("a refresh token")).await;
    assert_eq!(client.whoami(&refreshed.access_token()).await.0, StatusCode::OK);
}

macro_rules! code_flow_tests {
    ($($module:ident => $id:literal),* $(,)?) => {$(
        mod $module {
            #[tokio::test]
            async fn code_flow_with_pkce_reaches_whoami() {
                super::code_flow_reaches_whoami($id).await;
            }

            #[tokio::test]
            async fn wrong_pkce_verifier_is_invalid_grant() {
                super::wrong_pkce_verifier_is_invalid_grant($id).await;
            }

            #[tokio::test]
            async fn code_replay_is_invalid_grant() {
                super::code_replay_is_invalid_grant($id).await;
            }

            #[tokio::test]
            async fn redirect_uri_mismatch_is_refused() {
                super::redirect_uri_mismatch_is_refused($id).await;
            }

            #[tokio::test]
            async fn denied_consent_redirects_with_access_denied() {
                super::denied_consent_redirects_with_access_denied($id).await;
            }

            #[tokio::test]
            async fn refresh_follows_the_catalog_rotation_rule() {
                super::refresh_follows_the_catalog_rotation_rule($id).await;
            }

            #[tokio::test]
            async fn revoked_grant_is_invalid_grant() {
                super::revoked_grant_is_invalid_grant($id).await;
            }

            #[tokio::test]
            async fn expired_access_token_is_refused_until_refreshed() {
                super::expired_access_token_is_refused_until_refreshed($id).await;
            }
        }
    )*};
}

code_flow_tests! {
    square => "square",
    clover => "clover",
    quickbooks_online => "quickbooks-online",
    sage_intacct => "sage-intacct",
    salesforce => "salesforce",
    hubspot => "hubspot",
    google_calendar => "google-calendar",
    ga4 => "ga4",
}
