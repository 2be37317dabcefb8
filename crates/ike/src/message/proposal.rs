//! Proposal substructures of the SA payload (RFC 7296 3.3, 3.3.1).

use super::newtype::wire_newtype;
use super::transform;
use super::wire::{finish_prefixed, start_prefixed, to_u8, Reader};
use super::{DecodeError, EncodeError, Transform};

wire_newtype! {
    /// Security protocol identifier (RFC 7296 3.3.1).
    ProtocolId(u8) {
        /// No protocol (Notify payloads not about an SA).
        NONE = 0,
        /// IKE SA.
        IKE = 1,
        /// Authentication Header.
        AH = 2,
        /// Encapsulating Security Payload.
        ESP = 3,
    }
}

/// Last-substructure value of a proposal followed by another.
const MORE: u8 = 2;

/// A proposal substructure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// Proposal number, as given (1-based in well-formed SAs).
    pub num: u8,
    /// Protocol being negotiated.
    pub protocol: ProtocolId,
    /// Sender's SPI (empty in an initial IKE SA proposal).
    pub spi: Vec<u8>,
    /// Transforms, in wire order.
    pub transforms: Vec<Transform>,
}

/// Decodes the body of an SA payload.
///
/// An empty body yields no proposals; whether that is acceptable is up to the
/// caller.
pub(super) fn decode_list(body: &[u8]) -> Result<Vec<Proposal>, DecodeError> {
    let mut r = Reader::new(body);
    let mut proposals = Vec::new();
    while !r.is_empty() {
        let (last, _reserved, body) = r.prefixed("proposal")?;
        let expected = if r.is_empty() { 0 } else { MORE };
        if last != expected {
            return Err(DecodeError::BadLastSubstructure {
                what: "proposal",
                value: last,
            });
        }
        proposals.push(decode_body(body)?);
    }
    Ok(proposals)
}

/// Decodes a proposal substructure after its 4-byte prefix.
fn decode_body(body: &[u8]) -> Result<Proposal, DecodeError> {
    const WHAT: &str = "proposal";
    let mut r = Reader::new(body);
    let num = r.u8(WHAT)?;
    let protocol = ProtocolId(r.u8(WHAT)?);
    let spi_size = usize::from(r.u8(WHAT)?);
    let declared = r.u8(WHAT)?;
    let spi = r.take_declared(spi_size, "proposal SPI")?.to_vec();
    let transforms = transform::decode_list(r.rest(), declared)?;
    Ok(Proposal {
        num,
        protocol,
        spi,
        transforms,
    })
}

/// Appends proposal substructures with last-substructure markers.
pub(super) fn encode_list(proposals: &[Proposal], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    for (i, p) in proposals.iter().enumerate() {
        let last = if i + 1 == proposals.len() { 0 } else { MORE };
        let start = start_prefixed(out, last, 0);
        out.push(p.num);
        out.push(p.protocol.0);
        out.push(to_u8(p.spi.len(), "proposal SPI size")?);
        out.push(to_u8(p.transforms.len(), "transform count")?);
        out.extend_from_slice(&p.spi);
        transform::encode_list(&p.transforms, out)?;
        finish_prefixed(out, start, "proposal length")?;
    }
    Ok(())
}
