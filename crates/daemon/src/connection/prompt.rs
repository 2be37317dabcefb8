//! Prompts: the engine's EAP prompts as questions for the daemon's agents,
//! and the agents' answers back into the engine.

use std::sync::Arc;
use std::time::Duration;

use ibex_ike::Initiator;
use tracing::{info, warn};

/// What a prompt asks a person, on behalf of the engine (EAP prompts).
#[derive(Debug)]
pub struct Question {
    /// What is asked.
    pub kind: ibex_ipc::PromptKind,
    /// Text to show.
    pub text: String,
    /// Push: the number to match.
    pub number: Option<String>,
    /// Answers other than free text (push: [`ibex_ipc::USE_CODE`] when the
    /// gateway accepts a code instead).
    pub choices: Vec<String>,
    /// FIDO2: what the security key must sign (the prompt's `fido`).
    pub fido: Option<ibex_ipc::FidoRequest>,
    /// How long the prompt stays open.
    pub timeout: Duration,
}

/// A request to the daemon's prompt broker.
#[derive(Debug)]
pub enum Ask {
    /// Show a prompt; the answer (or `None` when cancelled or expired)
    /// arrives on `answer`.
    Open {
        /// The prompt.
        question: Box<Question>,
        /// Where the answer goes.
        answer: tokio::sync::oneshot::Sender<Option<ibex_ipc::SecretString>>,
    },
    /// The prompt shown last is over (a push was decided).
    Close,
}

/// What [`super::run`] returns when the person chose a one-time code over a push
/// approval.
pub const USE_CODE: &str = ibex_ipc::USE_CODE;

/// What the open prompt's answer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Expect {
    /// Typed text: a password, code or PIN.
    Text,
    /// An acknowledgement only: a push is decided on another device.
    Ack,
    /// A FIDO2 assertion as JSON text (`ibex_ipc::FidoAssertion`).
    Assertion,
}

/// The engine's assertion from an agent's answer to a `fido2` prompt.
fn assertion(
    value: &ibex_ipc::SecretString,
) -> Result<ibex_ike::eap::FidoAssertion, ibex_ipc::FidoAnswerError> {
    let a = ibex_ipc::FidoAssertion::from_answer(value)?;
    Ok(ibex_ike::eap::FidoAssertion {
        credential_id: a.credential_id,
        authenticator_data: a.authenticator_data,
        client_data_json: a.client_data_json,
        signature: a.signature,
        user_handle: a.user_handle,
    })
}

/// The IPC form of the engine's FIDO2 request.
fn fido_request(r: ibex_ike::eap::FidoRequest) -> ibex_ipc::FidoRequest {
    ibex_ipc::FidoRequest {
        user_verification: ibex_ipc::UserVerification::from_name(&r.user_verification),
        rp_id: r.rp_id,
        origin: r.origin,
        challenge: r.challenge,
        allow_credentials: r.allow_credentials,
    }
}

/// Why a sign-in asks: the prompt says so when it is not the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Why {
    /// Connecting.
    SignIn,
    /// The gateway's sign-in lifetime ran out; the tunnel still works.
    Reauth,
    /// The tunnel was lost and is being re-established.
    Reconnect,
}

/// The IPC prompt for an EAP prompt.
pub(super) fn ask(
    p: ibex_ike::eap::Prompt,
    answer: tokio::sync::oneshot::Sender<Option<ibex_ipc::SecretString>>,
    why: Why,
) -> Ask {
    use ibex_ike::eap::PromptKind as K;
    use ibex_ipc::PromptKind as P;
    let (kind, default) = match p.kind {
        K::Password => (P::Password, "Password"),
        K::Otp => (P::Otp, "One-time code"),
        K::Push => (P::Push, "Approve the sign-in on your device"),
        K::Fido2 => (P::Fido2, "Touch your security key"),
        K::Pin => (P::Pin, "Security key PIN"),
    };
    let text = match (&p.text, p.kind) {
        (Some(t), K::Push) => format!("{default}: {t}"),
        (Some(t), _) if !t.is_empty() => t.clone(),
        _ => default.to_string(),
    };
    let text = match why {
        Why::SignIn => text,
        Why::Reauth => {
            format!("The gateway asks you to sign in again to keep the connection. {text}")
        }
        Why::Reconnect => format!("The connection was lost; sign in again to reconnect. {text}"),
    };
    Ask::Open {
        question: Box::new(Question {
            kind,
            text,
            number: p.number.map(|n| format!("{n:02}")),
            choices: if p.kind == K::Push && p.code_alternative {
                vec![USE_CODE.to_string()]
            } else {
                vec![]
            },
            fido: p.fido.map(fido_request),
            timeout: p.timeout.unwrap_or(Duration::from_secs(120)),
        }),
        answer,
    }
}

/// `config` with every EAP round asking for a one-time code where the
/// gateway offers one instead of a push approval.
pub fn preferring_codes(config: &ibex_ike::Config) -> ibex_ike::Config {
    let mut config = config.clone();
    for round in std::iter::once(&mut config.local_auth).chain(config.extra_auth.iter_mut()) {
        if let ibex_ike::LocalAuth::Eap(p) = round {
            p.prefer_code = true;
        }
    }
    config
}

/// Gives the open prompt's answer to the session that asked. Returns the
/// reason when the answer ends the sign-in.
pub(super) fn deliver(
    session: &mut Initiator,
    now: std::time::Instant,
    answer: Option<ibex_ipc::SecretString>,
    expect: Expect,
) -> Option<String> {
    use ibex_ike::eap::{Answer, Secret};
    match (answer, expect) {
        (Some(v), Expect::Text) => session.answer(
            now,
            Answer::Secret(Secret::from_slice(v.expose().as_bytes())),
        ),
        (Some(v), Expect::Assertion) => match assertion(&v) {
            Ok(a) => session.answer(now, Answer::Fido(a)),
            Err(e) => {
                // The prompt is closed already (the manager took the
                // answer): end the attempt with the reason.
                warn!(error = %e, "unusable answer to the security key prompt");
                session.answer(now, Answer::Cancel);
                session.abort_sign_in(now);
                return Some(format!("sign-in cancelled: {e}"));
            }
        },
        (None, Expect::Text | Expect::Assertion) => session.answer(now, Answer::Cancel),
        // "Use a code instead": signing in again (the working SA stays)
        // starts over asking for a code; a first sign-in ends, and the
        // flow starts over preferring a one-time code.
        (Some(v), Expect::Ack) if v.expose() == USE_CODE => {
            info!("switching from push approval to a one-time code");
            if session.reauthenticating() {
                let config = Arc::new(preferring_codes(session.current().config()));
                if session.restart_reauthentication(now, config) {
                    return None;
                }
            }
            session.abort_sign_in(now);
            return Some(USE_CODE.into());
        }
        // A push is approved on the phone: an acknowledgement changes nothing.
        (Some(_), Expect::Ack) => {}
        (None, Expect::Ack) => {
            info!("push approval cancelled");
            session.abort_sign_in(now);
            return Some("sign-in cancelled while waiting for the push approval".into());
        }
    }
    None
}

/// What kind of answer a prompt of this kind expects.
pub(super) fn expects(kind: ibex_ike::eap::PromptKind) -> Expect {
    match kind {
        ibex_ike::eap::PromptKind::Push => Expect::Ack,
        ibex_ike::eap::PromptKind::Fido2 => Expect::Assertion,
        _ => Expect::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fido_prompts_carry_the_request_and_answers_become_assertions() {
        let mut p = ibex_ike::eap::Prompt::new(
            ibex_ike::eap::PromptKind::Fido2,
            ibex_ike::eap::MethodType::EXPERIMENTAL,
        );
        p.fido = Some(ibex_ike::eap::FidoRequest {
            rp_id: "vpn.example.test".into(),
            origin: "https://vpn.example.test".into(),
            challenge: vec![7; 32],
            allow_credentials: vec![vec![1, 2]],
            user_verification: "required".into(),
        });
        let (tx, _rx) = tokio::sync::oneshot::channel();
        let Ask::Open { question, .. } = ask(p, tx, Why::SignIn) else {
            panic!("not a prompt");
        };
        let Question {
            kind, text, fido, ..
        } = *question;
        assert_eq!(kind, ibex_ipc::PromptKind::Fido2);
        assert_eq!(text, "Touch your security key");
        let fido = fido.expect("the request goes to the agents");
        assert_eq!(fido.rp_id, "vpn.example.test");
        assert_eq!(fido.challenge, vec![7; 32]);
        assert_eq!(fido.allow_credentials, vec![vec![1, 2]]);
        assert_eq!(fido.user_verification, ibex_ipc::UserVerification::Required);

        let answer = ibex_ipc::FidoAssertion {
            credential_id: vec![1, 2],
            authenticator_data: vec![3; 37],
            client_data_json: b"{}".to_vec(),
            signature: vec![4; 70],
            user_handle: None,
        }
        .to_answer();
        let a = assertion(&answer).unwrap();
        assert_eq!(a.credential_id, vec![1, 2]);
        assert_eq!(a.signature, vec![4; 70]);
        let e = assertion(&"123456".into()).unwrap_err();
        assert!(!e.to_string().contains("123456"), "{e}");
    }
}
