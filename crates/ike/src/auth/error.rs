//! [`AuthError`]: everything that can go wrong loading credentials, validating
//! a peer's certificate chain or checking an AUTH signature.
//!
//! Messages name the certificate and the identity involved so that an
//! operator can act on them without a packet capture. Every string that came
//! from the network goes through [`printable`] first.

/// Why certificate authentication failed, or why a credential or CA could not
/// be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// PEM input could not be read (bad armor or base64), or held no block of
    /// the expected kind.
    #[error("{what}: {detail}")]
    Pem {
        /// What was being loaded ("certificate chain", "private key", "CA certificates").
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },

    /// A certificate is not well-formed DER X.509.
    #[error("{what} is not a valid X.509 certificate: {detail}")]
    MalformedCertificate {
        /// Which certificate ("peer certificate", "intermediate certificate 2", ...).
        what: String,
        /// Parser detail.
        detail: String,
    },

    /// Our private key could not be loaded.
    #[error("private key: {0}")]
    InvalidKey(String),

    /// Our private key does not match the leaf certificate of our chain.
    #[error("the private key does not belong to certificate '{cert}' (its public key differs); check that key and certificate files match")]
    KeyMismatch {
        /// Name of the leaf certificate.
        cert: String,
    },

    /// A CA certificate given as a trust anchor is unusable.
    #[error("CA certificate {index} ('{cert}') cannot be used as a trust anchor: {detail}")]
    InvalidTrustAnchor {
        /// 1-based position in the configured list.
        index: usize,
        /// Name of the certificate.
        cert: String,
        /// What is wrong with it.
        detail: String,
    },

    /// The peer's chain does not end at any configured CA.
    #[error("certificate chain does not lead to a configured CA: '{cert}' is issued by '{issuer}' ({intermediates} intermediate certificate(s) received; trusted CAs: {trusted})")]
    UnknownIssuer {
        /// Name of the peer's certificate.
        cert: String,
        /// Issuer DN of the peer's certificate.
        issuer: String,
        /// How many intermediate certificates the peer sent.
        intermediates: usize,
        /// The configured CAs, abbreviated.
        trusted: String,
    },

    /// A certificate in the chain was past its notAfter at validation time.
    #[error("certificate {cert} expired on {not_after} (validation time {time})")]
    Expired {
        /// Which certificate, e.g. `for 'gw.ibex.test'`.
        cert: String,
        /// Its notAfter, as a UTC date.
        not_after: String,
        /// The validation time, as a UTC date.
        time: String,
    },

    /// A certificate in the chain was before its notBefore at validation time.
    #[error("certificate {cert} is not valid before {not_before} (validation time {time}; check the clock)")]
    NotYetValid {
        /// Which certificate, e.g. `for 'gw.ibex.test'`.
        cert: String,
        /// Its notBefore, as a UTC date.
        not_before: String,
        /// The validation time, as a UTC date.
        time: String,
    },

    /// The chain contains a certificate whose extended key usage excludes IKE.
    #[error("a certificate in the chain of '{cert}' has extended key usages {present}, none of which is serverAuth, clientAuth, ipsecIKE or anyExtendedKeyUsage")]
    ExtendedKeyUsage {
        /// Name of the peer's certificate.
        cert: String,
        /// The EKU OIDs found, dotted.
        present: String,
    },

    /// Any other reason the chain was rejected (signature, basic constraints,
    /// name constraints, unsupported algorithm, ...).
    #[error("certificate chain of '{cert}' rejected: {reason}")]
    ChainRejected {
        /// Name of the peer's certificate.
        cert: String,
        /// Why.
        reason: String,
    },

    /// The validated certificate does not carry the identity the peer claimed
    /// in its ID payload.
    #[error("certificate for '{cert}' is not valid for identity '{identity}' ({names})")]
    IdentityMismatch {
        /// Name of the peer's certificate.
        cert: String,
        /// The claimed identity, printable.
        identity: String,
        /// What the certificate does carry, e.g. `SAN: DNS gw.ibex.test`.
        names: String,
    },

    /// The ID payload type cannot be matched against a certificate.
    #[error("identity type {0} cannot be checked against a certificate (use FQDN, RFC822_ADDR, IPV4_ADDR, IPV6_ADDR or DER_ASN1_DN)")]
    UnsupportedIdentityType(u8),

    /// The ID payload data is malformed for its type.
    #[error("malformed identity: {0}")]
    MalformedIdentity(String),

    /// The peer's certificate carries a key this implementation cannot use.
    #[error("certificate '{cert}' has an unusable public key: {detail}")]
    UnsupportedKey {
        /// Name of the certificate.
        cert: String,
        /// Why.
        detail: String,
    },

    /// AUTH data could not be parsed.
    #[error("malformed AUTH data: {0}")]
    MalformedAuthData(String),

    /// The AUTH method or the signature algorithm relies on SHA-1.
    #[error("{0} uses SHA-1, which is not accepted; configure the peer for RFC 7427 digital signatures (AUTH method 14) with SHA-256 or better")]
    WeakSignature(String),

    /// The AUTH method or the signature algorithm is not supported.
    #[error("unsupported signature algorithm: {0}")]
    UnsupportedAlgorithm(String),

    /// The signature algorithm does not fit the peer's key type.
    #[error("AUTH uses {algorithm}, which does not match the peer's {key} key")]
    KeyAlgorithmMismatch {
        /// The signature algorithm.
        algorithm: String,
        /// The key type.
        key: String,
    },

    /// The signature does not verify.
    #[error("AUTH signature ({algorithm}) does not verify with the peer's {key} key: the signed data differs or the signer holds another key")]
    BadSignature {
        /// The signature algorithm.
        algorithm: String,
        /// The key type.
        key: String,
    },

    /// Producing our own signature failed.
    #[error("signing with the {key} key failed: {detail}")]
    Signing {
        /// Our key type.
        key: String,
        /// Why.
        detail: String,
    },
}

/// Longest network-derived string kept in an error message.
const MAX_PRINTABLE: usize = 200;

/// Makes untrusted text safe for a log line: control and non-ASCII characters
/// are escaped and the result is cut to a bounded length.
pub(super) fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_PRINTABLE));
    for c in s.chars() {
        if out.len() >= MAX_PRINTABLE {
            out.push_str("...");
            break;
        }
        if c.is_ascii_graphic() || c == ' ' {
            out.push(c);
        } else {
            out.extend(c.escape_default());
        }
    }
    out
}

/// Untrusted bytes as printable text: [`printable`] when they are UTF-8, hex
/// otherwise.
pub(super) fn printable_bytes(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => printable(s),
        Err(_) => hex(b),
    }
}

/// Lowercase hex, cut to a bounded length.
pub(super) fn hex(b: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for byte in b.iter().take(MAX_PRINTABLE / 2) {
        let _ = write!(out, "{byte:02x}");
    }
    if b.len() > MAX_PRINTABLE / 2 {
        out.push_str("...");
    }
    out
}
