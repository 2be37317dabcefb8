//! The peer side of EAP-TLS: a rustls client fed by the server's requests.

use std::sync::Arc;

use rustls::{AlertDescription, CertificateError, ClientConnection, Connection};
use tracing::{debug, info, warn};

use super::config::TlsClientConfig;
use super::engine::{self, Version};
use super::frame::{self, Frame, Outgoing, Reassembly};
use crate::{PeerFailure, Secret};

/// What the peer does with an EAP-TLS request.
#[derive(Debug)]
pub(crate) enum PeerTlsStep {
    /// A Start began a new handshake: send this (the method starts).
    Started(Vec<u8>),
    /// Send this response (TLS data, a fragment or an acknowledgement).
    Send(Vec<u8>),
    /// The handshake is complete and, with TLS 1.3, the server committed:
    /// send this empty response; EAP-Success may follow.
    Done {
        /// The response.
        response: Vec<u8>,
        /// The MSK.
        msk: Secret,
    },
    /// The server sent a TLS alert: acknowledge it; EAP-Failure follows.
    Refused {
        /// The acknowledgement.
        response: Vec<u8>,
        /// What the alert says, for the person.
        reason: String,
    },
    /// We refuse to go on (the gateway is not trusted, or TLS broke).
    Failed(PeerFailure),
    /// The request is invalid here and is ignored.
    Discard(String),
}

/// The peer's EAP-TLS state: at most one handshake in progress.
#[derive(Default)]
pub(crate) struct PeerTls {
    session: Option<Box<Session>>,
}

struct Session {
    conn: Connection,
    inbound: Reassembly,
    outbound: Option<Outgoing>,
    max_fragment: usize,
}

impl PeerTls {
    /// Handles the type-data of one EAP-TLS request.
    pub(crate) fn handle(&mut self, config: &TlsClientConfig, type_data: &[u8]) -> PeerTlsStep {
        let frame = match frame::parse(type_data) {
            Ok(f) => f,
            Err(e) => return PeerTlsStep::Discard(e.to_string()),
        };
        if frame.start() {
            return self.start(config);
        }
        let Some(session) = self.session.as_mut() else {
            return PeerTlsStep::Discard("EAP-TLS request without a Start".into());
        };
        let step = session.handle(&frame);
        if matches!(
            step,
            PeerTlsStep::Done { .. } | PeerTlsStep::Refused { .. } | PeerTlsStep::Failed(_)
        ) {
            self.session = None;
        }
        step
    }

    fn start(&mut self, config: &TlsClientConfig) -> PeerTlsStep {
        self.session = None;
        let (rustls_config, name) = match config.rustls() {
            Ok(c) => c,
            Err(e) => {
                warn!(error = %e, "EAP-TLS: unusable client configuration");
                return PeerTlsStep::Failed(PeerFailure::TlsFailed(format!(
                    "the client certificate configuration cannot be used: {e}"
                )));
            }
        };
        let mut conn = match ClientConnection::new(Arc::new(rustls_config), name) {
            Ok(c) => Connection::Client(c),
            Err(e) => return PeerTlsStep::Failed(PeerFailure::TlsFailed(e.to_string())),
        };
        let hello = engine::drain(&mut conn);
        if hello.is_empty() {
            return PeerTlsStep::Failed(PeerFailure::TlsFailed("no ClientHello".into()));
        }
        debug!(bytes = hello.len(), "EAP-TLS: start, sending ClientHello");
        let mut session = Session {
            conn,
            inbound: Reassembly::default(),
            outbound: None,
            max_fragment: config.fragment(),
        };
        let first = session.send(hello);
        self.session = Some(Box::new(session));
        PeerTlsStep::Started(first)
    }
}

impl Session {
    fn handle(&mut self, frame: &Frame<'_>) -> PeerTlsStep {
        if let Some(out) = &mut self.outbound {
            if !frame.is_ack() {
                return PeerTlsStep::Discard(
                    "expected an EAP-TLS acknowledgement of our fragment".into(),
                );
            }
            let fragment = out.next_fragment();
            if !out.pending() {
                self.outbound = None;
            }
            return PeerTlsStep::Send(fragment);
        }
        let message = match self.inbound.push(frame) {
            Ok(None) => return PeerTlsStep::Send(frame::ack()),
            Ok(Some(m)) if m.is_empty() => {
                return PeerTlsStep::Discard("empty EAP-TLS request".into())
            }
            Ok(Some(m)) => m,
            Err(e) => return PeerTlsStep::Failed(PeerFailure::TlsFailed(e.to_string())),
        };
        let was_handshaking = self.conn.is_handshaking();
        let out = match engine::exchange(&mut self.conn, &message) {
            Ok(out) => out,
            Err(engine::Failed {
                error: rustls::Error::AlertReceived(alert),
                ..
            }) => {
                info!(?alert, "EAP-TLS: the server sent a TLS alert");
                return PeerTlsStep::Refused {
                    response: frame::ack(),
                    reason: refusal(alert),
                };
            }
            Err(engine::Failed { error, .. }) => {
                warn!(%error, "EAP-TLS: handshake failed");
                return PeerTlsStep::Failed(failure(error));
            }
        };
        if self.conn.is_handshaking() {
            return self.send_or_ack(out);
        }
        match self.committed(was_handshaking) {
            Ok(true) => {}
            Ok(false) => return self.send_or_ack(out),
            Err(why) => return PeerTlsStep::Failed(PeerFailure::TlsFailed(why)),
        }
        if !out.is_empty() {
            debug!(
                bytes = out.len(),
                "EAP-TLS: ignoring TLS output after completion"
            );
        }
        match engine::msk(&self.conn) {
            Ok(msk) => {
                info!(version = ?engine::version(&self.conn), "EAP-TLS: handshake complete");
                PeerTlsStep::Done {
                    response: frame::ack(),
                    msk,
                }
            }
            Err(e) => PeerTlsStep::Failed(PeerFailure::TlsFailed(e.to_string())),
        }
    }

    /// After the handshake: whether the method is complete. TLS 1.2: yes,
    /// and no application data may come. TLS 1.3 (RFC 9190 2.5): once the
    /// protected success indication (one byte of application data, 0x00)
    /// arrives in a later message than the server's Finished; a
    /// close_notify in its place (as in the drafts) is accepted too.
    fn committed(&mut self, was_handshaking: bool) -> Result<bool, String> {
        let (data, closed) = engine::plaintext(&mut self.conn)?;
        match engine::version(&self.conn) {
            Some(Version::Tls12) if data.is_empty() && !closed => Ok(true),
            Some(Version::Tls12) => Err("unexpected application data from the gateway".into()),
            Some(Version::Tls13) => {
                if data.is_empty() && !closed {
                    return Ok(false);
                }
                if was_handshaking {
                    return Err("the gateway signalled success before it saw our Finished".into());
                }
                match data.as_slice() {
                    [0] => Ok(true),
                    [] => {
                        debug!("EAP-TLS: close_notify taken as the success indication");
                        Ok(true)
                    }
                    _ => Err("unexpected application data from the gateway".into()),
                }
            }
            None => Err("no TLS 1.2 or 1.3 session".into()),
        }
    }

    /// Sends `out` (fragmented), or an empty response when there is nothing
    /// to send (post-handshake messages such as a NewSessionTicket).
    fn send_or_ack(&mut self, out: Vec<u8>) -> PeerTlsStep {
        if out.is_empty() {
            return PeerTlsStep::Send(frame::ack());
        }
        PeerTlsStep::Send(self.send(out))
    }

    fn send(&mut self, data: Vec<u8>) -> Vec<u8> {
        let mut out = Outgoing::new(data, self.max_fragment);
        let first = out.next_fragment();
        if out.pending() {
            self.outbound = Some(out);
        }
        first
    }
}

/// A local TLS failure, for the person.
fn failure(error: rustls::Error) -> PeerFailure {
    match error {
        rustls::Error::InvalidCertificate(e) => {
            PeerFailure::ServerCertificateRejected(describe_certificate_error(&e))
        }
        rustls::Error::NoCertificatesPresented => {
            PeerFailure::ServerCertificateRejected("the gateway sent no certificate".into())
        }
        other => PeerFailure::TlsFailed(other.to_string()),
    }
}

fn describe_certificate_error(e: &CertificateError) -> String {
    match e {
        CertificateError::UnknownIssuer => "it is not issued by a trusted CA".into(),
        CertificateError::BadSignature => "its signature is invalid".into(),
        CertificateError::Expired => "it has expired".into(),
        CertificateError::NotValidYet => "it is not valid yet".into(),
        CertificateError::Revoked => "it is revoked".into(),
        CertificateError::NotValidForName => "it is not valid for the gateway's name".into(),
        CertificateError::BadEncoding => "it cannot be parsed".into(),
        other => other.to_string(),
    }
}

/// What a TLS alert from the server means, for the person.
fn refusal(alert: AlertDescription) -> String {
    match alert {
        AlertDescription::BadCertificate
        | AlertDescription::UnsupportedCertificate
        | AlertDescription::CertificateUnknown
        | AlertDescription::CertificateExpired
        | AlertDescription::CertificateRevoked
        | AlertDescription::UnknownCA
        | AlertDescription::AccessDenied
        | AlertDescription::CertificateRequired => {
            format!("the gateway did not accept the client certificate (TLS alert {alert:?})")
        }
        other => format!("the gateway ended the TLS handshake (TLS alert {other:?})"),
    }
}
