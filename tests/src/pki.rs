//! Throw-away test PKI, generated at test time into a temp dir.
//!
//! * RSA: CA RSA-3072 (`CN=Ibex Test RSA Root CA`), gateway and client RSA-2048.
//! * ECDSA: CA P-384 (`CN=Ibex Test ECDSA Root CA`), gateway and client P-256.
//! * gateway: `CN=gw.ibex.test`, SAN DNS `gw.ibex.test`, EKU serverAuth + ikeIntermediate.
//! * client: `CN=client.ibex.test`, SAN DNS `client.ibex.test`, EKU clientAuth.
//!
//! Certificates and keys are made with strongSwan's `pki` (as charon would see them in
//! the field); `openssl` converts keys to PKCS#8 (PEM and DER, unencrypted: what ring's
//! `RsaKeyPair::from_pkcs8` / `EcdsaKeyPair::from_pkcs8` take) and certs to DER.
//!
//! Layout: `<dir>/{rsa,ecdsa}/{ca,gw,client}.{pem,der}` (certs),
//! `<name>.key.pem` (native: PKCS#1 / SEC1), `<name>.pk8.pem`, `<name>.pk8.der`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{release_tempdir, run_ok, tempdir};

/// Identity (and SAN DNS) of the gateway certificate.
pub const GW_ID: &str = "gw.ibex.test";
/// Identity (and SAN DNS) of the client certificate.
pub const CLIENT_ID: &str = "client.ibex.test";

const T: Duration = Duration::from_secs(60);
const DN_BASE: &str = "C=CH, O=Ibex Test";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa,
    Ecdsa,
}

impl KeyKind {
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Rsa => "rsa",
            KeyKind::Ecdsa => "ecdsa",
        }
    }
    /// `pki --gen --type` value and key sizes (CA, end entity).
    fn sizes(self) -> (&'static str, u32, u32) {
        match self {
            KeyKind::Rsa => ("rsa", 3072, 2048),
            KeyKind::Ecdsa => ("ecdsa", 384, 256),
        }
    }
}

/// A certificate with its private key in all the encodings tests need.
#[derive(Debug, Clone)]
pub struct CertKey {
    /// X.509 certificate, PEM.
    pub cert_pem: PathBuf,
    /// X.509 certificate, DER.
    pub cert_der: PathBuf,
    /// Private key as `pki` wrote it (PKCS#1 RSA / SEC1 EC), PEM.
    pub key_pem: PathBuf,
    /// Private key, unencrypted PKCS#8, PEM (`-----BEGIN PRIVATE KEY-----`).
    pub key_pk8_pem: PathBuf,
    /// Private key, unencrypted PKCS#8, DER.
    pub key_pk8_der: PathBuf,
}

/// One CA with a gateway and a client certificate.
#[derive(Debug, Clone)]
pub struct PkiSet {
    pub kind: KeyKind,
    /// Self-signed root (its key files are there too).
    pub ca: CertKey,
    /// `gw.ibex.test`.
    pub gw: CertKey,
    /// `client.ibex.test`.
    pub client: CertKey,
}

/// RSA and ECDSA sets in one temp dir (removed on drop unless `IBEX_E2E_KEEP=1`).
#[derive(Debug)]
pub struct TestPki {
    dir: Option<tempfile::TempDir>,
    pub rsa: PkiSet,
    pub ecdsa: PkiSet,
}

impl TestPki {
    /// Generate both sets (a few seconds: RSA-3072 key generation dominates).
    /// Panics with the failing command on error.
    pub fn generate() -> TestPki {
        Self::try_generate().unwrap_or_else(|e| panic!("generating test PKI: {e}"))
    }

    pub fn try_generate() -> Result<TestPki, String> {
        let dir = tempdir("pki").map_err(|e| format!("temp dir: {e}"))?;
        let rsa = PkiSet::generate(dir.path(), KeyKind::Rsa)?;
        let ecdsa = PkiSet::generate(dir.path(), KeyKind::Ecdsa)?;
        Ok(TestPki {
            dir: Some(dir),
            rsa,
            ecdsa,
        })
    }

    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("pki dir").path()
    }

    pub fn set(&self, kind: KeyKind) -> &PkiSet {
        match kind {
            KeyKind::Rsa => &self.rsa,
            KeyKind::Ecdsa => &self.ecdsa,
        }
    }
}

impl Drop for TestPki {
    fn drop(&mut self) {
        if let Some(d) = self.dir.take() {
            release_tempdir(d);
        }
    }
}

impl PkiSet {
    /// Generate one set into `<base>/<kind>/`.
    pub fn generate(base: &Path, kind: KeyKind) -> Result<PkiSet, String> {
        let d = base.join(kind.name());
        std::fs::create_dir_all(&d).map_err(|e| format!("mkdir {}: {e}", d.display()))?;
        // private strongswan.conf for `pki`: only the plugins it needs (Debian's default
        // list includes a tpm plugin that prints errors)
        let conf = base.join("pki-strongswan.conf");
        std::fs::write(
            &conf,
            "pki {\n\tload = random nonce openssl pem pkcs1 pkcs8 x509 pubkey sha1 sha2 gmp\n}\n",
        )
        .map_err(|e| format!("write {}: {e}", conf.display()))?;
        let (ty, ca_bits, ee_bits) = kind.sizes();
        let kind_title = match kind {
            KeyKind::Rsa => "RSA",
            KeyKind::Ecdsa => "ECDSA",
        };

        let pki = |args: &[&str]| -> Result<String, String> {
            run_ok(
                Command::new("pki").env("STRONGSWAN_CONF", &conf).args(args),
                T,
            )
        };
        let gen_key = |name: &str, bits: u32| -> Result<PathBuf, String> {
            let key = d.join(format!("{name}.key.pem"));
            let b = bits.to_string();
            let out = pki(&["--gen", "--type", ty, "--size", &b, "--outform", "pem"])?;
            write(&key, &out)?;
            Ok(key)
        };

        // CA
        let ca_key = gen_key("ca", ca_bits)?;
        let ca_pem = d.join("ca.pem");
        let ca_dn = format!("{DN_BASE}, CN=Ibex Test {kind_title} Root CA");
        let out = pki(&[
            "--self",
            "--ca",
            "--lifetime",
            "3650",
            "--in",
            &p(&ca_key),
            "--type",
            ty,
            "--dn",
            &ca_dn,
            "--outform",
            "pem",
        ])?;
        write(&ca_pem, &out)?;

        // end entities
        let issue = |name: &str, id: &str, flags: &[&str]| -> Result<(), String> {
            let key = gen_key(name, ee_bits)?;
            let dn = format!("{DN_BASE}, CN={id}");
            let (key_s, ca_s, cakey_s) = (p(&key), p(&ca_pem), p(&ca_key));
            let mut args = vec![
                "--issue",
                "--lifetime",
                "3650",
                "--in",
                &key_s,
                "--type",
                "priv",
                "--cacert",
                &ca_s,
                "--cakey",
                &cakey_s,
                "--dn",
                &dn,
                "--san",
                id,
                "--outform",
                "pem",
            ];
            for f in flags {
                args.extend(["--flag", f]);
            }
            let out = pki(&args)?;
            write(&d.join(format!("{name}.pem")), &out)
        };
        issue("gw", GW_ID, &["serverAuth", "ikeIntermediate"])?;
        issue("client", CLIENT_ID, &["clientAuth"])?;

        let finish = |name: &str| -> Result<CertKey, String> {
            let ck = CertKey {
                cert_pem: d.join(format!("{name}.pem")),
                cert_der: d.join(format!("{name}.der")),
                key_pem: d.join(format!("{name}.key.pem")),
                key_pk8_pem: d.join(format!("{name}.pk8.pem")),
                key_pk8_der: d.join(format!("{name}.pk8.der")),
            };
            openssl(&[
                "x509",
                "-in",
                &p(&ck.cert_pem),
                "-outform",
                "DER",
                "-out",
                &p(&ck.cert_der),
            ])?;
            openssl(&[
                "pkcs8",
                "-topk8",
                "-nocrypt",
                "-in",
                &p(&ck.key_pem),
                "-outform",
                "PEM",
                "-out",
                &p(&ck.key_pk8_pem),
            ])?;
            openssl(&[
                "pkcs8",
                "-topk8",
                "-nocrypt",
                "-in",
                &p(&ck.key_pem),
                "-outform",
                "DER",
                "-out",
                &p(&ck.key_pk8_der),
            ])?;
            Ok(ck)
        };
        Ok(PkiSet {
            kind,
            ca: finish("ca")?,
            gw: finish("gw")?,
            client: finish("client")?,
        })
    }
}

fn p(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn write(path: &Path, content: &str) -> Result<(), String> {
    std::fs::write(path, content).map_err(|e| format!("write {}: {e}", path.display()))
}

fn openssl(args: &[&str]) -> Result<(), String> {
    run_ok(Command::new("openssl").args(args), T).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prereq::{require, Prereq};

    /// The generated PKI is what the tests promise: names, SANs, key types, and PKCS#8
    /// keys that ring accepts.
    #[test]
    fn pki_generates_ring_loadable_keys() {
        if !require(&[Prereq::Pki]) {
            return;
        }
        let pki = TestPki::generate();
        let rng = ring::rand::SystemRandom::new();
        for set in [&pki.rsa, &pki.ecdsa] {
            for (ck, id) in [(&set.gw, GW_ID), (&set.client, CLIENT_ID)] {
                let text = run_ok(
                    Command::new("openssl").args([
                        "x509",
                        "-noout",
                        "-text",
                        "-in",
                        &p(&ck.cert_pem),
                    ]),
                    T,
                )
                .unwrap();
                assert!(text.contains(&format!("CN = {id}")), "{text}");
                assert!(text.contains(&format!("DNS:{id}")), "{text}");
                // chains to its CA
                run_ok(
                    Command::new("openssl").args([
                        "verify",
                        "-CAfile",
                        &p(&set.ca.cert_pem),
                        &p(&ck.cert_pem),
                    ]),
                    T,
                )
                .unwrap();
                let der = std::fs::read(&ck.key_pk8_der).unwrap();
                let pem = std::fs::read_to_string(&ck.key_pk8_pem).unwrap();
                assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
                match set.kind {
                    KeyKind::Rsa => {
                        let kp = ring::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
                        assert_eq!(kp.public().modulus_len(), 256);
                        assert!(text.contains("Public-Key: (2048 bit)"));
                    }
                    KeyKind::Ecdsa => {
                        ring::signature::EcdsaKeyPair::from_pkcs8(
                            &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                            &der,
                            &rng,
                        )
                        .unwrap();
                        assert!(text.contains("NIST CURVE: P-256"), "{text}");
                    }
                }
                assert!(std::fs::metadata(&ck.cert_der).unwrap().len() > 100);
            }
            let ca_text = run_ok(
                Command::new("openssl").args([
                    "x509",
                    "-noout",
                    "-text",
                    "-in",
                    &p(&set.ca.cert_pem),
                ]),
                T,
            )
            .unwrap();
            match set.kind {
                KeyKind::Rsa => assert!(ca_text.contains("Public-Key: (3072 bit)")),
                KeyKind::Ecdsa => assert!(ca_text.contains("NIST CURVE: P-384")),
            }
        }
    }
}
