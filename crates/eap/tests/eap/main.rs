//! Integration tests of the EAP peer and server, in memory.

mod support;

mod chained;
mod fido;
mod gtc;
mod hostile;
mod mschapv2;
mod peer;
mod push;
mod secrets;
mod server;
mod tls;
