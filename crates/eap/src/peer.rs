//! The EAP peer: answers the server's requests, asking the person when needed.

use std::fmt;

use subtle::ConstantTimeEq;
use thiserror::Error;
use tracing::{debug, info, warn};
use zeroize::Zeroizing;

use crate::methods::fido::{self, FidoRequestMsg};
use crate::methods::ibex::{self, WireError, SUBTYPE_FIDO, SUBTYPE_PUSH};
use crate::methods::push::{PushAction, PushRequest};
use crate::methods::tls::peer::{PeerTls, PeerTlsStep};
use crate::methods::{gtc, md5, mschapv2, nak, type_name, FIDO_NAME, PUSH_NAME, TLS_NAME};
use crate::mschapv2_crypto as crypto;
use crate::random::SystemRandom;
use crate::text::sanitize;
use crate::{
    reason, Answer, Code, FidoRequest, MethodType, Packet, Prompt, PromptKind, Random, Secret,
    TlsClientConfig,
};

/// What the peer knows before the conversation starts.
///
/// `Debug` shows whether a password is set, never the password or the TLS key.
#[derive(Clone, Debug, Default)]
pub struct PeerConfig {
    /// Sent in EAP-Response/Identity and as the MSCHAPv2 user name.
    pub identity: String,
    /// The account password, if already known (otherwise it is prompted for).
    /// Also answers EAP-GTC challenges that ask for a password.
    pub password: Option<Secret>,
    /// Accept EAP-MD5-Challenge (weak; off unless the profile allows it).
    pub allow_md5: bool,
    /// Answer push requests with "use a code instead" when the server allows it.
    pub prefer_code: bool,
    /// The EAP-TLS credential and trusted CAs; without it EAP-TLS is Nak'd.
    pub tls: Option<TlsClientConfig>,
}

/// What to do after feeding the peer a packet or an answer.
///
/// `Debug` shows response lengths only: a GTC response carries a secret.
pub enum PeerStep {
    /// Send this EAP response.
    Respond(Vec<u8>),
    /// Ask the person, then call [`Peer::answer`].
    Prompt(Prompt),
    /// Send this response and show the prompt while the server takes its
    /// time (push approval): the server holds its next request until the
    /// person approves on their device or `prompt.timeout` runs out.
    Wait {
        /// The response to send.
        response: Vec<u8>,
        /// What to show meanwhile.
        prompt: Prompt,
    },
    /// EAP-Success after a completed method.
    Success,
    /// The conversation failed.
    Failure(PeerFailure),
    /// The packet was invalid or unexpected and is ignored (RFC 3748 silent discard).
    Discard(String),
}

impl fmt::Debug for PeerStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerStep::Respond(r) => write!(f, "Respond([{} bytes])", r.len()),
            PeerStep::Prompt(p) => f.debug_tuple("Prompt").field(p).finish(),
            PeerStep::Wait { response, prompt } => f
                .debug_struct("Wait")
                .field("response", &format_args!("[{} bytes]", response.len()))
                .field("prompt", prompt)
                .finish(),
            PeerStep::Success => f.write_str("Success"),
            PeerStep::Failure(e) => f.debug_tuple("Failure").field(e).finish(),
            PeerStep::Discard(why) => f.debug_tuple("Discard").field(why).finish(),
        }
    }
}

/// Why the conversation failed, as the person should hear it.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum PeerFailure {
    /// The server rejected what we sent; `reason` is the server's
    /// machine-readable reason (see docs/eap.md), `message` its text.
    #[error("the gateway rejected the {method} step{}", fmt_message(.message))]
    Rejected {
        /// Method name of the failed step.
        method: String,
        /// Reason token, such as `otp-wrong`, `otp-replayed`, `push-denied`,
        /// with its argument if any (`otp-skew:-2`, `locked-out:300`); see
        /// [`crate::reason`].
        reason: Option<String>,
        /// Human-readable text from the gateway.
        message: Option<String>,
    },
    /// MSCHAPv2 error 691.
    #[error("wrong user name or password{}", fmt_message(.0))]
    WrongPassword(Option<String>),
    /// MSCHAPv2 error 648.
    #[error("the password has expired; change it first")]
    PasswordExpired,
    /// MSCHAPv2 errors 646, 647, 649.
    #[error("the account may not sign in now (MSCHAPv2 error {0})")]
    AccountRestricted(u32),
    /// The server's MSCHAPv2 authenticator response was wrong: it does not know our password.
    #[error("the gateway failed to prove it knows the password (possible impostor)")]
    ServerNotAuthenticated,
    /// The server insists on a method we do not accept.
    #[error("the gateway asked for {0}, which this profile does not allow")]
    MethodNotAllowed(String),
    /// The person cancelled.
    #[error("cancelled")]
    Cancelled,
    /// EAP-TLS: the gateway's certificate is not trusted (unknown CA,
    /// expired, wrong name, ...): possible impostor.
    #[error("the gateway's certificate was not accepted: {0}")]
    ServerCertificateRejected(String),
    /// EAP-TLS failed on our side (configuration, protocol error).
    #[error("EAP-TLS failed: {0}")]
    TlsFailed(String),
}

fn fmt_message(m: &Option<String>) -> String {
    m.as_ref().map(|m| format!(": {m}")).unwrap_or_default()
}

/// Where the conversation stands.
enum Stage {
    /// Waiting for the server's next packet.
    Running,
    /// A prompt is out; [`Peer::answer`] continues.
    Prompting(Pending),
    /// Success or Failure was reported; everything else is discarded.
    Done,
}

/// The request a prompt belongs to.
struct Pending {
    request: Packet,
    kind: PendingKind,
}

enum PendingKind {
    MsChap { ms_id: u8, auth_challenge: [u8; 16] },
    Gtc,
    Md5 { challenge: Vec<u8> },
    Fido,
}

/// An MSCHAPv2 round between our Response and the server's verdict.
struct MsChapRound {
    auth_challenge: [u8; 16],
    peer_challenge: [u8; 16],
    nt_response: [u8; 24],
    password_hash: Secret,
}

/// The last request answered and our answer, for retransmissions.
struct Exchange {
    request: Packet,
    response: Zeroizing<Vec<u8>>,
}

/// The peer side of one EAP conversation.
///
/// Each method request is handled as it comes, so servers that chain
/// methods in one conversation (MSCHAPv2 then GTC, as FortiGate does) work.
/// `Debug` never shows the password or keys.
pub struct Peer {
    config: PeerConfig,
    binding: Vec<u8>,
    rng: Box<dyn Random + Send + Sync>,
    msk: Option<Secret>,
    stage: Stage,
    last: Option<Exchange>,
    /// The method in progress or last completed.
    method: Option<MethodType>,
    /// Its name for failure reports.
    method_name: Option<String>,
    /// A method was started and its final message not yet answered.
    open: bool,
    /// Methods whose final message we answered.
    finished: u32,
    mschap: Option<MsChapRound>,
    /// A method-level failure, reported when EAP-Failure arrives.
    failure: Option<PeerFailure>,
    /// The last EAP-Notification: its reason token and text.
    notification: Option<(Option<String>, Option<String>)>,
    /// The method we last refused with a Nak, until another one starts.
    refused: Option<MethodType>,
    /// EAP-TLS handshake state.
    tls: PeerTls,
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::Running => "running",
            Stage::Prompting(_) => "prompting",
            Stage::Done => "done",
        };
        f.debug_struct("Peer")
            .field("identity", &self.config.identity)
            .field("password_set", &self.config.password.is_some())
            .field("allow_md5", &self.config.allow_md5)
            .field("tls_configured", &self.config.tls.is_some())
            .field("stage", &stage)
            .field("method", &self.method)
            .field("finished_methods", &self.finished)
            .field("msk", &self.msk)
            .finish_non_exhaustive()
    }
}

impl Peer {
    /// A peer; `binding` is the IKE SA's channel binding (for FIDO2). Its
    /// MSCHAPv2 peer challenges come from the operating system's generator.
    pub fn new(config: PeerConfig, binding: Vec<u8>) -> Peer {
        Peer::with_random(config, binding, Box::new(SystemRandom::new()))
    }

    /// A peer drawing its MSCHAPv2 peer challenges from `rng`.
    pub fn with_random(
        config: PeerConfig,
        binding: Vec<u8>,
        rng: Box<dyn Random + Send + Sync>,
    ) -> Peer {
        Peer {
            config,
            binding,
            rng,
            msk: None,
            stage: Stage::Running,
            last: None,
            method: None,
            method_name: None,
            open: false,
            finished: 0,
            mschap: None,
            failure: None,
            notification: None,
            refused: None,
            tls: PeerTls::default(),
        }
    }

    /// Feeds one EAP packet from the server.
    ///
    /// A retransmitted request (same identifier and content as the last one
    /// answered) gets the same response again, without prompting. An
    /// EAP-Success before any method completed (or while one is still
    /// running, such as MSCHAPv2 before the server proved itself) is
    /// discarded, never reported as success.
    pub fn handle(&mut self, packet: &[u8]) -> PeerStep {
        if matches!(self.stage, Stage::Done) {
            return discard("the EAP conversation is over");
        }
        let packet = match Packet::decode(packet) {
            Ok(p) => p,
            Err(e) => return discard(e.to_string()),
        };
        match packet.code {
            Code::Request => self.request(packet),
            Code::Response => discard("an EAP response sent to the peer"),
            Code::Success => self.success(),
            Code::Failure => self.failure(),
        }
    }

    /// Answers the prompt last returned. [`Answer::Cancel`] ends the
    /// conversation with [`PeerFailure::Cancelled`] at any time.
    pub fn answer(&mut self, answer: Answer) -> PeerStep {
        if matches!(self.stage, Stage::Done) {
            return discard("the EAP conversation is over");
        }
        if matches!(answer, Answer::Cancel) {
            info!(method = ?self.method, "EAP: cancelled by the person");
            self.stage = Stage::Done;
            return PeerStep::Failure(PeerFailure::Cancelled);
        }
        let Stage::Prompting(pending) = std::mem::replace(&mut self.stage, Stage::Running) else {
            return discard("no prompt is pending");
        };
        match (&pending.kind, answer) {
            (
                PendingKind::MsChap {
                    ms_id,
                    auth_challenge,
                },
                Answer::Secret(password),
            ) => {
                let (ms_id, auth_challenge) = (*ms_id, *auth_challenge);
                self.mschap_respond(&pending.request, ms_id, auth_challenge, &password)
            }
            (PendingKind::Gtc, Answer::Secret(secret)) => {
                self.finish_method();
                self.respond(&pending.request, MethodType::GTC, secret.expose().to_vec())
            }
            (PendingKind::Md5 { challenge }, Answer::Secret(password)) => {
                let data = self.md5_data(pending.request.identifier, &password, challenge);
                self.finish_method();
                self.respond(&pending.request, MethodType::MD5, data)
            }
            (PendingKind::Fido, Answer::Fido(assertion)) => {
                match fido::encode_assertion(&assertion) {
                    Ok(data) => {
                        self.finish_method();
                        self.respond(&pending.request, MethodType::EXPERIMENTAL, data)
                    }
                    Err(e) => {
                        self.stage = Stage::Prompting(pending);
                        discard(format!("the assertion cannot be sent: {e}"))
                    }
                }
            }
            (kind, _) => {
                let expected = match kind {
                    PendingKind::Fido => "a security key assertion",
                    _ => "a password or code",
                };
                self.stage = Stage::Prompting(pending);
                discard(format!("wrong kind of answer: expected {expected}"))
            }
        }
    }

    /// The master session key, once a key-generating method succeeded.
    pub fn msk(&self) -> Option<&Secret> {
        self.msk.as_ref()
    }

    /// The method in progress or last completed.
    pub fn method(&self) -> Option<MethodType> {
        self.method
    }

    fn request(&mut self, request: Packet) -> PeerStep {
        if let Some(last) = &self.last {
            if last.request == request {
                debug!(
                    id = request.identifier,
                    "EAP: retransmitted request, same response"
                );
                return PeerStep::Respond(last.response.to_vec());
            }
        }
        if let Stage::Prompting(pending) = &self.stage {
            if pending.request == request {
                return discard("retransmitted request while the person is still answering");
            }
            debug!("EAP: new request abandons the open prompt");
            self.stage = Stage::Running;
        }
        let Some(method) = request.method else {
            return discard("EAP request without a type");
        };
        match method {
            MethodType::IDENTITY => {
                let identity = self.config.identity.as_bytes().to_vec();
                self.respond(&request, MethodType::IDENTITY, identity)
            }
            MethodType::NOTIFICATION => {
                let (reason, message) = reason::parse(&request.data);
                info!(?reason, ?message, "EAP: notification");
                self.notification = Some((reason, message));
                self.respond(&request, MethodType::NOTIFICATION, Vec::new())
            }
            MethodType::NAK => discard("a Nak is never a request"),
            MethodType::MSCHAPV2 => self.mschap(request),
            MethodType::GTC => self.gtc(request),
            MethodType::MD5 if self.config.allow_md5 => self.md5(request),
            MethodType::EXPERIMENTAL => self.experimental(request),
            MethodType::TLS if self.config.tls.is_some() => self.tls(request),
            MethodType::EXPANDED => self.nak(&request, method, true),
            _ => self.nak(&request, method, false),
        }
    }

    fn success(&mut self) -> PeerStep {
        if self.finished == 0 || self.open || self.failure.is_some() {
            warn!(method = ?self.method, "EAP: Success before a method completed; ignored");
            return discard("EAP-Success before any method completed");
        }
        info!(method = ?self.method, "EAP: success");
        self.stage = Stage::Done;
        PeerStep::Success
    }

    fn failure(&mut self) -> PeerStep {
        self.stage = Stage::Done;
        let failure = if let Some(f) = self.failure.take() {
            f
        } else if let Some(refused) = self.refused {
            PeerFailure::MethodNotAllowed(type_name(refused))
        } else {
            let (reason, message) = self.notification.take().unwrap_or((None, None));
            PeerFailure::Rejected {
                method: self.method_name.clone().unwrap_or_else(|| "EAP".into()),
                reason,
                message,
            }
        };
        info!(error = %failure, "EAP: failure");
        PeerStep::Failure(failure)
    }

    /// Records the start of a method we accept.
    fn start_method(&mut self, method: MethodType, name: &str) {
        self.method = Some(method);
        self.method_name = Some(name.to_string());
        self.open = true;
        self.refused = None;
        self.notification = None;
        self.failure = None;
        self.mschap = None;
    }

    /// Records that we answered a method's final message.
    fn finish_method(&mut self) {
        self.open = false;
        self.finished = self.finished.saturating_add(1);
    }

    fn respond(&mut self, request: &Packet, method: MethodType, data: Vec<u8>) -> PeerStep {
        match self.response(request, method, data) {
            Ok(bytes) => PeerStep::Respond(bytes),
            Err(why) => discard(why),
        }
    }

    /// Encodes and remembers a response (for retransmissions). The data may
    /// be a secret (GTC), so no unwiped copy of it is left behind.
    fn response(
        &mut self,
        request: &Packet,
        method: MethodType,
        data: Vec<u8>,
    ) -> Result<Vec<u8>, &'static str> {
        let data = Zeroizing::new(data);
        let len = u16::try_from(5 + data.len())
            .map_err(|_| "the response does not fit in an EAP packet")?;
        let mut bytes = Vec::with_capacity(usize::from(len));
        bytes.extend_from_slice(&[2, request.identifier]);
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.push(method.0);
        bytes.extend_from_slice(&data);
        self.last = Some(Exchange {
            request: request.clone(),
            response: Zeroizing::new(bytes.clone()),
        });
        Ok(bytes)
    }

    fn prompt(&mut self, request: Packet, kind: PendingKind, prompt: Prompt) -> PeerStep {
        self.stage = Stage::Prompting(Pending { request, kind });
        PeerStep::Prompt(prompt)
    }

    fn accepted(&self) -> Vec<MethodType> {
        let mut list = vec![
            MethodType::MSCHAPV2,
            MethodType::GTC,
            MethodType::EXPERIMENTAL,
        ];
        if self.config.allow_md5 {
            list.push(MethodType::MD5);
        }
        if self.config.tls.is_some() {
            list.push(MethodType::TLS);
        }
        list
    }

    /// Refuses `method` with a Nak listing what we accept instead.
    fn nak(&mut self, request: &Packet, method: MethodType, expanded: bool) -> PeerStep {
        let accepted: Vec<_> = self
            .accepted()
            .into_iter()
            .filter(|m| *m != method)
            .collect();
        info!(refused = %type_name(method), ?accepted, "EAP: Nak");
        self.refused = Some(method);
        self.open = false;
        if expanded {
            self.respond(request, MethodType::EXPANDED, nak::expanded(&accepted))
        } else {
            self.respond(request, MethodType::NAK, nak::legacy(&accepted))
        }
    }

    fn mschap(&mut self, request: Packet) -> PeerStep {
        let header = match mschapv2::parse(&request.data) {
            Ok(h) => h,
            Err(e) => return discard(e.to_string()),
        };
        match header.opcode {
            mschapv2::OP_CHALLENGE => {
                let auth_challenge = match mschapv2::parse_challenge(header.body) {
                    Ok(c) => c,
                    Err(e) => return discard(e.to_string()),
                };
                let ms_id = header.ms_id;
                self.start_method(MethodType::MSCHAPV2, "EAP-MSCHAPv2");
                match self.config.password.clone() {
                    Some(password) => {
                        self.mschap_respond(&request, ms_id, auth_challenge, &password)
                    }
                    None => self.prompt(
                        request,
                        PendingKind::MsChap {
                            ms_id,
                            auth_challenge,
                        },
                        Prompt::new(PromptKind::Password, MethodType::MSCHAPV2),
                    ),
                }
            }
            mschapv2::OP_SUCCESS => {
                let Some(round) = self.mschap.take() else {
                    return discard("MSCHAPv2 success without a challenge");
                };
                let verified = mschapv2::parse_success(header.body)
                    .ok()
                    .is_some_and(|(got, _)| {
                        let expected = crypto::authenticator_response(
                            round.password_hash.expose(),
                            &round.nt_response,
                            &round.peer_challenge,
                            &round.auth_challenge,
                            self.config.identity.as_bytes(),
                        );
                        bool::from(expected.ct_eq(&got))
                    });
                if !verified {
                    warn!("EAP-MSCHAPv2: the server's authenticator response is wrong");
                    self.stage = Stage::Done;
                    return PeerStep::Failure(PeerFailure::ServerNotAuthenticated);
                }
                debug!("EAP-MSCHAPv2: server authenticated");
                self.msk = Some(crypto::msk(
                    round.password_hash.expose(),
                    &round.nt_response,
                ));
                self.finish_method();
                self.respond(&request, MethodType::MSCHAPV2, vec![mschapv2::OP_SUCCESS])
            }
            mschapv2::OP_FAILURE => {
                if self.method != Some(MethodType::MSCHAPV2) {
                    return discard("MSCHAPv2 failure without a challenge");
                }
                let (error, message) = mschapv2::parse_failure(header.body);
                let failure = match error {
                    Some(691) => PeerFailure::WrongPassword(message),
                    Some(648) => PeerFailure::PasswordExpired,
                    Some(code @ (646 | 647 | 649)) => PeerFailure::AccountRestricted(code),
                    other => PeerFailure::Rejected {
                        method: "EAP-MSCHAPv2".into(),
                        reason: None,
                        message: message.or_else(|| other.map(|e| format!("MSCHAPv2 error {e}"))),
                    },
                };
                info!(?error, "EAP-MSCHAPv2: failure request");
                self.mschap = None;
                self.open = false;
                self.failure = Some(failure);
                self.respond(&request, MethodType::MSCHAPV2, vec![mschapv2::OP_FAILURE])
            }
            op => discard(format!("MSCHAPv2 opcode {op} is not a request we answer")),
        }
    }

    fn mschap_respond(
        &mut self,
        request: &Packet,
        ms_id: u8,
        auth_challenge: [u8; 16],
        password: &Secret,
    ) -> PeerStep {
        let mut peer_challenge = [0u8; 16];
        self.rng.fill(&mut peer_challenge);
        let password_hash = crypto::nt_password_hash(password.expose());
        let user = self.config.identity.as_bytes();
        let nt_response = crypto::nt_response(
            &auth_challenge,
            &peer_challenge,
            user,
            password_hash.expose(),
        );
        let data = match mschapv2::response(ms_id, &peer_challenge, &nt_response, user) {
            Ok(d) => d,
            Err(e) => return discard(e.to_string()),
        };
        self.mschap = Some(MsChapRound {
            auth_challenge,
            peer_challenge,
            nt_response,
            password_hash,
        });
        self.respond(request, MethodType::MSCHAPV2, data)
    }

    fn gtc(&mut self, request: Packet) -> PeerStep {
        let (kind, text) = gtc::classify(&request.data);
        self.start_method(MethodType::GTC, "EAP-GTC");
        if kind == PromptKind::Password {
            if let Some(password) = &self.config.password {
                let data = password.expose().to_vec();
                self.finish_method();
                return self.respond(&request, MethodType::GTC, data);
            }
        }
        let mut prompt = Prompt::new(kind, MethodType::GTC);
        prompt.text = text;
        self.prompt(request, PendingKind::Gtc, prompt)
    }

    fn md5(&mut self, request: Packet) -> PeerStep {
        let Some(challenge) = md5::parse_request(&request.data).map(<[u8]>::to_vec) else {
            return discard("EAP-MD5 request without a challenge");
        };
        self.start_method(MethodType::MD5, "EAP-MD5");
        match self.config.password.clone() {
            Some(password) => {
                let data = self.md5_data(request.identifier, &password, &challenge);
                self.finish_method();
                self.respond(&request, MethodType::MD5, data)
            }
            None => self.prompt(
                request,
                PendingKind::Md5 { challenge },
                Prompt::new(PromptKind::Password, MethodType::MD5),
            ),
        }
    }

    fn md5_data(&self, identifier: u8, password: &Secret, challenge: &[u8]) -> Vec<u8> {
        md5::response(
            identifier,
            password.expose(),
            challenge,
            self.config.identity.as_bytes(),
        )
    }

    fn experimental(&mut self, request: Packet) -> PeerStep {
        let (subtype, tlvs) = match ibex::parse(&request.data) {
            Ok(parsed) => parsed,
            Err(e @ (WireError::NotIbex | WireError::Version(_) | WireError::Subtype(_))) => {
                debug!(error = %e, "EAP: experimental method we do not speak");
                return self.nak(&request, MethodType::EXPERIMENTAL, false);
            }
            Err(e) => return discard(e.to_string()),
        };
        match subtype {
            SUBTYPE_PUSH => match PushRequest::decode(&tlvs) {
                Ok(push) => self.push(request, push),
                Err(e) => discard(e.to_string()),
            },
            SUBTYPE_FIDO => match FidoRequestMsg::decode(&tlvs) {
                Ok(msg) => self.fido(request, msg),
                Err(e) => discard(e.to_string()),
            },
            other => discard(format!("Ibex subtype {other} is not supported")),
        }
    }

    fn push(&mut self, request: Packet, push: PushRequest) -> PeerStep {
        self.start_method(MethodType::EXPERIMENTAL, PUSH_NAME);
        let mut prompt = Prompt::new(PromptKind::Push, MethodType::EXPERIMENTAL);
        prompt.text = sanitize(push.text.as_bytes());
        prompt.number = Some(push.number);
        prompt.timeout = Some(push.timeout);
        prompt.code_alternative = push.code_alternative;
        if self.config.prefer_code && push.code_alternative {
            info!("EAP push: asking for a one-time code instead");
            self.open = false;
            return self.respond(
                &request,
                MethodType::EXPERIMENTAL,
                PushAction::UseCode.encode(),
            );
        }
        self.finish_method();
        match self.response(
            &request,
            MethodType::EXPERIMENTAL,
            PushAction::Waiting.encode(),
        ) {
            Ok(response) => PeerStep::Wait { response, prompt },
            Err(why) => discard(why),
        }
    }

    /// EAP-TLS; the method itself is in `methods::tls::peer`. Our own
    /// verdict on the gateway ends the conversation at once, like a wrong
    /// MSCHAPv2 proof; the gateway's TLS alert is acknowledged and reported
    /// when EAP-Failure comes.
    fn tls(&mut self, request: Packet) -> PeerStep {
        let Some(config) = &self.config.tls else {
            return self.nak(&request, MethodType::TLS, false);
        };
        match self.tls.handle(config, &request.data) {
            PeerTlsStep::Started(data) => {
                self.start_method(MethodType::TLS, TLS_NAME);
                self.respond(&request, MethodType::TLS, data)
            }
            PeerTlsStep::Send(data) => self.respond(&request, MethodType::TLS, data),
            PeerTlsStep::Done { response, msk } => {
                self.msk = Some(msk);
                self.finish_method();
                self.respond(&request, MethodType::TLS, response)
            }
            PeerTlsStep::Refused { response, reason } => {
                self.open = false;
                self.notification = Some((None, Some(reason)));
                self.respond(&request, MethodType::TLS, response)
            }
            PeerTlsStep::Failed(failure) => {
                warn!(error = %failure, "EAP-TLS: failed");
                self.stage = Stage::Done;
                PeerStep::Failure(failure)
            }
            PeerTlsStep::Discard(why) => discard(why),
        }
    }

    fn fido(&mut self, request: Packet, msg: FidoRequestMsg) -> PeerStep {
        self.start_method(MethodType::EXPERIMENTAL, FIDO_NAME);
        let mut prompt = Prompt::new(PromptKind::Fido2, MethodType::EXPERIMENTAL);
        prompt.fido = Some(FidoRequest {
            origin: msg.origin(),
            challenge: fido::bind_challenge(&msg.nonce, &self.binding),
            rp_id: msg.rp_id,
            allow_credentials: msg.allow_credentials,
            user_verification: msg.user_verification,
        });
        self.prompt(request, PendingKind::Fido, prompt)
    }
}

fn discard(why: impl Into<String>) -> PeerStep {
    let why = why.into();
    debug!(reason = %why, "EAP: discarded");
    PeerStep::Discard(why)
}
