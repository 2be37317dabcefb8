//! Payload types and the `Payload` enum (RFC 7296 3.2).

use super::newtype::wire_newtype;
use super::{
    proposal, ts, Auth, Cert, CertReq, Configuration, DecodeError, Delete, EncodeError, Encrypted,
    EncryptedFragment, Identification, KeyExchange, Notify, Proposal, TrafficSelector,
};

wire_newtype! {
    /// Payload type (RFC 7296 3.2, IANA "IKEv2 Payload Types").
    PayloadType(u8) {
        /// No next payload.
        NONE = 0,
        /// Security Association.
        SA = 33,
        /// Key Exchange.
        KE = 34,
        /// Identification - Initiator.
        IDI = 35,
        /// Identification - Responder.
        IDR = 36,
        /// Certificate.
        CERT = 37,
        /// Certificate Request.
        CERTREQ = 38,
        /// Authentication.
        AUTH = 39,
        /// Nonce.
        NONCE = 40,
        /// Notify.
        NOTIFY = 41,
        /// Delete.
        DELETE = 42,
        /// Vendor ID.
        VENDOR = 43,
        /// Traffic Selector - Initiator.
        TSI = 44,
        /// Traffic Selector - Responder.
        TSR = 45,
        /// Encrypted and Authenticated.
        SK = 46,
        /// Configuration.
        CP = 47,
        /// Extensible Authentication.
        EAP = 48,
        /// Encrypted and Authenticated Fragment (RFC 7383).
        SKF = 53,
    }
}

/// One decoded payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// Security Association: proposals (3.3).
    Sa(Vec<Proposal>),
    /// Key Exchange (3.4).
    Ke(KeyExchange),
    /// Initiator identification (3.5).
    IdI(Identification),
    /// Responder identification (3.5).
    IdR(Identification),
    /// Certificate (3.6).
    Cert(Cert),
    /// Certificate request (3.7).
    CertReq(CertReq),
    /// Authentication (3.8).
    Auth(Auth),
    /// Nonce data (3.9).
    Nonce(Vec<u8>),
    /// Notify (3.10).
    Notify(Notify),
    /// Delete (3.11).
    Delete(Delete),
    /// Vendor ID (3.12).
    VendorId(Vec<u8>),
    /// Initiator traffic selectors (3.13).
    TsI(Vec<TrafficSelector>),
    /// Responder traffic selectors (3.13).
    TsR(Vec<TrafficSelector>),
    /// SK: encrypted and authenticated payloads (3.14); always last.
    Encrypted(Encrypted),
    /// SKF: one encrypted fragment (RFC 7383 2.5); always last.
    EncryptedFragment(EncryptedFragment),
    /// Configuration (3.15).
    Cp(Configuration),
    /// EAP message (3.16).
    Eap(Vec<u8>),
    /// A payload type this codec does not decode, kept verbatim.
    Unknown {
        /// Its payload type.
        kind: PayloadType,
        /// The critical bit from its generic header.
        critical: bool,
        /// Its body after the generic header.
        body: Vec<u8>,
    },
}

impl Payload {
    /// The payload type written in the preceding next-payload field.
    pub fn kind(&self) -> PayloadType {
        match self {
            Payload::Sa(_) => PayloadType::SA,
            Payload::Ke(_) => PayloadType::KE,
            Payload::IdI(_) => PayloadType::IDI,
            Payload::IdR(_) => PayloadType::IDR,
            Payload::Cert(_) => PayloadType::CERT,
            Payload::CertReq(_) => PayloadType::CERTREQ,
            Payload::Auth(_) => PayloadType::AUTH,
            Payload::Nonce(_) => PayloadType::NONCE,
            Payload::Notify(_) => PayloadType::NOTIFY,
            Payload::Delete(_) => PayloadType::DELETE,
            Payload::VendorId(_) => PayloadType::VENDOR,
            Payload::TsI(_) => PayloadType::TSI,
            Payload::TsR(_) => PayloadType::TSR,
            Payload::Encrypted(_) => PayloadType::SK,
            Payload::EncryptedFragment(_) => PayloadType::SKF,
            Payload::Cp(_) => PayloadType::CP,
            Payload::Eap(_) => PayloadType::EAP,
            Payload::Unknown { kind, .. } => *kind,
        }
    }

    /// Whether this is SK or SKF, which must end a chain.
    pub(super) fn is_encrypted(&self) -> bool {
        matches!(self, Payload::Encrypted(_) | Payload::EncryptedFragment(_))
    }

    /// Decodes the body of a payload of type `kind` whose generic header had
    /// the given `critical` bit and next-payload field `next`.
    pub(super) fn decode(
        kind: PayloadType,
        critical: bool,
        next: PayloadType,
        body: &[u8],
    ) -> Result<Payload, DecodeError> {
        Ok(match kind {
            PayloadType::SA => Payload::Sa(proposal::decode_list(body)?),
            PayloadType::KE => Payload::Ke(KeyExchange::decode(body)?),
            PayloadType::IDI => Payload::IdI(Identification::decode(body)?),
            PayloadType::IDR => Payload::IdR(Identification::decode(body)?),
            PayloadType::CERT => Payload::Cert(Cert::decode(body)?),
            PayloadType::CERTREQ => Payload::CertReq(CertReq::decode(body)?),
            PayloadType::AUTH => Payload::Auth(Auth::decode(body)?),
            PayloadType::NONCE => Payload::Nonce(body.to_vec()),
            PayloadType::NOTIFY => Payload::Notify(Notify::decode(body)?),
            PayloadType::DELETE => Payload::Delete(Delete::decode(body)?),
            PayloadType::VENDOR => Payload::VendorId(body.to_vec()),
            PayloadType::TSI => Payload::TsI(ts::decode_list(body)?),
            PayloadType::TSR => Payload::TsR(ts::decode_list(body)?),
            PayloadType::SK => Payload::Encrypted(Encrypted {
                next_payload: next,
                body: body.to_vec(),
            }),
            PayloadType::SKF => Payload::EncryptedFragment(EncryptedFragment::decode(next, body)?),
            PayloadType::CP => Payload::Cp(Configuration::decode(body)?),
            PayloadType::EAP => Payload::Eap(body.to_vec()),
            _ => Payload::Unknown {
                kind,
                critical,
                body: body.to_vec(),
            },
        })
    }

    /// The critical bit to write in the generic header.
    pub(super) fn critical(&self) -> bool {
        matches!(self, Payload::Unknown { critical: true, .. })
    }

    /// The next-payload value an SK/SKF payload carries for its inner chain.
    pub(super) fn inner_next(&self) -> Option<PayloadType> {
        match self {
            Payload::Encrypted(e) => Some(e.next_payload),
            Payload::EncryptedFragment(f) => Some(f.next_payload),
            _ => None,
        }
    }

    /// Appends the body (after the generic header).
    pub(super) fn encode_body(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Payload::Sa(proposals) => proposal::encode_list(proposals, out)?,
            Payload::Ke(ke) => ke.encode(out),
            Payload::IdI(id) | Payload::IdR(id) => out.extend_from_slice(&id.body()),
            Payload::Cert(cert) => cert.encode(out),
            Payload::CertReq(req) => req.encode(out),
            Payload::Auth(auth) => auth.encode(out),
            Payload::Nonce(data) | Payload::VendorId(data) | Payload::Eap(data) => {
                out.extend_from_slice(data)
            }
            Payload::Notify(notify) => notify.encode(out)?,
            Payload::Delete(delete) => delete.encode(out)?,
            Payload::TsI(list) | Payload::TsR(list) => ts::encode_list(list, out)?,
            Payload::Encrypted(e) => out.extend_from_slice(&e.body),
            Payload::EncryptedFragment(f) => f.encode(out)?,
            Payload::Cp(cfg) => cfg.encode(out)?,
            Payload::Unknown { kind, body, .. } => {
                if *kind == PayloadType::NONE || kind.name().is_some() {
                    return Err(EncodeError::UnknownPayloadKind { kind: *kind });
                }
                out.extend_from_slice(body)
            }
        }
        Ok(())
    }
}
