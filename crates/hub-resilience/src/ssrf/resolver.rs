//! The `reqwest` side of SSRF protection: a DNS resolver that only hands out allowed addresses,
//! and a redirect policy that refuses redirects to forbidden IP literals.

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect;

use super::{AllowList, SsrfError, check_url_literal};

/// Resolves with the system resolver (`getaddrinfo` on a blocking thread, via tokio) and drops
/// every address the allow-list refuses; fails when none is left. Install it with
/// `reqwest::ClientBuilder::dns_resolver`.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    allow: Arc<AllowList>,
}

impl GuardedResolver {
    pub fn new(allow: Arc<AllowList>) -> Self {
        Self { allow }
    }

    /// The addresses of `host` that may be dialled.
    pub async fn resolve_allowed(&self, host: &str) -> Result<Vec<SocketAddr>, SsrfError> {
        let addresses = lookup(host, 0).await?;
        if self.allow.allows_host(host) {
            return Ok(addresses);
        }
        let mut first_refusal = None;
        let allowed: Vec<SocketAddr> = addresses
            .into_iter()
            .filter(|address| match self.allow.check_address(host, address.ip()) {
                Ok(()) => true,
                Err(refusal) => {
                    first_refusal.get_or_insert(refusal);
                    false
                }
            })
            .collect();
        match (allowed.is_empty(), first_refusal) {
            (true, Some(refusal)) => Err(refusal),
            (true, None) => Err(SsrfError::NoAddress { host: host.to_owned() }),
            (false, _) => Ok(allowed),
        }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.clone();
        Box::pin(async move {
            let addresses = resolver.resolve_allowed(name.as_str()).await?;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// Every address of `host`, with `port`.
pub(super) async fn lookup(host: &str, port: u16) -> Result<Vec<SocketAddr>, SsrfError> {
    let addresses = tokio::net::lookup_host((host, port))
        .await
        .map_err(|error| SsrfError::Resolve { host: host.to_owned(), reason: error.to_string() })?;
    let addresses: Vec<SocketAddr> = addresses.collect();
    if addresses.is_empty() {
        return Err(SsrfError::NoAddress { host: host.to_owned() });
    }
    Ok(addresses)
}

/// Follows at most `max_redirects` redirects, refusing any whose target is a forbidden IP literal
/// or not http(s). Redirects to host names go through [`GuardedResolver`] like any request.
pub fn redirect_policy(allow: Arc<AllowList>, max_redirects: usize) -> redirect::Policy {
    redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > max_redirects {
            return attempt.error(format!("more than {max_redirects} redirects"));
        }
        match check_url_literal(attempt.url(), &allow) {
            Ok(()) => attempt.follow(),
            Err(refusal) => attempt.error(refusal),
        }
    })
}
