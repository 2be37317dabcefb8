//! [`Profile::validate`]: the rules a profile must satisfy beyond its JSON
//! shape, each failure tied to the [`JsonPath`] of the offending value.

mod checks;
mod problem;

use ibex_ike::proposal::{EspProposal, IkeProposal, ProposalError};
pub(crate) use problem::error;
pub use problem::{Problem, ValidationError};
use serde::{Deserialize, Deserializer};

use crate::model::{
    Auth, CertificateSource, EapMethod, EapRound, Profile, Routes, PROFILE_VERSION,
};
use crate::path::JsonPath;
use checks::{check_domain, check_host, check_identity, check_key_path, check_prefix, check_text};

/// Longest accepted `dpd_interval_s`, `reconnect.initial_delay_s` and
/// `reconnect.max_delay_s`.
const MAX_INTERVAL_S: u32 = 3600;

/// Most EAP rounds in one authentication.
const MAX_EAP_ROUNDS: usize = 4;

type Check = Result<(), ValidationError>;

impl Profile {
    /// Checks every rule a profile must satisfy beyond its JSON shape and
    /// returns the first violation in document order: the version, a UUID,
    /// a usable name, host, port and identities, a method-appropriate
    /// credential description without secrets, a loadable CA, proposals
    /// the engine accepts (weak algorithms are refused), CIDR prefixes
    /// without host bits, domain names and sane timers.
    pub fn validate(&self) -> Check {
        let root = JsonPath::root();
        if self.version != PROFILE_VERSION {
            let found = self.version.to_string();
            return Err(error(
                root.key("version"),
                None,
                Problem::UnsupportedVersion { found },
            ));
        }
        checks::check_uuid(&root.key("uuid"), &self.uuid)?;
        check_text(
            &root.key("name"),
            &self.name,
            128,
            "give the connection a short name such as \"Work\"",
        )?;
        let gw = root.key("gateway");
        check_host(&gw.key("host"), &self.gateway.host)?;
        if self.gateway.port == 0 {
            return Err(error(
                gw.key("port"),
                None,
                Problem::Malformed {
                    reason: "port 0 is not a usable port; use 500, the IKE port, unless the gateway's administrator gave another".into(),
                },
            ));
        }
        self.validate_identities(&root)?;
        self.validate_auth(&root.key("auth"))?;
        self.validate_ca(&root)?;
        validate_proposals(
            &root.key("ike_proposals"),
            self.ike_proposals.as_deref(),
            |s| IkeProposal::parse(s).map(drop),
        )?;
        validate_proposals(
            &root.key("esp_proposals"),
            self.esp_proposals.as_deref(),
            |s| EspProposal::parse(s).map(drop),
        )?;
        if let Routes::Split { prefixes } = &self.routes {
            let path = root.key("routes").key("prefixes");
            if prefixes.is_empty() {
                return Err(error(path, None, Problem::Empty {
                    hint: "list the networks to reach through the tunnel, e.g. \"10.0.0.0/8\", or use {\"mode\": \"full\"}",
                }));
            }
            for (i, p) in prefixes.iter().enumerate() {
                check_prefix(&path.index(i), p)?;
            }
        }
        let search = root.key("dns").key("search");
        for (i, d) in self.dns.search.iter().enumerate() {
            check_domain(&search.index(i), d)?;
        }
        range(
            &root.key("dpd_interval_s"),
            self.dpd_interval_s,
            0,
            MAX_INTERVAL_S,
        )?;
        range(&root.key("ike_lifetime_s"), self.ike_lifetime_s, 300, 86400)?;
        range(
            &root.key("child_lifetime_s"),
            self.child_lifetime_s,
            120,
            86400,
        )?;
        let rc = root.key("reconnect");
        let initial = self.reconnect.initial_delay_s;
        range(&rc.key("initial_delay_s"), initial, 1, MAX_INTERVAL_S)?;
        range(
            &rc.key("max_delay_s"),
            self.reconnect.max_delay_s,
            initial.max(1),
            MAX_INTERVAL_S,
        )
    }

    fn validate_identities(&self, root: &JsonPath) -> Check {
        let needs_local = !matches!(self.auth, Auth::Certificate { .. });
        match &self.local_id {
            Some(id) => check_identity(&root.key("local_id"), id)?,
            None if needs_local => {
                return Err(error(
                    root.key("local_id"),
                    None,
                    Problem::Required {
                        hint: format!(
                            "auth method '{}' needs your identity, e.g. \"alice@example.com\"",
                            self.auth.method_name()
                        ),
                    },
                ))
            }
            None => {}
        }
        if self.remote_id.is_empty() {
            return Err(error(root.key("remote_id"), None, Problem::Required {
                hint: "set it to the identity the gateway proves (usually its DNS name, e.g. \"vpn.example.com\")".into(),
            }));
        }
        check_identity(&root.key("remote_id"), &self.remote_id)
    }

    fn validate_auth(&self, path: &JsonPath) -> Check {
        match &self.auth {
            Auth::Psk {} => Ok(()),
            Auth::Certificate {
                certificate,
                key,
                eap_rounds,
                ..
            } => {
                let rp = path.key("eap_rounds");
                if eap_rounds.len() >= MAX_EAP_ROUNDS {
                    return Err(error(
                        rp,
                        None,
                        Problem::Malformed {
                            reason: format!(
                                "has {} rounds; at most {} may follow the certificate",
                                eap_rounds.len(),
                                MAX_EAP_ROUNDS - 1
                            ),
                        },
                    ));
                }
                self.validate_rounds(&rp, eap_rounds, false)?;
                check_certificate(&path.key("certificate"), certificate)?;
                check_key_path(&path.key("key"), key)
            }
            Auth::Eap { rounds, .. } => {
                let rp = path.key("rounds");
                if rounds.is_empty() {
                    return Err(error(
                        rp,
                        None,
                        Problem::Empty {
                            hint: "list at least one round, e.g. [{\"method\": \"mschapv2\"}]",
                        },
                    ));
                }
                if rounds.len() > MAX_EAP_ROUNDS {
                    return Err(error(
                        rp,
                        None,
                        Problem::Malformed {
                            reason: format!(
                                "has {} rounds; at most {MAX_EAP_ROUNDS} are supported",
                                rounds.len()
                            ),
                        },
                    ));
                }
                self.validate_rounds(&rp, rounds, true)
            }
        }
    }

    /// The rounds at `rp`: identities, and the certificate and key of a
    /// `tls` round (its own in an `eap` profile, `own_certificate`; the
    /// certificate round's in a `certificate` profile). At most one `tls`
    /// round, and then `remote_id` must be a name TLS can check.
    fn validate_rounds(&self, rp: &JsonPath, rounds: &[EapRound], own_certificate: bool) -> Check {
        let mut tls_seen = false;
        for (i, r) in rounds.iter().enumerate() {
            let at = rp.index(i);
            if let Some(id) = &r.identity {
                check_identity(&at.key("identity"), id)?;
            }
            let tls = r.method == EapMethod::Tls;
            let misplaced = if !tls {
                Some("only a tls round takes a certificate and key; remove it")
            } else if !own_certificate {
                Some("after a certificate round, the tls round uses auth.certificate and auth.key; remove it")
            } else {
                None
            };
            for (field, value) in [("certificate", &r.certificate), ("key", &r.key)] {
                if let (Some(reason), Some(_)) = (misplaced, value) {
                    return Err(error(
                        at.key(field),
                        None,
                        Problem::Malformed {
                            reason: reason.into(),
                        },
                    ));
                }
            }
            if !tls {
                continue;
            }
            if tls_seen {
                return Err(error(
                    at.key("method"),
                    None,
                    Problem::Malformed {
                        reason: "a profile may have one tls round only".into(),
                    },
                ));
            }
            tls_seen = true;
            if own_certificate {
                let required = |field: &'static str, what: &str| {
                    error(
                        at.key(field),
                        None,
                        Problem::Required {
                            hint: format!("a tls round needs {what}"),
                        },
                    )
                };
                let certificate = r.certificate.as_deref().ok_or_else(|| {
                    required(
                        "certificate",
                        "your certificate: the path of its PEM file, or its PEM text",
                    )
                })?;
                let key = r.key.as_deref().ok_or_else(|| {
                    required("key", "the path of your certificate's private key file")
                })?;
                check_certificate(&at.key("certificate"), certificate)?;
                check_key_path(&at.key("key"), key)?;
            }
            let name = self.remote_id.strip_prefix('@').unwrap_or(&self.remote_id);
            if !checks::is_tls_server_name(name) {
                return Err(error(
                    JsonPath::root().key("remote_id"),
                    Some(&self.remote_id),
                    Problem::Malformed {
                        reason: "is not a DNS name or IP address, but the tls round checks the gateway's TLS certificate for this name; use the gateway's DNS name".into(),
                    },
                ));
            }
        }
        Ok(())
    }

    fn validate_ca(&self, root: &JsonPath) -> Check {
        let path = root.key("ca_certificate");
        let Some(pem) = &self.ca_certificate else {
            return match self.auth {
                Auth::Psk {} => Ok(()),
                _ => Err(error(
                    path,
                    None,
                    Problem::CaRequired {
                        method: self.auth.method_name(),
                    },
                )),
            };
        };
        if pem.contains("PRIVATE KEY") {
            return Err(error(path, None, Problem::InlinePrivateKey));
        }
        ibex_ike::auth::TrustAnchors::from_pem(pem.as_bytes())
            .map(drop)
            .map_err(|e| {
                error(
                    path,
                    None,
                    Problem::BadCaCertificate {
                        detail: e.to_string(),
                    },
                )
            })
    }
}

/// A certificate field: PEM text with a certificate, or a file path.
fn check_certificate(path: &JsonPath, certificate: &str) -> Check {
    if certificate.trim().is_empty() {
        return Err(error(
            path.clone(),
            None,
            Problem::Empty {
                hint: "give the path of your certificate's PEM file, or its PEM text",
            },
        ));
    }
    match CertificateSource::of(certificate) {
        CertificateSource::Pem(pem) => checks::check_certificate_pem(path, pem),
        CertificateSource::Path(_) => check_key_path(path, certificate),
    }
}

fn validate_proposals(
    path: &JsonPath,
    list: Option<&[String]>,
    parse: impl Fn(&str) -> Result<(), ProposalError>,
) -> Check {
    let Some(list) = list else { return Ok(()) };
    if list.is_empty() {
        return Err(error(
            path.clone(),
            None,
            Problem::Empty {
                hint: "list at least one proposal, or leave the field out to use the defaults",
            },
        ));
    }
    for (i, p) in list.iter().enumerate() {
        parse(p).map_err(|e| error(path.index(i), Some(p), Problem::Proposal(e)))?;
    }
    Ok(())
}

fn range(path: &JsonPath, value: u32, min: u32, max: u32) -> Check {
    if (min..=max).contains(&value) {
        return Ok(());
    }
    Err(error(
        path.clone(),
        None,
        Problem::OutOfRange {
            value: value.into(),
            min: min.into(),
            max: max.into(),
            unit: " seconds",
        },
    ))
}

/// Deserializes a [`Profile`] and [validates](Profile::validate) it; for
/// `#[serde(deserialize_with = "ibex_profile::deserialize_validated")]` on
/// fields that must only ever hold valid profiles (such as the daemon's
/// `connect` request). The error names the offending field but not the
/// line (use [`Profile::from_json`] for documents people edit).
pub fn deserialize_validated<'de, D: Deserializer<'de>>(d: D) -> Result<Profile, D::Error> {
    let profile = Profile::deserialize(d)?;
    profile
        .validate()
        .map_err(|e| serde::de::Error::custom(format!("invalid profile: {e}")))?;
    Ok(profile)
}
