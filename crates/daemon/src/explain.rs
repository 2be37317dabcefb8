//! Sign-in failures in words a person can act on.

use ibex_ike::eap::reason;
use ibex_ike::eap::PeerFailure;

/// What went wrong in an EAP round and what to do about it.
pub fn eap_failure(f: &PeerFailure) -> String {
    let PeerFailure::Rejected {
        method,
        reason: Some(reason),
        message,
    } = f
    else {
        return format!("sign-in failed: {f}");
    };
    let (token, arg) = reason::split(reason);
    let text = match token {
        reason::OTP_WRONG => "wrong one-time code: check the code in your authenticator app and try again".to_string(),
        reason::OTP_REPLAYED => "that one-time code was already used: wait for the next code and try again".to_string(),
        reason::OTP_SKEW => {
            let steps: i64 = arg.and_then(|a| a.parse().ok()).unwrap_or(0);
            format!(
                "wrong one-time code: it matches a code {} time steps (about {} s) {}, so a clock is off; set your device's clock automatically and try again",
                steps.abs(),
                steps.abs() * 30,
                if steps < 0 { "in the past" } else { "in the future" }
            )
        }
        reason::OTP_NOT_ENROLLED => "your account has no one-time code set up: ask the gateway's administrator".to_string(),
        reason::LOCKED_OUT => {
            let secs: u64 = arg.and_then(|a| a.parse().ok()).unwrap_or(0);
            format!(
                "too many failed sign-ins: your account is locked for another {} min; try again later",
                secs.div_ceil(60).max(1)
            )
        }
        reason::PASSWORD_WRONG => "wrong user name or password".to_string(),
        reason::PUSH_DENIED => "the sign-in was denied on your device".to_string(),
        reason::PUSH_EXPIRED => "nobody approved the sign-in on your device in time: try again and approve it".to_string(),
        reason::FIDO_FAILED => "the security key's answer was not accepted: is this key registered for your account?".to_string(),
        reason::CERT_REJECTED => "the gateway did not accept your certificate: is it issued by the gateway's CA and still valid?".to_string(),
        reason::CERT_WRONG_USER => "your certificate is not for this account: check the profile's identity".to_string(),
        reason::TLS_FAILED => "the TLS handshake with the gateway failed".to_string(),
        reason::UNKNOWN_USER => "the gateway does not know this account".to_string(),
        reason::METHOD_REFUSED | reason::METHOD_UNAVAILABLE => format!(
            "the gateway cannot sign you in with {method}{}",
            message.as_ref().map(|m| format!(": {m}")).unwrap_or_default()
        ),
        _ => return format!("sign-in failed: {f}"),
    };
    format!("sign-in failed ({method}): {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(reason: &str) -> PeerFailure {
        PeerFailure::Rejected {
            method: "GTC".into(),
            reason: Some(reason.into()),
            message: Some("x".into()),
        }
    }

    #[test]
    fn tokens_become_advice() {
        assert!(eap_failure(&rejected("otp-replayed")).contains("already used"));
        let skew = eap_failure(&rejected("otp-skew:-2"));
        assert!(
            skew.contains("about 60 s") && skew.contains("in the past"),
            "{skew}"
        );
        assert!(eap_failure(&rejected("locked-out:290")).contains("5 min"));
        assert!(eap_failure(&rejected("push-denied")).contains("denied"));
        assert!(eap_failure(&rejected("something-new")).contains("sign-in failed"));
        assert!(eap_failure(&PeerFailure::Cancelled).contains("cancelled"));
    }
}
