//! Connections' credentials: sealed in the vault, obtained through OAuth 2.0 (authorization code
//! with PKCE, client credentials) and kept fresh with exactly one refresh in flight per connection,
//! across every request and every hub node.
#![forbid(unsafe_code)]

mod app;
mod pkce;
mod rotation;
mod service;
mod tokens;
mod vault;

pub use app::{ClientAuth, OAuthApp, RevokeStyle, TokenEncoding};
pub use pkce::{PkceVerifier, random_token, sha256_hex};
pub use rotation::{ReencryptReport, reencrypt_all};
pub use service::{AuthorizationStart, CallbackError, CallbackParams, ConnectionService, OAuthError};
pub use tokens::{TokenError, TokenSet};
pub use vault::{CredentialVault, VaultFailure};
