//! `auth`: how the client proves its identity. Secrets are never here; the
//! variant says which one the agent must supply.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// How we authenticate to the gateway (`auth.method`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "lowercase", deny_unknown_fields)]
pub enum Auth {
    /// Pre-shared key (RFC 7296 2.15). The agent supplies the key from the
    /// keyring or asks for it (prompt kind `psk`).
    Psk {},
    /// Certificate and private key (RFC 7427 digital signature).
    Certificate {
        /// Our certificate chain, leaf first then any intermediates: either
        /// the PEM text itself or the path of a PEM file (absolute, or
        /// starting with `~/`). The agent reads the file.
        certificate: String,
        /// Path of the PKCS#8 PEM private key file (absolute, or starting
        /// with `~/`). Never the key itself: a profile is not a place for
        /// secrets.
        key: String,
        /// The key file is encrypted; the agent asks for its passphrase
        /// (prompt kind `certificate-passphrase`). Default `false`.
        #[serde(default, skip_serializing_if = "is_false")]
        key_encrypted: bool,
        /// EAP rounds after the certificate round (RFC 4739), e.g. a
        /// password then a one-time code. Default: none.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        eap_rounds: Vec<EapRound>,
    },
    /// EAP (RFC 7296 2.16) in one or more rounds (RFC 4739 multiple
    /// authentication), e.g. a password then a push approval. The gateway
    /// authenticates with a certificate, so `ca_certificate` is required.
    Eap {
        /// The rounds in order; 1 to 4 of them.
        rounds: Vec<EapRound>,
        /// Offer EAP-only authentication (RFC 5998): the gateway may skip
        /// its certificate when the EAP method proves its identity
        /// (EAP-TLS; RFC 5998 4). Default `false`.
        #[serde(default, skip_serializing_if = "is_false")]
        eap_only: bool,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One EAP authentication round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EapRound {
    /// The EAP method of this round.
    pub method: EapMethod,
    /// EAP identity for this round; default `local_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// `tls` rounds of `eap` profiles only: the client certificate chain,
    /// leaf first, as PEM text or the path of a PEM file (absolute, or
    /// starting with `~/`), like [`Auth::Certificate::certificate`]. The
    /// agent reads the file. (A `tls` round after a certificate round uses
    /// that round's `certificate` and `key`.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    /// `tls` rounds of `eap` profiles only: the path of the PKCS#8 PEM
    /// private key file (absolute, or starting with `~/`). Never the key
    /// itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Accept EAP-MD5-Challenge in this round (weak: open to offline
    /// dictionary attacks). Default `false`: refused with a Nak.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_md5: bool,
    /// Push rounds: answer a push request with "use a one-time code
    /// instead" when the gateway offers that. Default `false`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub prefer_code: bool,
}

impl EapRound {
    /// A round of `method` with no other setting.
    pub fn new(method: EapMethod) -> EapRound {
        EapRound {
            method,
            identity: None,
            certificate: None,
            key: None,
            allow_md5: false,
            prefer_code: false,
        }
    }
}

/// An EAP method. The schema and the model accept all of them; which ones
/// the daemon can run depends on its version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EapMethod {
    /// EAP-MSCHAPv2: user name and password (prompt kind `password`).
    Mschapv2,
    /// EAP-GTC: a one-time code or token response (prompt kind `otp`).
    Gtc,
    /// EAP-TLS: a client certificate (the round's `certificate` and `key`).
    Tls,
    /// A FIDO2 / WebAuthn assertion from a security key (prompt kind `fido2`).
    Fido2,
    /// Approval of a push notification on a phone, possibly with a number to
    /// match (prompt kind `push`).
    Push,
}

impl EapMethod {
    /// The method's name in profiles.
    pub fn name(self) -> &'static str {
        match self {
            EapMethod::Mschapv2 => "mschapv2",
            EapMethod::Gtc => "gtc",
            EapMethod::Tls => "tls",
            EapMethod::Fido2 => "fido2",
            EapMethod::Push => "push",
        }
    }
}

impl Auth {
    /// The certificate and key the agent reads (as the user) and sends with
    /// `connect`, as `(certificate, key)` in the profile's spelling:
    /// `certificate`/`key` of a certificate profile, or of the `tls` round
    /// of an `eap` profile. `None` when the profile needs no certificate.
    pub fn client_certificate(&self) -> Option<(&str, &str)> {
        match self {
            Auth::Certificate {
                certificate, key, ..
            } => Some((certificate, key)),
            Auth::Eap { rounds, .. } => rounds
                .iter()
                .find(|r| r.method == EapMethod::Tls)
                .and_then(|r| Some((r.certificate.as_deref()?, r.key.as_deref()?))),
            Auth::Psk {} => None,
        }
    }

    /// Whether one of the EAP rounds is EAP-TLS.
    pub fn has_tls_round(&self) -> bool {
        let rounds = match self {
            Auth::Certificate { eap_rounds, .. } => eap_rounds,
            Auth::Eap { rounds, .. } => rounds,
            Auth::Psk {} => return false,
        };
        rounds.iter().any(|r| r.method == EapMethod::Tls)
    }

    /// The method's name in profiles (`psk`, `certificate`, `eap`).
    pub fn method_name(&self) -> &'static str {
        match self {
            Auth::Psk {} => "psk",
            Auth::Certificate { .. } => "certificate",
            Auth::Eap { .. } => "eap",
        }
    }
}

/// Where the client certificate comes from (see [`Auth::Certificate`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificateSource<'a> {
    /// The profile holds the PEM text.
    Pem(&'a str),
    /// The agent reads this file; a leading `~/` means the user's home.
    Path(&'a Path),
}

impl<'a> CertificateSource<'a> {
    /// Interprets the `certificate` field: PEM text if it contains a PEM
    /// armor line, a path otherwise.
    pub fn of(certificate: &'a str) -> CertificateSource<'a> {
        if certificate.trim_start().starts_with("-----BEGIN") {
            CertificateSource::Pem(certificate)
        } else {
            CertificateSource::Path(Path::new(certificate))
        }
    }
}
