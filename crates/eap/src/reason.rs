//! Reason tokens: why an Ibex server failed the peer, machine-readable.
//!
//! Before its EAP-Failure an Ibex server sends an EAP-Notification whose text
//! starts with `[token]` or `[token:argument]`, then human text, for example
//! `[otp-skew:-3] the code is from a clock 3 steps off`. The peer reports the
//! token in [`crate::PeerFailure::Rejected`]. See docs/eap.md.

use crate::text::sanitize;

/// A wrong one-time code.
pub const OTP_WRONG: &str = "otp-wrong";
/// A one-time code already used in its window.
pub const OTP_REPLAYED: &str = "otp-replayed";
/// A code valid for another time step; argument: signed steps (`otp-skew:-2`).
pub const OTP_SKEW: &str = "otp-skew";
/// The account has no one-time code secret.
pub const OTP_NOT_ENROLLED: &str = "otp-not-enrolled";
/// Too many failures; argument: seconds until the next try (`locked-out:300`).
pub const LOCKED_OUT: &str = "locked-out";
/// A wrong password (or user name).
pub const PASSWORD_WRONG: &str = "password-wrong";
/// The push approval was denied on the device.
pub const PUSH_DENIED: &str = "push-denied";
/// Nobody approved the push in time.
pub const PUSH_EXPIRED: &str = "push-expired";
/// The security key's assertion was not accepted.
pub const FIDO_FAILED: &str = "fido-failed";
/// The directory does not know the user. Ibex servers never send it (they
/// say `password-wrong`, so accounts cannot be enumerated); other servers may.
pub const UNKNOWN_USER: &str = "unknown-user";
/// The peer refused (Nak'd) the method the server requires.
pub const METHOD_REFUSED: &str = "method-refused";
/// The method cannot run for this account or on this server.
pub const METHOD_UNAVAILABLE: &str = "method-unavailable";
/// The peer sent a message the server could not parse.
pub const MALFORMED: &str = "malformed";
/// EAP-TLS: the client certificate is not trusted (or missing, or invalid).
pub const CERT_REJECTED: &str = "cert-rejected";
/// EAP-TLS: the client certificate is valid but does not name the user.
pub const CERT_WRONG_USER: &str = "cert-wrong-user";
/// EAP-TLS: the TLS handshake failed for another reason.
pub const TLS_FAILED: &str = "tls-failed";

/// Longest `token:argument` accepted between the brackets.
const MAX_TOKEN: usize = 64;

/// Notification text `[reason] text`, where `reason` is `token` or `token:arg`.
pub fn format(reason: &str, text: &str) -> String {
    format!("[{reason}] {text}")
}

/// Splits notification text into its reason (`token` or `token:arg`) and
/// its sanitized human text. Text without a well-formed leading token gives
/// no reason and the whole (sanitized) text.
pub fn parse(text: &[u8]) -> (Option<String>, Option<String>) {
    if let Some((reason, rest)) = leading_reason(text) {
        return (Some(reason), sanitize(rest));
    }
    (None, sanitize(text))
}

/// Splits a reason into its token and argument: `otp-skew:-2` gives
/// (`otp-skew`, `Some("-2")`).
pub fn split(reason: &str) -> (&str, Option<&str>) {
    match reason.split_once(':') {
        Some((token, arg)) => (token, Some(arg)),
        None => (reason, None),
    }
}

fn leading_reason(text: &[u8]) -> Option<(String, &[u8])> {
    let inner = text.strip_prefix(b"[")?;
    let end = inner.iter().take(MAX_TOKEN + 1).position(|&b| b == b']')?;
    let reason = std::str::from_utf8(&inner[..end]).ok()?;
    let (token, arg) = split(reason);
    let token_ok = !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let arg_ok = arg.is_none_or(|a| {
        !a.is_empty()
            && a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'+' || b == b'.')
    });
    (token_ok && arg_ok).then(|| (reason.to_string(), &inner[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tokens_and_arguments() {
        assert_eq!(
            parse(b"[otp-wrong] wrong code"),
            (Some("otp-wrong".into()), Some("wrong code".into()))
        );
        assert_eq!(
            parse(b"[otp-skew:-3]  clock off\n"),
            (Some("otp-skew:-3".into()), Some("clock off".into()))
        );
        assert_eq!(parse(b"[push-denied]"), (Some("push-denied".into()), None));
        assert_eq!(split("locked-out:300"), ("locked-out", Some("300")));
        assert_eq!(split("otp-wrong"), ("otp-wrong", None));
    }

    #[test]
    fn third_party_text_has_no_reason() {
        assert_eq!(parse(b"Login failed"), (None, Some("Login failed".into())));
        assert_eq!(
            parse(b"[Bad Thing] happened"),
            (None, Some("[Bad Thing] happened".into()))
        );
        assert_eq!(
            parse(b"[otp-wrong no bracket"),
            (None, Some("[otp-wrong no bracket".into()))
        );
        assert_eq!(parse(b"[] x"), (None, Some("[] x".into())));
        assert_eq!(parse(b"[a:] x"), (None, Some("[a:] x".into())));
        let long = format!("[{}] x", "a".repeat(100));
        assert_eq!(parse(long.as_bytes()).0, None);
    }

    #[test]
    fn format_round_trips() {
        let text = format("locked-out:60", "try again in a minute");
        assert_eq!(
            parse(text.as_bytes()),
            (
                Some("locked-out:60".into()),
                Some("try again in a minute".into())
            )
        );
    }
}
