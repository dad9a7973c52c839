//! The catalog's emulator URLs are exactly what the emulator serves.

use hub_connectors::catalog::AuthKind;
use hub_connectors::{Environment, catalog};
use hub_emulators::EmulatedProvider;
use reqwest::StatusCode;

use crate::common::Harness;

#[tokio::test]
async fn every_catalog_oauth_url_for_the_emulator_is_served() {
    let harness = Harness::start().await;
    let base = harness.emulator.base_url();
    let mut checked = 0;
    for definition in catalog() {
        let fetches_tokens = matches!(
            definition.auth,
            AuthKind::OAuth2Code { .. } | AuthKind::ClientCredentials { .. } | AuthKind::MutualTlsOAuth { .. }
        );
        if !fetches_tokens {
            continue;
        }
        assert!(
            EmulatedProvider::for_catalog_id(definition.id).is_some(),
            "{} has no emulated OAuth server",
            definition.id
        );
        let urls = definition.urls(Environment::Emulator, &base).expect("an emulator environment");
        let fill = |url: &str| {
            definition
                .url_parameters
                .iter()
                .fold(url.to_owned(), |url, name| url.replace(&format!("{{{name}}}"), "sample"))
        };
        for url in [&urls.token, &urls.refresh, &urls.revoke].into_iter().flatten() {
            let status = harness.http.post(fill(url)).send().await.expect("answers").status();
            assert!(
                !matches!(status, StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED),
                "{}: POST {url} → {status}",
                definition.id
            );
            checked += 1;
        }
        if let Some(url) = &urls.authorize {
            let status = harness.http.get(fill(url)).send().await.expect("answers").status();
            assert_eq!(status, StatusCode::BAD_REQUEST, "{}: GET {url} without client_id", definition.id);
            checked += 1;
        }
    }
    assert!(checked >= 20, "checked {checked} URLs");
}
