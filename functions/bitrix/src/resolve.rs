//! Name resolution that refuses internal addresses: the connection goes to an address
//! that was checked, so a portal name that resolves to `127.0.0.1` or the metadata
//! service (`169.254.169.254`) — or is re-pointed there after the URL was stored (DNS
//! rebinding) — is never reached.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;
use std::sync::Arc;
use sva_kit::outbound::is_public;

/// A resolver that answers only public addresses, except for hosts the operator allows.
#[derive(Debug, Clone, Default)]
pub struct PublicOnly {
    allowed_hosts: Arc<Vec<String>>,
}

impl PublicOnly {
    /// A resolver that lets `allowed_hosts` (names, compared without case) resolve to
    /// anything.
    pub fn new(allowed_hosts: Vec<String>) -> Self {
        PublicOnly {
            allowed_hosts: Arc::new(allowed_hosts),
        }
    }

    fn allows(&self, host: &str) -> bool {
        self.allowed_hosts.iter().any(|h| {
            let h = h.split(':').next().unwrap_or(h);
            h.eq_ignore_ascii_case(host)
        })
    }
}

/// Why a name was not resolved.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {addr}, which is not a public address")]
pub struct InternalAddress {
    /// The name.
    pub host: String,
    /// The address it resolved to.
    pub addr: std::net::IpAddr,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allowed = self.allows(&host);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allowed {
                // Every address must be public: a name with one internal address among
                // public ones is refused too (the connector may pick any of them).
                if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                    return Err(Box::new(InternalAddress {
                        host,
                        addr: bad.ip(),
                    })
                        as Box<dyn std::error::Error + Send + Sync>);
                }
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[tokio::test]
    async fn loopback_names_are_refused_unless_allowed() {
        let name = Name::from_str("localhost").unwrap();
        let refused = PublicOnly::new(vec![]).resolve(name).await;
        let err = refused
            .err()
            .expect("localhost must be refused")
            .to_string();
        assert!(err.contains("not a public address"), "{err}");

        let name = Name::from_str("localhost").unwrap();
        let allowed = PublicOnly::new(vec!["LOCALHOST:8080".into()])
            .resolve(name)
            .await;
        assert!(allowed.is_ok());
    }
}
