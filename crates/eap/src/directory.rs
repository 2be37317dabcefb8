//! The server's view of its users: implemented by the application.

use std::time::{Duration, SystemTime};

use crate::{FidoAssertion, FidoRequest, Secret};

/// A method the server runs, in order, within one EAP conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerMethod {
    /// EAP-MSCHAPv2 against the user's NT password hash (RFC 2759; MSK per RFC 3079).
    MsChapV2,
    /// EAP-GTC asking for the account password (checked by the directory).
    GtcPassword,
    /// EAP-GTC asking for a one-time code.
    GtcOtp,
    /// EAP-MD5-Challenge (weak; peers refuse it unless allowed).
    Md5,
    /// Push approval with number matching (Ibex experimental method).
    Push,
    /// FIDO2 / WebAuthn assertion (Ibex experimental method).
    Fido2,
}

/// The verdict on a one-time code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OtpCheck {
    /// Correct and not used before; now consumed.
    Valid,
    /// Wrong. `skew_steps` is set when the code matches a time step outside
    /// the accepted window (the peer's clock is probably off by that many steps).
    Wrong {
        /// Signed offset in time steps of the matching window, if any.
        skew_steps: Option<i64>,
    },
    /// Correct but already used in its window.
    Replayed,
    /// Too many failures: try again after this long.
    LockedOut(Duration),
    /// The user has no one-time code secret.
    NotEnrolled,
}

/// A pending push approval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushTicket {
    /// The directory's handle for it.
    pub id: String,
    /// The number to match (shown by the client and on the approving device).
    pub number: u32,
    /// When the approval expires.
    pub expires: SystemTime,
    /// Message shown to the person.
    pub text: String,
}

/// Where a push approval stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushState {
    /// Nobody has answered yet.
    Pending,
    /// Approved on the device.
    Approved,
    /// Denied on the device.
    Denied,
    /// Nobody answered in time.
    Expired,
}

/// The application's user database, consulted by [`crate::Server`].
///
/// Implementations do their own rate limiting and replay protection: a
/// verification call is made once per authentication attempt (retransmitted
/// IKE messages never reach the server twice).
pub trait Directory: Send + Sync {
    /// Lockout in force for this user, if any.
    fn locked_out(&self, user: &str) -> Option<Duration>;
    /// Records a failed verification (for rate limiting).
    fn record_failure(&self, user: &str);
    /// The user's NT password hash (MD4 of the UTF-16LE password), for MSCHAPv2.
    fn nt_hash(&self, user: &str) -> Option<Secret>;
    /// Checks a password sent in the clear inside the protected IKE SA (GTC).
    fn check_password(&self, user: &str, password: &[u8]) -> bool;
    /// Checks and consumes a one-time code.
    fn check_otp(&self, user: &str, code: &str) -> OtpCheck;
    /// Creates a push approval for the user.
    fn start_push(&self, user: &str) -> Result<PushTicket, String>;
    /// The state of a push approval.
    fn push_state(&self, ticket: &PushTicket) -> PushState;
    /// Starts a FIDO2 assertion; `binding` is the IKE SA's channel binding,
    /// which the returned challenge must include.
    fn fido_start(&self, user: &str, binding: &[u8]) -> Result<FidoRequest, String>;
    /// Verifies the assertion for the challenge last started for this user.
    fn fido_finish(&self, user: &str, assertion: &FidoAssertion) -> Result<(), String>;
}
