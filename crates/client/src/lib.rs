//! The reusable pieces of an Ibex agent: what runs as the user on the
//! daemon's behalf. The `ibex` CLI and the desktop app (`ibex-app`) both
//! build on them:
//!
//! - [`daemon`]: where the daemon's socket is, the `hello`, response checks;
//! - [`profiles`]: a profile by name, uuid or file, from the user's store;
//! - [`credential`]: the certificate and key a profile names, read with the
//!   user's own rights (the daemon never reads user files);
//! - [`keyring`]: the account password the user asked to remember;
//! - [`fido`]: FIDO2 assertions from a security key or the software token;
//! - [`prompt`]: prompts on a terminal or from stdin (the CLI's).
#![forbid(unsafe_code)]

pub mod credential;
pub mod daemon;
pub mod fido;
pub mod keyring;
pub mod profiles;
pub mod prompt;
