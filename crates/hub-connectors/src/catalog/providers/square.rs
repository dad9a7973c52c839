//! Square (point of sale). Source: `square.md` and the official spec `../specs/square/api.json`.

use super::prelude::*;

/// Square: OAuth 2.0 code flow (PKCE supported), JSON token requests, an `expires_at` instant,
/// 30-day access tokens; refresh tokens are multi-use and never expire in the code flow, but
/// single-use with a 90-day life when the authorization used PKCE. Square asks clients to refresh
/// at least every 7 days. Rate limits exist but are not published. Source: `square.md`.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "square",
    name: "Square",
    category: Category::Pos,
    source: "square.md",
    auth: AuthKind::OAuth2Code {
        pkce: Pkce::Supported,
        client_auth: ClientAuth::Body,
        token_body: TokenBody::Json,
        scope_separator: " ",
        extra_authorize_params: &[],
    },
    // What the Square connector's reads need, per the spec's `security` of each endpoint:
    // ITEMS_READ for the catalog lookups that tell services from products and name booked
    // services; APPOINTMENTS_READ with APPOINTMENTS_ALL_READ for ListBookings at seller level.
    default_scopes: &[
        "MERCHANT_PROFILE_READ",
        "PAYMENTS_READ",
        "ORDERS_READ",
        "ITEMS_READ",
        "CUSTOMERS_READ",
        "EMPLOYEES_READ",
        "TIMECARDS_READ",
        "PAYOUTS_READ",
        "APPOINTMENTS_READ",
        "APPOINTMENTS_ALL_READ",
    ],
    token: TokenBehaviour {
        expiry: Expiry::ExpiresAt { field: "expires_at", format: TimestampFormat::Rfc3339 },
        refresh: Refresh::Reusable,
        pkce_flow_refresh: Some(Refresh::SingleUseRotating),
        access_ttl_hint: Some(days(30)),
        // Code flow: never expires. PKCE flow: 90 days, renewed by every refresh.
        refresh_ttl_hint: None,
        revokes_idle_after: None,
        refresh_at_least_every: Some(days(7)),
    },
    endpoints: Endpoints {
        production: Some(EndpointSet {
            authorize: Some("https://connect.squareup.com/oauth2/authorize"),
            token: Some("https://connect.squareup.com/oauth2/token"),
            refresh: None,
            revoke: Some("https://connect.squareup.com/oauth2/revoke"),
            api_base: "https://connect.squareup.com",
            other_bases: &[],
        }),
        sandbox: Some(EndpointSet {
            authorize: Some("https://connect.squareupsandbox.com/oauth2/authorize"),
            token: Some("https://connect.squareupsandbox.com/oauth2/token"),
            refresh: None,
            revoke: Some("https://connect.squareupsandbox.com/oauth2/revoke"),
            api_base: "https://connect.squareupsandbox.com",
            other_bases: &[],
        }),
        emulator: Some(EndpointSet {
            authorize: Some("/square/oauth2/authorize"),
            token: Some("/square/oauth2/token"),
            refresh: None,
            revoke: Some("/square/oauth2/revoke"),
            api_base: "/square",
            other_bases: &[],
        }),
    },
    url_parameters: &[],
    // Most list endpoints cap pages at 100 (SearchOrders 1000, team members and timecards 200).
    pagination: Pagination::Cursor {
        request_param: "cursor",
        next: NextCursor::BodyField("cursor"),
        max_page_size: Some(100),
    },
    // "Square does have rate limits but we don't document the limits"; 429 `RATE_LIMITED`.
    rate_limit: Some(assumed_per_connection(10)),
    webhook_signature: Some(SignatureScheme {
        kind: SignatureKind::Square,
        header: "x-square-hmacsha256-signature",
        timestamp_header: None,
        algorithm: SignatureAlgorithm::HmacSha256,
        encoding: SignatureEncoding::Base64,
        value_prefix: None,
        signed_content: "the notification URL exactly as registered, then the raw body",
        tolerance: None,
    }),
    reads: &[
        Model::Location,
        Model::StaffMember,
        Model::Customer,
        Model::Appointment,
        Model::Sale,
        Model::Refund,
        Model::Timecard,
        Model::Payout,
    ],
    writes: &[],
};
