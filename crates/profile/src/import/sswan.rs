//! strongSwan `.sswan` profiles (the JSON import format of the strongSwan
//! Android and Apple apps) to Ibex profiles. The mapping table is in
//! `docs/profiles-import.md`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ibex_ike::proposal::{EspProposal, IkeProposal, ProposalError};
use serde_json::Value;

use super::draft::{self, quote, Draft};
use super::{Format, ImportError, Imported, ImportedSecrets};
use crate::model::{
    Auth, Dns, EapMethod, EapRound, Gateway, NatTraversal, Profile, Reconnect, Routes,
    DEFAULT_DPD_INTERVAL_S, DEFAULT_IKE_PORT, PROFILE_VERSION,
};

/// Deepest nesting of objects read (`remote.revocation.crl` is 3).
const MAX_DEPTH: usize = 4;

/// The profile types of the strongSwan apps, for messages.
const TYPES: &str = "ikev2-eap, ikev2-cert, ikev2-cert-eap, ikev2-eap-tls";

/// The keys of the file, flattened to dotted names, consumed as they are
/// mapped; what is left was not understood.
struct Keys(BTreeMap<String, Value>);

impl Keys {
    fn flatten(
        prefix: &str,
        object: serde_json::Map<String, Value>,
        depth: usize,
        out: &mut BTreeMap<String, Value>,
    ) -> Result<(), ImportError> {
        if depth > MAX_DEPTH {
            return Err(ImportError::TooDeep { max: MAX_DEPTH });
        }
        for (k, v) in object {
            let key = if prefix.is_empty() {
                k
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                Value::Object(inner) => Keys::flatten(&key, inner, depth + 1, out)?,
                v => {
                    out.insert(key, v);
                }
            }
        }
        Ok(())
    }

    fn take(&mut self, key: &str) -> Option<Value> {
        self.0.remove(key)
    }

    fn string(&mut self, key: &str) -> Result<Option<String>, ImportError> {
        match self.take(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ImportError::unsupported(key, "must be a string")),
        }
    }

    fn required(&mut self, key: &str, hint: &str) -> Result<String, ImportError> {
        match self.string(key)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(ImportError::missing(key, hint)),
        }
    }

    fn flag(&mut self, key: &str) -> Result<Option<bool>, ImportError> {
        match self.take(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(ImportError::unsupported(key, "must be true or false")),
        }
    }

    fn number(&mut self, key: &str) -> Result<Option<u64>, ImportError> {
        match self.take(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| ImportError::unsupported(key, "must be a whole number")),
            Some(_) => Err(ImportError::unsupported(key, "must be a number")),
        }
    }
}

/// The client authentication of a strongSwan profile type.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Eap,
    Cert,
    CertEap,
    EapTls,
}

/// Maps a `.sswan` document.
pub(super) fn import(text: &str) -> Result<Imported, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Value = serde_json::from_str(text).map_err(|e| ImportError::Syntax {
        format: Format::Sswan,
        message: e.to_string(),
    })?;
    let Value::Object(object) = value else {
        return Err(ImportError::Syntax {
            format: Format::Sswan,
            message: "the top level is not a JSON object".into(),
        });
    };
    let mut flat = BTreeMap::new();
    Keys::flatten("", object, 1, &mut flat)?;
    let mut keys = Keys(flat);
    let mut d = Draft::default();

    let uuid = keys
        .required("uuid", "give the profile a UUID (`uuidgen`)")?
        .to_ascii_lowercase();
    d.origin("uuid", "uuid");
    let name = keys.required("name", "give the profile a display name")?;
    d.origin("name", "name");
    let kind = match keys.required("type", &format!("one of {TYPES}"))?.as_str() {
        "ikev2-eap" => Kind::Eap,
        "ikev2-cert" => Kind::Cert,
        "ikev2-cert-eap" => Kind::CertEap,
        "ikev2-eap-tls" => Kind::EapTls,
        "ikev2-byod-eap" => {
            return Err(ImportError::unsupported(
                "type",
                "'ikev2-byod-eap' (EAP with TNC health checks of the device) is not supported by Ibex; ask for an ikev2-eap profile",
            ))
        }
        other => {
            return Err(ImportError::unsupported(
                "type",
                format!("'{}' is not a profile type Ibex imports; expected one of {TYPES}", quote(other)),
            ))
        }
    };
    d.origin("auth", "type");

    let host = keys.required(
        "remote.addr",
        "the gateway's DNS name or IP address, e.g. \"vpn.example.com\"",
    )?;
    d.origin("gateway", "remote.addr");
    let port = match keys.number("remote.port")? {
        None => DEFAULT_IKE_PORT,
        Some(p) => u16::try_from(p).ok().filter(|p| *p != 0).ok_or_else(|| {
            ImportError::unsupported("remote.port", format!("{p} is not a UDP port (1-65535)"))
        })?,
    };
    let remote_id = match keys.string("remote.id")? {
        Some(id) => {
            d.origin("remote_id", "remote.id");
            id
        }
        None => {
            d.origin("remote_id", "remote.addr");
            host.clone()
        }
    };
    let ca_certificate = ca_certificate(&mut keys)?;
    d.origin("ca_certificate", "remote.cert");
    if keys.flag("remote.certreq")? == Some(false) {
        d.warn(
            "remote.certreq",
            "ignored: Ibex always asks the gateway for its certificate",
        );
    }
    for key in [
        "remote.revocation.crl",
        "remote.revocation.ocsp",
        "remote.revocation.strict",
    ] {
        if keys.flag(key)? == Some(true) {
            d.warn(key, "ignored: Ibex does not check CRLs or OCSP yet; a revoked gateway certificate is not noticed");
        }
    }

    let local_id = keys.string("local.id")?;
    let eap_id = keys.string("local.eap_id")?;
    let has_bundle = keys.take("local.p12").is_some();
    if keys.flag("local.rsa-pss")?.is_some() {
        d.warn(
            "local.rsa-pss",
            "ignored: Ibex chooses the signature scheme itself (RFC 7427, RSA-PSS where the key allows)",
        );
    }
    let (cert, key) = draft::certificate_paths(&uuid);
    if matches!(kind, Kind::Cert | Kind::CertEap | Kind::EapTls) {
        let at = if has_bundle { "local.p12" } else { "type" };
        d.warn(at, draft::certificate_hint(&uuid, has_bundle));
    } else if has_bundle {
        d.warn(
            "local.p12",
            "ignored: an ikev2-eap profile uses no client certificate",
        );
    }
    let eap_hint = "the user name; the strongSwan app asks for it when the file has none, Ibex needs it in the file: add \"local\": {\"eap_id\": \"alice\"}";
    let (auth, local_id) = match kind {
        Kind::Eap => {
            let eap_id = eap_id.ok_or_else(|| ImportError::missing("local.eap_id", eap_hint))?;
            d.origin(
                "local_id",
                if local_id.is_some() {
                    "local.id"
                } else {
                    "local.eap_id"
                },
            );
            let local = local_id.unwrap_or_else(|| eap_id.clone());
            let mut round = EapRound::new(EapMethod::Mschapv2);
            round.identity = (eap_id != local).then_some(eap_id);
            (
                Auth::Eap {
                    rounds: vec![round],
                    eap_only: false,
                },
                Some(local),
            )
        }
        Kind::Cert | Kind::CertEap => {
            let mut eap_rounds = Vec::new();
            if kind == Kind::CertEap {
                let eap_id =
                    eap_id.ok_or_else(|| ImportError::missing("local.eap_id", eap_hint))?;
                let mut round = EapRound::new(EapMethod::Mschapv2);
                round.identity = Some(eap_id);
                eap_rounds.push(round);
            } else if eap_id.is_some() {
                d.warn(
                    "local.eap_id",
                    "ignored: an ikev2-cert profile has no EAP round",
                );
            }
            d.origin("local_id", "local.id");
            let auth = Auth::Certificate {
                certificate: cert,
                key,
                key_encrypted: false,
                eap_rounds,
            };
            (auth, local_id)
        }
        Kind::EapTls => {
            let local = local_id.ok_or_else(|| ImportError::missing("local.id", "your identity (for EAP-TLS the strongSwan app takes it from the certificate; Ibex needs it in the file), e.g. \"alice@example.com\""))?;
            d.origin("local_id", "local.id");
            if eap_id.is_some() {
                d.warn(
                    "local.eap_id",
                    "ignored: EAP-TLS identifies you by local.id and the certificate",
                );
            }
            let mut round = EapRound::new(EapMethod::Tls);
            round.certificate = Some(cert);
            round.key = Some(key);
            (
                Auth::Eap {
                    rounds: vec![round],
                    eap_only: false,
                },
                Some(local),
            )
        }
    };

    let ike_proposals = proposals(&mut keys, "ike-proposal", |s| {
        IkeProposal::parse(s).map(drop)
    })?;
    d.origin("ike_proposals", "ike-proposal");
    let esp_proposals = proposals(&mut keys, "esp-proposal", |s| {
        EspProposal::parse(s).map(drop)
    })?;
    d.origin("esp_proposals", "esp-proposal");

    let routes = match keys.string("split-tunneling.subnets")? {
        Some(s) if !s.trim().is_empty() => Routes::Split {
            prefixes: s.split_whitespace().map(str::to_string).collect(),
        },
        _ => Routes::Full {},
    };
    d.origin("routes", "split-tunneling.subnets");
    if keys
        .string("split-tunneling.excluded")?
        .is_some_and(|s| !s.trim().is_empty())
    {
        d.warn("split-tunneling.excluded", "ignored: Ibex cannot exclude networks from the tunnel; traffic to them goes through the tunnel as well");
    }
    for key in ["split-tunneling.block-ipv4", "split-tunneling.block-ipv6"] {
        if keys.flag(key)? == Some(true) {
            d.warn(key, "ignored: Ibex does not block traffic outside the tunnel's routes; use routes.mode \"full\" (which also captures IPv6) to keep all traffic in the tunnel");
        }
    }
    let mut dns = Dns::default();
    if let Some(list) = keys.string("dns-servers")? {
        for s in list.split_whitespace() {
            let ip: IpAddr = s.parse().map_err(|_| {
                ImportError::unsupported(
                    "dns-servers",
                    format!("'{}' is not an IP address", quote(s)),
                )
            })?;
            dns.servers.push(ip);
        }
    }
    if keys.number("mtu")?.is_some() {
        d.warn("mtu", "ignored: Ibex sizes the tunnel's MTU itself");
    }
    if keys.number("nat-keepalive")?.is_some() {
        d.warn(
            "nat-keepalive",
            "ignored: Ibex sends NAT keepalives at its own interval",
        );
    }
    for key in ["included-apps", "excluded-apps"] {
        if keys.take(key).is_some() {
            d.warn(
                key,
                "ignored: per-app VPN is an Android feature; Ibex routes by destination only",
            );
        }
    }
    let proxy: Vec<String> = keys
        .0
        .keys()
        .filter(|k| k.starts_with("proxy."))
        .cloned()
        .collect();
    for key in proxy {
        keys.take(&key);
        d.warn(key, "ignored: Ibex does not configure HTTP proxies");
    }
    for key in std::mem::take(&mut keys.0).into_keys() {
        let lower = key.to_ascii_lowercase();
        let message = if ["pass", "secret", "psk", "key"]
            .iter()
            .any(|w| lower.contains(w))
        {
            "unknown key, ignored; if it holds a secret, it is not imported (Ibex never writes secrets into profiles)"
        } else {
            "unknown key, ignored"
        };
        d.warn(key, message);
    }

    let profile = Profile {
        version: PROFILE_VERSION,
        uuid,
        name,
        gateway: Gateway { host, port },
        local_id,
        remote_id,
        auth,
        ca_certificate: Some(ca_certificate),
        ike_proposals,
        esp_proposals,
        routes,
        dns,
        nat_traversal: NatTraversal::default(),
        mobike: true,
        dpd_interval_s: DEFAULT_DPD_INTERVAL_S,
        ike_lifetime_s: 4 * 3600,
        child_lifetime_s: 3600,
        reconnect: Reconnect::default(),
        remember_secrets: true,
    };
    d.finish(Format::Sswan, profile, ImportedSecrets::default())
}

/// `remote.cert`: the base64 DER certificate of the CA (or of the gateway
/// itself) as PEM.
fn ca_certificate(keys: &mut Keys) -> Result<String, ImportError> {
    let key = "remote.cert";
    let Some(b64) = keys.string(key)? else {
        return Err(ImportError::missing(key, "the strongSwan app then trusts the system's CA certificates, Ibex needs the CA that issued the gateway's certificate: add it to the file as base64 DER (`openssl x509 -in ca.pem -outform DER | base64 -w0`)"));
    };
    if b64.trim_start().starts_with("-----BEGIN") {
        // Some generators write PEM; accept it when it holds no key.
        if b64.contains("PRIVATE KEY") {
            return Err(ImportError::unsupported(
                key,
                "contains a private key; only the CA certificate belongs here",
            ));
        }
        return Ok(b64);
    }
    let der = draft::decode_base64(&b64)
        .ok_or_else(|| ImportError::unsupported(key, "is not base64 text"))?;
    draft::certificate_pem(&der).map_err(|reason| ImportError::unsupported(key, reason))
}

/// `ike-proposal` / `esp-proposal`: strongSwan proposal syntax, one or
/// more separated by commas; a weak algorithm is an error.
fn proposals(
    keys: &mut Keys,
    key: &str,
    parse: impl Fn(&str) -> Result<(), ProposalError>,
) -> Result<Option<Vec<String>>, ImportError> {
    let Some(text) = keys.string(key)? else {
        return Ok(None);
    };
    let list: Vec<String> = text
        .split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if list.is_empty() {
        return Ok(None);
    }
    for p in &list {
        parse(p).map_err(|e| match e {
            ProposalError::Weak(alg) => ImportError::Weak {
                key: key.to_string(),
                value: quote(p),
                reason: format!("'{}' is a weak algorithm", quote(&alg)),
            },
            e => ImportError::unsupported(key, format!("'{}': {e}", quote(p))),
        })?;
    }
    Ok(Some(list))
}
