//! Payload chains linked by next-payload fields (RFC 7296 3.2).

use super::wire::{finish_prefixed, start_prefixed, Reader};
use super::{DecodeError, EncodeError, Payload, PayloadType};

/// Critical bit in the second byte of the generic payload header.
const CRITICAL: u8 = 0x80;

/// Decode a payload chain that starts with `first` (used for the plaintext
/// inside SK, and for the body of a message after its header).
///
/// An SK or SKF payload ends the chain and must reach exactly the end of
/// `buf` (else `PayloadAfterEncrypted`); otherwise the chain ends at next
/// payload `NONE`, which must coincide with the end of `buf`.
pub fn decode_chain(first: PayloadType, buf: &[u8]) -> Result<Vec<Payload>, DecodeError> {
    let mut r = Reader::new(buf);
    let mut payloads = Vec::new();
    let mut kind = first;
    while kind != PayloadType::NONE {
        let (next, flags, body) = r.prefixed("payload")?;
        let next = PayloadType(next);
        let payload = Payload::decode(kind, flags & CRITICAL != 0, next, body)?;
        if payload.is_encrypted() {
            if !r.is_empty() {
                return Err(DecodeError::PayloadAfterEncrypted);
            }
            payloads.push(payload);
            return Ok(payloads);
        }
        payloads.push(payload);
        kind = next;
    }
    if !r.is_empty() {
        return Err(DecodeError::TrailingBytes { len: r.remaining() });
    }
    Ok(payloads)
}

/// Encode a payload chain, appending to `out`; returns the type of the first
/// payload (`PayloadType::NONE` if empty).
///
/// # Panics
///
/// If the chain cannot be represented on the wire; see [`try_encode_chain`].
pub fn encode_chain(payloads: &[Payload], out: &mut Vec<u8>) -> PayloadType {
    match try_encode_chain(payloads, out) {
        Ok(first) => first,
        Err(e) => panic!("unencodable IKE payload chain: {e}"),
    }
}

/// Like [`encode_chain`], but reports values that do not fit the wire format
/// (oversized fields, SK/SKF not last, inconsistent fields) instead of
/// panicking. On error `out` is left as it was.
pub fn try_encode_chain(
    payloads: &[Payload],
    out: &mut Vec<u8>,
) -> Result<PayloadType, EncodeError> {
    let original_len = out.len();
    let result = encode_into(payloads, out);
    if result.is_err() {
        out.truncate(original_len);
    }
    result
}

/// Appends the chain; `out` may hold a partial encoding on error.
fn encode_into(payloads: &[Payload], out: &mut Vec<u8>) -> Result<PayloadType, EncodeError> {
    for (i, payload) in payloads.iter().enumerate() {
        let next = match (payloads.get(i + 1), payload.inner_next()) {
            (Some(_), Some(_)) => return Err(EncodeError::EncryptedNotLast),
            (Some(following), None) => following.kind(),
            (None, Some(inner)) => inner,
            (None, None) => PayloadType::NONE,
        };
        let flags = if payload.critical() { CRITICAL } else { 0 };
        let start = start_prefixed(out, next.0, flags);
        payload.encode_body(out)?;
        finish_prefixed(out, start, "payload length")?;
    }
    Ok(payloads.first().map_or(PayloadType::NONE, Payload::kind))
}
