//! What sets each emulated provider apart: response shapes, rotation details, extra endpoints.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use hub_emulators::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, EmulatedProvider};
use reqwest::StatusCode;
use serde_json::json;
use sha2::Sha256;

use crate::common::{Harness, Pkce, REDIRECT_URI, oauth_error_code};

fn days_from_now(text: &str) -> i64 {
    let instant: DateTime<Utc> = text.parse().unwrap_or_else(|_| panic!("`{text}` is RFC 3339"));
    (instant - Utc::now()).num_days()
}

#[tokio::test]
async fn square_expires_at_and_single_use_refresh_for_pkce_clients() {
    let harness = Harness::start().await;
    let mut client = harness.client("square");
    // A public PKCE client: no secret at all.
    client.client_secret = None;
    let pkce = Pkce::new();
    let code = client.code(Some(&pkce)).await;
    let reply = client.exchange(&code, Some(REDIRECT_URI), Some(&pkce.verifier)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body["token_type"], "bearer");
    assert_eq!(reply.body["merchant_id"], "MLEMULATED0001");
    assert!(reply.body.get("expires_in").is_none(), "Square sends expires_at, not expires_in");
    assert_eq!(days_from_now(reply.body["expires_at"].as_str().expect("expires_at")), 29);
    assert_eq!(days_from_now(reply.body["refresh_token_expires_at"].as_str().expect("a PKCE refresh expiry")), 89);

    let refresh_token = reply.refresh_token().expect("a refresh token");
    let refreshed = client.refresh(&refresh_token).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{refreshed:?}");
    assert_ne!(refreshed.refresh_token().as_deref(), Some(refresh_token.as_str()));
    let replay = client.refresh(&refresh_token).await;
    assert_eq!(
        (replay.status, replay.body["errors"][0]["field"].clone()),
        (StatusCode::UNAUTHORIZED, json!("refresh_token"))
    );
}

#[tokio::test]
async fn square_code_flow_refresh_token_is_multi_use_and_never_expires() {
    let harness = Harness::start().await;
    let client = harness.client("square");
    let code = client.code(None).await;
    let reply = client.exchange(&code, Some(REDIRECT_URI), None).await;
    let refresh_token = reply.refresh_token().expect("a refresh token");
    assert!(reply.body.get("refresh_token_expires_at").is_none());
    for _ in 0..2 {
        let refreshed = client.refresh(&refresh_token).await;
        assert_eq!(refreshed.refresh_token().as_deref(), Some(refresh_token.as_str()), "the same token comes back");
    }
    // Without PKCE the code flow needs the secret.
    let mut public = harness.client("square");
    public.client_secret = None;
    let code = public.code(None).await;
    let refused = public.exchange(&code, Some(REDIRECT_URI), None).await;
    assert_eq!(oauth_error_code(&refused.body).as_deref(), Some("invalid_client"), "{refused:?}");
}

#[tokio::test]
async fn square_revoke_and_its_own_who_am_i_endpoints() {
    let harness = Harness::start().await;
    let client = harness.client("square");
    let token = client.connect().await.access_token();
    let me =
        harness.http.get(harness.url("/square/v2/merchants/me")).bearer_auth(&token).send().await.expect("answers");
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(me.json::<serde_json::Value>().await.expect("json")["merchant"]["id"], "MLEMULATED0001");
    let status = harness
        .http
        .post(harness.url("/square/oauth2/token/status"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers");
    assert_eq!(status.json::<serde_json::Value>().await.expect("json")["client_id"], DEFAULT_CLIENT_ID);

    let revoke_url = client.urls.revoke.clone().expect("a revoke URL");
    let wrong = harness
        .http
        .post(&revoke_url)
        .header("authorization", "Client nope")
        .json(&json!({"client_id": DEFAULT_CLIENT_ID, "access_token": token}))
        .send()
        .await
        .expect("answers");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let revoked = harness
        .http
        .post(&revoke_url)
        .header("authorization", format!("Client {DEFAULT_CLIENT_SECRET}"))
        .json(&json!({"client_id": DEFAULT_CLIENT_ID, "access_token": token}))
        .send()
        .await
        .expect("answers");
    assert_eq!(revoked.json::<serde_json::Value>().await.expect("json"), json!({"success": true}));
    let (status, body) = client.whoami(&token).await;
    assert_eq!((status, body["errors"][0]["code"].clone()), (StatusCode::UNAUTHORIZED, json!("ACCESS_TOKEN_REVOKED")));
}

#[tokio::test]
async fn clover_requires_pkce_names_the_merchant_and_refreshes_on_its_own_endpoint() {
    let harness = Harness::start().await;
    let client = harness.client("clover");
    let without_pkce = client.authorize(REDIRECT_URI, "s", None).await;
    assert_eq!(without_pkce.get("error").map(String::as_str), Some("invalid_request"));

    let pkce = Pkce::new();
    let redirect = client.authorize(REDIRECT_URI, "s", Some(&pkce)).await;
    assert_eq!(redirect.get("merchant_id").map(String::as_str), Some("EMULATEDMID01"));
    let reply = client.exchange(&redirect["code"], None, Some(&pkce.verifier)).await;
    let expiration = reply.body["access_token_expiration"].as_i64().expect("epoch seconds");
    assert!(expiration > Utc::now().timestamp());
    assert_eq!(client.urls.refresh_endpoint(), Some(harness.url("/clover/oauth/v2/refresh").as_str()));
    let refreshed = client.refresh(&reply.refresh_token().expect("a refresh token")).await;
    assert!(refreshed.body["refresh_token_expiration"].as_i64().is_some(), "{refreshed:?}");
}

#[tokio::test]
async fn quickbooks_takes_basic_auth_only_and_names_the_realm() {
    let harness = Harness::start().await;
    let client = harness.client("quickbooks-online");
    let redirect = client.authorize(REDIRECT_URI, "s", None).await;
    assert_eq!(redirect.get("realmId").map(String::as_str), Some("9130350000000001"));
    let reply = client.exchange(&redirect["code"], Some(REDIRECT_URI), None).await;
    assert_eq!(
        (reply.body["expires_in"].clone(), reply.body["x_refresh_token_expires_in"].clone()),
        (json!(3600), json!(8_726_400))
    );

    let body_auth = harness
        .http
        .post(client.urls.token.clone().expect("a token URL"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(body_auth.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body_auth.json::<serde_json::Value>().await.expect("json")["error"], "invalid_client");

    let (status, fault) = client.whoami("expired-or-unknown").await;
    assert_eq!((status, fault["Fault"]["type"].clone()), (StatusCode::UNAUTHORIZED, json!("AuthenticationFault")));

    let revoked = harness
        .http
        .post(client.urls.revoke.clone().expect("a revoke URL"))
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .json(&json!({"token": reply.refresh_token()}))
        .send()
        .await
        .expect("answers");
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(client.whoami(&reply.access_token()).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn google_gives_refresh_tokens_only_offline_and_never_rotates_them() {
    let harness = Harness::start().await;
    let client = harness.client("google-ads");
    let online = harness
        .http
        .get(client.authorize_url(REDIRECT_URI, "s", None).replace("access_type=offline", "access_type=online"))
        .send()
        .await
        .expect("answers");
    let location = online.headers()["location"].to_str().expect("text").to_owned();
    let code = url::Url::parse(&location)
        .expect("a URL")
        .query_pairs()
        .find(|(name, _)| name == "code")
        .expect("a code")
        .1
        .into_owned();
    let reply = client.exchange(&code, Some(REDIRECT_URI), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.refresh_token().is_none(), "no refresh token without access_type=offline");

    let offline = client.connect().await;
    assert_eq!(offline.body["scope"], "https://www.googleapis.com/auth/adwords");
    let refreshed = client.refresh(&offline.refresh_token().expect("a refresh token")).await;
    assert!(refreshed.refresh_token().is_none(), "Google's refresh responses carry no refresh token");
    // The four Google products share one server: a Calendar client sees the same grant.
    assert!(harness.state().access_token_valid(EmulatedProvider::Google, &refreshed.access_token()));
    let (status, body) = harness.client("google-calendar").whoami("bogus").await;
    assert_eq!((status, body["error"]["status"].clone()), (StatusCode::UNAUTHORIZED, json!("UNAUTHENTICATED")));
}

#[tokio::test]
async fn hubspot_tokens_last_thirty_minutes_on_v1_and_v3_and_revoke() {
    let harness = Harness::start().await;
    let client = harness.client("hubspot");
    let reply = client.connect().await;
    assert_eq!((reply.body["expires_in"].clone(), reply.body["hub_id"].clone()), (json!(1800), json!(62515)));
    let v1 = client
        .token_request(
            &harness.url("/hubspot/oauth/v1/token"),
            vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", reply.refresh_token().expect("a refresh token")),
            ],
        )
        .await;
    assert_eq!(v1.status, StatusCode::OK, "{v1:?}");

    let revoke = harness
        .http
        .post(client.urls.revoke.clone().expect("a revoke URL"))
        .form(&[
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("token", &v1.access_token()),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(revoke.status(), StatusCode::OK);
    let (status, body) = client.whoami(&v1.access_token()).await;
    assert_eq!((status, body["category"].clone()), (StatusCode::UNAUTHORIZED, json!("INVALID_AUTHENTICATION")));
}

#[tokio::test]
async fn salesforce_names_its_instance_and_signs_the_identity() {
    let harness = Harness::start().await;
    let client = harness.client("salesforce");
    let reply = client.connect().await;
    let instance_url = reply.body["instance_url"].as_str().expect("instance_url");
    assert_eq!(instance_url, client.urls.api_base, "the catalog's emulator api_base is the instance");
    let (id, issued_at) =
        (reply.body["id"].as_str().expect("id"), reply.body["issued_at"].as_str().expect("issued_at"));
    let mut mac = Hmac::<Sha256>::new_from_slice(DEFAULT_CLIENT_SECRET.as_bytes()).expect("any key length");
    mac.update(format!("{id}{issued_at}").as_bytes());
    assert_eq!(reply.body["signature"], STANDARD.encode(mac.finalize().into_bytes()));
    assert!(reply.body.get("expires_in").is_none(), "Salesforce sends no expiry");

    let response =
        harness.http.get(format!("{instance_url}/_whoami")).bearer_auth("stale").send().await.expect("answers");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.json::<serde_json::Value>().await.expect("json")[0]["errorCode"], "INVALID_SESSION_ID");
}

#[tokio::test]
async fn sage_intacct_second_authorization_invalidates_the_first_refresh_grant() {
    let harness = Harness::start().await;
    let client = harness.client("sage-intacct");
    let first = client.connect().await;
    let second = client.connect().await;
    let refused = client.refresh(&first.refresh_token().expect("a refresh token")).await;
    assert_eq!(refused.body["ia::result"]["ia::error"]["errorId"], "REST-2102", "{refused:?}");
    assert_eq!(client.refresh(&second.refresh_token().expect("a refresh token")).await.status, StatusCode::OK);
    // Without offline_access there is no refresh token.
    let pkce = Pkce::new();
    let url = client.authorize_url(REDIRECT_URI, "s", Some(&pkce)).replace("scope=offline_access", "scope=read");
    let location =
        harness.http.get(url).send().await.expect("answers").headers()["location"].to_str().expect("text").to_owned();
    let code = url::Url::parse(&location)
        .expect("a URL")
        .query_pairs()
        .find(|(name, _)| name == "code")
        .expect("a code")
        .1
        .into_owned();
    assert!(client.exchange(&code, Some(REDIRECT_URI), Some(&pkce.verifier)).await.refresh_token().is_none());
}

#[tokio::test]
async fn authorize_refuses_unknown_clients_and_unregistered_redirects_without_redirecting() {
    let harness = Harness::start().await;
    let mut client = harness.client("hubspot");
    client.client_id = "nobody".to_owned();
    let response = harness.http.get(client.authorize_url(REDIRECT_URI, "s", None)).send().await.expect("answers");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    harness.state().register_client(
        EmulatedProvider::HubSpot,
        hub_emulators::ClientRegistration {
            client_id: "strict".to_owned(),
            client_secret: "s3cret".to_owned(),
            redirect_uris: vec![REDIRECT_URI.to_owned()],
        },
    );
    client.client_id = "strict".to_owned();
    let elsewhere =
        harness.http.get(client.authorize_url("http://127.0.0.1:9/evil", "s", None)).send().await.expect("answers");
    assert_eq!(elsewhere.status(), StatusCode::BAD_REQUEST);
    client.client_secret = Some("s3cret".to_owned());
    let reply = client.connect().await;
    assert_eq!(client.whoami(&reply.access_token()).await.1["client_id"], "strict");
    // A token of another client is not this one's to refresh.
    let other = harness.client("hubspot");
    let stolen = other.refresh(&reply.refresh_token().expect("a refresh token")).await;
    assert_eq!(oauth_error_code(&stolen.body).as_deref(), Some("invalid_grant"));
}
