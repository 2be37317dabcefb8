//! IKEv2 message codec: RFC 7296 section 3 and the SKF payload of RFC 7383.
//!
//! Decoding treats every byte as hostile: it returns [`DecodeError`] instead of
//! panicking and never allocates based on a length field beyond the input it
//! has. Reserved fields are ignored on decode and written as zero. Encoding
//! computes every length and next-payload field itself.

mod newtype;
mod wire;

mod auth;
mod cert;
mod chain;
mod config;
mod delete;
mod encrypted;
mod error;
mod header;
mod id;
mod ke;
mod notify;
mod packet;
mod payload;
mod proposal;
mod redirect;
mod transform;
mod ts;

#[cfg(test)]
mod tests;

pub use auth::{Auth, AuthMethod};
pub use cert::{Cert, CertReq};
pub use chain::{decode_chain, encode_chain, try_encode_chain};
pub use config::{ConfigAttribute, Configuration};
pub use delete::Delete;
pub use encrypted::{Encrypted, EncryptedFragment};
pub use error::{DecodeError, EncodeError};
pub use header::{ExchangeType, Flags, Header, HEADER_LEN, MAX_MESSAGE_LEN};
pub use id::{IdType, Identification};
pub use ke::KeyExchange;
pub use notify::{Notify, NotifyType};
pub use packet::Message;
pub use payload::{Payload, PayloadType};
pub use proposal::{Proposal, ProtocolId};
pub use redirect::{decode_redirected_from, encode_redirected_from, GatewayId, Redirect};
pub use transform::{Attribute, AttributeValue, Transform, TransformType};
pub use ts::TrafficSelector;
