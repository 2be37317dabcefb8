//! IKE fragmentation (RFC 7383): splitting protected messages into SKF
//! payloads and reassembling them with bounded memory.

use crate::crypto::{RandomSource, SkCipher};
use crate::message::{EncryptedFragment, ExchangeType, Flags, Header, PayloadType, HEADER_LEN};

/// At most this many fragments per message (RFC 7383 leaves it open).
pub(crate) const MAX_FRAGMENTS: u16 = 64;
/// At most this many reassembled plaintext bytes per message.
pub(crate) const MAX_REASSEMBLED: usize = 64 * 1024;
/// SKF generic header plus fragment number and total.
const SKF_HEADER: usize = 8;

/// Splits `inner` (the encoded payload chain, first type `first`) into
/// protected SKF messages no larger than `max` bytes each.
#[allow(clippy::too_many_arguments)]
pub(crate) fn split(
    cipher: &mut SkCipher,
    rng: &mut dyn RandomSource,
    base: &Header,
    first: PayloadType,
    inner: &[u8],
    max: usize,
) -> Vec<Vec<u8>> {
    // Largest chunk whose fragment fits in `max`.
    let room = max.saturating_sub(HEADER_LEN + SKF_HEADER);
    let mut chunk = room;
    while chunk > 0 && cipher.body_len(chunk) > room {
        chunk -= 1;
    }
    let chunk = chunk.max(1);
    let total = inner.len().div_ceil(chunk).max(1);
    let total = total.min(MAX_FRAGMENTS as usize) as u16;
    let chunk = inner.len().div_ceil(total as usize).max(1);
    let mut out = Vec::with_capacity(total as usize);
    for (i, part) in inner.chunks(chunk).enumerate() {
        let number = i as u16 + 1;
        let body_len = cipher.body_len(part.len());
        let mut header = *base;
        header.next_payload = PayloadType::SKF;
        header.length = (HEADER_LEN + SKF_HEADER + body_len) as u32;
        let mut msg = Vec::with_capacity(header.length as usize);
        header.encode(&mut msg);
        msg.push(if number == 1 { first.0 } else { 0 });
        msg.push(0);
        msg.extend_from_slice(&((SKF_HEADER + body_len) as u16).to_be_bytes());
        msg.extend_from_slice(&number.to_be_bytes());
        msg.extend_from_slice(&total.to_be_bytes());
        let aad = msg.clone();
        cipher.seal(rng, &aad, part, &mut msg);
        out.push(msg);
    }
    out
}

/// A message being reassembled.
pub(crate) struct Reassembly {
    pub message_id: u32,
    pub response: bool,
    pub exchange: ExchangeType,
    total: u16,
    first: PayloadType,
    parts: Vec<Option<Vec<u8>>>,
    bytes: usize,
}

/// What a fragment did to the reassembly.
pub(crate) enum Reassembled {
    /// More fragments are needed.
    Incomplete,
    /// All fragments are in: the first inner payload type and the plaintext chain.
    Complete(PayloadType, Vec<u8>),
    /// The fragment does not fit (too many, too large, inconsistent): dropped.
    Rejected,
}

impl Reassembly {
    /// Starts reassembling the message of this header.
    pub fn new(header: &Header, total: u16) -> Reassembly {
        Reassembly {
            message_id: header.message_id,
            response: header.flags.is_response(),
            exchange: header.exchange,
            total,
            first: PayloadType::NONE,
            parts: vec![None; total as usize],
            bytes: 0,
        }
    }

    /// Whether this reassembly belongs to the message of `header`.
    pub fn matches(&self, header: &Header) -> bool {
        self.message_id == header.message_id
            && self.response == header.flags.is_response()
            && self.exchange == header.exchange
    }

    /// Adds one authenticated, decrypted fragment.
    pub fn add(&mut self, frag: &EncryptedFragment, plaintext: Vec<u8>) -> Reassembled {
        if frag.total != self.total || frag.number == 0 || frag.number > self.total {
            return Reassembled::Rejected;
        }
        let slot = &mut self.parts[frag.number as usize - 1];
        if slot.is_some() {
            return Reassembled::Incomplete;
        }
        if self.bytes + plaintext.len() > MAX_REASSEMBLED {
            return Reassembled::Rejected;
        }
        self.bytes += plaintext.len();
        if frag.number == 1 {
            self.first = frag.next_payload;
        }
        *slot = Some(plaintext);
        if self.parts.iter().all(Option::is_some) {
            let mut all = Vec::with_capacity(self.bytes);
            for p in self.parts.iter_mut() {
                all.extend(p.take().unwrap_or_default());
            }
            return Reassembled::Complete(self.first, all);
        }
        Reassembled::Incomplete
    }
}

/// The flags byte for a message we send on an SA.
pub(crate) fn flags(initiator: bool, response: bool) -> Flags {
    let mut f = 0u8;
    if initiator {
        f |= Flags::INITIATOR.0;
    }
    if response {
        f |= Flags::RESPONSE.0;
    }
    Flags(f)
}
