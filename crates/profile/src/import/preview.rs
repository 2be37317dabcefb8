//! [`Preview`]: what an import would create, for a person to confirm
//! before it is saved.

use std::fmt;

use serde::Serialize;

use super::{Format, Imported};
use crate::model::{Auth, Routes, DEFAULT_IKE_PORT};

/// A summary of an [`Imported`] profile that a window or a terminal can
/// show before saving: the connection's essentials, the warnings and
/// which secrets the file carried (never their values). Serializes to
/// JSON for the app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Preview {
    /// The format the file was read as.
    pub format: Format,
    /// The profile's name.
    pub name: String,
    /// The profile's UUID (an existing profile with it is replaced).
    pub uuid: String,
    /// The gateway: `host`, or `host:port` when the port is not 500.
    pub gateway: String,
    /// How the client signs in, in words (`EAP (mschapv2)`,
    /// `certificate (~/.config/ibex/certs/….crt)`).
    pub auth: String,
    /// Our identity, when the profile names one.
    pub local_id: Option<String>,
    /// The identity the gateway must prove.
    pub remote_id: String,
    /// How many CA certificates the gateway's certificate may chain to.
    pub ca_certificates: usize,
    /// IKE proposals; empty: Ibex's defaults.
    pub ike_proposals: Vec<String>,
    /// ESP proposals; empty: Ibex's defaults.
    pub esp_proposals: Vec<String>,
    /// The networks routed through the tunnel; empty: all traffic.
    pub routes: Vec<String>,
    /// DNS servers added while connected (besides the gateway's).
    pub dns_servers: Vec<String>,
    /// Secrets the file carried and that are not in the profile (`psk`,
    /// `password`).
    pub secrets: Vec<&'static str>,
    /// Each warning as `key: message`.
    pub warnings: Vec<String>,
}

impl Imported {
    /// The summary of this import.
    pub fn preview(&self) -> Preview {
        let p = &self.profile;
        let gateway = if p.gateway.port == DEFAULT_IKE_PORT {
            p.gateway.host.clone()
        } else {
            format!("{}:{}", p.gateway.host, p.gateway.port)
        };
        let rounds = |rounds: &[crate::model::EapRound]| {
            rounds
                .iter()
                .map(|r| r.method.name())
                .collect::<Vec<_>>()
                .join(", then ")
        };
        let auth = match &p.auth {
            Auth::Psk {} => "pre-shared key".to_string(),
            Auth::Certificate {
                certificate,
                eap_rounds,
                ..
            } if eap_rounds.is_empty() => format!("certificate ({certificate})"),
            Auth::Certificate {
                certificate,
                eap_rounds,
                ..
            } => format!(
                "certificate ({certificate}), then EAP ({})",
                rounds(eap_rounds)
            ),
            Auth::Eap { rounds: r, .. } => format!("EAP ({})", rounds(r)),
        };
        let routes = match &p.routes {
            Routes::Full {} => Vec::new(),
            Routes::Split { prefixes } => prefixes.clone(),
        };
        Preview {
            format: self.format,
            name: p.name.clone(),
            uuid: p.uuid.clone(),
            gateway,
            auth,
            local_id: p.local_id.clone(),
            remote_id: p.remote_id.clone(),
            ca_certificates: p
                .ca_certificate
                .as_deref()
                .map_or(0, |pem| pem.matches("-----BEGIN CERTIFICATE-----").count()),
            ike_proposals: p.ike_proposals.clone().unwrap_or_default(),
            esp_proposals: p.esp_proposals.clone().unwrap_or_default(),
            routes,
            dns_servers: p.dns.servers.iter().map(ToString::to_string).collect(),
            secrets: self.secrets.names(),
            warnings: self.warnings.iter().map(ToString::to_string).collect(),
        }
    }
}

impl fmt::Display for Preview {
    /// Several `label: value` lines, then the warnings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[String], empty: &str| {
            if v.is_empty() {
                empty.to_string()
            } else {
                v.join(", ")
            }
        };
        writeln!(f, "format:    {}", self.format)?;
        writeln!(f, "name:      {}", self.name)?;
        writeln!(f, "uuid:      {}", self.uuid)?;
        writeln!(f, "gateway:   {}", self.gateway)?;
        writeln!(f, "remote id: {}", self.remote_id)?;
        if let Some(id) = &self.local_id {
            writeln!(f, "local id:  {id}")?;
        }
        writeln!(f, "auth:      {}", self.auth)?;
        writeln!(f, "CA certs:  {}", self.ca_certificates)?;
        writeln!(
            f,
            "IKE:       {}",
            list(&self.ike_proposals, "Ibex defaults")
        )?;
        writeln!(
            f,
            "ESP:       {}",
            list(&self.esp_proposals, "Ibex defaults")
        )?;
        writeln!(f, "routes:    {}", list(&self.routes, "all traffic"))?;
        writeln!(f, "DNS:       {}", list(&self.dns_servers, "the gateway's"))?;
        if !self.secrets.is_empty() {
            writeln!(
                f,
                "secrets:   {} (not stored in the profile)",
                self.secrets.join(", ")
            )?;
        }
        for w in &self.warnings {
            writeln!(f, "warning:   {w}")?;
        }
        Ok(())
    }
}
