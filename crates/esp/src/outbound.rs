//! [`OutboundSa`]: seals inner IP packets into ESP packets.

use std::fmt;
use std::ops::Range;

use ibex_ike::crypto::{EncrAlg, IntegAlg};

use crate::crypto::{self, SealCipher};
use crate::error::EspError;
use crate::layout::{self, Layout};
use crate::next_header::NextHeader;
use crate::stats::OutboundStats;

/// The sending half of a Child SA (RFC 4303 tunnel mode).
///
/// # Buffers
///
/// [`Self::seal`] works in place and never allocates: the caller keeps the
/// inner packet in a buffer with at least [`Self::header_len`] bytes free
/// before it (at most [`Self::HEADROOM`], whatever the suite) and
/// [`Self::trailer_len`] bytes free after it (at most [`Self::TAILROOM`]).
/// The ESP packet is built around the payload and its range returned, ready
/// to be sent as the UDP payload (RFC 3948) or after an IP header.
///
/// ```
/// # use ibex_esp::{OutboundSa, NextHeader};
/// # use ibex_ike::crypto::EncrAlg;
/// let mut sa = OutboundSa::new(0x1234, EncrAlg::AesGcm16_128, None, &[7; 20], &[], false)?;
/// let inner = [0x45u8; 60];
/// let mut buf = [0u8; 60 + OutboundSa::HEADROOM + OutboundSa::TAILROOM];
/// let payload = OutboundSa::HEADROOM..OutboundSa::HEADROOM + inner.len();
/// buf[payload.clone()].copy_from_slice(&inner);
/// let esp = sa.seal(&mut buf, payload, NextHeader::Ipv4)?;
/// assert_eq!(esp.len(), 16 + 60 + 2 + 2 + 16);
/// # Ok::<(), ibex_esp::EspError>(())
/// ```
pub struct OutboundSa {
    spi: u32,
    encr: EncrAlg,
    integ: Option<IntegAlg>,
    esn: bool,
    layout: Layout,
    cipher: SealCipher,
    /// Last sequence number used (0: none yet).
    seq: u64,
    stats: OutboundStats,
}

impl OutboundSa {
    /// The largest header of any suite (SPI, sequence number, 16-byte CBC IV).
    pub const HEADROOM: usize = 24;
    /// The largest trailer of any suite (15 bytes of CBC padding, pad length,
    /// next header, the 32-byte ICV of HMAC-SHA-512-256).
    pub const TAILROOM: usize = 49;

    /// An SA for the peer's `spi`.
    ///
    /// `encr_key` is the cipher key, followed by the 4-byte salt for the
    /// AEADs (as in [`ibex_ike::ChildSaInfo`]); `integ` and `integ_key` are
    /// for AES-CBC only (`None` and empty for AEADs). `esn` selects 64-bit
    /// extended sequence numbers (RFC 4303 2.2.1).
    ///
    /// # Errors
    ///
    /// [`EspError::InvalidSa`] for key lengths that do not fit the
    /// algorithms, or an integrity algorithm missing (CBC) or present (AEAD).
    pub fn new(
        spi: u32,
        encr: EncrAlg,
        integ: Option<IntegAlg>,
        encr_key: &[u8],
        integ_key: &[u8],
        esn: bool,
    ) -> Result<Self, EspError> {
        let layout = crypto::layout(encr, integ)?;
        Ok(Self {
            spi,
            encr,
            integ,
            esn,
            layout,
            cipher: SealCipher::new(encr, integ, encr_key, integ_key)?,
            seq: 0,
            stats: OutboundStats::default(),
        })
    }

    /// Encrypts `buf[payload]` into an ESP packet in place and returns the
    /// packet's range in `buf`: `payload.start - header_len()` to
    /// `payload.end + trailer_len(payload.len())`.
    ///
    /// # Errors
    ///
    /// * [`EspError::SequenceExhausted`]: the last sequence number
    ///   (2^32 - 1, or 2^64 - 1 with ESN) was used; rekey the SA.
    /// * [`EspError::NoRoom`]: too little headroom or tailroom, or `payload`
    ///   is not inside `buf`. Nothing is consumed in either case.
    pub fn seal(
        &mut self,
        buf: &mut [u8],
        payload: Range<usize>,
        next_header: NextHeader,
    ) -> Result<Range<usize>, EspError> {
        let packet = self.packet_range(buf.len(), &payload)?;
        let seq = self.next_seq()?;
        self.seq = seq;
        let len = payload.end - payload.start;
        let trailer_start = payload.end;
        let trailer_end = packet.end - self.layout.icv_len;
        layout::write_trailer(&mut buf[trailer_start..trailer_end], next_header.to_u8());
        let out = &mut buf[packet.clone()];
        out[..4].copy_from_slice(&self.spi.to_be_bytes());
        out[4..8].copy_from_slice(&(seq as u32).to_be_bytes());
        self.cipher.seal(out, seq, self.esn)?;
        self.stats.packets += 1;
        self.stats.bytes += len as u64;
        self.stats.last_seq = seq;
        Ok(packet)
    }

    /// Moves the sequence number forward so that the next packet gets
    /// `last + 1` (tests and resumption; never backwards, which would reuse
    /// nonces).
    ///
    /// # Errors
    ///
    /// [`EspError::SequenceBackwards`] if `last` is below the last number
    /// used; [`EspError::SequenceExhausted`] beyond 2^32 - 1 without ESN.
    pub fn skip_to(&mut self, last: u64) -> Result<(), EspError> {
        if last < self.seq {
            return Err(EspError::SequenceBackwards);
        }
        if !self.esn && last > u64::from(u32::MAX) {
            return Err(EspError::SequenceExhausted);
        }
        self.seq = last;
        Ok(())
    }

    /// The SPI written into every packet.
    pub fn spi(&self) -> u32 {
        self.spi
    }

    /// Encryption algorithm.
    pub fn encr(&self) -> EncrAlg {
        self.encr
    }

    /// Integrity algorithm (CBC only).
    pub fn integ(&self) -> Option<IntegAlg> {
        self.integ
    }

    /// Extended sequence numbers in use.
    pub fn esn(&self) -> bool {
        self.esn
    }

    /// Bytes needed before the payload: 16 for the AEADs, 24 for AES-CBC.
    pub fn header_len(&self) -> usize {
        self.layout.header_len()
    }

    /// Bytes needed after a payload of `payload_len` bytes.
    pub fn trailer_len(&self, payload_len: usize) -> usize {
        self.layout.trailer_len(payload_len)
    }

    /// Bytes needed after any payload for this suite.
    pub fn trailer_max(&self) -> usize {
        self.layout.trailer_max()
    }

    /// Counters.
    pub fn stats(&self) -> OutboundStats {
        self.stats
    }

    /// The sequence number of the next packet, or
    /// [`EspError::SequenceExhausted`].
    fn next_seq(&self) -> Result<u64, EspError> {
        let limit = if self.esn {
            u64::MAX
        } else {
            u64::from(u32::MAX)
        };
        if self.seq >= limit {
            return Err(EspError::SequenceExhausted);
        }
        Ok(self.seq + 1)
    }

    /// The packet's range around `payload`, checking the room in a buffer of
    /// `buf_len` bytes.
    fn packet_range(
        &self,
        buf_len: usize,
        payload: &Range<usize>,
    ) -> Result<Range<usize>, EspError> {
        let header = self.layout.header_len();
        let len = payload
            .end
            .checked_sub(payload.start)
            .ok_or(EspError::NoRoom {
                needed: payload.start,
                available: payload.end,
            })?;
        let end = payload.end.saturating_add(self.layout.trailer_len(len));
        if end > buf_len {
            return Err(EspError::NoRoom {
                needed: end,
                available: buf_len,
            });
        }
        let start = payload.start.checked_sub(header).ok_or(EspError::NoRoom {
            needed: header,
            available: payload.start,
        })?;
        Ok(start..end)
    }
}

impl fmt::Debug for OutboundSa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundSa")
            .field("spi", &format_args!("{:#010x}", self.spi))
            .field("encr", &self.encr)
            .field("integ", &self.integ)
            .field("esn", &self.esn)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}
