//! EAP-GTC (RFC 3748 5.6): the request carries the challenge text, the
//! response the typed secret. Here: what to ask the person.

use crate::text::sanitize;
use crate::PromptKind;

/// Prefix an Ibex server puts on a one-time-code challenge.
pub(crate) const OTP_TAG: &str = "[otp]";

/// The text an Ibex server sends for a one-time code.
pub(crate) const OTP_CHALLENGE: &str = "[otp] Enter the one-time code from your authenticator app";
/// The text an Ibex server sends for the account password.
pub(crate) const PASSWORD_CHALLENGE: &str = "Password:";

/// What the challenge asks for, and its text for display (without the tag).
///
/// A code when the text has the `[otp]` tag or mentions a code, token, OTP
/// or passcode; a password when it mentions a password (and no code); a code
/// otherwise (GTC's usual use).
pub(crate) fn classify(challenge: &[u8]) -> (PromptKind, Option<String>) {
    let text = sanitize(challenge);
    let Some(text) = text else {
        return (PromptKind::Otp, None);
    };
    if let Some(rest) = text.strip_prefix(OTP_TAG) {
        return (PromptKind::Otp, sanitize(rest.as_bytes()));
    }
    let lower = text.to_lowercase();
    let kind = if ["code", "token", "otp", "passcode"]
        .iter()
        .any(|w| lower.contains(w))
    {
        PromptKind::Otp
    } else if lower.contains("password") {
        PromptKind::Password
    } else {
        PromptKind::Otp
    };
    (kind, Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_challenges() {
        assert_eq!(
            classify(OTP_CHALLENGE.as_bytes()),
            (
                PromptKind::Otp,
                Some("Enter the one-time code from your authenticator app".into())
            )
        );
        assert_eq!(
            classify(b"Password:"),
            (PromptKind::Password, Some("Password:".into()))
        );
        assert_eq!(classify(b"Enter PASSCODE").0, PromptKind::Otp);
        assert_eq!(classify(b"FortiToken code:").0, PromptKind::Otp);
        assert_eq!(
            classify(b"Enter your password and token").0,
            PromptKind::Otp
        );
        assert_eq!(classify(b"Response:").0, PromptKind::Otp);
        assert_eq!(classify(b""), (PromptKind::Otp, None));
        assert_eq!(classify(b"[otp]"), (PromptKind::Otp, None));
    }
}
