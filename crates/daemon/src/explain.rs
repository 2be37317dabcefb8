//! Sign-in failures in words a person can act on.

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
    let (token, arg) = match reason.split_once(':') {
        Some((t, a)) => (t, Some(a)),
        None => (reason.as_str(), None),
    };
    let text = match token {
        "otp-wrong" => "wrong one-time code: check the code in your authenticator app and try again".to_string(),
        "otp-replayed" => "that one-time code was already used: wait for the next code and try again".to_string(),
        "otp-skew" => {
            let steps: i64 = arg.and_then(|a| a.parse().ok()).unwrap_or(0);
            format!(
                "wrong one-time code: it matches a code {} time steps (about {} s) {}, so a clock is off; set your device's clock automatically and try again",
                steps.abs(),
                steps.abs() * 30,
                if steps < 0 { "in the past" } else { "in the future" }
            )
        }
        "otp-not-enrolled" => "your account has no one-time code set up: ask the gateway's administrator".to_string(),
        "locked-out" => {
            let secs: u64 = arg.and_then(|a| a.parse().ok()).unwrap_or(0);
            format!(
                "too many failed sign-ins: your account is locked for another {} min; try again later",
                secs.div_ceil(60).max(1)
            )
        }
        "password-wrong" => "wrong user name or password".to_string(),
        "push-denied" => "the sign-in was denied on your device".to_string(),
        "push-expired" => "nobody approved the sign-in on your device in time: try again and approve it".to_string(),
        "fido-failed" => "the security key's answer was not accepted: is this key registered for your account?".to_string(),
        "cert-rejected" => "the gateway did not accept your certificate: is it issued by the gateway's CA and still valid?".to_string(),
        "cert-wrong-user" => "your certificate is not for this account: check the profile's identity".to_string(),
        "tls-failed" => "the TLS handshake with the gateway failed".to_string(),
        "unknown-user" => "the gateway does not know this account".to_string(),
        "method-refused" | "method-unavailable" => format!(
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
