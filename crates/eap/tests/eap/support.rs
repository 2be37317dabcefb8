//! A test directory, a deterministic random source, a fake security key and
//! a driver that runs a peer against a server in memory.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use ibex_eap::{
    Answer, Directory, FidoAssertion, FidoRequest, OtpCheck, Peer, PeerConfig, PeerFailure,
    PeerStep, Prompt, PushState, PushTicket, Random, Secret, Server, ServerFailure, ServerMethod,
    ServerStep,
};
use ring::digest::{digest, SHA256};

pub const USER: &str = "alice";
pub const PASSWORD: &str = "correct horse";
pub const CODE: &str = "123456";
/// A code the test directory says is 2 steps behind.
pub const SKEWED_CODE: &str = "654321";
pub const RP_ID: &str = "vpn.example.com";
pub const CREDENTIAL: &[u8] = b"credential-1";
const KEY: &[u8] = b"fake security key secret";

/// A deterministic random source (xorshift64*).
pub struct TestRng(pub u64);

impl Random for TestRng {
    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *b = (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8;
        }
    }
}

pub fn rng() -> TestRng {
    TestRng(0x1234_5678_9abc_def1)
}

/// What the test directory knows and what it saw.
#[derive(Default)]
pub struct State {
    pub passwords: HashMap<String, String>,
    pub otp_enrolled: HashSet<String>,
    pub used_codes: HashSet<String>,
    pub otp_lockout: Option<Duration>,
    pub lockout: Option<Duration>,
    pub failures: u32,
    /// Answers of `push_state`, one per call; the last one repeats.
    pub push_states: VecDeque<PushState>,
    pub push_checks: u32,
    pub push_error: Option<String>,
    /// The challenge `fido_start` was given.
    pub fido_challenge: Option<Vec<u8>>,
    /// Tamper with the challenge returned by `fido_start`.
    pub fido_wrong_challenge: bool,
}

#[derive(Default)]
pub struct TestDirectory(pub Mutex<State>);

impl TestDirectory {
    /// Alice with a password and an enrolled one-time code.
    pub fn new() -> Arc<TestDirectory> {
        let mut state = State::default();
        state.passwords.insert(USER.into(), PASSWORD.into());
        state.otp_enrolled.insert(USER.into());
        state.push_states.push_back(PushState::Approved);
        Arc::new(TestDirectory(Mutex::new(state)))
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.0.lock().unwrap())
    }

    pub fn failures(&self) -> u32 {
        self.with(|s| s.failures)
    }
}

pub fn nt_hash(password: &str) -> Vec<u8> {
    use md4::{Digest, Md4};
    let utf16: Vec<u8> = password.encode_utf16().flat_map(u16::to_le_bytes).collect();
    Md4::digest(&utf16).to_vec()
}

pub fn sha256(data: &[u8]) -> Vec<u8> {
    digest(&SHA256, data).as_ref().to_vec()
}

pub fn b64url(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

impl Directory for TestDirectory {
    fn locked_out(&self, _user: &str) -> Option<Duration> {
        self.with(|s| s.lockout)
    }

    fn record_failure(&self, _user: &str) {
        self.with(|s| s.failures += 1);
    }

    fn nt_hash(&self, user: &str) -> Option<Secret> {
        self.with(|s| s.passwords.get(user).map(|p| Secret::new(nt_hash(p))))
    }

    fn check_password(&self, user: &str, password: &[u8]) -> bool {
        self.with(|s| {
            s.passwords
                .get(user)
                .is_some_and(|p| p.as_bytes() == password)
        })
    }

    fn check_otp(&self, user: &str, code: &str) -> OtpCheck {
        self.with(|s| {
            if !s.otp_enrolled.contains(user) {
                return OtpCheck::NotEnrolled;
            }
            if let Some(d) = s.otp_lockout {
                return OtpCheck::LockedOut(d);
            }
            match code {
                CODE if s.used_codes.contains(code) => OtpCheck::Replayed,
                CODE => {
                    s.used_codes.insert(code.into());
                    OtpCheck::Valid
                }
                SKEWED_CODE => OtpCheck::Wrong {
                    skew_steps: Some(-2),
                },
                _ => OtpCheck::Wrong { skew_steps: None },
            }
        })
    }

    fn start_push(&self, _user: &str) -> Result<PushTicket, String> {
        self.with(|s| match &s.push_error {
            Some(e) => Err(e.clone()),
            None => Ok(PushTicket {
                id: "ticket-1".into(),
                number: 42,
                expires: SystemTime::UNIX_EPOCH,
                timeout: Duration::from_secs(60),
                text: "Sign in to the VPN?".into(),
            }),
        })
    }

    fn push_state(&self, ticket: &PushTicket) -> PushState {
        assert_eq!(ticket.id, "ticket-1");
        self.with(|s| {
            s.push_checks += 1;
            if s.push_states.len() > 1 {
                s.push_states.pop_front().unwrap()
            } else {
                *s.push_states.front().unwrap()
            }
        })
    }

    fn fido_start(&self, _user: &str, challenge: &[u8]) -> Result<FidoRequest, String> {
        self.with(|s| {
            s.fido_challenge = Some(challenge.to_vec());
            let mut challenge = challenge.to_vec();
            if s.fido_wrong_challenge {
                challenge[0] ^= 1;
            }
            Ok(FidoRequest {
                rp_id: RP_ID.into(),
                origin: format!("https://{RP_ID}"),
                challenge,
                allow_credentials: vec![CREDENTIAL.to_vec()],
                user_verification: "required".into(),
            })
        })
    }

    /// A fake verifier: the signature is SHA-256(key || authenticator data ||
    /// SHA-256(client data)), and the client data must name the challenge
    /// `fido_start` was given and the origin.
    fn fido_finish(&self, _user: &str, a: &FidoAssertion) -> Result<(), String> {
        let challenge = self
            .with(|s| s.fido_challenge.take())
            .ok_or("no challenge started")?;
        if a.credential_id != CREDENTIAL {
            return Err("unknown credential".into());
        }
        if a.authenticator_data.get(..32) != Some(&sha256(RP_ID.as_bytes())[..]) {
            return Err("wrong RP ID hash".into());
        }
        let expected = client_data(&challenge, &format!("https://{RP_ID}"));
        if a.client_data_json != expected {
            return Err("client data does not sign the bound challenge".into());
        }
        if a.signature != signature(&a.authenticator_data, &a.client_data_json) {
            return Err("bad signature".into());
        }
        Ok(())
    }
}

fn client_data(challenge: &[u8], origin: &str) -> Vec<u8> {
    format!(
        r#"{{"type":"webauthn.get","challenge":"{}","origin":"{origin}"}}"#,
        b64url(challenge)
    )
    .into_bytes()
}

fn signature(authenticator_data: &[u8], client_data_json: &[u8]) -> Vec<u8> {
    let mut input = KEY.to_vec();
    input.extend_from_slice(authenticator_data);
    input.extend_from_slice(&sha256(client_data_json));
    sha256(&input)
}

/// What a security key (and the platform's WebAuthn client) would return.
pub fn fake_security_key(request: &FidoRequest) -> FidoAssertion {
    let mut authenticator_data = sha256(request.rp_id.as_bytes());
    authenticator_data.extend_from_slice(&[0x05, 0, 0, 0, 7]);
    let client_data_json = client_data(&request.challenge, &request.origin);
    FidoAssertion {
        credential_id: request.allow_credentials[0].clone(),
        signature: signature(&authenticator_data, &client_data_json),
        authenticator_data,
        client_data_json,
        user_handle: Some(b"alice-handle".to_vec()),
    }
}

pub fn config() -> PeerConfig {
    PeerConfig {
        identity: USER.into(),
        password: Some(Secret::from_slice(PASSWORD.as_bytes())),
        ..PeerConfig::default()
    }
}

pub fn peer(config: PeerConfig) -> Peer {
    Peer::with_random(
        config,
        b"binding-of-this-ike-sa".to_vec(),
        Box::new(TestRng(77)),
    )
}

pub fn server(dir: &Arc<TestDirectory>, methods: Vec<ServerMethod>) -> Server {
    Server::new(
        dir.clone(),
        USER.into(),
        methods,
        b"binding-of-this-ike-sa".to_vec(),
    )
}

/// How a conversation ended.
#[derive(Debug)]
pub struct Outcome {
    /// `None` when the server never finished (the peer gave up).
    pub server: Option<Result<(), ServerFailure>>,
    pub peer: Result<(), PeerFailure>,
    pub prompts: Vec<Prompt>,
    /// How often the server answered `Pending` (to a response or a poll).
    pub pendings: u32,
}

/// Runs the conversation; `answer` answers the peer's prompts.
pub fn converse(
    peer: &mut Peer,
    server: &mut Server,
    mut answer: impl FnMut(&Prompt) -> Answer,
) -> Outcome {
    let mut rng = rng();
    let mut prompts = Vec::new();
    let mut pendings = 0;
    let mut step = server.start(&mut rng);
    for _ in 0..100 {
        let (request, server_result) = match step {
            ServerStep::Request(r) => (r, None),
            ServerStep::Success(r) => (r, Some(Ok(()))),
            ServerStep::Failure(r, f) => (r, Some(Err(f))),
            other => panic!("server: {other:?}"),
        };
        let mut peer_step = peer.handle(&request);
        let response = loop {
            match peer_step {
                PeerStep::Respond(r) => break r,
                PeerStep::Prompt(p) => {
                    let a = answer(&p);
                    prompts.push(p);
                    peer_step = peer.answer(a);
                }
                PeerStep::Wait { response, prompt } => {
                    prompts.push(prompt);
                    break response;
                }
                PeerStep::Success => {
                    return Outcome {
                        server: server_result,
                        peer: Ok(()),
                        prompts,
                        pendings,
                    };
                }
                PeerStep::Failure(f) => {
                    return Outcome {
                        server: server_result,
                        peer: Err(f),
                        prompts,
                        pendings,
                    };
                }
                PeerStep::Discard(why) => panic!("peer discarded: {why}"),
            }
        };
        assert!(server_result.is_none(), "the peer answered a final packet");
        step = server.handle(&response, &mut rng);
        while matches!(step, ServerStep::Pending) {
            pendings += 1;
            assert!(pendings < 20, "push never resolved");
            step = server.poll(&mut rng);
        }
    }
    panic!("conversation did not end");
}

/// Runs with the configured password and no prompt expected except
/// codes and security keys, which are answered correctly.
pub fn run(
    peer_config: PeerConfig,
    dir: &Arc<TestDirectory>,
    methods: Vec<ServerMethod>,
) -> Outcome {
    let mut p = peer(peer_config);
    let mut s = server(dir, methods);
    converse(&mut p, &mut s, |prompt| match prompt.kind {
        ibex_eap::PromptKind::Otp => Answer::Secret(Secret::from_slice(CODE.as_bytes())),
        ibex_eap::PromptKind::Fido2 => {
            Answer::Fido(fake_security_key(prompt.fido.as_ref().unwrap()))
        }
        ibex_eap::PromptKind::Password => Answer::Secret(Secret::from_slice(PASSWORD.as_bytes())),
        other => panic!("unexpected prompt {other:?}"),
    })
}

/// The `Rejected` reason the peer reported.
pub fn rejected_reason(outcome: &Outcome) -> Option<String> {
    match &outcome.peer {
        Err(PeerFailure::Rejected { reason, .. }) => reason.clone(),
        other => panic!("expected Rejected, got {other:?}"),
    }
}

/// Returns the bytes it was given, then zeros.
pub struct FixedRng(pub Vec<u8>);

impl Random for FixedRng {
    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            *b = if self.0.is_empty() {
                0
            } else {
                self.0.remove(0)
            };
        }
    }
}

pub fn packet(code: ibex_eap::Code, id: u8, method: Option<u8>, data: &[u8]) -> Vec<u8> {
    ibex_eap::Packet {
        code,
        identifier: id,
        method: method.map(ibex_eap::MethodType),
        data: data.to_vec(),
    }
    .encode()
}

pub fn request(id: u8, method: u8, data: &[u8]) -> Vec<u8> {
    packet(ibex_eap::Code::Request, id, Some(method), data)
}

pub fn response(id: u8, method: u8, data: &[u8]) -> Vec<u8> {
    packet(ibex_eap::Code::Response, id, Some(method), data)
}

pub fn success(id: u8) -> Vec<u8> {
    packet(ibex_eap::Code::Success, id, None, &[])
}

pub fn failure(id: u8) -> Vec<u8> {
    packet(ibex_eap::Code::Failure, id, None, &[])
}

pub fn decode(bytes: &[u8]) -> ibex_eap::Packet {
    ibex_eap::Packet::decode(bytes).expect("valid packet")
}

pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// An MSCHAPv2 request: opcode, MS-CHAPv2-ID, MS-Length, body.
pub fn mschap(opcode: u8, ms_id: u8, body: &[u8]) -> Vec<u8> {
    let len = (4 + body.len()) as u16;
    let mut out = vec![opcode, ms_id];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// An Ibex experimental message: magic, version, subtype, TLVs.
pub fn ibex_msg(subtype: u8, tlvs: &[(u8, &[u8])]) -> Vec<u8> {
    let mut out = b"IBEX\x01".to_vec();
    out.push(subtype);
    for (t, v) in tlvs {
        out.push(*t);
        out.extend_from_slice(&(v.len() as u16).to_be_bytes());
        out.extend_from_slice(v);
    }
    out
}

pub fn expect_respond(step: PeerStep) -> Vec<u8> {
    match step {
        PeerStep::Respond(r) => r,
        other => panic!("expected Respond, got {other:?}"),
    }
}

pub fn expect_request(step: ServerStep) -> Vec<u8> {
    match step {
        ServerStep::Request(r) => r,
        other => panic!("expected Request, got {other:?}"),
    }
}
