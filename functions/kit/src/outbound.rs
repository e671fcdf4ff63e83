//! Outbound URLs a tenant configures (its Bitrix24 portal) checked against SSRF when
//! they are stored; the client that calls them must check again.
//!
//! [`check_url`] accepts `https` on the default port only, no credentials in the URL,
//! and a host that is a name or a public address: never loopback, private (RFC 1918,
//! unique local, site-local), link-local (which holds the cloud metadata service,
//! `169.254.169.254`), carrier-grade NAT, unspecified, broadcast, documentation,
//! benchmarking, IETF-reserved or multicast addresses — also when embedded in an IPv6
//! address (mapped, compatible, NAT64, 6to4) — nor `localhost`, `*.local` and
//! `*.internal` names. Hosts the operator lists (`allowed_hosts`, e.g. the local stack's
//! CRM sandbox) pass as they are, over http and any port too.
//!
//! A name can still resolve to a private address (`127.0.0.1.nip.io`): the client that
//! calls a checked URL must resolve it itself, check every address with [`is_public`],
//! connect to a checked address and not follow redirects.

use std::net::{IpAddr, Ipv4Addr};
use url::{Host, Url};

/// Why an outbound URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// Not a URL.
    #[error("{url:?} is not a URL: {reason}")]
    Malformed {
        /// The text.
        url: String,
        /// The parser's reason.
        reason: String,
    },
    /// Not `https`.
    #[error("only https URLs are allowed, not {0}")]
    NotHttps(String),
    /// The URL carries a user name or password.
    #[error("the URL must not carry credentials")]
    Credentials,
    /// A port other than https' own.
    #[error("{0}: only the default https port (443) is allowed")]
    Port(String),
    /// The host is an internal address or name.
    #[error("{0} is an internal address; the assistant only calls public hosts")]
    InternalHost(String),
}

impl OutboundError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            OutboundError::Malformed { .. } => "malformed_url",
            OutboundError::NotHttps(_) => "not_https",
            OutboundError::Credentials => "url_credentials",
            OutboundError::Port(_) => "port_not_allowed",
            OutboundError::InternalHost(_) => "internal_host",
        }
    }
}

/// Checks `text` as an outbound URL (see the module docs); `allowed_hosts` are host
/// names or addresses (with `:port` to allow one port only) the operator trusts.
pub fn check_url(text: &str, allowed_hosts: &[String]) -> Result<Url, OutboundError> {
    let url = Url::parse(text).map_err(|e| OutboundError::Malformed {
        url: text.to_owned(),
        reason: e.to_string(),
    })?;
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let with_port = url
        .port()
        .map_or_else(|| host.clone(), |p| format!("{host}:{p}"));
    if !url.username().is_empty() || url.password().is_some() {
        return Err(OutboundError::Credentials);
    }
    let allowed = allowed_hosts
        .iter()
        .any(|a| a.eq_ignore_ascii_case(&host) || a.eq_ignore_ascii_case(&with_port));
    if allowed && matches!(url.scheme(), "http" | "https") {
        return Ok(url);
    }
    if url.scheme() != "https" {
        return Err(OutboundError::NotHttps(url.scheme().to_owned()));
    }
    if url.port().is_some() {
        return Err(OutboundError::Port(with_port));
    }
    let public = match url.host() {
        Some(Host::Ipv4(ip)) => is_public(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_public(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            !(name == "localhost"
                || name.ends_with(".localhost")
                || name.ends_with(".internal")
                || name.ends_with(".local")
                || !name.contains('.'))
        }
        None => false,
    };
    if public {
        Ok(url)
    } else {
        Err(OutboundError::InternalHost(host))
    }
}

/// Whether `ip` is a public unicast address (see the module docs for what is not).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            let seg = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                let [a, b] = hi.to_be_bytes();
                let [c, d] = lo.to_be_bytes();
                Ipv4Addr::new(a, b, c, d)
            };
            // IPv4 inside IPv6: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d),
            // NAT64 (64:ff9b::/96) and 6to4 (2002:a.b.c.d::/48) reach the IPv4 host.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            if seg[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified() {
                return is_public_v4(embedded(seg[6], seg[7]));
            }
            if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_public_v4(embedded(seg[6], seg[7]));
            }
            if seg[0] == 0x2002 {
                return is_public_v4(embedded(seg[1], seg[2]));
            }
            let first = seg[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated, still routed inside)
                || (first == 0x2001 && seg[1] == 0x0db8) // documentation
                || first == 0x0064) // local-use NAT64 (64:ff9b:1::/48)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || a >= 240)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_https_hosts_pass() {
        for ok in [
            "https://acme.bitrix24.ru",
            "https://acme.bitrix24.ru/rest/",
            "https://93.184.216.34/",
            "https://[2a02:6b8::2:242]/",
            "https://acme.bitrix24.ru:443/",
            "https://[64:ff9b::5db8:d822]/",
        ] {
            assert!(check_url(ok, &[]).is_ok(), "{ok}");
        }
    }

    #[test]
    fn internal_and_plain_urls_are_refused() {
        let cases = [
            ("http://acme.bitrix24.ru", "not_https"),
            ("ftp://acme.bitrix24.ru", "not_https"),
            ("https://user:pw@acme.bitrix24.ru", "url_credentials"),
            ("https://localhost/", "internal_host"),
            ("https://api.localhost/", "internal_host"),
            ("https://metadata.google.internal/", "internal_host"),
            ("https://intranet/", "internal_host"),
            ("https://127.0.0.1/", "internal_host"),
            ("https://127.1/", "internal_host"),
            ("https://2130706433/", "internal_host"),
            ("https://0x7f000001/", "internal_host"),
            ("https://10.0.0.5/", "internal_host"),
            ("https://172.16.3.4/", "internal_host"),
            ("https://192.168.1.1/", "internal_host"),
            ("https://169.254.169.254/latest/meta-data", "internal_host"),
            ("https://100.64.0.1/", "internal_host"),
            ("https://0.0.0.0/", "internal_host"),
            ("https://[::1]/", "internal_host"),
            ("https://[::ffff:127.0.0.1]/", "internal_host"),
            ("https://[fd00::1]/", "internal_host"),
            ("https://[fe80::1]/", "internal_host"),
            ("https://[fec0::1]/", "internal_host"),
            ("https://[::127.0.0.1]/", "internal_host"),
            ("https://[::a9fe:a9fe]/", "internal_host"),
            ("https://[64:ff9b::7f00:1]/", "internal_host"),
            ("https://[64:ff9b::a00:1]/", "internal_host"),
            ("https://[2002:a9fe:a9fe::1]/", "internal_host"),
            ("https://192.0.0.8/", "internal_host"),
            ("https://acme.bitrix24.ru:8443/", "port_not_allowed"),
            ("not a url", "malformed_url"),
        ];
        for (url, code) in cases {
            let err = check_url(url, &[]).expect_err(url);
            assert_eq!(err.code(), code, "{url}: {err}");
        }
    }

    #[test]
    fn the_operator_can_allow_a_host() {
        let allowed = vec!["127.0.0.1:8080".to_owned()];
        assert!(check_url("http://127.0.0.1:8080/crm", &allowed).is_ok());
        assert!(check_url("http://127.0.0.1:8081/crm", &allowed).is_err());
        assert!(check_url("file:///etc/passwd", &["".to_owned()]).is_err());
    }
}
