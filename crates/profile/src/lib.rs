//! `ibex-profile`: the connection profile a user imports and the daemon receives.
//!
//! A profile is a versioned JSON document (schema:
//! `profiles/profile.schema.json`) that names the gateway, the identities,
//! the authentication method, the algorithms and the routing and DNS policy
//! of one VPN connection. It never contains a secret: it says which secret
//! is needed (pre-shared key, password, key passphrase, one-time code) and
//! the agent supplies it from a prompt or the user's keyring.
//!
//! * [`Profile::from_json`] parses and validates a document and reports the
//!   first problem with its line and column.
//! * [`Profile::validate`] applies the same rules to a profile received in
//!   another way (for example over the daemon's IPC); algorithm rules are
//!   those of the engine ([`ibex_ike::proposal`]).
//! * [`Profile::to_ike_config`] turns a valid profile plus the
//!   [`Credential`] the agent supplied into an [`ibex_ike::Config`].
//! * [`ProfileStore`] keeps a user's profiles, one `<uuid>.json` file each.
//! * [`import`] reads strongSwan `.sswan` and Apple `.mobileconfig` files
//!   (and Ibex profiles) into profiles, with warnings and a preview.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod ike_config;
pub mod import;
mod locate;
mod model;
mod parse;
mod path;
mod store;
mod suggest;
mod validate;

pub use error::ProfileError;
pub use ike_config::{ConfigError, Credential};
pub use model::{
    Auth, CertificateSource, Dns, EapMethod, EapRound, Gateway, NatTraversal, Profile, Reconnect,
    Routes, DEFAULT_DPD_INTERVAL_S, DEFAULT_IKE_PORT, PROFILE_VERSION,
};
pub use parse::MAX_PROFILE_LEN;
pub use path::{JsonPath, PathSegment};
pub use store::{read_import, ProfileStore, StoreError};
pub use validate::{deserialize_validated, Problem, ValidationError};
