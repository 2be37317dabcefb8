//! The certificate and private key of a certificate profile (or of the
//! EAP-TLS round of an EAP profile), read as the invoking user (the daemon
//! never reads user files) and sent with `connect`.

use std::io::Read;
use std::path::{Path, PathBuf};

use ibex_ipc::{ConnectCredential, SecretString};
use ibex_profile::{Auth, CertificateSource, Profile};
use zeroize::{Zeroize, Zeroizing};

/// Largest private key file read.
const MAX_KEY_LEN: u64 = 64 << 10;
/// Largest certificate chain file read (the whole request must fit in one
/// IPC line of 1 MiB, with the profile).
const MAX_CERT_LEN: u64 = 512 << 10;

/// Why the certificate or key could not be read. Never contains the key.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The file could not be opened or read.
    #[error("cannot read the {what} file {}: {reason}", path.display())]
    Read {
        /// `certificate` or `key`.
        what: &'static str,
        /// The file, `~/` expanded.
        path: PathBuf,
        /// Why, in words ("permission denied", "no such file").
        reason: String,
    },
    /// The file is larger than a certificate or key can be.
    #[error("the {what} file {} is larger than {max} bytes; is it the right file?", path.display())]
    TooLarge {
        /// `certificate` or `key`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The limit.
        max: u64,
    },
    /// The file is not PEM text.
    #[error("the {what} file {} is not PEM text; convert it with `openssl` to PEM", path.display())]
    NotText {
        /// `certificate` or `key`.
        what: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// A `~/` path without a usable home directory.
    #[error("cannot expand '{0}': HOME is not set to an absolute path")]
    NoHome(String),
    /// The key file is encrypted.
    #[error("the key file {} is encrypted; this version of ibex cannot decrypt keys yet: decrypt it with `openssl pkcs8 -in KEY -out KEY.pk8.pem` (PKCS#8, unencrypted) and keep it readable only by you", .0.display())]
    Encrypted(PathBuf),
}

/// The credential to send with `connect`: the certificate chain and key
/// of a certificate profile or of an EAP profile's EAP-TLS round, `None`
/// otherwise (the other secrets are asked for with prompts).
pub fn load(profile: &Profile) -> Result<Option<ConnectCredential>, CredentialError> {
    let Some((certificate, key)) = profile.auth.client_certificate() else {
        return Ok(None);
    };
    let key_encrypted = matches!(
        profile.auth,
        Auth::Certificate {
            key_encrypted: true,
            ..
        }
    );
    let certificate_pem = match CertificateSource::of(certificate) {
        CertificateSource::Pem(pem) => pem.to_string(),
        CertificateSource::Path(p) => {
            let path = expand(p)?;
            let bytes = read_limited("certificate", &path, MAX_CERT_LEN)?;
            String::from_utf8(bytes.to_vec()).map_err(|_| CredentialError::NotText {
                what: "certificate",
                path,
            })?
        }
    };
    let key_path = expand(Path::new(key))?;
    let mut bytes = read_limited("key", &key_path, MAX_KEY_LEN)?;
    let key_pem = match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => SecretString::new(text),
        Err(e) => {
            e.into_bytes().zeroize();
            return Err(CredentialError::NotText {
                what: "key",
                path: key_path,
            });
        }
    };
    if key_encrypted || key_pem.expose().contains("ENCRYPTED PRIVATE KEY") {
        return Err(CredentialError::Encrypted(key_path));
    }
    Ok(Some(ConnectCredential {
        certificate_pem,
        key_pem,
    }))
}

/// `~/x` as `$HOME/x`; other paths as they are.
fn expand(path: &Path) -> Result<PathBuf, CredentialError> {
    let Ok(rest) = path.strip_prefix("~") else {
        return Ok(path.to_path_buf());
    };
    match std::env::var_os("HOME").map(PathBuf::from) {
        Some(home) if home.is_absolute() => Ok(home.join(rest)),
        _ => Err(CredentialError::NoHome(path.display().to_string())),
    }
}

/// Reads at most `max` bytes of `path` into a buffer wiped on drop.
fn read_limited(
    what: &'static str,
    path: &Path,
    max: u64,
) -> Result<Zeroizing<Vec<u8>>, CredentialError> {
    let read_error = |e: std::io::Error| CredentialError::Read {
        what,
        path: path.to_path_buf(),
        reason: reason(&e),
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let len = file.metadata().map_err(read_error)?.len();
    if len > max {
        return Err(CredentialError::TooLarge {
            what,
            path: path.to_path_buf(),
            max,
        });
    }
    // Sized up front so the buffer is not reallocated (leaving copies).
    let capacity = usize::try_from(len.min(max) + 1).unwrap_or(0);
    let mut buf = Zeroizing::new(Vec::with_capacity(capacity));
    file.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(read_error)?;
    if buf.len() as u64 > max {
        return Err(CredentialError::TooLarge {
            what,
            path: path.to_path_buf(),
            max,
        });
    }
    Ok(buf)
}

/// An I/O error in words, without the "(os error N)" noise.
fn reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::NotFound => "no such file".into(),
        ErrorKind::IsADirectory => "it is a directory".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(cert: &str, key: &Path) -> Profile {
        let mut p = Profile::from_json(include_str!(
            "../../../profiles/certificate-split-tunnel.json"
        ))
        .unwrap();
        p.auth = Auth::Certificate {
            certificate: cert.into(),
            key: key.to_str().unwrap().into(),
            key_encrypted: false,
            eap_rounds: vec![],
        };
        p
    }

    // Only the armor matters here: the daemon parses the PEM.
    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const KEY: &str = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";

    #[test]
    fn reads_inline_or_file_certificates_and_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&cert, CERT).unwrap();
        std::fs::write(&key, KEY).unwrap();
        for source in [CERT, cert.to_str().unwrap()] {
            let c = load(&profile(source, &key)).unwrap().unwrap();
            assert_eq!(c.certificate_pem, CERT);
            assert_eq!(c.key_pem.expose(), KEY);
        }
    }

    #[test]
    fn errors_name_the_file_and_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        let e = load(&profile(CERT, &missing)).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "cannot read the key file {}: no such file",
                missing.display()
            )
        );
        let e = load(&profile(missing.to_str().unwrap(), &missing)).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("cannot read the certificate file"),
            "{e}"
        );
        let enc = dir.path().join("enc.pem");
        std::fs::write(&enc, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n").unwrap();
        let e = load(&profile(CERT, &enc)).unwrap_err().to_string();
        assert!(e.contains("encrypted") && !e.contains("AAAA"), "{e}");
        let e = load(&profile(CERT, dir.path())).unwrap_err().to_string();
        assert!(e.contains("it is a directory"), "{e}");
    }

    #[test]
    fn reads_the_certificate_of_an_eap_tls_round() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&cert, CERT).unwrap();
        std::fs::write(&key, KEY).unwrap();
        let mut p = Profile::from_json(include_str!("../../../profiles/eap-tls.json")).unwrap();
        if let Auth::Eap { rounds, .. } = &mut p.auth {
            rounds[0].certificate = Some(cert.to_str().unwrap().into());
            rounds[0].key = Some(key.to_str().unwrap().into());
        }
        let c = load(&p).unwrap().expect("a credential for the tls round");
        assert_eq!(c.certificate_pem, CERT);
        assert_eq!(c.key_pem.expose(), KEY);
        // Other EAP profiles send none.
        let mfa = Profile::from_json(include_str!("../../../profiles/eap-mfa.json")).unwrap();
        assert!(load(&mfa).unwrap().is_none());
    }

    #[test]
    fn tilde_means_home() {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        if let Some(h) = home.filter(|h| h.is_absolute()) {
            assert_eq!(expand(Path::new("~/k.pem")).unwrap(), h.join("k.pem"));
        }
        assert_eq!(
            expand(Path::new("/etc/k.pem")).unwrap(),
            PathBuf::from("/etc/k.pem")
        );
    }
}
