//! Checks that hold for the whole catalog: the exact ids, URLs per environment, and JSON shape.

use std::collections::BTreeSet;

use super::*;

/// The contract: every provider of the notes' README (Fransmart and IFPG apart), plus the
/// Standard Webhooks partner feed.
const EXPECTED_IDS: [&str; 23] = [
    "square",
    "stripe",
    "clover",
    "toast",
    "quickbooks-online",
    "sage-intacct",
    "adp",
    "salesforce",
    "hubspot",
    "google-calendar",
    "google-business-profile",
    "google-ads",
    "ga4",
    "meta",
    "twilio",
    "sendgrid",
    "tableau",
    "power-bi",
    "looker-studio",
    "franconnect",
    "fransmart",
    "ifpg",
    "standard-webhooks",
];

/// The products served by one Google OAuth server (`/google/…` in the emulator).
const GOOGLE_IDS: [&str; 4] = ["google-calendar", "google-business-profile", "google-ads", "ga4"];

const EMULATOR_BASE: &str = "http://127.0.0.1:4010";

fn definition(id: &str) -> &'static ProviderDefinition {
    provider(id).unwrap_or_else(|| panic!("`{id}` is in the catalog"))
}

#[test]
fn every_readme_provider_is_present_with_its_exact_id() {
    let ids: BTreeSet<&str> = catalog().iter().map(|definition| definition.id).collect();
    let expected: BTreeSet<&str> = EXPECTED_IDS.into_iter().collect();
    assert_eq!(ids, expected);
    for id in EXPECTED_IDS {
        assert_eq!(definition(id).id, id);
    }
}

#[test]
fn ids_are_unique_lowercase_slugs() {
    let mut seen = BTreeSet::new();
    for definition in catalog() {
        let id = definition.id;
        assert!(seen.insert(id), "`{id}` appears twice");
        assert!(!id.is_empty() && !id.starts_with('-') && !id.ends_with('-') && !id.contains("--"), "`{id}`");
        assert!(id.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-'), "`{id}`");
    }
}

#[test]
fn lookup_is_exact() {
    assert_eq!(provider("quickbooks-online").map(|definition| definition.name), Some("QuickBooks Online"));
    assert!(provider("Square").is_none());
    assert!(provider("quickbooks").is_none());
    assert!(provider("").is_none());
}

#[test]
fn every_definition_names_the_note_it_comes_from() {
    let notes = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/providers");
    for definition in catalog() {
        let source = definition.source;
        if definition.id == "standard-webhooks" {
            assert_eq!(source, "DESIGN.md");
            continue;
        }
        assert!(source.ends_with(".md"), "{}: {source}", definition.id);
        if notes.is_dir() {
            assert!(notes.join(source).is_file(), "{}: `{source}` is not a provider note", definition.id);
        }
    }
}

#[test]
fn oauth_code_providers_have_authorize_and_token_urls_in_production_and_emulator() {
    let code_providers: Vec<_> = catalog().iter().filter(|definition| definition.uses_authorization_code()).collect();
    assert!(code_providers.len() >= 10, "square, clover, quickbooks, sage, salesforce, hubspot and four Google");
    for definition in code_providers {
        for environment in [Environment::Production, Environment::Emulator] {
            let urls = definition.urls(environment, EMULATOR_BASE).unwrap_or_else(|| panic!("{}", definition.id));
            assert!(urls.authorize.is_some(), "{} {environment:?} authorize", definition.id);
            assert!(urls.token.is_some(), "{} {environment:?} token", definition.id);
        }
    }
}

#[test]
fn providers_that_fetch_tokens_have_a_token_url_in_production_and_emulator() {
    for definition in catalog() {
        let fetches_tokens = matches!(
            definition.auth,
            AuthKind::ClientCredentials { .. } | AuthKind::MutualTlsOAuth { .. } | AuthKind::ProviderLogin
        );
        if fetches_tokens {
            for environment in [Environment::Production, Environment::Emulator] {
                let urls = definition.urls(environment, EMULATOR_BASE).unwrap_or_else(|| panic!("{}", definition.id));
                assert!(urls.token.is_some(), "{} {environment:?}", definition.id);
                assert!(urls.authorize.is_none(), "{} has no browser step", definition.id);
            }
        }
    }
}

#[test]
fn emulator_urls_are_under_the_emulator_base_and_the_provider_prefix() {
    for definition in catalog() {
        let Some(urls) = definition.urls(Environment::Emulator, &format!("{EMULATOR_BASE}/")) else {
            assert!(definition.endpoints.production.is_none(), "{} has a real API but no emulator", definition.id);
            continue;
        };
        let own_prefix = format!("{EMULATOR_BASE}/{}", definition.id);
        let google_prefix = format!("{EMULATOR_BASE}/google/");
        for url in urls.all() {
            let is_google_oauth = GOOGLE_IDS.contains(&definition.id) && url.starts_with(&google_prefix);
            assert!(
                url == own_prefix || url.starts_with(&format!("{own_prefix}/")) || is_google_oauth,
                "{}: `{url}` is outside the emulator's `/{}` prefix",
                definition.id,
                definition.id
            );
        }
    }
}

#[test]
fn real_urls_are_https_and_placeholders_are_declared() {
    for definition in catalog() {
        let mut used = BTreeSet::new();
        for environment in Environment::ALL {
            let Some(urls) = definition.urls(environment, EMULATOR_BASE) else { continue };
            for url in urls.all() {
                if environment != Environment::Emulator {
                    assert!(url.starts_with("https://") || url == "{instance_url}", "{}: `{url}`", definition.id);
                }
                for placeholder in url.split('{').skip(1).filter_map(|rest| rest.split_once('}')).map(|(name, _)| name)
                {
                    assert!(
                        definition.url_parameters.contains(&placeholder),
                        "{}: `{{{placeholder}}}` is not in url_parameters",
                        definition.id
                    );
                    used.insert(placeholder.to_owned());
                }
            }
        }
        for parameter in definition.url_parameters {
            assert!(used.contains(*parameter), "{}: `{parameter}` is declared but never used", definition.id);
        }
    }
}

#[test]
fn the_four_google_products_share_one_oauth_server() {
    let google = GOOGLE_IDS;
    for environment in [Environment::Production, Environment::Emulator] {
        let servers: BTreeSet<_> = google
            .iter()
            .map(|id| definition(id).urls(environment, EMULATOR_BASE).map(|urls| (urls.authorize, urls.token)))
            .collect();
        assert_eq!(servers.len(), 1, "{environment:?}: {servers:?}");
    }
    let calendar = definition("google-calendar").urls(Environment::Emulator, EMULATOR_BASE).expect("emulated");
    assert_eq!(calendar.token.as_deref(), Some("http://127.0.0.1:4010/google/token"));
    assert_eq!(calendar.api_base, "http://127.0.0.1:4010/google-calendar/calendar/v3");
}

#[test]
fn pkce_and_refresh_rules_follow_the_notes() {
    let pkce = |id| match definition(id).auth {
        AuthKind::OAuth2Code { pkce, .. } => pkce,
        other => panic!("{id} is {other:?}"),
    };
    assert_eq!(pkce("clover"), Pkce::Required, "required for low-trust apps");
    assert_eq!(pkce("square"), Pkce::Supported);
    assert_eq!(pkce("quickbooks-online"), Pkce::Unsupported, "unverified, so not sent");

    let square = definition("square").token;
    assert_eq!(square.refresh, Refresh::Reusable);
    assert_eq!(square.pkce_flow_refresh, Some(Refresh::SingleUseRotating));
    assert_eq!(square.expiry, Expiry::ExpiresAt { field: "expires_at", format: TimestampFormat::Rfc3339 });
    assert_eq!(definition("clover").token.refresh, Refresh::SingleUseRotating);
    assert_eq!(definition("quickbooks-online").token.refresh, Refresh::Rotating);
    assert_eq!(
        definition("quickbooks-online").token.revokes_idle_after,
        Some(std::time::Duration::from_secs(8_726_400))
    );
    assert_eq!(definition("hubspot").token.access_ttl_hint, Some(durations::minutes(30)));
    assert_eq!(definition("google-ads").token.refresh, Refresh::Reusable);
    assert_eq!(definition("adp").token.refresh, Refresh::None);
    assert!(matches!(definition("adp").auth, AuthKind::MutualTlsOAuth { client_auth: ClientAuth::Basic, .. }));
    assert!(matches!(definition("standard-webhooks").auth, AuthKind::SharedSecret));
}

#[test]
fn rate_limits_are_usable_and_salesforce_answers_403() {
    for definition in catalog() {
        let Some(limit) = definition.rate_limit else {
            assert!(definition.endpoints.production.is_none(), "{} calls a provider with no limit", definition.id);
            continue;
        };
        assert!(limit.requests > 0 && limit.burst > 0 && !limit.per.is_zero(), "{}", definition.id);
        assert_eq!(limit.scope == RateLimitScope::Both, limit.app_wide.is_some(), "{}", definition.id);
        assert!(matches!(limit.limited_status, 403 | 429), "{}", definition.id);
    }
    assert_eq!(definition("salesforce").rate_limit.map(|limit| limit.limited_status), Some(403));
    assert_eq!(
        definition("clover").rate_limit.and_then(|limit| limit.app_wide),
        Some(Rate { requests: 50, per: durations::SECOND })
    );
}

#[test]
fn webhook_schemes_with_a_timestamp_have_a_tolerance() {
    for definition in catalog() {
        if let Some(scheme) = definition.webhook_signature
            && scheme.timestamp_header.is_some()
            && scheme.kind != SignatureKind::SendGridEcdsa
        {
            assert!(scheme.tolerance.is_some(), "{}", definition.id);
        }
    }
    let stripe = definition("stripe").webhook_signature.expect("stripe signs");
    assert_eq!((stripe.header, stripe.tolerance), ("Stripe-Signature", Some(durations::minutes(5))));
    assert_eq!(
        definition("fransmart").webhook_signature.map(|scheme| scheme.kind),
        Some(SignatureKind::StandardWebhooks)
    );
    assert_eq!(definition("salesforce").webhook_signature, None);
}

#[test]
fn the_catalog_lists_as_json_with_durations_in_seconds() {
    let json = serde_json::to_value(catalog()).expect("the catalog serializes");
    let providers = json.as_array().expect("an array");
    assert_eq!(providers.len(), EXPECTED_IDS.len());
    let square = providers.iter().find(|provider| provider["id"] == "square").expect("square listed");
    assert_eq!(square["auth"]["kind"], "oauth2_code");
    assert_eq!(square["auth"]["pkce"], "supported");
    assert_eq!(square["auth"]["token_body"], "json");
    assert_eq!(square["token"]["access_ttl_hint"], 2_592_000);
    assert_eq!(square["token"]["expiry"]["kind"], "expires_at");
    assert_eq!(square["endpoints"]["emulator"]["token"], "/square/oauth2/token");
    assert_eq!(square["reads"][0], "location");
    let google = providers.iter().find(|provider| provider["id"] == "google-ads").expect("google ads listed");
    assert_eq!(google["auth"]["extra_authorize_params"][0][0], "access_type");
    let hubspot = providers.iter().find(|provider| provider["id"] == "hubspot").expect("hubspot listed");
    assert_eq!(hubspot["webhook_signature"]["kind"], "hubspot_v3");
    assert_eq!(hubspot["rate_limit"]["per"], 10);
}

#[test]
fn definitions_describe_themselves_in_openapi() {
    use utoipa::PartialSchema;
    let schema = serde_json::to_value(ProviderDefinition::schema()).expect("the schema serializes");
    for field in ["id", "auth", "token", "endpoints", "rate_limit", "webhook_signature", "reads", "writes"] {
        assert!(schema["properties"][field].is_object(), "`{field}` is missing from {schema}");
    }
    let token = serde_json::to_value(TokenBehaviour::schema()).expect("the schema serializes");
    assert_eq!(token["properties"]["access_ttl_hint"]["type"], serde_json::json!(["integer", "null"]), "{token}");
}
