//! The keys and message-ID state of one IKE SA, and SK payload protection
//! (RFC 7296 2.1, 2.2, 3.14).

use super::fragment::{self, Reassembled, Reassembly, MAX_FRAGMENTS};
use crate::crypto::{IkeSaKeys, IkeSuite, RandomSource, SkCipher};
use crate::message::{
    decode_chain, encode_chain, ExchangeType, Header, Message, Payload, PayloadType, HEADER_LEN,
};

/// One IKE SA: SPIs, suite, keys, ciphers and message IDs.
pub(crate) struct IkeSa {
    pub spi_i: [u8; 8],
    pub spi_r: [u8; 8],
    /// We are the initiator of this IKE SA (the I flag we send).
    pub initiator: bool,
    pub suite: IkeSuite,
    pub keys: IkeSaKeys,
    out: SkCipher,
    inbound: SkCipher,
    /// Message ID of our next request.
    pub next_request_id: u32,
    /// Message ID of the peer's next request.
    pub next_peer_id: u32,
    /// The last response we sent, for retransmitted requests: (message ID, datagrams).
    pub cached_response: Option<(u32, Vec<Vec<u8>>)>,
    /// A fragmented message being reassembled (one at a time).
    reassembly: Option<Reassembly>,
    /// When this SA was replaced by a rekey (retired SAs expire).
    pub retired_at: Option<std::time::Instant>,
}

/// The outcome of reading a protected message.
pub(crate) enum Opened {
    /// A whole message: its inner payloads.
    Message(Vec<Payload>),
    /// A fragment was stored; the message is not complete yet.
    Fragment,
}

/// Why an inbound protected message was dropped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unprotect {
    #[error("malformed message: {0}")]
    Decode(#[from] crate::message::DecodeError),
    #[error("no SK payload")]
    NotEncrypted,
    #[error("integrity check failed")]
    Integrity,
}

impl IkeSa {
    pub fn new(
        spi_i: [u8; 8],
        spi_r: [u8; 8],
        initiator: bool,
        suite: IkeSuite,
        keys: IkeSaKeys,
    ) -> Result<IkeSa, crate::crypto::CryptoError> {
        let (ek_out, ak_out, ek_in, ak_in) = if initiator {
            (&keys.sk_ei, &keys.sk_ai, &keys.sk_er, &keys.sk_ar)
        } else {
            (&keys.sk_er, &keys.sk_ar, &keys.sk_ei, &keys.sk_ai)
        };
        let out = SkCipher::new(suite.encr, suite.integ, ek_out.expose(), ak_out.expose())?;
        let inbound = SkCipher::new(suite.encr, suite.integ, ek_in.expose(), ak_in.expose())?;
        Ok(IkeSa {
            spi_i,
            spi_r,
            initiator,
            suite,
            keys,
            out,
            inbound,
            next_request_id: 0,
            next_peer_id: 0,
            cached_response: None,
            reassembly: None,
            retired_at: None,
        })
    }

    /// Our own SPI in this SA.
    pub fn local_spi(&self) -> [u8; 8] {
        if self.initiator {
            self.spi_i
        } else {
            self.spi_r
        }
    }

    /// Builds the protected datagrams carrying `payloads`: one SK message, or
    /// SKF fragments (RFC 7383) when `fragment_at` is set and it is exceeded.
    pub fn protect(
        &mut self,
        rng: &mut dyn RandomSource,
        exchange: ExchangeType,
        response: bool,
        message_id: u32,
        payloads: &[Payload],
        fragment_at: Option<usize>,
    ) -> Vec<Vec<u8>> {
        let mut inner = Vec::new();
        let first = encode_chain(payloads, &mut inner);
        let body_len = self.out.body_len(inner.len());
        let total = HEADER_LEN + 4 + body_len;
        let header = Header {
            spi_i: self.spi_i,
            spi_r: self.spi_r,
            next_payload: PayloadType::SK,
            version: 0x20,
            exchange,
            flags: fragment::flags(self.initiator, response),
            message_id,
            length: total as u32,
        };
        if let Some(max) = fragment_at.filter(|m| total > *m) {
            return fragment::split(&mut self.out, rng, &header, first, &inner, max);
        }
        let mut out = Vec::with_capacity(total);
        header.encode(&mut out);
        out.push(first.0);
        out.push(0);
        out.extend_from_slice(&((4 + body_len) as u16).to_be_bytes());
        let aad = out.clone();
        self.out.seal(rng, &aad, &inner, &mut out);
        debug_assert_eq!(out.len(), total);
        vec![out]
    }

    /// Verifies and decrypts a message or fragment. Nothing changes on
    /// failure; a fragment only changes the reassembly buffer once it is
    /// authenticated.
    pub fn unprotect(&mut self, data: &[u8]) -> Result<Opened, Unprotect> {
        let msg = Message::decode(data)?;
        if let Some(Payload::EncryptedFragment(f)) = msg.payloads.last() {
            if f.total == 0 || f.total > MAX_FRAGMENTS || f.number == 0 || f.number > f.total {
                return Err(Unprotect::Integrity);
            }
            let aad_len = data.len() - f.body.len();
            let plain = self
                .inbound
                .open(&data[..aad_len], &f.body)
                .map_err(|_| Unprotect::Integrity)?;
            let h = &msg.header;
            if !self.reassembly.as_ref().is_some_and(|r| r.matches(h)) {
                self.reassembly = Some(Reassembly::new(h, f.total));
            }
            let Some(r) = self.reassembly.as_mut() else {
                return Ok(Opened::Fragment);
            };
            return match r.add(f, plain) {
                Reassembled::Incomplete => Ok(Opened::Fragment),
                Reassembled::Rejected => {
                    self.reassembly = None;
                    Err(Unprotect::Integrity)
                }
                Reassembled::Complete(first, chain) => {
                    self.reassembly = None;
                    Ok(Opened::Message(decode_chain(first, &chain)?))
                }
            };
        }
        let Some(Payload::Encrypted(sk)) = msg.payloads.last() else {
            return Err(Unprotect::NotEncrypted);
        };
        let aad_len = data.len() - sk.body.len();
        let plain = self
            .inbound
            .open(&data[..aad_len], &sk.body)
            .map_err(|_| Unprotect::Integrity)?;
        let mut payloads: Vec<Payload> = msg.payloads[..msg.payloads.len() - 1].to_vec();
        payloads.extend(decode_chain(sk.next_payload, &plain)?);
        Ok(Opened::Message(payloads))
    }
}
