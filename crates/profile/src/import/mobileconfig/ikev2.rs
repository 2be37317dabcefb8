//! The `com.apple.vpn.managed` payload with `VPNType` IKEv2 to an Ibex
//! profile.

use std::net::IpAddr;

use plist::Dictionary;
use zeroize::Zeroizing;

use super::{certificates, dictionary, flag, proposals, string, strings, Payloads};
use crate::import::draft::{self, quote, Draft};
use crate::import::{Format, ImportError, Imported, ImportedSecrets};
use crate::model::{
    Auth, Dns, EapMethod, EapRound, Gateway, NatTraversal, Profile, Reconnect, Routes,
    DEFAULT_DPD_INTERVAL_S, DEFAULT_IKE_PORT, PROFILE_VERSION,
};

/// Keys of the IKEv2 dictionary that [`map`] reads.
const MAPPED: &[&str] = &[
    "RemoteAddress",
    "RemoteIdentifier",
    "LocalIdentifier",
    "AuthenticationMethod",
    "ExtendedAuthEnabled",
    "AuthName",
    "AuthPassword",
    "SharedSecret",
    "PayloadCertificateUUID",
    "IKESecurityAssociationParameters",
    "ChildSecurityAssociationParameters",
    "DeadPeerDetectionRate",
    "EnablePFS",
    "DisableMOBIKE",
];

/// Keys of the VPN payload that [`map`] reads or that only describe the
/// payload.
const PAYLOAD_KEYS: &[&str] = &[
    "PayloadType",
    "PayloadVersion",
    "PayloadIdentifier",
    "PayloadUUID",
    "PayloadDisplayName",
    "PayloadDescription",
    "PayloadOrganization",
    "UserDefinedName",
    "VPNType",
    "IKEv2",
    "DNS",
    "IPv4",
];

/// The client authentication an IKEv2 dictionary asks for.
enum Method {
    Psk,
    Certificate,
    EapPassword,
    EapTls,
}

/// Maps one IKEv2 VPN payload; `fallback_name` names the profile when
/// the payload has no name.
pub(super) fn map(
    vpn: &Dictionary,
    payloads: &Payloads<'_>,
    fallback_name: Option<String>,
    mut d: Draft,
) -> Result<Imported, ImportError> {
    let Some(ikev2) = dictionary(vpn, "IKEv2", "IKEv2")? else {
        return Err(ImportError::missing(
            "IKEv2",
            "the VPN payload has no IKEv2 dictionary",
        ));
    };
    let k = |name: &str| format!("IKEv2.{name}");

    let host = string(ikev2, "RemoteAddress", &k("RemoteAddress"))?
        .filter(|h| !h.trim().is_empty())
        .ok_or_else(|| {
            ImportError::missing(
                k("RemoteAddress"),
                "the gateway's DNS name or IP address, e.g. \"vpn.example.com\"",
            )
        })?;
    d.origin("gateway", k("RemoteAddress"));
    let remote_id = match string(ikev2, "RemoteIdentifier", &k("RemoteIdentifier"))? {
        Some(id) => {
            d.origin("remote_id", k("RemoteIdentifier"));
            id
        }
        None => {
            d.warn(
                k("RemoteIdentifier"),
                "missing; the gateway must prove the identity RemoteAddress instead",
            );
            d.origin("remote_id", k("RemoteAddress"));
            host.clone()
        }
    };

    let uuid = uuid(vpn, &host, &mut d)?;
    let name = string(vpn, "UserDefinedName", "UserDefinedName")?
        .or(string(vpn, "PayloadDisplayName", "PayloadDisplayName")?)
        .or(fallback_name)
        .unwrap_or_else(|| host.clone());
    d.origin("name", "UserDefinedName");

    let mut secrets = ImportedSecrets::default();
    let method = method(ikev2, &mut d)?;
    let auth_name = string(ikev2, "AuthName", &k("AuthName"))?;
    if let Some(password) = string(ikev2, "AuthPassword", &k("AuthPassword"))? {
        d.warn(k("AuthPassword"), "not written into the profile (Ibex never stores secrets in profiles); it is offered for your keyring, or asked for when you connect");
        secrets.password = Some(Zeroizing::new(password));
    }
    if let Some(psk) = string(ikev2, "SharedSecret", &k("SharedSecret"))? {
        let message = if matches!(method, Method::Psk) {
            "not written into the profile (Ibex never stores secrets in profiles); it is offered for your keyring, or asked for when you connect"
        } else {
            "not used: the profile does not authenticate with a shared secret; it is not written into the profile"
        };
        d.warn(k("SharedSecret"), message);
        if matches!(method, Method::Psk) {
            secrets.psk = Some(Zeroizing::new(psk));
        }
    }
    let local_given = string(ikev2, "LocalIdentifier", &k("LocalIdentifier"))?;
    let (cert, key) = draft::certificate_paths(&uuid);
    let (auth, local_id) = match method {
        Method::Psk => {
            d.origin("local_id", k("LocalIdentifier"));
            let local = local_given.ok_or_else(|| {
                ImportError::missing(
                    k("LocalIdentifier"),
                    "your identity, which a shared-secret connection needs, e.g. \"alice@example.com\"",
                )
            })?;
            (Auth::Psk {}, Some(local))
        }
        Method::Certificate => {
            certificates::identity_warning(ikev2, payloads, &uuid, &mut d)?;
            d.origin("local_id", k("LocalIdentifier"));
            let auth = Auth::Certificate {
                certificate: cert,
                key,
                key_encrypted: false,
                eap_rounds: Vec::new(),
            };
            (auth, local_given)
        }
        Method::EapPassword => {
            let origin = if local_given.is_some() {
                "LocalIdentifier"
            } else {
                "AuthName"
            };
            d.origin("local_id", k(origin));
            let local = local_given.or(auth_name.clone()).ok_or_else(|| {
                ImportError::missing(
                    k("AuthName"),
                    "the EAP user name (an Apple device asks for it when the profile has none; Ibex needs it in the profile), or LocalIdentifier",
                )
            })?;
            let mut round = EapRound::new(EapMethod::Mschapv2);
            round.identity = auth_name.filter(|n| *n != local);
            let auth = Auth::Eap {
                rounds: vec![round],
                eap_only: false,
            };
            (auth, Some(local))
        }
        Method::EapTls => {
            certificates::identity_warning(ikev2, payloads, &uuid, &mut d)?;
            d.origin("local_id", k("LocalIdentifier"));
            let local = local_given.ok_or_else(|| {
                ImportError::missing(
                    k("LocalIdentifier"),
                    "your identity for EAP-TLS, e.g. \"alice@example.com\"",
                )
            })?;
            if auth_name.is_some() {
                d.warn(
                    k("AuthName"),
                    "ignored: EAP-TLS identifies you by LocalIdentifier and the certificate",
                );
            }
            let mut round = EapRound::new(EapMethod::Tls);
            round.certificate = Some(cert);
            round.key = Some(key);
            let auth = Auth::Eap {
                rounds: vec![round],
                eap_only: false,
            };
            (auth, Some(local))
        }
    };
    let ca_certificate = match (&auth, certificates::ca_pem(payloads)?) {
        (Auth::Psk {}, Some(_)) => {
            d.warn("com.apple.security.root", "ignored: with a shared secret the gateway proves itself with the secret, not a certificate");
            None
        }
        (Auth::Psk {}, None) => None,
        (_, Some(pem)) => Some(pem),
        (_, None) => {
            return Err(ImportError::missing(
                "com.apple.security.root",
                "the profile has no CA certificate payload; an Apple device then trusts its system CAs, Ibex needs the CA that issued the gateway's certificate: add a com.apple.security.root payload",
            ))
        }
    };
    d.origin("ca_certificate", "com.apple.security.root");

    let ike_key = k("IKESecurityAssociationParameters");
    let ike = proposals::suite(
        dictionary(ikev2, "IKESecurityAssociationParameters", &ike_key)?,
        &ike_key,
    )?;
    let child_key = k("ChildSecurityAssociationParameters");
    let child = proposals::suite(
        dictionary(ikev2, "ChildSecurityAssociationParameters", &child_key)?,
        &child_key,
    )?;
    let pfs = flag(ikev2, "EnablePFS", &k("EnablePFS"))?.unwrap_or(false);
    d.origin("ike_proposals", ike_key.clone());
    d.origin("esp_proposals", child_key.clone());
    let ike_lifetime_s = ike.lifetime_s.unwrap_or(4 * 3600);
    d.origin("ike_lifetime_s", format!("{ike_key}.LifeTimeInMinutes"));
    let child_lifetime_s = child.lifetime_s.unwrap_or(3600);
    d.origin("child_lifetime_s", format!("{child_key}.LifeTimeInMinutes"));

    let dpd_interval_s =
        match string(ikev2, "DeadPeerDetectionRate", &k("DeadPeerDetectionRate"))?.as_deref() {
            None => DEFAULT_DPD_INTERVAL_S,
            Some("None") => 0,
            Some("Low") => 1800,
            Some("Medium") => 600,
            Some("High") => 60,
            Some(other) => {
                return Err(ImportError::unsupported(
                    k("DeadPeerDetectionRate"),
                    format!("'{}' is not None, Low, Medium or High", quote(other)),
                ))
            }
        };
    let mobike = !flag(ikev2, "DisableMOBIKE", &k("DisableMOBIKE"))?.unwrap_or(false);

    for (name, _) in ikev2.iter() {
        if !MAPPED.contains(&name.as_str()) {
            d.warn(k(&quote(name)), ignored_reason(name));
        }
    }
    let dns = dns(vpn, &mut d)?;
    routes_warning(vpn, &mut d)?;
    for (name, _) in vpn.iter() {
        if !PAYLOAD_KEYS.contains(&name.as_str()) {
            d.warn(quote(name), ignored_reason(name));
        }
    }

    let profile = Profile {
        version: PROFILE_VERSION,
        uuid,
        name,
        gateway: Gateway {
            host,
            port: DEFAULT_IKE_PORT,
        },
        local_id,
        remote_id,
        auth,
        ca_certificate,
        ike_proposals: Some(vec![ike.ike()]),
        esp_proposals: Some(vec![child.esp(pfs)]),
        routes: Routes::Full {},
        dns,
        nat_traversal: NatTraversal::default(),
        mobike,
        dpd_interval_s,
        ike_lifetime_s,
        child_lifetime_s,
        reconnect: Reconnect::default(),
        remember_secrets: true,
    };
    d.finish(Format::Mobileconfig, profile, secrets)
}

/// `AuthenticationMethod` and `ExtendedAuthEnabled`.
fn method(ikev2: &Dictionary, d: &mut Draft) -> Result<Method, ImportError> {
    let key = "IKEv2.AuthenticationMethod";
    let eap = flag(ikev2, "ExtendedAuthEnabled", "IKEv2.ExtendedAuthEnabled")?.unwrap_or(false);
    let given = string(ikev2, "AuthenticationMethod", key)?;
    let method = match (given.as_deref().unwrap_or("SharedSecret"), eap) {
        ("SharedSecret", false) => Method::Psk,
        ("Certificate", false) => Method::Certificate,
        ("None", true) => Method::EapPassword,
        ("Certificate", true) => Method::EapTls,
        ("SharedSecret", true) => {
            return Err(ImportError::unsupported(
                "IKEv2.ExtendedAuthEnabled",
                "EAP with AuthenticationMethod SharedSecret (the gateway proves itself with the shared secret) is not supported: with EAP, Ibex requires the gateway to prove itself with a certificate",
            ))
        }
        ("None", false) => {
            return Err(ImportError::unsupported(
                key,
                "None without ExtendedAuthEnabled leaves the client without any authentication",
            ))
        }
        (other, _) => {
            return Err(ImportError::unsupported(
                key,
                format!("'{}' is not SharedSecret, Certificate or None", quote(other)),
            ))
        }
    };
    if given.is_none() {
        d.warn(key, "missing; taken as SharedSecret, Apple's default");
    }
    Ok(method)
}

/// The payload's UUID, lower case; one derived from the payload's
/// identifier (or the gateway) when it has none usable.
fn uuid(vpn: &Dictionary, host: &str, d: &mut Draft) -> Result<String, ImportError> {
    d.origin("uuid", "PayloadUUID");
    let given = string(vpn, "PayloadUUID", "PayloadUUID")?;
    if let Some(u) = given.as_deref().filter(|u| draft::is_uuid(u)) {
        return Ok(u.to_ascii_lowercase());
    }
    let seed =
        string(vpn, "PayloadIdentifier", "PayloadIdentifier")?.unwrap_or_else(|| host.to_string());
    let derived = draft::derived_uuid(format!("mobileconfig:{seed}").as_bytes());
    let problem = if given.is_some() {
        "is not a UUID"
    } else {
        "missing"
    };
    d.warn(
        "PayloadUUID",
        format!("{problem}; the profile gets {derived}, derived from PayloadIdentifier (importing the same profile again replaces it)"),
    );
    Ok(derived)
}

/// The `DNS` dictionary: `ServerAddresses` and `SearchDomains`.
fn dns(vpn: &Dictionary, d: &mut Draft) -> Result<Dns, ImportError> {
    let mut dns = Dns::default();
    let Some(dict) = dictionary(vpn, "DNS", "DNS")? else {
        return Ok(dns);
    };
    for s in strings(dict, "ServerAddresses", "DNS.ServerAddresses")? {
        let ip: IpAddr = s.parse().map_err(|_| {
            ImportError::unsupported(
                "DNS.ServerAddresses",
                format!("'{}' is not an IP address", quote(&s)),
            )
        })?;
        dns.servers.push(ip);
    }
    dns.search = strings(dict, "SearchDomains", "DNS.SearchDomains")?;
    d.origin("dns", "DNS.SearchDomains");
    if let Some(domain) = string(dict, "DomainName", "DNS.DomainName")? {
        if !dns.search.contains(&domain) {
            dns.search.push(domain);
        }
    }
    for (name, _) in dict.iter() {
        match name.as_str() {
            "ServerAddresses" | "SearchDomains" | "DomainName" => {}
            "SupplementalMatchDomains" | "SupplementalMatchDomainsNoSearch" => d.warn(
                format!("DNS.{name}"),
                "ignored: Ibex uses the tunnel's DNS servers for all names while connected",
            ),
            other => d.warn(
                format!("DNS.{}", quote(other)),
                "not supported by Ibex; ignored",
            ),
        }
    }
    Ok(dns)
}

/// Ibex's profile is a full tunnel; say so when the Apple profile would
/// have routed only the gateway's networks.
fn routes_warning(vpn: &Dictionary, d: &mut Draft) -> Result<(), ImportError> {
    let ipv4 = dictionary(vpn, "IPv4", "IPv4")?;
    let full = match ipv4 {
        Some(dict) => flag(dict, "OverridePrimary", "IPv4.OverridePrimary")?.unwrap_or(false),
        None => false,
    };
    if !full {
        d.warn("IPv4.OverridePrimary", "not set: an Apple device then sends only the networks the gateway announces through the tunnel; the Ibex profile sends all traffic through it (routes.mode \"full\"); edit the profile for a split tunnel");
    }
    Ok(())
}

/// Why an IKEv2 or payload key Ibex does not map is ignored.
fn ignored_reason(name: &str) -> &'static str {
    match name {
        "OnDemandEnabled" | "OnDemandRules" | "OnDemandUserOverrideDisabled" => {
            "ignored: Ibex does not connect on demand; connect with `ibex connect` or the app"
        }
        "DisableRedirect" => "ignored: Ibex does not follow gateway redirects (RFC 5685) yet",
        "EnableCertificateRevocationCheck" | "StrictRevocationCheck" => {
            "ignored: Ibex does not check CRLs or OCSP yet; a revoked gateway certificate is not noticed"
        }
        "NATKeepAliveInterval" | "NATKeepAliveOffloadEnable" => {
            "ignored: Ibex sends NAT keepalives at its own interval"
        }
        "ServerCertificateIssuerCommonName" | "ServerCertificateCommonName"
        | "ServerCertificateType" | "CertificateType" => {
            "ignored: Ibex checks the gateway's certificate against the CA certificate and RemoteIdentifier"
        }
        "IncludeAllNetworks" | "EnforceRoutes" => {
            "ignored: the Ibex profile is a full tunnel (routes.mode \"full\"), which captures IPv4 and IPv6"
        }
        "ExcludeLocalNetworks" | "ExcludeCellularServices" | "ExcludeAPNs"
        | "ExcludeDeviceCommunication" => {
            "ignored: Ibex cannot exclude traffic from a full tunnel; it goes through the tunnel"
        }
        "Proxies" => "ignored: Ibex does not configure HTTP proxies",
        "MTU" => "ignored: Ibex sizes the tunnel's MTU itself",
        n if n.contains("Password") || n.contains("Secret") => {
            "not supported by Ibex; ignored, and its value is not imported"
        }
        _ => "not supported by Ibex; ignored",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons() {
        assert!(ignored_reason("OnDemandRules").contains("on demand"));
        assert!(ignored_reason("PasswordReference").contains("not imported"));
        assert_eq!(ignored_reason("Foo"), "not supported by Ibex; ignored");
    }
}
