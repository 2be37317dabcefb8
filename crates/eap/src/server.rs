//! The EAP server (authenticator): runs the configured methods in order.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use subtle::ConstantTimeEq;
use thiserror::Error;
use tracing::{debug, info, warn};

use crate::methods::fido::{self, FidoRequestMsg, NONCE_LEN};
use crate::methods::ibex::{self, SUBTYPE_FIDO, SUBTYPE_PUSH};
use crate::methods::push::{PushAction, PushRequest};
use crate::methods::tls::server::{ServerTls, ServerTlsStep};
use crate::methods::{gtc, mschapv2, server_name};
use crate::mschapv2_crypto as crypto;
use crate::{
    reason, Code, Directory, MethodType, OtpCheck, Packet, PushState, PushTicket, Random, Secret,
    ServerMethod, TlsServerConfig,
};

/// The name the server gives in its MSCHAPv2 challenge.
const SERVER_NAME: &[u8] = b"ibex";
/// MSCHAPv2 error: authentication failure (RFC 2759 6).
const ERROR_AUTHENTICATION_FAILURE: u32 = 691;
/// Text of MSCHAPv2 failures.
const WRONG_PASSWORD_TEXT: &str = "wrong user name or password";

/// What to do after starting, feeding or polling the server.
#[derive(Debug)]
pub enum ServerStep {
    /// Send this EAP request.
    Request(Vec<u8>),
    /// Waiting on the directory (a push approval): hold the response and
    /// call [`Server::poll`] later.
    Pending,
    /// Send this EAP-Success; the conversation is over.
    Success(Vec<u8>),
    /// Send this EAP-Failure; the conversation is over.
    Failure(Vec<u8>, ServerFailure),
    /// The packet was invalid or unexpected and is ignored.
    Discard(String),
}

/// Why the server failed the peer (for logs; the peer learns the reason token).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ServerFailure {
    /// The directory does not know the user or lacks the credential.
    #[error("unknown user or no credential for this method")]
    UnknownUser,
    /// Locked out after repeated failures.
    #[error("locked out for {0:?}")]
    LockedOut(Duration),
    /// Wrong password.
    #[error("wrong password")]
    WrongPassword,
    /// Wrong one-time code.
    #[error("wrong one-time code")]
    WrongCode,
    /// A code matched outside the window: the peer's clock is off.
    #[error("one-time code from a clock off by {0} steps")]
    ClockSkew(i64),
    /// A code already used.
    #[error("replayed one-time code")]
    ReplayedCode,
    /// The user has no one-time code secret.
    #[error("no one-time code is enrolled for this user")]
    OtpNotEnrolled,
    /// Push denied on the device.
    #[error("push denied")]
    PushDenied,
    /// Push not answered in time.
    #[error("push timed out")]
    PushExpired,
    /// FIDO2 assertion rejected.
    #[error("security key assertion rejected: {0}")]
    FidoFailed(String),
    /// The peer refused every method we offered.
    #[error("the peer refused the method")]
    MethodRefused,
    /// The method cannot run: no methods configured, EAP-MD5 (the directory
    /// has no clear passwords), or the directory could not start a push or
    /// FIDO2 step (its message).
    #[error("method unavailable: {0}")]
    Unavailable(String),
    /// The peer sent something invalid.
    #[error("malformed: {0}")]
    Malformed(String),
    /// EAP-TLS: the client certificate is missing, invalid or not from a
    /// configured CA.
    #[error("client certificate rejected: {0}")]
    CertificateRejected(String),
    /// EAP-TLS: the client certificate is valid but does not name the user.
    #[error("the client certificate is not for this user")]
    CertificateNotForUser,
    /// EAP-TLS: the handshake failed otherwise (protocol error, alert from
    /// the peer, no common version or cipher suite).
    #[error("TLS handshake failed: {0}")]
    TlsFailed(String),
}

impl ServerFailure {
    /// The reason (`token` or `token:arg`) and text of the notification
    /// sent to the peer. Directory messages are for logs only.
    fn notification(&self) -> String {
        let (token, text) = match self {
            // Never tell an unauthenticated peer whether an account exists.
            ServerFailure::UnknownUser => (
                reason::PASSWORD_WRONG.into(),
                "wrong user name or password".into(),
            ),
            ServerFailure::LockedOut(d) => (
                format!("{}:{}", reason::LOCKED_OUT, d.as_secs()),
                format!(
                    "too many failed attempts; try again in {} seconds",
                    d.as_secs()
                ),
            ),
            ServerFailure::WrongPassword => {
                (reason::PASSWORD_WRONG.into(), WRONG_PASSWORD_TEXT.into())
            }
            ServerFailure::WrongCode => (reason::OTP_WRONG.into(), "wrong one-time code".into()),
            ServerFailure::ClockSkew(n) => (
                format!("{}:{n}", reason::OTP_SKEW),
                "the one-time code is for another time; check the clock of the device that made it"
                    .into(),
            ),
            ServerFailure::ReplayedCode => (
                reason::OTP_REPLAYED.into(),
                "that one-time code was already used; wait for the next one".into(),
            ),
            ServerFailure::OtpNotEnrolled => (
                reason::OTP_NOT_ENROLLED.into(),
                "no one-time code is set up for this account".into(),
            ),
            ServerFailure::PushDenied => (
                reason::PUSH_DENIED.into(),
                "the sign-in was denied on the device".into(),
            ),
            ServerFailure::PushExpired => (
                reason::PUSH_EXPIRED.into(),
                "the sign-in was not approved in time".into(),
            ),
            ServerFailure::FidoFailed(_) => (
                reason::FIDO_FAILED.into(),
                "the security key's signature was not accepted".into(),
            ),
            ServerFailure::MethodRefused => (
                reason::METHOD_REFUSED.into(),
                "the client refused the required sign-in method".into(),
            ),
            ServerFailure::Unavailable(_) => (
                reason::METHOD_UNAVAILABLE.into(),
                "this sign-in method is not available for the account".into(),
            ),
            ServerFailure::Malformed(_) => (
                reason::MALFORMED.into(),
                "invalid message from the client".into(),
            ),
            ServerFailure::CertificateRejected(_) => (
                reason::CERT_REJECTED.into(),
                "the client certificate was not accepted".into(),
            ),
            ServerFailure::CertificateNotForUser => (
                reason::CERT_WRONG_USER.into(),
                "the client certificate is not for this account".into(),
            ),
            ServerFailure::TlsFailed(_) => {
                (reason::TLS_FAILED.into(), "the TLS handshake failed".into())
            }
        };
        reason::format(&token, &text)
    }

    /// Whether this is a failed verification, counted by
    /// [`Directory::record_failure`].
    fn counts(&self) -> bool {
        matches!(
            self,
            ServerFailure::UnknownUser
                | ServerFailure::WrongPassword
                | ServerFailure::WrongCode
                | ServerFailure::ClockSkew(_)
                | ServerFailure::ReplayedCode
                | ServerFailure::PushDenied
                | ServerFailure::FidoFailed(_)
                | ServerFailure::CertificateRejected(_)
                | ServerFailure::CertificateNotForUser
        )
    }
}

/// What the server waits for.
enum Stage {
    /// `start` not called yet.
    Idle,
    /// Sent an MSCHAPv2 Challenge.
    MsChapChallenge { ms_id: u8, challenge: [u8; 16] },
    /// Sent an MSCHAPv2 Success request; the MSK is ours once acknowledged.
    MsChapSuccess { msk: Secret },
    /// Sent an MSCHAPv2 Failure request.
    MsChapFailure { failure: ServerFailure },
    /// Sent a GTC challenge for a password or a one-time code.
    Gtc { otp: bool },
    /// Sent a push request.
    Push { ticket: PushTicket },
    /// The peer waits for the push approval; [`Server::poll`] re-checks.
    PushPending { ticket: PushTicket },
    /// Sent a FIDO2 request.
    Fido,
    /// EAP-TLS in progress.
    Tls(Box<ServerTls>),
    /// Sent a TLS alert; the failure follows the peer's acknowledgement.
    TlsAlert { failure: ServerFailure },
    /// Sent the failure notification; EAP-Failure follows its response.
    Notifying { failure: ServerFailure },
    /// Success or Failure sent.
    Done,
}

impl Stage {
    fn name(&self) -> &'static str {
        match self {
            Stage::Idle => "idle",
            Stage::MsChapChallenge { .. } => "mschapv2 challenge",
            Stage::MsChapSuccess { .. } => "mschapv2 success",
            Stage::MsChapFailure { .. } => "mschapv2 failure",
            Stage::Gtc { .. } => "gtc",
            Stage::Push { .. } => "push",
            Stage::PushPending { .. } => "push pending",
            Stage::Fido => "fido2",
            Stage::Tls(_) => "eap-tls",
            Stage::TlsAlert { .. } => "eap-tls alert",
            Stage::Notifying { .. } => "notifying",
            Stage::Done => "done",
        }
    }

    /// The EAP type a response must carry in this stage.
    fn expected_type(&self) -> Option<MethodType> {
        match self {
            Stage::MsChapChallenge { .. }
            | Stage::MsChapSuccess { .. }
            | Stage::MsChapFailure { .. } => Some(MethodType::MSCHAPV2),
            Stage::Gtc { .. } => Some(MethodType::GTC),
            Stage::Push { .. } | Stage::Fido => Some(MethodType::EXPERIMENTAL),
            Stage::Tls(_) | Stage::TlsAlert { .. } => Some(MethodType::TLS),
            Stage::Notifying { .. } => Some(MethodType::NOTIFICATION),
            Stage::Idle | Stage::PushPending { .. } | Stage::Done => None,
        }
    }
}

/// The server side of one EAP conversation for one user.
///
/// There is no Identity round: the IKE layer knows the user from IDi. The
/// methods run in order in one conversation; before each, the directory's
/// lockout is checked. A failure is announced by an EAP-Notification
/// carrying a reason token (see [`crate::reason`]), then EAP-Failure.
/// `Debug` never shows keys.
pub struct Server {
    directory: Arc<dyn Directory>,
    user: String,
    methods: Vec<ServerMethod>,
    binding: Vec<u8>,
    tls: Option<Arc<TlsServerConfig>>,
    msk: Option<Secret>,
    /// The method being run.
    index: usize,
    /// Identifier of the request outstanding.
    id: u8,
    stage: Stage,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("user", &self.user)
            .field("methods", &self.methods)
            .field("tls", &self.tls)
            .field("index", &self.index)
            .field("id", &self.id)
            .field("stage", &self.stage.name())
            .field("msk", &self.msk)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A conversation authenticating `user` with `methods` in order;
    /// `binding` is the IKE SA's channel binding (for FIDO2).
    pub fn new(
        directory: Arc<dyn Directory>,
        user: String,
        methods: Vec<ServerMethod>,
        binding: Vec<u8>,
    ) -> Server {
        Server {
            directory,
            user,
            methods,
            binding,
            tls: None,
            msk: None,
            index: 0,
            id: 0,
            stage: Stage::Idle,
        }
    }

    /// The credential and client CAs for [`ServerMethod::Tls`].
    pub fn with_tls(mut self, tls: impl Into<Arc<TlsServerConfig>>) -> Server {
        self.tls = Some(tls.into());
        self
    }

    /// The first request (or, when the user is locked out or no method is
    /// configured, the failure notification).
    pub fn start(&mut self, rng: &mut dyn Random) -> ServerStep {
        if !matches!(self.stage, Stage::Idle) {
            return discard("the EAP conversation has already started");
        }
        let mut first = [0u8; 1];
        rng.fill(&mut first);
        // The first request gets a random identifier (RFC 3748 4).
        self.id = first[0].wrapping_sub(1);
        if self.methods.is_empty() {
            return self.fail(ServerFailure::Unavailable(
                "no EAP methods configured".into(),
            ));
        }
        self.begin(rng)
    }

    /// Feeds one EAP response from the peer.
    pub fn handle(&mut self, packet: &[u8], rng: &mut dyn Random) -> ServerStep {
        let Some(expected) = self.stage.expected_type() else {
            return discard(format!("no response expected ({})", self.stage.name()));
        };
        let packet = match Packet::decode(packet) {
            Ok(p) => p,
            Err(e) => return discard(e.to_string()),
        };
        if packet.code != Code::Response {
            return discard("not an EAP response");
        }
        if packet.identifier != self.id {
            return discard(format!(
                "identifier {} does not match request {}",
                packet.identifier, self.id
            ));
        }
        let method = packet.method.unwrap_or(MethodType(0));
        if let Stage::Notifying { failure } = &self.stage {
            // Whatever the peer answers, the conversation ends here.
            let failure = failure.clone();
            return self.finish_failure(failure);
        }
        if method == MethodType::NAK || is_expanded_nak(method, &packet.data) {
            info!(user = %self.user, method = self.method_name(), accepted = ?packet.data, "EAP: peer refused the method");
            return self.fail(ServerFailure::MethodRefused);
        }
        if method != expected {
            return discard(format!(
                "response of type {} while waiting for type {}",
                method.0, expected.0
            ));
        }
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::MsChapChallenge { ms_id, challenge } => {
                self.mschap_response(&packet.data, ms_id, challenge, rng)
            }
            Stage::MsChapSuccess { msk } => self.mschap_ack(&packet.data, msk, rng),
            Stage::MsChapFailure { failure } => self.fail(failure),
            Stage::Gtc { otp } => self.gtc_response(&packet.data, otp, rng),
            Stage::Push { ticket } => self.push_response(&packet.data, ticket, rng),
            Stage::Fido => self.fido_response(&packet.data, rng),
            Stage::Tls(tls) => self.tls_response(&packet.data, tls, rng),
            Stage::TlsAlert { failure } => self.fail(failure),
            stage @ (Stage::Idle
            | Stage::PushPending { .. }
            | Stage::Notifying { .. }
            | Stage::Done) => {
                self.stage = stage;
                discard("no response expected")
            }
        }
    }

    /// Re-checks a pending step (push approval): [`ServerStep::Pending`]
    /// while nobody has answered, else the next request, Success, or the
    /// failure notification.
    pub fn poll(&mut self, rng: &mut dyn Random) -> ServerStep {
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::PushPending { ticket } => self.push_check(ticket, rng),
            stage => {
                self.stage = stage;
                discard("nothing is pending")
            }
        }
    }

    /// The MSK of the last key-generating method, after success.
    pub fn msk(&self) -> Option<&Secret> {
        self.msk.as_ref()
    }

    /// The user being authenticated.
    pub fn user(&self) -> &str {
        &self.user
    }

    fn method_name(&self) -> &'static str {
        self.methods
            .get(self.index)
            .map_or("none", |m| server_name(*m))
    }

    /// Starts the method at `index`, or sends Success after the last one.
    fn begin(&mut self, rng: &mut dyn Random) -> ServerStep {
        let Some(&method) = self.methods.get(self.index) else {
            return self.succeed();
        };
        if let Some(wait) = self.directory.locked_out(&self.user) {
            info!(user = %self.user, ?wait, "EAP: user locked out");
            return self.fail(ServerFailure::LockedOut(wait));
        }
        debug!(user = %self.user, method = server_name(method), "EAP: starting method");
        match method {
            ServerMethod::MsChapV2 => {
                let mut challenge = [0u8; 16];
                rng.fill(&mut challenge);
                let ms_id = self.id.wrapping_add(1);
                match mschapv2::challenge(ms_id, &challenge, SERVER_NAME) {
                    Ok(data) => {
                        self.stage = Stage::MsChapChallenge { ms_id, challenge };
                        self.request(MethodType::MSCHAPV2, data)
                    }
                    Err(e) => self.fail(ServerFailure::Unavailable(e.to_string())),
                }
            }
            ServerMethod::GtcPassword => self.gtc_request(false),
            ServerMethod::GtcOtp => self.gtc_request(true),
            ServerMethod::Md5 => self.fail(ServerFailure::Unavailable(
                "EAP-MD5 needs clear-text passwords, which the directory does not give".into(),
            )),
            ServerMethod::Push => match self.directory.start_push(&self.user) {
                Ok(ticket) => {
                    let push = PushRequest {
                        number: ticket.number,
                        timeout: ticket.timeout,
                        text: ticket.text.clone(),
                        // Always offered: check_otp says NotEnrolled when there is no code.
                        code_alternative: true,
                    };
                    match push.encode() {
                        Ok(data) => {
                            self.stage = Stage::Push { ticket };
                            self.request(MethodType::EXPERIMENTAL, data)
                        }
                        Err(e) => self.fail(ServerFailure::Unavailable(e.to_string())),
                    }
                }
                Err(e) => {
                    warn!(user = %self.user, error = %e, "EAP: the directory could not start a push");
                    self.fail(ServerFailure::Unavailable(e))
                }
            },
            ServerMethod::Fido2 => self.fido_request(rng),
            ServerMethod::Tls => self.tls_start(),
        }
    }

    /// The current method succeeded: on to the next.
    fn next(&mut self, rng: &mut dyn Random) -> ServerStep {
        info!(user = %self.user, method = self.method_name(), "EAP: method succeeded");
        self.index += 1;
        self.begin(rng)
    }

    /// Sends the next request.
    fn request(&mut self, method: MethodType, data: Vec<u8>) -> ServerStep {
        self.id = self.id.wrapping_add(1);
        ServerStep::Request(
            Packet {
                code: Code::Request,
                identifier: self.id,
                method: Some(method),
                data,
            }
            .encode(),
        )
    }

    fn succeed(&mut self) -> ServerStep {
        info!(user = %self.user, "EAP: success");
        self.stage = Stage::Done;
        ServerStep::Success(result_packet(Code::Success, self.id))
    }

    /// Records a failed verification with the directory.
    fn rejected(&self, failure: &ServerFailure) {
        if failure.counts() {
            self.directory.record_failure(&self.user);
        }
    }

    /// Announces the failure with a notification; EAP-Failure follows.
    fn fail(&mut self, failure: ServerFailure) -> ServerStep {
        info!(user = %self.user, method = self.method_name(), %failure, "EAP: failing");
        let text = failure.notification();
        self.stage = Stage::Notifying { failure };
        self.request(MethodType::NOTIFICATION, text.into_bytes())
    }

    fn finish_failure(&mut self, failure: ServerFailure) -> ServerStep {
        self.stage = Stage::Done;
        ServerStep::Failure(result_packet(Code::Failure, self.id), failure)
    }

    fn mschap_response(
        &mut self,
        data: &[u8],
        ms_id: u8,
        challenge: [u8; 16],
        rng: &mut dyn Random,
    ) -> ServerStep {
        let parsed = mschapv2::parse(data).and_then(|h| {
            if h.opcode != mschapv2::OP_RESPONSE || h.ms_id != ms_id {
                return Err(mschapv2::MsChapError::Truncated);
            }
            mschapv2::parse_response(h.body)
        });
        let response = match parsed {
            Ok(r) => r,
            Err(_) => return self.fail(ServerFailure::Malformed("MSCHAPv2 response".into())),
        };
        let verified = self.directory.nt_hash(&self.user).map(|hash| {
            let expected = crypto::nt_response(
                &challenge,
                &response.peer_challenge,
                response.name,
                hash.expose(),
            );
            (bool::from(expected.ct_eq(&response.nt_response)), hash)
        });
        let failure = match verified {
            Some((true, hash)) => {
                let auth = crypto::authenticator_response(
                    hash.expose(),
                    &response.nt_response,
                    &response.peer_challenge,
                    &challenge,
                    response.name,
                );
                let msk = crypto::msk(hash.expose(), &response.nt_response);
                return match mschapv2::success_request(ms_id, &auth, "Welcome") {
                    Ok(data) => {
                        self.stage = Stage::MsChapSuccess { msk };
                        self.request(MethodType::MSCHAPV2, data)
                    }
                    Err(e) => self.fail(ServerFailure::Unavailable(e.to_string())),
                };
            }
            Some((false, _)) => ServerFailure::WrongPassword,
            None => ServerFailure::UnknownUser,
        };
        self.rejected(&failure);
        let mut fresh = [0u8; 16];
        rng.fill(&mut fresh);
        match mschapv2::failure_request(
            ms_id,
            ERROR_AUTHENTICATION_FAILURE,
            &fresh,
            WRONG_PASSWORD_TEXT,
        ) {
            Ok(data) => {
                self.stage = Stage::MsChapFailure { failure };
                self.request(MethodType::MSCHAPV2, data)
            }
            Err(_) => self.fail(failure),
        }
    }

    fn mschap_ack(&mut self, data: &[u8], msk: Secret, rng: &mut dyn Random) -> ServerStep {
        match mschapv2::parse(data) {
            Ok(h) if h.opcode == mschapv2::OP_SUCCESS => {
                self.msk = Some(msk);
                self.next(rng)
            }
            _ => self.fail(ServerFailure::Malformed(
                "the peer did not acknowledge the MSCHAPv2 success".into(),
            )),
        }
    }

    fn gtc_request(&mut self, otp: bool) -> ServerStep {
        let text = if otp {
            gtc::OTP_CHALLENGE
        } else {
            gtc::PASSWORD_CHALLENGE
        };
        self.stage = Stage::Gtc { otp };
        self.request(MethodType::GTC, text.as_bytes().to_vec())
    }

    fn gtc_response(&mut self, data: &[u8], otp: bool, rng: &mut dyn Random) -> ServerStep {
        let failure = if otp {
            let code = std::str::from_utf8(data).map(str::trim).unwrap_or("");
            if code.is_empty() {
                ServerFailure::WrongCode
            } else {
                match self.directory.check_otp(&self.user, code) {
                    OtpCheck::Valid => return self.next(rng),
                    OtpCheck::Wrong {
                        skew_steps: Some(n),
                    } => ServerFailure::ClockSkew(n),
                    OtpCheck::Wrong { skew_steps: None } => ServerFailure::WrongCode,
                    OtpCheck::Replayed => ServerFailure::ReplayedCode,
                    OtpCheck::LockedOut(d) => ServerFailure::LockedOut(d),
                    OtpCheck::NotEnrolled => ServerFailure::OtpNotEnrolled,
                }
            }
        } else if self.directory.check_password(&self.user, data) {
            return self.next(rng);
        } else {
            ServerFailure::WrongPassword
        };
        self.rejected(&failure);
        self.fail(failure)
    }

    fn push_response(
        &mut self,
        data: &[u8],
        ticket: PushTicket,
        rng: &mut dyn Random,
    ) -> ServerStep {
        let action = ibex::parse(data).and_then(|(subtype, tlvs)| {
            if subtype != SUBTYPE_PUSH {
                return Err(ibex::WireError::Subtype(subtype));
            }
            PushAction::decode(&tlvs)
        });
        match action {
            Ok(PushAction::Waiting) => self.push_check(ticket, rng),
            Ok(PushAction::UseCode) => {
                info!(user = %self.user, "EAP push: peer asks for a one-time code instead");
                self.gtc_request(true)
            }
            Err(e) => self.fail(ServerFailure::Malformed(format!("push response: {e}"))),
        }
    }

    fn push_check(&mut self, ticket: PushTicket, rng: &mut dyn Random) -> ServerStep {
        let failure = match self.directory.push_state(&ticket) {
            PushState::Pending => {
                self.stage = Stage::PushPending { ticket };
                return ServerStep::Pending;
            }
            PushState::Approved => return self.next(rng),
            PushState::Denied => ServerFailure::PushDenied,
            PushState::Expired => ServerFailure::PushExpired,
        };
        self.rejected(&failure);
        self.fail(failure)
    }

    fn fido_request(&mut self, rng: &mut dyn Random) -> ServerStep {
        let mut nonce = vec![0u8; NONCE_LEN];
        rng.fill(&mut nonce);
        let bound = fido::bind_challenge(&nonce, &self.binding);
        let request = match self.directory.fido_start(&self.user, &bound) {
            Ok(r) => r,
            Err(e) => {
                warn!(user = %self.user, error = %e, "EAP: the directory could not start FIDO2");
                return self.fail(ServerFailure::Unavailable(e));
            }
        };
        if !bool::from(request.challenge.as_slice().ct_eq(&bound)) {
            return self.fail(ServerFailure::Unavailable(
                "the directory's FIDO2 challenge is not the bound challenge".into(),
            ));
        }
        let default_origin = format!("https://{}", request.rp_id);
        let msg = FidoRequestMsg {
            nonce,
            origin: (!request.origin.is_empty() && request.origin != default_origin)
                .then_some(request.origin),
            rp_id: request.rp_id,
            allow_credentials: request.allow_credentials,
            user_verification: request.user_verification,
        };
        match msg.encode() {
            Ok(data) => {
                self.stage = Stage::Fido;
                self.request(MethodType::EXPERIMENTAL, data)
            }
            Err(e) => self.fail(ServerFailure::Unavailable(e.to_string())),
        }
    }

    fn fido_response(&mut self, data: &[u8], rng: &mut dyn Random) -> ServerStep {
        let assertion = ibex::parse(data).and_then(|(subtype, tlvs)| {
            if subtype != SUBTYPE_FIDO {
                return Err(ibex::WireError::Subtype(subtype));
            }
            fido::decode_assertion(&tlvs)
        });
        let assertion = match assertion {
            Ok(a) => a,
            Err(e) => return self.fail(ServerFailure::Malformed(format!("FIDO2 response: {e}"))),
        };
        match self.directory.fido_finish(&self.user, &assertion) {
            Ok(()) => self.next(rng),
            Err(e) => {
                let failure = ServerFailure::FidoFailed(e);
                self.rejected(&failure);
                self.fail(failure)
            }
        }
    }
}

/// EAP-TLS glue; the method itself is in `methods::tls::server`.
impl Server {
    fn tls_start(&mut self) -> ServerStep {
        let Some(config) = &self.tls else {
            return self.fail(ServerFailure::Unavailable(
                "EAP-TLS is not configured on this server".into(),
            ));
        };
        match ServerTls::start(config, &self.user) {
            Ok((tls, start)) => {
                self.stage = Stage::Tls(Box::new(tls));
                self.request(MethodType::TLS, start)
            }
            Err(e) => {
                warn!(error = %e, "EAP-TLS: unusable server configuration");
                self.fail(ServerFailure::Unavailable(format!("EAP-TLS: {e}")))
            }
        }
    }

    fn tls_response(
        &mut self,
        data: &[u8],
        mut tls: Box<ServerTls>,
        rng: &mut dyn Random,
    ) -> ServerStep {
        match tls.handle(data) {
            ServerTlsStep::Send(data) => {
                self.stage = Stage::Tls(tls);
                self.request(MethodType::TLS, data)
            }
            ServerTlsStep::Alert(alert, failure) => {
                self.rejected(&failure);
                self.stage = Stage::TlsAlert { failure };
                self.request(MethodType::TLS, alert)
            }
            ServerTlsStep::Done(msk) => {
                self.msk = Some(msk);
                self.next(rng)
            }
            ServerTlsStep::Fail(failure) => {
                self.rejected(&failure);
                self.fail(failure)
            }
        }
    }
}

/// An Expanded Nak (RFC 3748 5.3.2): type 254, vendor 0, vendor type 3.
fn is_expanded_nak(method: MethodType, data: &[u8]) -> bool {
    method == MethodType::EXPANDED && data.starts_with(&[0, 0, 0, 0, 0, 0, 3])
}

fn result_packet(code: Code, identifier: u8) -> Vec<u8> {
    Packet {
        code,
        identifier,
        method: None,
        data: Vec::new(),
    }
    .encode()
}

fn discard(why: impl Into<String>) -> ServerStep {
    let why = why.into();
    debug!(reason = %why, "EAP server: discarded");
    ServerStep::Discard(why)
}

#[cfg(test)]
mod notification_tests {
    use super::*;

    #[test]
    fn an_unknown_account_is_announced_as_a_wrong_password() {
        let unknown = ServerFailure::UnknownUser.notification();
        assert!(unknown.starts_with("[password-wrong] "), "{unknown}");
        assert!(!unknown.contains("unknown"), "{unknown}");
    }
}
