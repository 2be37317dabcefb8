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
    /// EAP-MD5-Challenge (weak; peers refuse it unless allowed). Not run by
    /// [`crate::Server`]: it needs the clear-text password, which the
    /// directory does not give, so the server fails with
    /// [`crate::ServerFailure::Unavailable`].
    Md5,
    /// Push approval with number matching (Ibex experimental method).
    Push,
    /// FIDO2 / WebAuthn assertion (Ibex experimental method).
    Fido2,
    /// EAP-TLS (RFC 5216, RFC 9190) with a client certificate that names the
    /// user; needs [`crate::Server::with_tls`].
    Tls,
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
    /// When the approval expires (for the directory's own bookkeeping).
    pub expires: SystemTime,
    /// How long the approval stays open from now: sent to the peer, which
    /// shows it (the sans-IO server reads no clock, so it cannot use `expires`).
    pub timeout: Duration,
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
    /// Records a failed verification (for rate limiting): called once when a
    /// password, NT response, code, push or assertion is rejected, and for an
    /// unknown user; not for lockouts, expiries or malformed messages.
    fn record_failure(&self, user: &str);
    /// The user's NT password hash (MD4 of the UTF-16LE password), for MSCHAPv2.
    fn nt_hash(&self, user: &str) -> Option<Secret>;
    /// Checks a password sent in the clear inside the protected IKE SA (GTC).
    fn check_password(&self, user: &str, password: &[u8]) -> bool;
    /// Checks and consumes a one-time code.
    fn check_otp(&self, user: &str, code: &str) -> OtpCheck;
    /// Creates a push approval for the user (an error: no device, for
    /// instance; it is logged, the peer learns `method-unavailable`).
    fn start_push(&self, user: &str) -> Result<PushTicket, String>;
    /// The state of a push approval; the directory owns the clock and says
    /// [`PushState::Expired`] once the ticket's time is up.
    fn push_state(&self, ticket: &PushTicket) -> PushState;
    /// Starts a FIDO2 assertion. `challenge` is already bound to the IKE SA
    /// (SHA-256("ibex eap-fido v1" || server nonce || channel binding), see
    /// docs/eap.md): the returned request must carry it unchanged as its
    /// `challenge`, and [`Directory::fido_finish`] must check that the
    /// client data signs exactly it. The server refuses a request whose
    /// challenge differs.
    fn fido_start(&self, user: &str, challenge: &[u8]) -> Result<FidoRequest, String>;
    /// Verifies the assertion for the challenge last started for this user
    /// (signature, client data challenge, origin, RP ID hash, flags, counter).
    fn fido_finish(&self, user: &str, assertion: &FidoAssertion) -> Result<(), String>;
}
