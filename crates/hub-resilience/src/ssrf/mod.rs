//! Server-side request forgery protection: outbound requests may only reach public addresses,
//! unless the destination is allow-listed. We resolve DNS ourselves and refuse loopback, private,
//! link-local, unique-local, multicast, unspecified and other special-purpose addresses, so a URL
//! (or a DNS answer, or a redirect) cannot point the hub at its own network or a cloud metadata
//! service. Reused by outbound webhooks.
//!
//! Three entry points: [`check_url`] (validate a URL up front, e.g. when a webhook endpoint is
//! registered), [`GuardedResolver`] (a `reqwest` DNS resolver that drops refused addresses at
//! connect time) and [`redirect_policy`] (redirects to refused IP literals are not followed).

mod address;
mod resolver;

use std::net::{IpAddr, SocketAddr};

pub use address::forbidden_kind;
pub use ipnet::IpNet;
use reqwest::Url;
pub use resolver::{GuardedResolver, redirect_policy};

/// Why a destination was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsrfError {
    /// The host is, or resolves to, an address that is not public.
    #[error("{host} resolves to {address}, a {kind} address that is not allowed")]
    Forbidden { host: String, address: IpAddr, kind: &'static str },
    /// Only `http` and `https` are dialled.
    #[error("scheme `{0}` is not allowed (http or https only)")]
    Scheme(String),
    /// The URL names no host.
    #[error("the url has no host")]
    NoHost,
    /// DNS failed.
    #[error("could not resolve {host}: {reason}")]
    Resolve { host: String, reason: String },
    /// DNS answered with no address.
    #[error("{host} resolves to no address")]
    NoAddress { host: String },
}

/// Destinations that may be private: exact host names and address ranges. Empty by default;
/// tests and emulators on 127.0.0.1 use [`AllowList::loopback`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    hosts: Vec<String>,
    networks: Vec<IpNet>,
}

impl AllowList {
    /// Allows nothing beyond public addresses.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows 127.0.0.0/8 and ::1: for tests and local emulators.
    pub fn loopback() -> Self {
        let v4 = IpNet::new(IpAddr::from([127, 0, 0, 0]), 8);
        let v6 = IpNet::new(IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]), 128);
        Self { hosts: Vec::new(), networks: v4.into_iter().chain(v6).collect() }
    }

    /// Allows every address `host` resolves to (exact name, case-insensitive).
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.hosts.push(normalize_host(&host.into()));
        self
    }

    /// Allows every address inside `network` (e.g. `10.1.0.0/16`).
    pub fn allow_network(mut self, network: IpNet) -> Self {
        self.networks.push(network);
        self
    }

    pub fn allows_host(&self, host: &str) -> bool {
        let host = normalize_host(host);
        self.hosts.contains(&host)
    }

    /// True when `address` (or the IPv4 address an IPv4-mapped one carries) is in an allowed range.
    pub fn allows_address(&self, address: IpAddr) -> bool {
        let canonical = address.to_canonical();
        self.networks.iter().any(|network| network.contains(&address) || network.contains(&canonical))
    }

    /// Refuses `address` (reached through `host`) unless it is public or allow-listed.
    pub fn check_address(&self, host: &str, address: IpAddr) -> Result<(), SsrfError> {
        match forbidden_kind(address) {
            Some(kind) if !self.allows_address(address) => {
                Err(SsrfError::Forbidden { host: host.to_owned(), address, kind })
            }
            _ => Ok(()),
        }
    }
}

fn normalize_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Checks what can be checked without DNS: the scheme, and the address when the host is an IP
/// literal (which `reqwest` dials without asking any resolver). Host names are left to
/// [`GuardedResolver`].
pub fn check_url_literal(url: &Url, allow: &AllowList) -> Result<(), SsrfError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(SsrfError::Scheme(url.scheme().to_owned()));
    }
    if url.host_str().is_some_and(|host| allow.allows_host(host.trim_matches(['[', ']']))) {
        return Ok(());
    }
    match url.host() {
        None => Err(SsrfError::NoHost),
        Some(url::Host::Domain(_)) => Ok(()),
        Some(url::Host::Ipv4(address)) => allow.check_address(&address.to_string(), address.into()),
        Some(url::Host::Ipv6(address)) => allow.check_address(&address.to_string(), address.into()),
    }
}

/// Validates a URL completely: scheme, host, and every address its host resolves to (strict:
/// one refused address refuses the URL). Returns the addresses.
pub async fn check_url(url: &Url, allow: &AllowList) -> Result<Vec<SocketAddr>, SsrfError> {
    check_url_literal(url, allow)?;
    let port = url.port_or_known_default().unwrap_or(0);
    let host = match url.host() {
        Some(url::Host::Domain(host)) => host,
        Some(url::Host::Ipv4(address)) => return Ok(vec![SocketAddr::new(address.into(), port)]),
        Some(url::Host::Ipv6(address)) => return Ok(vec![SocketAddr::new(address.into(), port)]),
        None => return Err(SsrfError::NoHost),
    };
    let addresses = resolver::lookup(host, port).await?;
    if !allow.allows_host(host) {
        for address in &addresses {
            allow.check_address(host, address.ip())?;
        }
    }
    Ok(addresses)
}

/// Finds an [`SsrfError`] in an error's source chain (as `reqwest` wraps resolver errors).
pub fn find_in_chain(error: &(dyn std::error::Error + 'static)) -> Option<SsrfError> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<SsrfError>() {
            return Some(found.clone());
        }
        current = error.source();
    }
    None
}
