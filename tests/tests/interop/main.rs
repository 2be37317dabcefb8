//! Interop of Ibex (`ibex-ike-driver`) with real peers in network namespaces: strongSwan
//! 5.9.8 charon and FreeRADIUS 3.2.1 as packaged by Debian 12. One test binary, three
//! modules:
//!
//! * [`ike`]: the IKEv2 matrix (PSK, RSA, ECDSA x three suites x both roles), IKE/CHILD
//!   rekeys driven by either side, the tshark key-log checks;
//! * [`eap`]: EAP inside IKE_AUTH (RFC 7296 2.16): EAP-MSCHAPv2 against a charon gateway,
//!   certificate + EAP rounds (RFC 4739), EAP-GTC with a TOTP code through charon's
//!   eap-radius to FreeRADIUS, a charon EAP client against the Ibex responder, and the
//!   failures (wrong password, wrong code);
//! * [`mobike`]: MOBIKE uplink switches in the tunnel lab, `ibexd` with a charon gateway
//!   and a charon client with `ibex-responder`.
//!
//! Run: `sudo -E CI=true cargo test -p ibex-e2e --test interop -- --nocapture [ike::|eap::|mobike::]`
//! (root needed; outside CI missing prerequisites print `SKIP:`, with CI=true they fail).
//! `IBEX_E2E_KEEP=1` keeps every charon/driver/PKI/FreeRADIUS temp dir.

mod eap;
mod ike;
mod mobike;
