//! Provider endpoints. Every validator's prober connects to each registered endpoint, so an
//! endpoint on a loopback or private address would have validators probe their own
//! machines or internal networks (and a provider could point several validators at one
//! another). Unless the chain's genesis allows it (`allow_private_endpoints`, for localnets
//! and tests), an endpoint must name a public IP address or a DNS name that is not a
//! well-known local one. A DNS name can still resolve to a private address: the prober
//! checks what it resolves to before each connection ([`is_public_ip`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use pol_component::TxError;

use crate::error;
use crate::params::Params;

/// Check an endpoint as `MsgRegisterProvider` / `MsgUpdateProvider` do.
pub fn validate_endpoint(e: &str, params: &Params) -> Result<(), TxError> {
    let rest = e
        .strip_prefix("http://")
        .or_else(|| e.strip_prefix("https://"))
        .ok_or_else(|| {
            error::INVALID_ENDPOINT(format!(
                "endpoint {e:?} must start with http:// or https://"
            ))
        })?;
    if rest.is_empty() || e.len() > params.max_endpoint_len as usize {
        return Err(error::INVALID_ENDPOINT(format!(
            "endpoint must name a host and be at most {} bytes",
            params.max_endpoint_len
        )));
    }
    if e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(error::INVALID_ENDPOINT(
            "endpoint must not contain spaces or control characters",
        ));
    }
    let host = endpoint_host(e).ok_or_else(|| {
        error::INVALID_ENDPOINT(format!("endpoint {e:?} is not a URL with a host"))
    })?;
    if !params.allow_private_endpoints {
        check_public_host(&host).map_err(|why| {
            error::INVALID_ENDPOINT(format!(
                "endpoint {e:?}: {why}; this chain only accepts public endpoints"
            ))
        })?;
    }
    Ok(())
}

/// The host of an `http(s)://` endpoint, without IPv6 brackets, lower-cased.
pub fn endpoint_host(e: &str) -> Option<String> {
    let uri: tonic::codegen::http::Uri = e.parse().ok()?;
    let host = uri.host()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// `Ok` for a public IP literal or a DNS name that is not a well-known local one.
pub fn check_public_host(host: &str) -> Result<(), String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return if is_public_ip(ip) {
            Ok(())
        } else {
            Err(format!("{ip} is not a public address"))
        };
    }
    let name = host.trim_end_matches('.');
    let local_suffix = [".localhost", ".local", ".internal", ".home.arpa", ".lan"]
        .iter()
        .any(|s| name.ends_with(s));
    if name == "localhost" || local_suffix {
        return Err(format!("{host} is a local name"));
    }
    if !name.contains('.') {
        // A single label resolves through the validator's own search domains.
        return Err(format!("{host} is not a fully qualified name"));
    }
    if name
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        // No top-level domain is numeric: "127.1" or "0x7f.0.0.1" are IPv4 addresses in
        // the short forms resolvers still accept.
        return Err(format!("{host} is not a canonical IP address"));
    }
    Ok(())
}

/// Whether `ip` is globally routable: not loopback, private, link-local, shared (CGNAT),
/// unspecified, broadcast, multicast, documentation, benchmarking or reserved.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64 (maps onto IPv4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> Params {
        Params {
            allow_private_endpoints: false,
            ..Params::default()
        }
    }

    #[test]
    fn private_endpoints_are_refused_unless_the_chain_allows_them() {
        for bad in [
            "http://127.0.0.1:7000",
            "http://localhost:7000",
            "http://worker.localhost",
            "https://10.1.2.3",
            "http://172.16.0.9:80",
            "http://192.168.1.1",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1",
            "http://0.0.0.0:50051",
            "http://[::1]:7000",
            "http://[fd00::1]",
            "http://[fe80::1]",
            "http://[::ffff:127.0.0.1]",
            "http://worker:50051",
            "http://printer.local",
            "http://db.internal:5432",
            "http://127.1:7000",
            "http://0x7f.0.0.1",
            "http://2130706433",
        ] {
            let e = validate_endpoint(bad, &strict()).unwrap_err();
            assert_eq!(e.code, crate::error::code::INVALID_ENDPOINT, "{bad}");
            assert!(e.log.contains("public"), "{bad}: {}", e.log);
            let mut allowed = strict();
            allowed.allow_private_endpoints = true;
            validate_endpoint(bad, &allowed).unwrap();
        }
        for good in [
            "https://provider.example.com:443",
            "http://8.8.8.8:50051",
            "http://[2606:4700::1111]:7000",
            "https://gpu-7.pol-providers.net./",
        ] {
            validate_endpoint(good, &strict()).unwrap();
        }
        assert!(validate_endpoint("http://", &strict()).is_err());
        assert!(validate_endpoint("ftp://8.8.8.8", &strict()).is_err());
    }
}
