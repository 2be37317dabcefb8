//! A throw-away test PKI: ECDSA/Ed25519 CAs and leaves made with rcgen at
//! test time, plus the committed RSA fixtures of `testdata/`.

use std::net::IpAddr;

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType, SignatureAlgorithm,
};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::PrivateKeyDer;

/// ECDSA P-256 with SHA-256.
pub(super) static P256: &SignatureAlgorithm = &rcgen::PKCS_ECDSA_P256_SHA256;
/// ECDSA P-384 with SHA-384.
pub(super) static P384: &SignatureAlgorithm = &rcgen::PKCS_ECDSA_P384_SHA384;
/// Ed25519.
pub(super) static ED25519: &SignatureAlgorithm = &rcgen::PKCS_ED25519;

/// Validation time used throughout: 2027-01-15, inside every test
/// certificate's 2025-01-01..2045-01-01 validity.
pub(super) const NOW: u64 = 1_800_000_000;
/// 2045-01-01 00:00:00 UTC, the default notAfter.
pub(super) const NOT_AFTER: u64 = 2_366_841_600;

pub(super) const RSA_CA_PEM: &[u8] = include_bytes!("../testdata/rsa-ca.pem");
pub(super) const RSA_LEAF_PEM: &[u8] = include_bytes!("../testdata/rsa-leaf.pem");
pub(super) const RSA_LEAF_KEY_PEM: &[u8] = include_bytes!("../testdata/rsa-leaf.key.pem");
/// `openssl x509 -in rsa-ca.pem -pubkey -noout | openssl pkey -pubin -outform DER | sha1sum`
pub(super) const RSA_CA_SPKI_SHA1: &str = "315caa7e3a365af7c4009b599b8caa3b7d19a255";

/// A CA that can issue certificates.
pub(super) struct Ca {
    pub(super) issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    /// A self-signed root.
    pub(super) fn root(name: &str, alg: &'static SignatureAlgorithm) -> Self {
        let params = ca_params(name);
        let key = KeyPair::generate_for(alg).expect("CA key");
        Self {
            issuer: CertifiedIssuer::self_signed(params, key).expect("root CA"),
        }
    }

    /// An intermediate CA issued by `self`.
    pub(super) fn intermediate(&self, name: &str, alg: &'static SignatureAlgorithm) -> Self {
        self.intermediate_with(name, alg, |_| {})
    }

    /// An intermediate CA issued by `self`, with `tweak` applied to its
    /// parameters.
    pub(super) fn intermediate_with(
        &self,
        name: &str,
        alg: &'static SignatureAlgorithm,
        tweak: impl FnOnce(&mut CertificateParams),
    ) -> Self {
        let mut params = ca_params(name);
        tweak(&mut params);
        let key = KeyPair::generate_for(alg).expect("CA key");
        Self {
            issuer: CertifiedIssuer::signed_by(params, key, &self.issuer).expect("intermediate CA"),
        }
    }

    /// The CA certificate, DER.
    pub(super) fn der(&self) -> Vec<u8> {
        self.issuer.der().to_vec()
    }

    /// The CA certificate, PEM.
    pub(super) fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// DER SubjectPublicKeyInfo of the CA key.
    pub(super) fn spki(&self) -> Vec<u8> {
        use rcgen::PublicKeyData as _;
        self.issuer.key().subject_public_key_info()
    }

    /// Issues a leaf.
    pub(super) fn issue(&self, spec: LeafSpec) -> Leaf {
        let key = KeyPair::generate_for(spec.alg).expect("leaf key");
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, spec.cn);
        params.subject_alt_names = spec.sans;
        params.extended_key_usages = spec.ekus;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.is_ca = spec.is_ca;
        params.not_before = date_time_ymd(2025, 1, 1);
        params.not_after = date_time_ymd(spec.not_after.0, spec.not_after.1, spec.not_after.2);
        let cert = params.signed_by(&key, &self.issuer).expect("leaf");
        Leaf {
            der: cert.der().to_vec(),
            pem: cert.pem(),
            key_der: key.serialize_der(),
            key_pem: key.serialize_pem(),
        }
    }
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = date_time_ymd(2025, 1, 1);
    params.not_after = date_time_ymd(2045, 1, 1);
    params
}

/// What to put in a leaf certificate.
pub(super) struct LeafSpec {
    pub(super) alg: &'static SignatureAlgorithm,
    pub(super) cn: &'static str,
    pub(super) sans: Vec<SanType>,
    pub(super) ekus: Vec<ExtendedKeyUsagePurpose>,
    pub(super) is_ca: IsCa,
    /// notAfter as (year, month, day), 00:00:00 UTC.
    pub(super) not_after: (i32, u8, u8),
}

impl LeafSpec {
    /// A leaf for `gw.ibex.test` (DNS SAN), serverAuth + clientAuth.
    pub(super) fn gw(alg: &'static SignatureAlgorithm) -> Self {
        Self {
            alg,
            cn: "gw.ibex.test",
            sans: vec![dns("gw.ibex.test")],
            ekus: vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ],
            is_ca: IsCa::ExplicitNoCa,
            not_after: (2045, 1, 1),
        }
    }
}

/// A DNS SAN.
pub(super) fn dns(name: &str) -> SanType {
    SanType::DnsName(name.try_into().expect("DNS name"))
}

/// An email SAN.
pub(super) fn email(addr: &str) -> SanType {
    SanType::Rfc822Name(addr.try_into().expect("email"))
}

/// An IP SAN.
pub(super) fn ip(addr: &str) -> SanType {
    SanType::IpAddress(addr.parse::<IpAddr>().expect("IP"))
}

/// ipsecIKE, 1.3.6.1.5.5.7.3.17.
pub(super) fn eku_ipsec_ike() -> ExtendedKeyUsagePurpose {
    ExtendedKeyUsagePurpose::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 17])
}

/// An issued leaf certificate and its PKCS#8 key.
pub(super) struct Leaf {
    pub(super) der: Vec<u8>,
    pub(super) pem: String,
    pub(super) key_der: Vec<u8>,
    pub(super) key_pem: String,
}

/// The RSA fixture leaf, DER.
pub(super) fn rsa_leaf_der() -> Vec<u8> {
    rustls_pki_types::CertificateDer::from_pem_slice(RSA_LEAF_PEM)
        .expect("fixture")
        .as_ref()
        .to_vec()
}

/// The RSA fixture leaf's PKCS#8 key, DER.
pub(super) fn rsa_key_der() -> Vec<u8> {
    PrivateKeyDer::from_pem_slice(RSA_LEAF_KEY_PEM)
        .expect("fixture")
        .secret_der()
        .to_vec()
}
