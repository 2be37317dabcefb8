//! `ibex-responder`: Ibex's reference IKEv2 gateway. It answers IKE with the
//! sans-IO engine's [`ibex_ike::Responder`], hands out virtual addresses from
//! a pool, and forwards decrypted traffic through its own TUN device.
#![forbid(unsafe_code)]

pub mod config;
pub mod gateway;
pub mod listeners;
pub mod mfa;

#[cfg(test)]
mod tests;
