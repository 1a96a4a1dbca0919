//! Where a partner's webhook may go: public unicast addresses only. A partner chooses the URL,
//! so without this check a partner (or whoever holds a partner's session) could aim the
//! gateway's POSTs at loopback, the branch's private network or a cloud's metadata service and
//! read the answers' status codes back from `GET /v1/partner/messages` (SSRF).
//!
//! The host is checked when the endpoint is registered and again at every delivery, and the
//! delivery connects only to the addresses that were checked: the HTTP client resolves names
//! through [`Destinations`], which refuses a name unless every address it resolves to is
//! allowed, so a name that resolves to a public address at registration and to an internal one
//! later (DNS rebinding) is refused at the later delivery. An IP literal in the URL is not
//! resolved by the client, so the delivery checks it itself ([`Destinations::check_literal`]).

use futures::future::BoxFuture;
use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

/// How long a registration waits for the resolver (a delivery is bounded by its own timeout).
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Resolves a host name to addresses: the system's resolver in a gateway, one the test controls
/// in tests (to simulate a name that changes what it resolves to).
pub trait Lookup: Send + Sync + std::fmt::Debug {
    /// The addresses `host` resolves to now.
    fn lookup(&self, host: &str) -> BoxFuture<'static, std::io::Result<Vec<IpAddr>>>;
}

/// The system's resolver (`getaddrinfo`, through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: &str) -> BoxFuture<'static, std::io::Result<Vec<IpAddr>>> {
        let host = host.to_owned();
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .map(|a| a.ip())
                .collect())
        })
    }
}

/// Why a destination is refused. Its text is what a partner sees: it names the kind of address,
/// never an address a name resolved to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The URL has no host.
    #[error("the URL has no host")]
    NoHost,
    /// An IP literal of a range webhooks may not go to.
    #[error("{0} addresses are not allowed")]
    Literal(&'static str),
    /// A name that resolves to an address webhooks may not go to, or to none.
    #[error("the host does not resolve to public addresses only")]
    Resolved,
}

/// The range `ip` falls in if webhooks may not go there (`None`: a public unicast address).
/// IPv4-mapped, IPv4-compatible, NAT64 and 6to4 addresses are judged by the IPv4 address they
/// carry. Ranges: IANA's IPv4 and IPv6 special-purpose registries.
pub fn refused_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_broadcast() => "broadcast",
        (0, ..) => "reserved (0.0.0.0/8)",
        (127, ..) => "loopback",
        (10, ..) | (172, 16..=31, _) | (192, 168, _) => "private",
        (100, 64..=127, _) => "shared (CGNAT)",
        (169, 254, _) => "link-local",
        (192, 0, 0) => "reserved (IETF protocol assignments)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (192, 88, 99) => "reserved (6to4 relay)",
        (198, 18..=19, _) => "reserved (benchmarking)",
        (224..=239, ..) => "multicast",
        (240..=255, ..) => "reserved (240.0.0.0/4)",
        _ => return None,
    })
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    Some(match s {
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_loopback() => "loopback",
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated).
        [0, 0, 0, 0, 0, 0xffff | 0, hi, lo] => return refused_v4(embedded(hi, lo)),
        // NAT64's well-known prefix reaches the IPv4 address it carries.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => return refused_v4(embedded(hi, lo)),
        [0x64, 0xff9b, 1, ..] => "reserved (local NAT64)",
        // 6to4 reaches the IPv4 address in bits 16..48.
        [0x2002, hi, lo, ..] => return refused_v4(embedded(hi, lo)),
        [0x2001, 0xdb8, ..] | [0x3fff, 0..=0x0fff, ..] => "documentation",
        // Teredo, benchmarking, ORCHID and the other IETF protocol assignments.
        [0x2001, 0..=0x1ff, ..] => "reserved (IETF protocol assignments)",
        [0xfc00..=0xfdff, ..] => "private (unique local)",
        [0xfe80..=0xfebf, ..] => "link-local",
        [0xfec0..=0xfeff, ..] => "reserved (site-local)",
        [0xff00..=0xffff, ..] => "multicast",
        // Everything outside 2000::/3 (global unicast) is unassigned or special.
        [first, ..] if first & 0xe000 != 0x2000 => "reserved (outside 2000::/3)",
        _ => return None,
    })
}

/// The gateway's judge of webhook destinations, and the HTTP client's resolver.
#[derive(Debug, Clone)]
pub struct Destinations {
    lookup: Arc<dyn Lookup>,
    allow_loopback: bool,
}

impl Destinations {
    /// Resolving through `lookup`; loopback addresses allowed only when `allow_loopback`
    /// (development and tests: a receiver on the same machine).
    pub fn new(lookup: Arc<dyn Lookup>, allow_loopback: bool) -> Self {
        Self {
            lookup,
            allow_loopback,
        }
    }

    /// Whether a webhook may go to `ip`: the range it is in, if not.
    pub fn refused(&self, ip: IpAddr) -> Option<&'static str> {
        match refused_range(ip) {
            Some("loopback") if self.allow_loopback => None,
            range => range,
        }
    }

    /// Checks `url`'s host: an IP literal by its range, a name by every address it resolves
    /// to now. Returns the addresses checked.
    pub async fn check(&self, url: &url::Url) -> Result<Vec<IpAddr>, Refusal> {
        if let Some(checked) = self.check_literal(url) {
            return checked.map(|ip| vec![ip]);
        }
        let host = url.host_str().ok_or(Refusal::NoHost)?;
        tokio::time::timeout(LOOKUP_TIMEOUT, self.resolve_name(host))
            .await
            .unwrap_or(Err(Refusal::Resolved))
    }

    /// `url`'s host if it is an IP literal, allowed or refused; `None` for a name (or none).
    pub fn check_literal(&self, url: &url::Url) -> Option<Result<IpAddr, Refusal>> {
        let ip = match url.host()? {
            url::Host::Ipv4(v4) => IpAddr::V4(v4),
            url::Host::Ipv6(v6) => IpAddr::V6(v6),
            url::Host::Domain(_) => return None,
        };
        Some(match self.refused(ip) {
            Some(range) => Err(Refusal::Literal(range)),
            None => Ok(ip),
        })
    }

    /// The addresses `host` resolves to, when there is at least one and all are allowed.
    async fn resolve_name(&self, host: &str) -> Result<Vec<IpAddr>, Refusal> {
        let ips = self
            .lookup
            .lookup(host)
            .await
            .map_err(|_| Refusal::Resolved)?;
        if ips.is_empty() || ips.iter().any(|ip| self.refused(*ip).is_some()) {
            return Err(Refusal::Resolved);
        }
        Ok(ips)
    }
}

impl reqwest::dns::Resolve for Destinations {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let this = self.clone();
        Box::pin(async move {
            let ips = this.resolve_name(name.as_str()).await?;
            // Port 0: the client puts the URL's port in.
            let addrs: reqwest::dns::Addrs =
                Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> Option<&'static str> {
        refused_range(text.parse().unwrap())
    }

    #[test]
    fn every_special_range_is_refused_and_public_unicast_is_not() {
        for (ip, range) in [
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "reserved (0.0.0.0/8)"),
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "shared (CGNAT)"),
            ("100.127.255.254", "shared (CGNAT)"),
            ("169.254.169.254", "link-local"),
            ("192.0.0.8", "reserved (IETF protocol assignments)"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("198.18.0.1", "reserved (benchmarking)"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("240.0.0.1", "reserved (240.0.0.0/4)"),
            ("255.255.255.255", "broadcast"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "link-local"),
            ("::ffff:10.0.0.1", "private"),
            ("::127.0.0.1", "loopback"),
            ("::10.0.0.1", "private"),
            ("64:ff9b::a9fe:a9fe", "link-local"),
            ("64:ff9b:1::1", "reserved (local NAT64)"),
            ("2002:7f00:1::", "loopback"),
            ("2002:c0a8:101::1", "private"),
            ("2001:db8::1", "documentation"),
            ("3fff::1", "documentation"),
            ("2001::1", "reserved (IETF protocol assignments)"),
            ("fc00::1", "private (unique local)"),
            ("fd12:3456::1", "private (unique local)"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("fec0::1", "reserved (site-local)"),
            ("ff02::1", "multicast"),
            ("100::1", "reserved (outside 2000::/3)"),
            ("::2", "reserved (0.0.0.0/8)"),
            ("4000::1", "reserved (outside 2000::/3)"),
        ] {
            assert_eq!(refused(ip), Some(range), "{ip}");
        }
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "169.253.0.1",
            "93.184.216.34",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(refused(ip), None, "{ip}");
        }
    }

    #[test]
    fn loopback_alone_is_allowed_in_development() {
        let dev = Destinations::new(Arc::new(SystemLookup), true);
        for ip in ["127.0.0.1", "::1", "::ffff:127.0.0.1"] {
            assert_eq!(dev.refused(ip.parse().unwrap()), None, "{ip}");
        }
        for ip in ["10.0.0.1", "169.254.169.254", "0.0.0.0", "fe80::1"] {
            assert!(dev.refused(ip.parse().unwrap()).is_some(), "{ip}");
        }
    }
}
