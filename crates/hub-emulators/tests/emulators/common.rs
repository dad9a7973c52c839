//! A real emulator on a loopback port and an OAuth client that builds every request from the
//! catalog definition, so each test also proves the catalog and the emulator agree.

use std::collections::HashMap;
use std::net::SocketAddr;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hub_connectors::catalog::{AuthKind, ClientAuth, ProviderDefinition, TokenBody};
use hub_connectors::{Environment, ProviderUrls};
use hub_emulators::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, EmulatedProvider, EmulatorState, RunningEmulator};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const REDIRECT_URI: &str = "http://127.0.0.1:9/oauth/callback";

/// An emulator serving on a free loopback port, and an HTTP client that does not follow redirects.
pub struct Harness {
    pub emulator: RunningEmulator,
    pub http: reqwest::Client,
}

impl Harness {
    pub async fn start() -> Self {
        let address: SocketAddr = "127.0.0.1:0".parse().expect("a socket address");
        let emulator = hub_emulators::start(address, EmulatorState::new()).await.expect("the emulator binds");
        let http =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a reqwest client");
        Self { emulator, http }
    }

    pub fn state(&self) -> &EmulatorState {
        self.emulator.state()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.base_url())
    }

    /// An OAuth client for a catalog provider, with the default client credentials.
    pub fn client(&self, id: &str) -> CatalogClient<'_> {
        let definition = hub_connectors::provider(id).unwrap_or_else(|| panic!("`{id}` is in the catalog"));
        let urls = definition.urls(Environment::Emulator, &self.emulator.base_url()).expect("an emulator environment");
        let provider = EmulatedProvider::for_catalog_id(id).unwrap_or_else(|| panic!("`{id}` is emulated"));
        CatalogClient {
            harness: self,
            definition,
            urls,
            provider,
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: Some(DEFAULT_CLIENT_SECRET.to_owned()),
        }
    }
}

/// A PKCE verifier and its S256 challenge.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        let bytes: [u8; 32] = rand::random();
        let verifier = URL_SAFE_NO_PAD.encode(bytes);
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self { verifier, challenge }
    }
}

/// A token endpoint's answer.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    pub fn access_token(&self) -> String {
        self.body["access_token"].as_str().unwrap_or_else(|| panic!("no access_token in {self:?}")).to_owned()
    }

    pub fn refresh_token(&self) -> Option<String> {
        self.body["refresh_token"].as_str().map(str::to_owned)
    }
}

/// Speaks to one emulated provider exactly as its catalog definition says.
pub struct CatalogClient<'a> {
    pub harness: &'a Harness,
    pub definition: &'static ProviderDefinition,
    pub urls: ProviderUrls,
    pub provider: EmulatedProvider,
    pub client_id: String,
    pub client_secret: Option<String>,
}

impl CatalogClient<'_> {
    pub fn uses_pkce(&self) -> bool {
        matches!(self.definition.auth, AuthKind::OAuth2Code { pkce, .. } if pkce != hub_connectors::catalog::Pkce::Unsupported)
    }

    /// The authorize URL the hub would send a person to.
    pub fn authorize_url(&self, redirect_uri: &str, state: &str, pkce: Option<&Pkce>) -> String {
        let AuthKind::OAuth2Code { scope_separator, extra_authorize_params, .. } = self.definition.auth else {
            panic!("{} has no authorization code flow", self.definition.id);
        };
        let mut url = url::Url::parse(self.urls.authorize.as_deref().expect("an authorize URL")).expect("a URL");
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("client_id", &self.client_id);
            query.append_pair("redirect_uri", redirect_uri);
            query.append_pair("response_type", "code");
            query.append_pair("state", state);
            if !self.definition.default_scopes.is_empty() {
                query.append_pair("scope", &self.definition.default_scopes.join(scope_separator));
            }
            for (name, value) in extra_authorize_params {
                query.append_pair(name, value);
            }
            if let Some(pkce) = pkce {
                query.append_pair("code_challenge", &pkce.challenge);
                query.append_pair("code_challenge_method", "S256");
            }
        }
        url.into()
    }

    /// Follows the authorize URL one hop and returns the redirect's query parameters.
    pub async fn authorize(&self, redirect_uri: &str, state: &str, pkce: Option<&Pkce>) -> HashMap<String, String> {
        let response = self
            .harness
            .http
            .get(self.authorize_url(redirect_uri, state, pkce))
            .send()
            .await
            .expect("the authorize endpoint answers");
        assert_eq!(response.status(), StatusCode::FOUND, "authorize should redirect: {:?}", response.text().await);
        let location = response.headers()["location"].to_str().expect("a text Location").to_owned();
        assert!(location.starts_with(redirect_uri), "redirected to `{location}`");
        url::Url::parse(&location).expect("a URL").query_pairs().into_owned().collect()
    }

    /// Authorizes and returns the code, checking that `state` came back.
    pub async fn code(&self, pkce: Option<&Pkce>) -> String {
        let redirect = self.authorize(REDIRECT_URI, "state-123", pkce).await;
        assert_eq!(redirect.get("state").map(String::as_str), Some("state-123"));
        redirect.get("code").cloned().unwrap_or_else(|| panic!("no code in {redirect:?}"))
    }

    pub async fn exchange(&self, code: &str, redirect_uri: Option<&str>, verifier: Option<&str>) -> Reply {
        let mut params = vec![("grant_type", "authorization_code".to_owned()), ("code", code.to_owned())];
        if let Some(redirect_uri) = redirect_uri {
            params.push(("redirect_uri", redirect_uri.to_owned()));
        }
        if let Some(verifier) = verifier {
            params.push(("code_verifier", verifier.to_owned()));
        }
        self.token_request(self.urls.token.as_deref().expect("a token URL"), params).await
    }

    /// Authorize, then redeem the code (with PKCE where the catalog says so).
    pub async fn connect(&self) -> Reply {
        let pkce = self.uses_pkce().then(Pkce::new);
        let code = self.code(pkce.as_ref()).await;
        let reply = self.exchange(&code, Some(REDIRECT_URI), pkce.as_ref().map(|pkce| pkce.verifier.as_str())).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        reply
    }

    pub async fn refresh(&self, refresh_token: &str) -> Reply {
        let mut params = vec![("refresh_token", refresh_token.to_owned())];
        if self.urls.refresh.is_none() {
            params.insert(0, ("grant_type", "refresh_token".to_owned()));
        }
        self.token_request(self.urls.refresh_endpoint().expect("a refresh URL"), params).await
    }

    pub async fn client_credentials(&self) -> Reply {
        let mut params = vec![("grant_type", "client_credentials".to_owned())];
        if !self.definition.default_scopes.is_empty() {
            params.push(("scope", self.definition.default_scopes.join(" ")));
        }
        let token_url = self.token_url_with_parameters();
        self.token_request(&token_url, params).await
    }

    /// The token URL with `{placeholders}` filled with sample values.
    pub fn token_url_with_parameters(&self) -> String {
        let mut url = self.urls.token.clone().expect("a token URL");
        for parameter in self.definition.url_parameters {
            url = url.replace(&format!("{{{parameter}}}"), "emulated");
        }
        url
    }

    /// POSTs to a token endpoint with client authentication and encoding from the catalog.
    pub async fn token_request(&self, url: &str, mut params: Vec<(&str, String)>) -> Reply {
        let (client_auth, token_body) = match self.definition.auth {
            AuthKind::OAuth2Code { client_auth, token_body, .. }
            | AuthKind::ClientCredentials { client_auth, token_body }
            | AuthKind::MutualTlsOAuth { client_auth, token_body } => (client_auth, token_body),
            other => panic!("{} does not fetch tokens: {other:?}", self.definition.id),
        };
        let mut request = self.harness.http.post(url);
        match client_auth {
            ClientAuth::Basic => {
                let secret = self.client_secret.clone().unwrap_or_default();
                let credentials = STANDARD.encode(format!("{}:{secret}", self.client_id));
                request = request.header("authorization", format!("Basic {credentials}"));
            }
            ClientAuth::Body => {
                params.push(("client_id", self.client_id.clone()));
                if let Some(secret) = &self.client_secret {
                    params.push(("client_secret", secret.clone()));
                }
            }
        }
        request = match token_body {
            TokenBody::Form => request.form(&params),
            TokenBody::Json => {
                let object: serde_json::Map<String, Value> =
                    params.into_iter().map(|(name, value)| (name.to_owned(), json!(value))).collect();
                request.json(&object)
            }
        };
        let response = request.send().await.expect("the token endpoint answers");
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        Reply { status, body }
    }

    /// The status of a bare POST to the token endpoint (a probe that never succeeds normally).
    pub async fn bare_token_request_status(&self) -> StatusCode {
        let response = self.harness.http.post(self.token_url_with_parameters()).send().await.expect("answers");
        response.status()
    }

    /// `GET /{provider}/_whoami` with a bearer token.
    pub async fn whoami(&self, access_token: &str) -> (StatusCode, Value) {
        let url = self.harness.url(&format!("/{}/_whoami", self.provider.slug()));
        let response = self.harness.http.get(url).bearer_auth(access_token).send().await.expect("whoami answers");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// The RFC 6749 error code a provider's error body stands for, whatever its own format.
pub fn oauth_error_code(body: &Value) -> Option<String> {
    if let Some(error) = body["error"].as_str() {
        return Some(error.to_owned());
    }
    if let Some(first) = body["errors"].get(0) {
        // Square: UNAUTHORIZED on a grant field means a bad grant; on client_secret a bad client.
        return Some(
            match (first["code"].as_str(), first["field"].as_str()) {
                (Some("UNAUTHORIZED"), Some("client_secret")) => "invalid_client",
                (Some("UNAUTHORIZED"), Some(_)) => "invalid_grant",
                (Some("INVALID_VALUE"), Some("grant_type")) => "unsupported_grant_type",
                (Some("BAD_REQUEST"), _) => "invalid_request",
                (Some("SERVICE_UNAVAILABLE" | "INTERNAL_SERVER_ERROR"), _) => "temporarily_unavailable",
                _ => "unknown",
            }
            .to_owned(),
        );
    }
    if let Some(status) = body["status"].as_str() {
        // HubSpot names the bad part in `status`.
        return Some(
            match status {
                "BAD_AUTH_CODE" | "BAD_REFRESH_TOKEN" | "BAD_REDIRECT_URI" => "invalid_grant",
                "BAD_CLIENT_ID" => "invalid_client",
                "BAD_GRANT_TYPE" => "unsupported_grant_type",
                "BAD_REQUEST" => "invalid_request",
                _ => "temporarily_unavailable",
            }
            .to_owned(),
        );
    }
    if body["ia::result"]["ia::error"]["code"] == "tokenInvalid" {
        return Some("invalid_grant".to_owned());
    }
    None
}
