//! Tests of certificate authentication against a test PKI generated with
//! rcgen (ECDSA, Ed25519) and the committed RSA fixtures.

mod pki;

mod certreq;
mod chain;
mod credential;
mod hostile;
mod identity;
mod signatures;
