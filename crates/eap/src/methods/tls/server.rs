//! The server side of EAP-TLS: a rustls server fed by the peer's responses.

use std::io::Write as _;
use std::sync::Arc;

use rustls::{CertificateError, Connection, ServerConnection};
use tracing::{debug, info};

use super::config::TlsServerConfig;
use super::engine::{self, Version};
use super::frame::{self, Outgoing, Reassembly};
use crate::{Secret, ServerFailure};

/// What the server does after an EAP-TLS response.
pub(crate) enum ServerTlsStep {
    /// Send this request (TLS data, a fragment or an acknowledgement).
    Send(Vec<u8>),
    /// Send this TLS alert; the method failed (EAP-Failure after the peer's
    /// acknowledgement).
    Alert(Vec<u8>, ServerFailure),
    /// The peer acknowledged the final flight: the method succeeded.
    Done(Secret),
    /// The method failed; nothing more to send in TLS.
    Fail(ServerFailure),
}

/// One EAP-TLS handshake with one peer.
pub(crate) struct ServerTls {
    conn: Connection,
    inbound: Reassembly,
    outbound: Option<Outgoing>,
    max_fragment: usize,
    /// The final flight (and, with TLS 1.3, the success indication) is out.
    finished: bool,
}

impl ServerTls {
    /// A handshake for `user` and the EAP-TLS Start to send.
    pub(crate) fn start(
        config: &TlsServerConfig,
        user: &str,
    ) -> Result<(ServerTls, Vec<u8>), String> {
        let rustls_config = config.rustls(user).map_err(|e| e.to_string())?;
        let conn = ServerConnection::new(Arc::new(rustls_config)).map_err(|e| e.to_string())?;
        let tls = ServerTls {
            conn: Connection::Server(conn),
            inbound: Reassembly::default(),
            outbound: None,
            max_fragment: config.fragment(),
            finished: false,
        };
        Ok((tls, frame::start()))
    }

    /// Handles the type-data of one EAP-TLS response.
    pub(crate) fn handle(&mut self, type_data: &[u8]) -> ServerTlsStep {
        let frame = match frame::parse(type_data) {
            Ok(f) => f,
            Err(e) => return malformed(e.to_string()),
        };
        if frame.start() {
            return malformed("EAP-TLS response with the Start flag".into());
        }
        if let Some(out) = &mut self.outbound {
            if !frame.is_ack() {
                return malformed("expected an acknowledgement of our fragment".into());
            }
            let fragment = out.next_fragment();
            if !out.pending() {
                self.outbound = None;
            }
            return ServerTlsStep::Send(fragment);
        }
        if self.finished {
            if !frame.is_ack() {
                return malformed("data after the TLS handshake".into());
            }
            return match engine::msk(&self.conn) {
                Ok(msk) => ServerTlsStep::Done(msk),
                Err(e) => ServerTlsStep::Fail(ServerFailure::TlsFailed(e.to_string())),
            };
        }
        let message = match self.inbound.push(&frame) {
            Ok(None) => return ServerTlsStep::Send(frame::ack()),
            Ok(Some(m)) if m.is_empty() => {
                return malformed("empty EAP-TLS response during the handshake".into())
            }
            Ok(Some(m)) => m,
            Err(e) => return malformed(e.to_string()),
        };
        let mut out = match engine::exchange(&mut self.conn, &message) {
            Ok(out) => out,
            Err(engine::Failed { error, alert }) => {
                let failure = failure(error);
                info!(%failure, "EAP-TLS: handshake failed");
                let mut alert = Outgoing::new(alert, self.max_fragment);
                if !alert.pending() {
                    return ServerTlsStep::Fail(failure);
                }
                let first = alert.next_fragment();
                if alert.pending() {
                    return ServerTlsStep::Fail(failure);
                }
                return ServerTlsStep::Alert(first, failure);
            }
        };
        match engine::plaintext(&mut self.conn) {
            Ok((data, false)) if data.is_empty() => {}
            _ => return malformed("application data or close_notify from the peer".into()),
        }
        if !self.conn.is_handshaking() {
            self.finished = true;
            if engine::version(&self.conn) == Some(Version::Tls13) {
                // RFC 9190 2.5: the protected success indication, after the
                // client Finished was processed and our last handshake message.
                if let Err(e) = self.conn.writer().write_all(&[0]) {
                    return ServerTlsStep::Fail(ServerFailure::TlsFailed(e.to_string()));
                }
                out.extend(engine::drain(&mut self.conn));
            }
            info!(version = ?engine::version(&self.conn), "EAP-TLS: handshake complete");
        }
        if out.is_empty() {
            return malformed("the peer's TLS message was incomplete".into());
        }
        debug!(bytes = out.len(), "EAP-TLS: sending");
        let mut outgoing = Outgoing::new(out, self.max_fragment);
        let first = outgoing.next_fragment();
        if outgoing.pending() {
            self.outbound = Some(outgoing);
        }
        ServerTlsStep::Send(first)
    }
}

fn malformed(why: String) -> ServerTlsStep {
    ServerTlsStep::Fail(ServerFailure::Malformed(format!("EAP-TLS: {why}")))
}

/// A TLS failure, for logs and the reason token.
fn failure(error: rustls::Error) -> ServerFailure {
    match error {
        rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure) => {
            ServerFailure::CertificateNotForUser
        }
        rustls::Error::InvalidCertificate(e) => ServerFailure::CertificateRejected(e.to_string()),
        rustls::Error::NoCertificatesPresented => {
            ServerFailure::CertificateRejected("no client certificate".into())
        }
        rustls::Error::AlertReceived(alert) => {
            ServerFailure::TlsFailed(format!("the peer sent the TLS alert {alert:?}"))
        }
        other => ServerFailure::TlsFailed(other.to_string()),
    }
}
