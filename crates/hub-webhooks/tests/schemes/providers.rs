use hub_webhooks::{CLOVER_HOSTED_CHECKOUT, Scheme, WebhookError};

#[test]
fn every_catalog_provider_id_maps_to_its_scheme() {
    for (id, scheme) in [
        ("stripe", Scheme::Stripe),
        ("square", Scheme::Square),
        ("quickbooks-online", Scheme::QuickBooks),
        ("hubspot", Scheme::HubSpot),
        ("twilio", Scheme::Twilio),
        ("sendgrid", Scheme::SendGrid),
        ("meta", Scheme::Meta),
        ("clover", Scheme::CloverAuthCode),
        (CLOVER_HOSTED_CHECKOUT, Scheme::CloverHostedCheckout),
        ("toast", Scheme::Toast),
        ("google-calendar", Scheme::GoogleChannelToken),
        ("standard-webhooks", Scheme::StandardWebhooks),
        ("fransmart", Scheme::StandardWebhooks),
        ("ifpg", Scheme::StandardWebhooks),
    ] {
        assert_eq!(Scheme::for_provider(id), Ok(scheme), "{id}");
    }
}

#[test]
fn providers_without_webhooks_are_refused_by_name() {
    for id in ["salesforce", "ga4", "no-such-provider"] {
        assert_eq!(Scheme::for_provider(id), Err(WebhookError::UnknownProvider { id: id.to_owned() }));
    }
}

#[test]
fn the_schemes_windows_agree_with_the_catalog() {
    for id in Scheme::provider_ids().filter(|id| *id != CLOVER_HOSTED_CHECKOUT) {
        let catalog = hub_connectors::provider(id).and_then(|p| p.webhook_signature).expect("listed with a scheme");
        let scheme = Scheme::for_provider(id).expect("scheme");
        assert_eq!(scheme.tolerance(), catalog.tolerance, "{id}");
    }
    assert!(Scheme::provider_ids().count() >= 14);
    assert_eq!(Scheme::ALL.len(), 12);
}
