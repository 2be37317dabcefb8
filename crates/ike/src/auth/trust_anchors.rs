//! [`TrustAnchors`]: the CAs we trust for the peer's certificate, the CERTREQ
//! data naming them, and validating a peer's chain and identity.

use std::fmt;
use std::time::Duration;

use ring::digest;
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};

use crate::message::IdType;

use super::cert_info::CertInfo;
use super::credential::certificates_from_pem;
use super::eku::IkeKeyUsage;
use super::error::AuthError;
use super::identity;
use super::peer_key::PeerKey;
use super::time::utc_u64;

/// Intermediate certificates considered from one peer (webpki builds paths
/// of at most six sub-CAs; the rest only costs time).
const MAX_INTERMEDIATES: usize = 16;

/// The CAs we trust for the peer's certificate.
#[derive(Clone)]
pub struct TrustAnchors {
    anchors: Vec<TrustAnchor<'static>>,
    infos: Vec<CertInfo>,
    spki_sha1: Vec<[u8; 20]>,
}

impl fmt::Debug for TrustAnchors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.infos.iter().map(|i| &i.subject))
            .finish()
    }
}

impl TrustAnchors {
    /// Loads one or more PEM `CERTIFICATE` blocks.
    pub fn from_pem(pem: &[u8]) -> Result<Self, AuthError> {
        Self::from_der(certificates_from_pem(pem, "CA certificates")?)
    }

    /// Loads DER CA certificates. Each must parse and must not be marked
    /// as a non-CA by basicConstraints (v1 roots without the extension are
    /// accepted).
    pub fn from_der(certs: Vec<Vec<u8>>) -> Result<Self, AuthError> {
        if certs.is_empty() {
            return Err(AuthError::Pem {
                what: "CA certificates",
                detail: "no certificate given".into(),
            });
        }
        let mut anchors = Vec::with_capacity(certs.len());
        let mut infos = Vec::with_capacity(certs.len());
        let mut spki_sha1 = Vec::with_capacity(certs.len());
        for (i, der) in certs.iter().enumerate() {
            let info = CertInfo::parse(der, &format!("CA certificate {}", i + 1))?;
            let invalid = |detail: String| AuthError::InvalidTrustAnchor {
                index: i + 1,
                cert: info.name(),
                detail,
            };
            if info.is_ca == Some(false) {
                return Err(invalid(
                    "its basicConstraints say it is not a CA; configure the issuing CA instead"
                        .into(),
                ));
            }
            let cert = CertificateDer::from(der.as_slice());
            let anchor =
                webpki::anchor_from_trusted_cert(&cert).map_err(|e| invalid(format!("{e:?}")))?;
            anchors.push(anchor.to_owned());
            let hash = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &info.spki_der);
            let mut sha1 = [0u8; 20];
            sha1.copy_from_slice(hash.as_ref());
            spki_sha1.push(sha1);
            infos.push(info);
        }
        Ok(Self {
            anchors,
            infos,
            spki_sha1,
        })
    }

    /// CERTREQ data (RFC 7296 3.7, X.509 Certificate - Signature encoding):
    /// the SHA-1 hashes of each CA's SubjectPublicKeyInfo, 20 bytes each,
    /// concatenated in configuration order.
    pub fn certreq_data(&self) -> Vec<u8> {
        self.spki_sha1.concat()
    }

    /// Validates the peer's certificate and returns its public key.
    ///
    /// `leaf` and `intermediates` are DER, as received in CERT payloads;
    /// `time_unix` is the validation time in seconds since the UNIX epoch.
    /// The chain must lead from `leaf` through any of `intermediates` to one
    /// of the anchors, with valid signatures, validity periods, basic and
    /// name constraints. Each certificate of the path either has no extended
    /// key usage or lists serverAuth, clientAuth, ipsecIKE
    /// (1.3.6.1.5.5.7.3.17) or anyExtendedKeyUsage.
    ///
    /// Then the leaf must carry the identity of the peer's ID payload
    /// (`id_type`, `id_data`): FQDN = a DNS SAN (ASCII case-insensitive,
    /// exact), RFC822_ADDR = an email SAN, IPV4_ADDR / IPV6_ADDR = an IP SAN,
    /// DER_ASN1_DN = the subject DN (DER, byte for byte). The commonName is
    /// never consulted. Other ID types are refused.
    pub fn verify_peer(
        &self,
        leaf: &[u8],
        intermediates: &[Vec<u8>],
        id_type: IdType,
        id_data: &[u8],
        time_unix: u64,
    ) -> Result<PeerKey, AuthError> {
        let info = CertInfo::parse(leaf, "peer certificate")?;
        if intermediates.len() > MAX_INTERMEDIATES {
            return Err(AuthError::ChainRejected {
                cert: info.name(),
                reason: format!(
                    "the peer sent {} intermediate certificates; at most {MAX_INTERMEDIATES} are accepted",
                    intermediates.len()
                ),
            });
        }
        let leaf_der = CertificateDer::from(leaf);
        let end_entity = webpki::EndEntityCert::try_from(&leaf_der).map_err(|e| {
            AuthError::MalformedCertificate {
                what: format!("peer certificate '{}'", info.name()),
                detail: format!("{e:?}"),
            }
        })?;
        let intermediate_ders: Vec<CertificateDer<'_>> = intermediates
            .iter()
            .map(|d| CertificateDer::from(d.as_slice()))
            .collect();
        let time = UnixTime::since_unix_epoch(Duration::from_secs(time_unix));
        end_entity
            .verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                &self.anchors,
                &intermediate_ders,
                time,
                IkeKeyUsage,
                None,
                None,
            )
            .map_err(|e| self.chain_error(e, &info, intermediates))?;
        identity::check(&info, id_type, id_data)?;
        PeerKey::from_spki(&info.spki_der, &info.name())
    }

    /// Turns a webpki error into an actionable [`AuthError`].
    fn chain_error(
        &self,
        error: webpki::Error,
        leaf: &CertInfo,
        intermediates: &[Vec<u8>],
    ) -> AuthError {
        use webpki::Error as E;
        let rejected = |reason: &str| AuthError::ChainRejected {
            cert: leaf.name(),
            reason: reason.into(),
        };
        match error {
            E::CertExpired { time, not_after } => AuthError::Expired {
                cert: self.which_cert(leaf, intermediates, |c| c.not_after == secs(not_after)),
                not_after: utc_u64(not_after.as_secs()),
                time: utc_u64(time.as_secs()),
            },
            E::CertNotValidYet { time, not_before } => AuthError::NotYetValid {
                cert: self.which_cert(leaf, intermediates, |c| c.not_before == secs(not_before)),
                not_before: utc_u64(not_before.as_secs()),
                time: utc_u64(time.as_secs()),
            },
            E::UnknownIssuer => AuthError::UnknownIssuer {
                cert: leaf.name(),
                issuer: super::error::printable(&leaf.issuer),
                intermediates: intermediates.len(),
                trusted: self.trusted_summary(),
            },
            E::RequiredEkuNotFoundContext(ctx) => AuthError::ExtendedKeyUsage {
                cert: leaf.name(),
                present: ctx
                    .present
                    .iter()
                    .map(|oid| oid.iter().map(usize::to_string).collect::<Vec<_>>().join("."))
                    .collect::<Vec<_>>()
                    .join(", "),
            },
            E::EmptyEkuExtension => rejected("a certificate has an empty extended key usage extension"),
            E::CaUsedAsEndEntity => {
                rejected("the peer's certificate is a CA certificate (basicConstraints cA=TRUE), not an end-entity certificate")
            }
            E::EndEntityUsedAsCa => rejected("a certificate issuing another one in the chain is not a CA (basicConstraints)"),
            E::PathLenConstraintViolated => rejected("the chain is longer than a CA's pathLenConstraint allows"),
            E::NameConstraintViolation => rejected("a CA's name constraints do not permit the peer's names"),
            E::InvalidSignatureForPublicKey => {
                rejected("a certificate's signature does not verify with its issuer's public key (a CA with the same name but another key, or a tampered certificate)")
            }
            E::UnsupportedSignatureAlgorithmContext(_) | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
                rejected("a certificate is signed with an unsupported or mismatched signature algorithm")
            }
            E::UnsupportedCriticalExtension => rejected("a certificate has an unsupported critical extension"),
            E::MaximumPathDepthExceeded => rejected("the chain has too many intermediate CAs"),
            E::MaximumSignatureChecksExceeded | E::MaximumPathBuildCallsExceeded => {
                rejected("too many candidate paths; send only the certificates of the chain")
            }
            E::CertDistrusted => rejected("a certificate's public key is explicitly distrusted"),
            other => rejected(&format!("{other:?}")),
        }
    }

    /// Names the certificate (leaf, intermediate or anchor) matching `pred`,
    /// e.g. `for 'gw.ibex.test'` or `'Ibex Sub CA' (intermediate)`.
    fn which_cert(
        &self,
        leaf: &CertInfo,
        intermediates: &[Vec<u8>],
        pred: impl Fn(&CertInfo) -> bool,
    ) -> String {
        if pred(leaf) {
            return format!("for '{}'", leaf.name());
        }
        for der in intermediates {
            if let Ok(info) = CertInfo::parse(der, "intermediate") {
                if pred(&info) {
                    return format!("'{}' (intermediate CA of '{}')", info.name(), leaf.name());
                }
            }
        }
        if let Some(info) = self.infos.iter().find(|i| pred(i)) {
            return format!("'{}' (trusted CA)", info.name());
        }
        format!("in the chain of '{}'", leaf.name())
    }

    /// The configured CAs for messages, abbreviated after three.
    fn trusted_summary(&self) -> String {
        let mut names: Vec<String> = self
            .infos
            .iter()
            .take(3)
            .map(|i| format!("'{}'", i.name()))
            .collect();
        if self.infos.len() > 3 {
            names.push(format!("and {} more", self.infos.len() - 3));
        }
        names.join(", ")
    }
}

fn secs(t: UnixTime) -> i64 {
    i64::try_from(t.as_secs()).unwrap_or(i64::MAX)
}
