//! EAP-TLS framing (RFC 5216 3.1, 3.2): a flags byte, an optional 4-byte
//! TLS Message Length, then TLS data; fragmentation and reassembly.
//!
//! ```text
//! | Flags (L M S R R R R R) | TLS Message Length (4, if L) | TLS Data ... |
//! ```

use thiserror::Error;

/// L: the TLS Message Length field is present.
pub(crate) const FLAG_LENGTH: u8 = 0x80;
/// M: more fragments follow.
pub(crate) const FLAG_MORE: u8 = 0x40;
/// S: EAP-TLS Start (server only).
pub(crate) const FLAG_START: u8 = 0x20;
/// Largest reassembled TLS message accepted.
pub(crate) const MAX_MESSAGE: usize = 64 * 1024;
/// EAP header (code, identifier, length, type) in front of the flags.
const EAP_HEADER: usize = 5;

/// Why EAP-TLS type-data could not be read or reassembled.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// No flags byte.
    #[error("EAP-TLS message without flags")]
    Empty,
    /// The L flag is set but the length field is cut short.
    #[error("EAP-TLS message length field truncated")]
    Truncated,
    /// The announced or accumulated length is over [`MAX_MESSAGE`].
    #[error("EAP-TLS message of {0} bytes is over the {MAX_MESSAGE}-byte limit")]
    TooLong(usize),
    /// The fragments carry more than the announced length.
    #[error("EAP-TLS fragments carry more than the announced {0} bytes")]
    Overrun(usize),
    /// The last fragment leaves the message shorter than announced.
    #[error("EAP-TLS message of {got} bytes, {announced} announced")]
    Short {
        /// Bytes received.
        got: usize,
        /// Bytes announced by the L field.
        announced: usize,
    },
    /// A fragment that says more follow but carries nothing.
    #[error("empty EAP-TLS fragment with more to follow")]
    EmptyFragment,
}

/// One EAP-TLS message (the type-data after the EAP type byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Frame<'a> {
    pub flags: u8,
    /// The TLS Message Length, when L is set.
    pub length: Option<u32>,
    pub data: &'a [u8],
}

impl Frame<'_> {
    pub(crate) fn start(&self) -> bool {
        self.flags & FLAG_START != 0
    }

    pub(crate) fn more(&self) -> bool {
        self.flags & FLAG_MORE != 0
    }

    /// An acknowledgement (or the final empty response): no data, nothing
    /// to follow, not a start.
    pub(crate) fn is_ack(&self) -> bool {
        self.data.is_empty() && !self.more() && !self.start()
    }
}

/// Reads the flags, the optional length and the data. Reserved flag bits
/// are ignored.
pub(crate) fn parse(type_data: &[u8]) -> Result<Frame<'_>, FrameError> {
    let (&flags, rest) = type_data.split_first().ok_or(FrameError::Empty)?;
    if flags & FLAG_LENGTH == 0 {
        return Ok(Frame {
            flags,
            length: None,
            data: rest,
        });
    }
    let (len, data) = rest.split_first_chunk::<4>().ok_or(FrameError::Truncated)?;
    Ok(Frame {
        flags,
        length: Some(u32::from_be_bytes(*len)),
        data,
    })
}

/// The server's EAP-TLS Start.
pub(crate) fn start() -> Vec<u8> {
    vec![FLAG_START]
}

/// An acknowledgement, also the peer's final empty response.
pub(crate) fn ack() -> Vec<u8> {
    vec![0]
}

/// Incoming fragments of one TLS message.
#[derive(Debug, Default)]
pub(crate) struct Reassembly {
    buf: Vec<u8>,
    /// The L value of the first fragment.
    announced: Option<usize>,
    /// A first fragment with M was received.
    active: bool,
}

impl Reassembly {
    /// Adds a fragment: `Some(message)` once the last one (M clear) is in.
    /// Nothing is kept on error. The L value of later fragments is ignored;
    /// the total never exceeds the first L value nor [`MAX_MESSAGE`].
    pub(crate) fn push(&mut self, frame: &Frame<'_>) -> Result<Option<Vec<u8>>, FrameError> {
        let result = self.push_inner(frame);
        if !matches!(result, Ok(None)) {
            *self = Reassembly::default();
        }
        result
    }

    fn push_inner(&mut self, frame: &Frame<'_>) -> Result<Option<Vec<u8>>, FrameError> {
        if !self.active {
            if let Some(len) = frame.length {
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                if len > MAX_MESSAGE {
                    return Err(FrameError::TooLong(len));
                }
                self.announced = Some(len);
            }
        }
        if frame.more() && frame.data.is_empty() {
            return Err(FrameError::EmptyFragment);
        }
        let total = self.buf.len().saturating_add(frame.data.len());
        match self.announced {
            Some(announced) if total > announced => return Err(FrameError::Overrun(announced)),
            None if total > MAX_MESSAGE => return Err(FrameError::TooLong(total)),
            _ => {}
        }
        self.buf.extend_from_slice(frame.data);
        if frame.more() {
            self.active = true;
            return Ok(None);
        }
        let message = std::mem::take(&mut self.buf);
        match self.announced {
            Some(announced) if message.len() != announced => Err(FrameError::Short {
                got: message.len(),
                announced,
            }),
            _ => Ok(Some(message)),
        }
    }
}

/// Outgoing fragments of one TLS message.
#[derive(Debug)]
pub(crate) struct Outgoing {
    data: Vec<u8>,
    sent: usize,
    /// Largest EAP packet, header included.
    max_packet: usize,
}

impl Outgoing {
    /// `max_packet` counts the whole EAP packet; it is at least
    /// [`super::config::MIN_FRAGMENT`].
    pub(crate) fn new(data: Vec<u8>, max_packet: usize) -> Outgoing {
        Outgoing {
            data,
            sent: 0,
            max_packet,
        }
    }

    /// Fragments still to send after the ones returned so far.
    pub(crate) fn pending(&self) -> bool {
        self.sent < self.data.len()
    }

    /// The next fragment's type-data: the whole message when it fits in one
    /// packet (no L), else L and M on the first, M on all but the last.
    pub(crate) fn next_fragment(&mut self) -> Vec<u8> {
        let rest = &self.data[self.sent..];
        let room = self.max_packet.saturating_sub(EAP_HEADER + 1).max(1);
        if self.sent == 0 && rest.len() <= room {
            self.sent = self.data.len();
            let mut out = Vec::with_capacity(1 + rest.len());
            out.push(0);
            out.extend_from_slice(rest);
            return out;
        }
        let mut out = Vec::with_capacity(self.max_packet);
        let room = if self.sent == 0 {
            // The length field fits: MAX_MESSAGE-sized messages at most.
            let total = u32::try_from(self.data.len()).unwrap_or(u32::MAX);
            out.push(FLAG_LENGTH | FLAG_MORE);
            out.extend_from_slice(&total.to_be_bytes());
            room.saturating_sub(4).max(1)
        } else {
            out.push(0);
            room
        };
        let take = rest.len().min(room);
        out.extend_from_slice(&rest[..take]);
        self.sent += take;
        if self.pending() {
            out[0] |= FLAG_MORE;
        } else {
            out[0] &= !FLAG_MORE;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(flags: u8, length: Option<u32>, data: &[u8]) -> Frame<'_> {
        Frame {
            flags,
            length,
            data,
        }
    }

    #[test]
    fn parses_flags_and_length() {
        assert_eq!(parse(&[]), Err(FrameError::Empty));
        assert_eq!(parse(&[0x80, 0, 0]), Err(FrameError::Truncated));
        let f = parse(&[0xc0, 0, 0, 1, 0, 9, 9]).unwrap();
        assert_eq!((f.length, f.data, f.more()), (Some(256), &[9, 9][..], true));
        let f = parse(&[0x20]).unwrap();
        assert!(f.start() && !f.is_ack());
        assert!(parse(&[0x00]).unwrap().is_ack());
        // Reserved bits are ignored.
        assert!(parse(&[0x1f]).unwrap().is_ack());
    }

    #[test]
    fn reassembles_and_bounds() {
        let mut r = Reassembly::default();
        assert_eq!(r.push(&frame(0xc0, Some(5), b"ab")), Ok(None));
        assert_eq!(r.push(&frame(0x40, None, b"cd")), Ok(None));
        assert_eq!(r.push(&frame(0, None, b"e")), Ok(Some(b"abcde".to_vec())));
        // Unfragmented, with and without L.
        assert_eq!(r.push(&frame(0, None, b"xyz")), Ok(Some(b"xyz".to_vec())));
        assert_eq!(r.push(&frame(0x80, Some(1), b"x")), Ok(Some(b"x".to_vec())));
        assert_eq!(
            r.push(&frame(0x80, Some(2), b"x")),
            Err(FrameError::Short {
                got: 1,
                announced: 2
            })
        );
        // Announced too long, overrun, empty fragment.
        assert_eq!(
            r.push(&frame(0xc0, Some(70_000), b"a")),
            Err(FrameError::TooLong(70_000))
        );
        assert_eq!(r.push(&frame(0xc0, Some(3), b"ab")), Ok(None));
        assert_eq!(
            r.push(&frame(0x40, None, b"cd")),
            Err(FrameError::Overrun(3))
        );
        assert_eq!(
            r.push(&frame(0x40, None, b"")),
            Err(FrameError::EmptyFragment)
        );
        // Without L the cap still holds.
        let chunk = vec![7u8; 1000];
        let mut err = None;
        for _ in 0..70 {
            match r.push(&frame(0x40, None, &chunk)) {
                Ok(None) => {}
                other => {
                    err = Some(other);
                    break;
                }
            }
        }
        assert_eq!(err, Some(Err(FrameError::TooLong(MAX_MESSAGE + 464))));
        // After an error the state is clean.
        assert_eq!(r.push(&frame(0, None, b"ok")), Ok(Some(b"ok".to_vec())));
    }

    #[test]
    fn fragments_round_trip() {
        let data: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
        let mut out = Outgoing::new(data.clone(), 200);
        let mut r = Reassembly::default();
        let mut packets = 0;
        let message = loop {
            let frag = out.next_fragment();
            assert!(EAP_HEADER + frag.len() <= 200);
            packets += 1;
            if packets == 1 {
                assert_eq!(frag[0], FLAG_LENGTH | FLAG_MORE);
            }
            if let Some(m) = r.push(&parse(&frag).unwrap()).unwrap() {
                assert!(!out.pending());
                break m;
            }
        };
        assert_eq!(message, data);
        assert_eq!(packets, 6);
        // A message that fits goes out whole, without L.
        let mut small = Outgoing::new(vec![1; 194], 200);
        assert_eq!(small.next_fragment()[0], 0);
        assert!(!small.pending());
    }
}
