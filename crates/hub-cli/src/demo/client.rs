//! The demo drives the hub the way a franchisor's tools would: over its HTTP API, with an API key,
//! and through the real OAuth consent redirects against the emulator.

use anyhow::{Context, bail};
use chrono::NaiveDate;
use hub_core::connection::Connection;
use hub_core::id::{ConnectionId, FranchiseeId, LocationId, SyncRunId};
use serde_json::{Value, json};

/// The hub's API, as one network admin.
pub struct HubClient {
    base: String,
    key: String,
    http: reqwest::Client,
    /// Never follows redirects: the consent dance is followed by hand, one hop at a time.
    browser: reqwest::Client,
}

impl HubClient {
    pub fn new(base: String, key: String) -> anyhow::Result<Self> {
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        Ok(Self { base, key, http: reqwest::Client::new(), browser })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let mut request = self.http.request(method.clone(), format!("{}{path}", self.base)).bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.with_context(|| format!("{method} {path}"))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{method} {path} answered {status}: {}", body["detail"].as_str().unwrap_or("no detail"));
        }
        Ok(body)
    }

    /// Connects `location` to Square: a new connection, or a fresh authorization of the existing
    /// one (each run of the demo starts a new emulator, which does not know earlier tokens).
    /// `merchant` is the emulated seller who clicks "allow".
    pub async fn connect_square(
        &self,
        existing: Option<&Connection>,
        location: &LocationId,
        merchant: &str,
    ) -> anyhow::Result<ConnectionId> {
        let (id, authorize_url) = match existing {
            Some(connection) => {
                let started = self
                    .call(reqwest::Method::POST, &format!("/v1/connections/{}/authorize", connection.id), None)
                    .await?;
                (connection.id.clone(), started["authorize_url"].as_str().map(str::to_owned))
            }
            None => {
                let body = json!({"provider": "square", "location_id": location});
                let created = self.call(reqwest::Method::POST, "/v1/connections", Some(body)).await?;
                let id = ConnectionId::parse(created["id"].as_str().unwrap_or_default()).context("connection id")?;
                (id, created["authorize_url"].as_str().map(str::to_owned))
            }
        };
        let authorize_url = authorize_url.context("the hub gave no authorize_url")?;
        self.consent(&authorize_url, merchant).await?;
        let connection = self.call(reqwest::Method::GET, &format!("/v1/connections/{id}"), None).await?;
        if connection["status"] != "active" {
            bail!("connection {id} is {} after consent", connection["status"]);
        }
        Ok(id)
    }

    /// Connects the franchisor (the network itself, no franchisee) to QuickBooks Online: a new
    /// connection, or a fresh authorization of the existing one. `realm` is the emulated company
    /// whose owner clicks "allow"; QuickBooks names it (`realmId`) beside the code.
    pub async fn connect_quickbooks(&self, existing: Option<&Connection>, realm: &str) -> anyhow::Result<ConnectionId> {
        let (id, authorize_url) = match existing {
            Some(connection) => {
                let started = self
                    .call(reqwest::Method::POST, &format!("/v1/connections/{}/authorize", connection.id), None)
                    .await?;
                (connection.id.clone(), started["authorize_url"].as_str().map(str::to_owned))
            }
            None => {
                let body = json!({"provider": "quickbooks-online"});
                let created = self.call(reqwest::Method::POST, "/v1/connections", Some(body)).await?;
                let id = ConnectionId::parse(created["id"].as_str().unwrap_or_default()).context("connection id")?;
                (id, created["authorize_url"].as_str().map(str::to_owned))
            }
        };
        let authorize_url = authorize_url.context("the hub gave no authorize_url")?;
        self.consent(&authorize_url, realm).await?;
        Ok(id)
    }

    /// Gives `franchisee` the demo's default agreement unless it has one: 6% royalty, 2% brand
    /// fund, 99.00 technology fee per shop, monthly, from `from`. Returns whether it made one.
    pub async fn ensure_agreement(&self, franchisee: &FranchiseeId, from: NaiveDate) -> anyhow::Result<bool> {
        let listed =
            self.call(reqwest::Method::GET, &format!("/v1/agreements?franchisee_id={franchisee}"), None).await?;
        if listed["data"].as_array().is_some_and(|agreements| !agreements.is_empty()) {
            return Ok(false);
        }
        let body = json!({
            "franchisee_id": franchisee,
            "effective_from": from,
            "period": "monthly",
            "royalty_rate": "0.06",
            "ad_fund_rate": "0.02",
            "technology_fee_per_location": "99.00",
        });
        self.call(reqwest::Method::POST, "/v1/agreements", Some(body)).await?;
        Ok(true)
    }

    /// Opens the provider's consent page as `merchant`, which redirects to the hub's callback.
    async fn consent(&self, authorize_url: &str, merchant: &str) -> anyhow::Result<()> {
        let mut url = reqwest::Url::parse(authorize_url).context("authorize_url")?;
        url.query_pairs_mut().append_pair("emulator_account", merchant);
        let response = self.browser.get(url).send().await.context("the emulator's consent page")?;
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .with_context(|| format!("consent did not redirect (answered {})", response.status()))?
            .to_owned();
        let callback = self.browser.get(&location).send().await.context("the hub's OAuth callback")?;
        if !callback.status().is_success() {
            bail!("the OAuth callback answered {}: {}", callback.status(), callback.text().await.unwrap_or_default());
        }
        Ok(())
    }

    /// Asks for a sync; returns the run.
    pub async fn sync(&self, connection: &ConnectionId, full: bool) -> anyhow::Result<SyncRunId> {
        let mode = if full { "full" } else { "incremental" };
        let body = json!({ "mode": mode });
        let accepted =
            self.call(reqwest::Method::POST, &format!("/v1/connections/{connection}/sync"), Some(body)).await?;
        SyncRunId::parse(accepted["sync_run_id"].as_str().unwrap_or_default()).context("sync_run_id")
    }

    /// A sync run as the API shows it.
    pub async fn sync_run(&self, id: &SyncRunId) -> anyhow::Result<Value> {
        self.call(reqwest::Method::GET, &format!("/v1/sync-runs/{id}"), None).await
    }
}
