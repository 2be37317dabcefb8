//! Failed attempts as [`Failure`]s for agents' error screens, classified
//! from the engine's typed reasons (never from their text): which
//! authentication round failed and with which method, our suites when no
//! proposal was chosen, the clock skew a one-time code showed, the gateway
//! that did not answer.

use std::net::SocketAddr;

use ibex_ike::eap::{reason, MethodType, PeerFailure, PromptKind};
use ibex_ike::proposal::IkeProposal;
use ibex_ike::CloseReason;
use ibex_ipc::{Failure, FailureKind};
use ibex_profile::{Auth, Profile};

/// Seconds in one time step of a one-time code (RFC 6238's default; what
/// `otp-skew` counts).
const OTP_STEP_S: i64 = 30;

/// The profile's authentication rounds, and which one the sign-in is in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rounds {
    /// Each round's method as profiles name it (`psk`, `certificate`,
    /// `mschapv2`, `gtc`, `tls`, `fido2`, `push`).
    methods: Vec<&'static str>,
    /// The round the last prompt came from (0-based).
    at: Option<usize>,
}

impl Rounds {
    /// The rounds of `profile`.
    pub fn of(profile: &Profile) -> Rounds {
        let methods = match &profile.auth {
            Auth::Psk {} => vec!["psk"],
            Auth::Certificate { eap_rounds, .. } => std::iter::once("certificate")
                .chain(eap_rounds.iter().map(|r| r.method.name()))
                .collect(),
            Auth::Eap { rounds, .. } => rounds.iter().map(|r| r.method.name()).collect(),
        };
        Rounds { methods, at: None }
    }

    /// A new sign-in starts at the first round.
    pub fn restart(&mut self) {
        self.at = None;
    }

    /// The first round at or after the current one whose method is `method`.
    fn find(&self, method: &str) -> Option<usize> {
        let from = self.at.unwrap_or(0);
        (from..self.methods.len()).find(|&i| self.methods[i] == method)
    }

    /// An EAP prompt came from `method` (with `kind`): the sign-in is in
    /// that method's round. (Two rounds in a row with the same method
    /// count as one.)
    pub fn prompted(&mut self, method: MethodType, kind: PromptKind) {
        if let Some(i) = prompt_method(method, kind).and_then(|m| self.find(m)) {
            self.at = Some(i);
        }
    }

    /// The 1-based round and its method for a failure of `method` (the
    /// current round when the method is unknown or not in the profile).
    fn locate(&self, method: Option<&str>) -> (Option<u8>, Option<String>) {
        if let Some(i) = method.and_then(|m| self.find(m)) {
            return (
                u8::try_from(i + 1).ok(),
                self.methods.get(i).map(|m| m.to_string()),
            );
        }
        // A method the profile does not name in this round (a gateway may
        // run several methods in one EAP round): the round, and what failed.
        let round = self.at.or((self.methods.len() == 1).then_some(0));
        let method = method.map(str::to_string).or_else(|| {
            round
                .and_then(|i| self.methods.get(i))
                .map(|m| m.to_string())
        });
        (round.and_then(|i| u8::try_from(i + 1).ok()), method)
    }

    /// The round an IKE-level authentication failure is about: the first
    /// (pre-shared key or certificate) before any EAP round prompted,
    /// else the current one.
    fn ike_round(&self) -> (Option<u8>, Option<String>) {
        let i = self.at.unwrap_or(0);
        match self.methods.get(i) {
            Some(m) => (u8::try_from(i + 1).ok(), Some(m.to_string())),
            None => (None, None),
        }
    }
}

/// The profile's name of the method behind an EAP prompt.
fn prompt_method(method: MethodType, kind: PromptKind) -> Option<&'static str> {
    match method {
        MethodType::MSCHAPV2 => Some("mschapv2"),
        MethodType::GTC => Some("gtc"),
        MethodType::TLS => Some("tls"),
        _ => match kind {
            PromptKind::Push => Some("push"),
            PromptKind::Fido2 | PromptKind::Pin => Some("fido2"),
            _ => None,
        },
    }
}

/// The profile's name of the method an EAP failure names.
fn failure_method(f: &PeerFailure) -> Option<&'static str> {
    match f {
        PeerFailure::WrongPassword(_)
        | PeerFailure::PasswordExpired
        | PeerFailure::AccountRestricted(_)
        | PeerFailure::ServerNotAuthenticated => Some("mschapv2"),
        PeerFailure::ServerCertificateRejected(_) | PeerFailure::TlsFailed(_) => Some("tls"),
        PeerFailure::Rejected { method, .. } => match method.as_str() {
            "EAP-MSCHAPv2" => Some("mschapv2"),
            "EAP-GTC" => Some("gtc"),
            "EAP-TLS" => Some("tls"),
            "push approval" => Some("push"),
            "FIDO2 security key" => Some("fido2"),
            _ => None,
        },
        PeerFailure::MethodNotAllowed(_) | PeerFailure::Cancelled => None,
    }
}

/// A failed EAP round; `detail` is the reason said to people.
pub fn eap(f: &PeerFailure, rounds: &Rounds, detail: &str) -> Failure {
    let (round, method) = rounds.locate(failure_method(f));
    let mut out = Failure::new(FailureKind::AuthFailed).with_detail(detail);
    match f {
        PeerFailure::Cancelled => out.kind = FailureKind::Cancelled,
        PeerFailure::Rejected {
            reason: Some(r), ..
        } => {
            let (token, arg) = reason::split(r);
            if token == reason::OTP_SKEW {
                out.kind = FailureKind::ClockSkew;
                out.skew_s = arg
                    .and_then(|a| a.parse::<i64>().ok())
                    .map(|steps| steps.saturating_mul(OTP_STEP_S));
            }
        }
        _ => {}
    }
    out.round = round;
    out.method = method;
    out
}

/// The engine ended the sign-in or the connection for `reason`;
/// `established` says whether the tunnel ever came up in this attempt.
/// `None` for ends that are no failure (closed locally, redirected).
pub fn close(
    reason: &CloseReason,
    rounds: &Rounds,
    proposals: &[IkeProposal],
    gateway: Option<SocketAddr>,
    detail: &str,
) -> Option<Failure> {
    let kind = match reason {
        CloseReason::LocalClose | CloseReason::Redirected(_) => return None,
        CloseReason::Eap(f) => return Some(eap(f, rounds, detail)),
        CloseReason::Timeout | CloseReason::PeerDead => FailureKind::GatewayUnreachable,
        CloseReason::NoProposalChosen => FailureKind::NoProposal,
        CloseReason::AuthenticationFailed(_) => FailureKind::AuthFailed,
        CloseReason::PeerError(_)
        | CloseReason::Protocol(_)
        | CloseReason::PeerDeleted
        | CloseReason::PeerForgot
        | CloseReason::SignInExpired => FailureKind::GatewayError,
    };
    let mut out = Failure::new(kind).with_detail(detail);
    match kind {
        FailureKind::GatewayUnreachable => out.gateway = gateway,
        FailureKind::NoProposal => {
            out.ours = proposals.iter().map(proposal_name).collect();
            out.gateway = gateway;
        }
        FailureKind::AuthFailed => (out.round, out.method) = rounds.ike_round(),
        _ => {}
    }
    Some(out)
}

/// A sign-in ended for want of an answer.
pub fn cancelled(rounds: &Rounds, detail: &str) -> Failure {
    let mut out = Failure::new(FailureKind::Cancelled).with_detail(detail);
    (out.round, out.method) = rounds.locate(None);
    out
}

/// The connection could not use the network or set up the system.
pub fn conn_error(e: &crate::connection::ConnError, gateway: Option<SocketAddr>) -> Failure {
    use std::io::ErrorKind as K;
    let unreachable = match e {
        crate::connection::ConnError::Io(io) => matches!(
            io.kind(),
            K::NetworkUnreachable | K::HostUnreachable | K::ConnectionRefused
        ),
        crate::connection::ConnError::NoRoute(_) => true,
        crate::connection::ConnError::Platform(_) => false,
    };
    let mut out = Failure::new(if unreachable {
        FailureKind::GatewayUnreachable
    } else {
        FailureKind::Setup
    })
    .with_detail(e.to_string());
    if unreachable {
        out.gateway = gateway;
    }
    out
}

/// strongSwan's spelling of a proposal: every algorithm it offers, joined
/// by `-` (e.g. `aes256gcm16-prfsha384-ecp384`).
pub fn proposal_name(p: &IkeProposal) -> String {
    p.encr
        .iter()
        .map(|a| a.name())
        .chain(p.integ.iter().map(|a| a.name()))
        .chain(p.prf.iter().map(|a| a.name()))
        .chain(p.dh.iter().map(|a| a.name()))
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eap_profile(methods: &[&str]) -> Profile {
        let mut p = Profile::from_json(include_str!("../../../profiles/eap-mfa.json")).unwrap();
        p.auth = Auth::Eap {
            rounds: methods
                .iter()
                .map(|m| {
                    let m: ibex_profile::EapMethod =
                        serde_json::from_str(&format!("\"{m}\"")).unwrap();
                    ibex_profile::EapRound::new(m)
                })
                .collect(),
            eap_only: false,
        };
        p
    }

    fn psk_profile() -> Profile {
        Profile::from_json(include_str!("../../../profiles/psk-full-tunnel.json")).unwrap()
    }

    fn rejected(method: &str, reason: &str) -> PeerFailure {
        PeerFailure::Rejected {
            method: method.into(),
            reason: Some(reason.into()),
            message: None,
        }
    }

    #[test]
    fn a_wrong_code_names_its_round_and_method() {
        let mut rounds = Rounds::of(&eap_profile(&["mschapv2", "gtc"]));
        rounds.prompted(MethodType::MSCHAPV2, PromptKind::Password);
        rounds.prompted(MethodType::GTC, PromptKind::Otp);
        let f = eap(&rejected("EAP-GTC", "otp-wrong"), &rounds, "wrong code");
        assert_eq!(f.kind, FailureKind::AuthFailed);
        assert_eq!((f.round, f.method.as_deref()), (Some(2), Some("gtc")));
        assert_eq!(f.detail.as_deref(), Some("wrong code"));
    }

    #[test]
    fn a_wrong_password_is_the_first_round_even_before_a_prompt() {
        let rounds = Rounds::of(&eap_profile(&["mschapv2", "gtc"]));
        let f = eap(&PeerFailure::WrongPassword(None), &rounds, "x");
        assert_eq!((f.kind, f.round), (FailureKind::AuthFailed, Some(1)));
        assert_eq!(f.method.as_deref(), Some("mschapv2"));
        // After a certificate round, the EAP rounds count from 2.
        let mut cert = Rounds::of(&eap_profile(&["tls", "push"]));
        cert.methods.insert(0, "certificate");
        cert.prompted(MethodType::EXPERIMENTAL, PromptKind::Push);
        let f = eap(&rejected("push approval", "push-denied"), &cert, "x");
        assert_eq!((f.round, f.method.as_deref()), (Some(3), Some("push")));
    }

    #[test]
    fn a_method_the_round_does_not_name_is_reported_as_it_is() {
        // A gateway asking for a password then a code in one EAP round.
        let mut rounds = Rounds::of(&eap_profile(&["mschapv2"]));
        rounds.prompted(MethodType::MSCHAPV2, PromptKind::Password);
        rounds.prompted(MethodType::GTC, PromptKind::Otp);
        let f = eap(&rejected("EAP-GTC", "otp-wrong"), &rounds, "x");
        assert_eq!((f.round, f.method.as_deref()), (Some(1), Some("gtc")));
    }

    #[test]
    fn clock_skew_carries_the_seconds() {
        let rounds = Rounds::of(&eap_profile(&["gtc"]));
        let f = eap(&rejected("EAP-GTC", "otp-skew:-2"), &rounds, "x");
        assert_eq!(f.kind, FailureKind::ClockSkew);
        assert_eq!(f.skew_s, Some(-60));
        assert_eq!((f.round, f.method.as_deref()), (Some(1), Some("gtc")));
        let f = eap(&rejected("EAP-GTC", "otp-skew:3"), &rounds, "x");
        assert_eq!(f.skew_s, Some(90));
    }

    #[test]
    fn a_cancelled_prompt_is_no_auth_failure() {
        let mut rounds = Rounds::of(&eap_profile(&["mschapv2", "gtc"]));
        rounds.prompted(MethodType::GTC, PromptKind::Otp);
        let f = eap(&PeerFailure::Cancelled, &rounds, "x");
        assert_eq!((f.kind, f.round), (FailureKind::Cancelled, Some(2)));
        let f = cancelled(&Rounds::of(&psk_profile()), "no key");
        assert_eq!(f.kind, FailureKind::Cancelled);
    }

    #[test]
    fn ike_level_failures_by_kind() {
        let psk = Rounds::of(&psk_profile());
        let gw: SocketAddr = "192.0.2.1:500".parse().unwrap();
        let ours = vec![IkeProposal::default_modern()];
        let f = close(
            &CloseReason::AuthenticationFailed("x".into()),
            &psk,
            &ours,
            Some(gw),
            "d",
        )
        .unwrap();
        assert_eq!(f.kind, FailureKind::AuthFailed);
        assert_eq!((f.round, f.method.as_deref()), (Some(1), Some("psk")));
        let f = close(&CloseReason::NoProposalChosen, &psk, &ours, Some(gw), "d").unwrap();
        assert_eq!(f.kind, FailureKind::NoProposal);
        assert_eq!(
            f.ours,
            ["aes256gcm16-chacha20poly1305-aes128gcm16-prfsha256-prfsha384-prfsha512-x25519-ecp256-ecp384"]
        );
        assert!(f.theirs.is_empty());
        let f = close(&CloseReason::Timeout, &psk, &ours, Some(gw), "d").unwrap();
        assert_eq!(
            (f.kind, f.gateway),
            (FailureKind::GatewayUnreachable, Some(gw))
        );
        let f = close(&CloseReason::PeerError("x".into()), &psk, &ours, None, "d").unwrap();
        assert_eq!(f.kind, FailureKind::GatewayError);
        let f = close(
            &CloseReason::Eap(rejected("EAP-GTC", "otp-skew:1")),
            &Rounds::of(&eap_profile(&["gtc"])),
            &ours,
            None,
            "d",
        )
        .unwrap();
        assert_eq!(f.kind, FailureKind::ClockSkew);
        assert!(close(&CloseReason::LocalClose, &psk, &ours, None, "d").is_none());
    }

    #[test]
    fn network_errors_say_unreachable_others_setup() {
        let gw: SocketAddr = "192.0.2.1:500".parse().unwrap();
        let e = crate::connection::ConnError::Io(std::io::Error::from(
            std::io::ErrorKind::NetworkUnreachable,
        ));
        let f = conn_error(&e, Some(gw));
        assert_eq!(
            (f.kind, f.gateway),
            (FailureKind::GatewayUnreachable, Some(gw))
        );
        let e = crate::connection::ConnError::Io(std::io::Error::from(
            std::io::ErrorKind::PermissionDenied,
        ));
        assert_eq!(conn_error(&e, Some(gw)).kind, FailureKind::Setup);
    }
}
