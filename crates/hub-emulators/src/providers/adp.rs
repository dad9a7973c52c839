//! ADP's token endpoint (`adp.md`): client credentials with the secret in HTTP Basic or the form,
//! 1-hour tokens, no refresh token. The real endpoint also requires mutual TLS, which the emulator
//! does not check (it serves plain HTTP).

use std::time::Duration;

use super::EmulatedProvider;
use crate::oauth::profile::{BodyFormat, ClientAuthRule, DefaultLifetimes, Profile, RefreshRule, StandardStyle};

pub(crate) static PROFILE: Profile = Profile {
    provider: EmulatedProvider::Adp,
    authorize: None,
    token_paths: &["/auth/oauth/v2/token"],
    refresh_path: None,
    revoke: None,
    body: BodyFormat::Form,
    client_auth: ClientAuthRule::Either,
    public_pkce_clients: false,
    grant_type_optional: false,
    client_credentials: true,
    refresh: RefreshRule::None,
    pkce_flow_refresh: None,
    lifetimes: DefaultLifetimes {
        access: Duration::from_secs(3600),
        refresh: None,
        pkce_refresh: None,
        code: Duration::from_secs(60),
    },
    new_grant_supersedes_previous: false,
    default_account: "emulated-adp-client",
    style: &StandardStyle,
};
