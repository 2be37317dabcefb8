//! A whole IKE message: header plus payload chain.

use super::{
    decode_chain, try_encode_chain, DecodeError, EncodeError, Header, Payload, HEADER_LEN,
    MAX_MESSAGE_LEN,
};

/// An IKE message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The header; `length` and `next_payload` are recomputed on encode.
    pub header: Header,
    /// The payloads in wire order.
    pub payloads: Vec<Payload>,
}

impl Message {
    /// Decodes a whole datagram: [`Header::decode`] then [`decode_chain`].
    pub fn decode(buf: &[u8]) -> Result<Message, DecodeError> {
        let header = Header::decode(buf)?;
        let body = buf.get(HEADER_LEN..).unwrap_or_default();
        let payloads = decode_chain(header.next_payload, body)?;
        Ok(Message { header, payloads })
    }

    /// Encodes, computing header.length and next_payload / every payload's
    /// next-payload field and lengths itself.
    ///
    /// # Panics
    ///
    /// If the message cannot be represented on the wire; see
    /// [`Message::try_encode`].
    pub fn encode(&self) -> Vec<u8> {
        match self.try_encode() {
            Ok(bytes) => bytes,
            Err(e) => panic!("unencodable IKE message: {e}"),
        }
    }

    /// Like [`Message::encode`], but reports values that do not fit the wire
    /// format, including a total length above [`MAX_MESSAGE_LEN`].
    pub fn try_encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = vec![0; HEADER_LEN];
        let first = try_encode_chain(&self.payloads, &mut out)?;
        if out.len() > MAX_MESSAGE_LEN {
            return Err(EncodeError::FieldOverflow {
                what: "message length",
                value: out.len(),
            });
        }
        let header = Header {
            next_payload: first,
            length: out.len() as u32,
            ..self.header
        };
        if let Some(dst) = out.get_mut(..HEADER_LEN) {
            dst.copy_from_slice(&header.to_bytes());
        }
        Ok(out)
    }
}
