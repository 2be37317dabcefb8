//! Delete payload (RFC 7296 3.11).

use super::wire::{to_u16, Reader};
use super::{DecodeError, EncodeError, ProtocolId};

/// Delete payload body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delete {
    /// Protocol of the SAs deleted (IKE for the IKE SA itself).
    pub protocol: ProtocolId,
    /// Size of each SPI (0 for IKE, 4 for ESP/AH).
    pub spi_size: u8,
    /// SPIs of the deleted SAs, each `spi_size` bytes (none for IKE).
    pub spis: Vec<Vec<u8>>,
}

impl Delete {
    /// Decodes the payload body after the generic header.
    pub(super) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        const WHAT: &str = "Delete payload";
        let mut r = Reader::new(body);
        let protocol = ProtocolId(r.u8(WHAT)?);
        let spi_size = r.u8(WHAT)?;
        let count = usize::from(r.u16(WHAT)?);
        let rest = r.rest();
        if spi_size == 0 && count != 0 {
            return Err(DecodeError::CountMismatch {
                what: "zero-size Delete SPIs",
                declared: count,
                found: 0,
            });
        }
        if usize::from(spi_size) * count != rest.len() {
            return Err(DecodeError::BadLength {
                what: "Delete SPIs",
                len: rest.len(),
            });
        }
        let spis = match usize::from(spi_size) {
            0 => Vec::new(),
            size => rest.chunks_exact(size).map(<[u8]>::to_vec).collect(),
        };
        Ok(Self {
            protocol,
            spi_size,
            spis,
        })
    }

    /// Appends the payload body after the generic header.
    pub(super) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let inconsistent = if self.spi_size == 0 {
            !self.spis.is_empty()
        } else {
            self.spis
                .iter()
                .any(|spi| spi.len() != usize::from(self.spi_size))
        };
        if inconsistent {
            return Err(EncodeError::Inconsistent {
                what: "Delete SPI size",
            });
        }
        out.push(self.protocol.0);
        out.push(self.spi_size);
        out.extend_from_slice(&to_u16(self.spis.len(), "Delete SPI count")?.to_be_bytes());
        for spi in &self.spis {
            out.extend_from_slice(spi);
        }
        Ok(())
    }
}
