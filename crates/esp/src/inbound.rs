//! [`InboundSa`]: verifies, decrypts and unpads ESP packets.

use std::fmt;
use std::ops::Range;

use ibex_ike::crypto::{EncrAlg, IntegAlg};

use crate::crypto::{self, OpenCipher};
use crate::error::EspError;
use crate::layout::{self, Layout};
use crate::next_header::NextHeader;
use crate::replay::ReplayWindow;
use crate::stats::InboundStats;

/// A packet accepted by [`InboundSa::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// IPv4 or IPv6 (dummy packets are never returned).
    pub next_header: NextHeader,
    /// Where the decrypted inner IP packet lies in the buffer given to
    /// `open`.
    pub inner: Range<usize>,
    /// The packet's full sequence number.
    pub seq: u64,
    /// The sequence number is the highest accepted so far: the packet is
    /// new, neither a replay nor a late one (RFC 7296 2.23 lets only such
    /// packets move an SA to a new NAT mapping).
    pub newest: bool,
}

/// The receiving half of a Child SA (RFC 4303 tunnel mode).
///
/// [`Self::open`] takes the ESP packet (the UDP payload under RFC 3948, or
/// what follows the IP header) in a mutable buffer, decrypts it in place and
/// returns where the inner packet is; it never allocates. Every rejected
/// packet is counted in [`InboundStats::drops`] under its reason.
///
/// Order of checks (RFC 4303 3.4): length, SPI, sequence number against the
/// anti-replay window, ICV, and only then the window update, the padding and
/// the next header. A packet that fails the ICV never touches the window.
pub struct InboundSa {
    spi: u32,
    encr: EncrAlg,
    integ: Option<IntegAlg>,
    esn: bool,
    layout: Layout,
    cipher: OpenCipher,
    window: ReplayWindow,
    stats: InboundStats,
}

impl InboundSa {
    /// An SA for our `spi`; the parameters are those of
    /// [`crate::OutboundSa::new`].
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
            cipher: OpenCipher::new(encr, integ, encr_key, integ_key)?,
            window: ReplayWindow::new(),
            stats: InboundStats::default(),
        })
    }

    /// Verifies and decrypts the ESP packet `packet` in place.
    ///
    /// # Errors
    ///
    /// A drop reason (counted before it is returned): [`EspError::Malformed`],
    /// [`EspError::WrongSpi`], [`EspError::TooOld`], [`EspError::Replayed`],
    /// [`EspError::Integrity`], [`EspError::BadPadding`],
    /// [`EspError::UnknownNextHeader`], or [`EspError::DummyPacket`] for a
    /// valid dummy packet, which the caller discards like the others.
    pub fn open(&mut self, packet: &mut [u8]) -> Result<Opened, EspError> {
        match self.open_inner(packet) {
            Ok(opened) => {
                self.stats.packets += 1;
                self.stats.bytes += (opened.inner.end - opened.inner.start) as u64;
                Ok(opened)
            }
            Err(e) => {
                self.stats.drops.count(&e);
                Err(e)
            }
        }
    }

    fn open_inner(&mut self, packet: &mut [u8]) -> Result<Opened, EspError> {
        let (Some(spi), Some(low), true) = (
            packet.get(..4),
            packet.get(4..8),
            packet.len() >= self.layout.min_packet(),
        ) else {
            return Err(EspError::Malformed);
        };
        let spi = u32::from_be_bytes([spi[0], spi[1], spi[2], spi[3]]);
        if spi != self.spi {
            return Err(EspError::WrongSpi {
                expected: self.spi,
                got: spi,
            });
        }
        let low = u32::from_be_bytes([low[0], low[1], low[2], low[3]]);
        let seq = if self.esn {
            self.window
                .infer_esn(low)
                .ok_or(EspError::TooOld(u64::from(low)))?
        } else {
            u64::from(low)
        };
        self.window.check(seq)?;
        let newest = seq > self.window.top();
        let plaintext = self.cipher.open(packet, seq, self.esn)?;
        // authenticated: the window moves even if the content is refused
        self.window.update(seq);
        self.stats.last_seq = self.window.top();
        let (len, next_header) = layout::read_trailer(&packet[plaintext.clone()])?;
        let next_header = match NextHeader::from_u8(next_header) {
            Some(NextHeader::NoNext) => return Err(EspError::DummyPacket),
            Some(nh) => nh,
            None => return Err(EspError::UnknownNextHeader(next_header)),
        };
        Ok(Opened {
            next_header,
            inner: plaintext.start..plaintext.start + len,
            seq,
            newest,
        })
    }

    /// The SPI this SA accepts.
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

    /// The anti-replay window.
    pub fn window(&self) -> &ReplayWindow {
        &self.window
    }

    /// Counters.
    pub fn stats(&self) -> InboundStats {
        self.stats
    }
}

impl fmt::Debug for InboundSa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundSa")
            .field("spi", &format_args!("{:#010x}", self.spi))
            .field("encr", &self.encr)
            .field("integ", &self.integ)
            .field("esn", &self.esn)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}
