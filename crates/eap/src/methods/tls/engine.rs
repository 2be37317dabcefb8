//! rustls driven over byte buffers, and the EAP-TLS key derivation.

use std::io::Read as _;

use rustls::{Connection, ProtocolVersion};
use zeroize::Zeroizing;

use crate::{MethodType, Secret};

/// RFC 5216 2.3 label (TLS 1.2).
const LABEL_TLS12: &[u8] = b"client EAP encryption";
/// RFC 9190 2.3 label (TLS 1.3).
const LABEL_TLS13: &[u8] = b"EXPORTER_EAP_TLS_Key_Material";
/// Most application data an EAP-TLS side reads in one message.
const MAX_PLAINTEXT: usize = 1024;

/// A TLS failure and the alert rustls wants to send about it (may be empty).
pub(crate) struct Failed {
    pub error: rustls::Error,
    pub alert: Vec<u8>,
}

/// Feeds one complete TLS message and returns what rustls sends in reply.
pub(crate) fn exchange(conn: &mut Connection, mut input: &[u8]) -> Result<Vec<u8>, Failed> {
    while !input.is_empty() {
        match conn.read_tls(&mut input) {
            Ok(0) => {
                return Err(Failed {
                    error: rustls::Error::General("TLS data after the session was closed".into()),
                    alert: Vec::new(),
                })
            }
            Ok(_) => {}
            Err(e) => {
                return Err(Failed {
                    error: rustls::Error::General(e.to_string()),
                    alert: Vec::new(),
                })
            }
        }
        if let Err(error) = conn.process_new_packets() {
            return Err(Failed {
                error,
                alert: drain(conn),
            });
        }
    }
    Ok(drain(conn))
}

/// Everything rustls has queued to send.
pub(crate) fn drain(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while conn.wants_write() {
        match conn.write_tls(&mut out) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

/// Application data received so far, and whether close_notify arrived.
pub(crate) fn plaintext(conn: &mut Connection) -> Result<(Vec<u8>, bool), String> {
    let mut data = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        match conn.reader().read(&mut buf) {
            Ok(0) => return Ok((data, true)),
            Ok(n) => {
                if data.len() + n > MAX_PLAINTEXT {
                    return Err("too much application data".into());
                }
                data.extend_from_slice(&buf[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok((data, false)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// The negotiated version, if TLS 1.2 or 1.3.
pub(crate) fn version(conn: &Connection) -> Option<Version> {
    match conn.protocol_version()? {
        ProtocolVersion::TLSv1_2 => Some(Version::Tls12),
        ProtocolVersion::TLSv1_3 => Some(Version::Tls13),
        _ => None,
    }
}

/// The TLS versions EAP-TLS runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    Tls12,
    Tls13,
}

/// The MSK: the first 64 of the 128 bytes of Key_Material.
///
/// TLS 1.2 (RFC 5216 2.3): Key_Material = TLS-PRF-128(master_secret,
/// "client EAP encryption", client.random || server.random), which is the
/// RFC 5705 exporter without context. TLS 1.3 (RFC 9190 2.3): Key_Material =
/// TLS-Exporter("EXPORTER_EAP_TLS_Key_Material", Type-Code 0x0D, 128).
pub(crate) fn msk(conn: &Connection) -> Result<Secret, rustls::Error> {
    let mut key_material = Zeroizing::new([0u8; 128]);
    let context = [MethodType::TLS.0];
    let (label, context) = match version(conn) {
        Some(Version::Tls12) => (LABEL_TLS12, None),
        Some(Version::Tls13) => (LABEL_TLS13, Some(&context[..])),
        None => {
            return Err(rustls::Error::General(
                "no TLS 1.2 or 1.3 session to derive keys from".into(),
            ))
        }
    };
    conn.export_keying_material(&mut key_material[..], label, context)?;
    Ok(Secret::from_slice(&key_material[..64]))
}
