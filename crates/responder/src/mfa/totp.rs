//! TOTP (RFC 6238) verification with replay protection and clock-skew hints.
//!
//! Codes are computed by `totp-rs`. A code is accepted within `skew` steps of
//! the current one, and only once: RFC 6238 section 5.2 asks the verifier to
//! remember the last accepted time step and refuse any code at or before it.
//! A wrong code that matches a step a little further away (up to
//! [`SKEW_SEARCH_STEPS`]) tells the peer by how much its clock seems off.

use std::sync::Mutex;

use totp_rs::{Algorithm, Builder, Totp};

use super::config::{MfaConfigError, TotpAlgorithm, TotpConfig};

/// How far (in steps, either side) a wrong code is searched for a clock-skew hint.
pub const SKEW_SEARCH_STEPS: u64 = 10;

/// Longest code text even looked at (anything longer is simply wrong).
const MAX_CODE_LEN: usize = 32;

/// The verdict on one code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpOutcome {
    /// Right and fresh; `step` is now the last accepted step.
    Valid {
        /// The time step the code belongs to.
        step: u64,
    },
    /// Right, but its step was already accepted (or is older than one that was).
    Replayed,
    /// Wrong; `skew_steps` is the signed offset of a nearby step it matches, if any.
    Wrong {
        /// Offset from the current step, outside the accepted window.
        skew_steps: Option<i64>,
    },
}

/// One user's TOTP authenticator and the last step accepted from it.
pub struct TotpVerifier {
    totp: Totp,
    period: u64,
    skew: u64,
    last_step: Mutex<Option<u64>>,
}

impl std::fmt::Debug for TotpVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpVerifier")
            .field("algorithm", &self.totp.algorithm())
            .field("digits", &self.totp.digits())
            .field("period", &self.period)
            .field("skew", &self.skew)
            .finish_non_exhaustive()
    }
}

impl TotpVerifier {
    /// Decodes and checks the configuration; fields in errors are relative to `totp`.
    pub fn from_config(c: &TotpConfig) -> Result<Self, MfaConfigError> {
        let cleaned: zeroize::Zeroizing<String> = zeroize::Zeroizing::new(
            c.secret
                .expose()
                .chars()
                .filter(|ch| *ch != ' ' && *ch != '-')
                .map(|ch| ch.to_ascii_uppercase())
                .collect::<String>()
                .trim_end_matches('=')
                .to_owned(),
        );
        if cleaned.is_empty() {
            return Err(MfaConfigError::new("secret", "empty"));
        }
        let secret = totp_rs::Secret::try_from_base32(cleaned.as_str()).map_err(|_| {
            MfaConfigError::new(
                "secret",
                "not base32 (RFC 4648: letters A-Z and digits 2-7)",
            )
        })?;
        let bits = secret.as_bytes().len() * 8;
        if bits < 128 {
            return Err(MfaConfigError::new(
                "secret",
                format!("{bits} bits is too short: at least 128 are required (160 recommended)"),
            ));
        }
        if c.digits != 6 && c.digits != 8 {
            return Err(MfaConfigError::new(
                "digits",
                format!("{} is not 6 or 8", c.digits),
            ));
        }
        if !(5..=600).contains(&c.period) {
            return Err(MfaConfigError::new(
                "period",
                format!("{} is out of range 5..=600 seconds", c.period),
            ));
        }
        if u64::from(c.skew) > SKEW_SEARCH_STEPS {
            return Err(MfaConfigError::new(
                "skew",
                format!(
                    "{} steps is too lenient: at most {SKEW_SEARCH_STEPS} (1 is usual)",
                    c.skew
                ),
            ));
        }
        let algorithm = match c.algorithm {
            TotpAlgorithm::Sha1 => Algorithm::SHA1,
            TotpAlgorithm::Sha256 => Algorithm::SHA256,
            TotpAlgorithm::Sha512 => Algorithm::SHA512,
        };
        // The window is walked here, one step at a time, so the library's own skew is 0.
        let totp = Builder::new()
            .with_algorithm(algorithm)
            .with_digits(c.digits)
            .with_step_duration(c.period)
            .with_skew(0)
            .with_secret(secret)
            .build()
            .map_err(|e| MfaConfigError::new("secret", e.to_string()))?;
        Ok(TotpVerifier {
            totp,
            period: c.period,
            skew: u64::from(c.skew),
            last_step: Mutex::new(None),
        })
    }

    /// The code for the Unix time `unix_secs` (for tests and tools).
    pub fn code_at(&self, unix_secs: u64) -> String {
        self.totp.generate(unix_secs).to_string()
    }

    /// The time step of `unix_secs`.
    pub fn step_of(&self, unix_secs: u64) -> u64 {
        unix_secs / self.period
    }

    fn matches(&self, code: &str, step: u64) -> bool {
        step.checked_mul(self.period)
            .is_some_and(|t| self.totp.check(code, t).is_some())
    }

    /// Checks `code` (spaces ignored) at Unix time `unix_secs` and, when it is
    /// valid, consumes its step.
    pub fn verify(&self, code: &str, unix_secs: u64) -> TotpOutcome {
        if code.len() > MAX_CODE_LEN {
            return TotpOutcome::Wrong { skew_steps: None };
        }
        let code: String = code.chars().filter(|c| *c != ' ').collect();
        let now = self.step_of(unix_secs);
        let first = now.saturating_sub(self.skew);
        let mut last = self.last_step.lock().unwrap_or_else(|e| e.into_inner());
        let mut replayed = false;
        for step in first..=now.saturating_add(self.skew) {
            if !self.matches(&code, step) {
                continue;
            }
            if last.is_some_and(|l| step <= l) {
                replayed = true;
                continue;
            }
            *last = Some(step);
            return TotpOutcome::Valid { step };
        }
        if replayed {
            return TotpOutcome::Replayed;
        }
        drop(last);
        // Outside the window: nearest matching step first, earlier before later.
        for distance in (self.skew + 1)..=SKEW_SEARCH_STEPS {
            for sign in [-1i64, 1] {
                let step = if sign < 0 {
                    now.checked_sub(distance)
                } else {
                    now.checked_add(distance)
                };
                if step.is_some_and(|s| self.matches(&code, s)) {
                    let offset = i64::try_from(distance).unwrap_or(i64::MAX) * sign;
                    return TotpOutcome::Wrong {
                        skew_steps: Some(offset),
                    };
                }
            }
        }
        TotpOutcome::Wrong { skew_steps: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mfa::config::SecretString;

    fn verifier(secret: &[u8], algorithm: TotpAlgorithm, digits: u8) -> TotpVerifier {
        let b32 = totp_rs::Secret::from(secret.to_vec()).to_base32();
        TotpVerifier::from_config(&TotpConfig {
            secret: SecretString::new(b32),
            algorithm,
            digits,
            period: 30,
            skew: 1,
        })
        .unwrap()
    }

    /// RFC 6238 Appendix B.
    #[test]
    fn rfc6238_appendix_b_vectors() {
        let sha1 = verifier(b"12345678901234567890", TotpAlgorithm::Sha1, 8);
        let sha256 = verifier(
            b"12345678901234567890123456789012",
            TotpAlgorithm::Sha256,
            8,
        );
        let sha512 = verifier(
            b"1234567890123456789012345678901234567890123456789012345678901234",
            TotpAlgorithm::Sha512,
            8,
        );
        let table: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (t, c1, c256, c512) in table {
            assert_eq!(sha1.code_at(t), c1, "SHA1 at {t}");
            assert_eq!(sha256.code_at(t), c256, "SHA256 at {t}");
            assert_eq!(sha512.code_at(t), c512, "SHA512 at {t}");
        }
        // And they verify.
        assert_eq!(
            sha512.verify("38618901", 2000000000),
            TotpOutcome::Valid {
                step: 2000000000 / 30
            }
        );
    }

    fn six() -> TotpVerifier {
        verifier(b"12345678901234567890", TotpAlgorithm::Sha1, 6)
    }

    const T: u64 = 1_700_000_000;

    #[test]
    fn accepts_within_skew_only() {
        let v = six();
        // One step before and after is inside the window (skew 1).
        assert!(matches!(
            v.verify(&v.code_at(T - 30), T),
            TotpOutcome::Valid { .. }
        ));
        let v = six();
        assert!(matches!(
            v.verify(&v.code_at(T + 30), T),
            TotpOutcome::Valid { .. }
        ));
        let v = six();
        assert_eq!(
            v.verify(&v.code_at(T - 60), T),
            TotpOutcome::Wrong {
                skew_steps: Some(-2)
            }
        );
    }

    #[test]
    fn replay_is_refused() {
        let v = six();
        let code = v.code_at(T);
        assert_eq!(v.verify(&code, T), TotpOutcome::Valid { step: T / 30 });
        assert_eq!(v.verify(&code, T), TotpOutcome::Replayed);
        assert_eq!(v.verify(&code, T + 29), TotpOutcome::Replayed);
        // An older code, still in the window, is a replay too (step <= last).
        assert_eq!(v.verify(&v.code_at(T - 30), T), TotpOutcome::Replayed);
        // The next step's code is fresh.
        assert_eq!(
            v.verify(&v.code_at(T + 30), T + 30),
            TotpOutcome::Valid { step: T / 30 + 1 }
        );
    }

    #[test]
    fn skew_is_detected_both_ways() {
        let v = six();
        for offset in [-10i64, -5, -2, 2, 7, 10] {
            let t = (T as i64 + offset * 30) as u64;
            let out = v.verify(&v.code_at(t), T);
            assert_eq!(
                out,
                TotpOutcome::Wrong {
                    skew_steps: Some(offset)
                },
                "offset {offset}"
            );
        }
        // Beyond the search range: plain wrong.
        assert_eq!(
            v.verify(&v.code_at(T + 11 * 30), T),
            TotpOutcome::Wrong { skew_steps: None }
        );
    }

    #[test]
    fn hostile_codes_are_just_wrong() {
        let v = six();
        let good = v.code_at(T);
        for bad in [
            "",
            "12345",
            "1234567",
            "abcdef",
            "+12345",
            "-12345",
            "１２３４５６",
            &"9".repeat(10_000),
            "12 34 5",
        ] {
            assert_eq!(
                v.verify(bad, T),
                TotpOutcome::Wrong { skew_steps: None },
                "{bad:?}"
            );
        }
        // Spaces inside a right code are tolerated.
        let spaced = format!("{} {}", &good[..3], &good[3..]);
        assert!(matches!(v.verify(&spaced, T), TotpOutcome::Valid { .. }));
    }

    #[test]
    fn early_times_do_not_underflow() {
        let v = six();
        assert!(matches!(
            v.verify(&v.code_at(0), 0),
            TotpOutcome::Valid { step: 0 }
        ));
        let far = u64::MAX - 5;
        assert!(matches!(
            v.verify(&v.code_at(far), far),
            TotpOutcome::Valid { .. }
        ));
    }

    #[test]
    fn base32_is_normalised() {
        let c = TotpConfig {
            secret: SecretString::new("gezd gnbv gy3t qojq gezd gnbv gy3t qojq====".into()),
            algorithm: TotpAlgorithm::Sha1,
            digits: 8,
            period: 30,
            skew: 1,
        };
        let v = TotpVerifier::from_config(&c).unwrap();
        assert_eq!(v.code_at(59), "94287082");
    }
}
