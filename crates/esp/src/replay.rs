//! [`ReplayWindow`]: the receiver's anti-replay window (RFC 4303 3.4.3),
//! as the block bitmap of RFC 6479, with ESN inference (RFC 4303 A2).

use crate::error::EspError;

/// Bits per bitmap block.
const BLOCK_BITS: u64 = 64;
/// Blocks in the ring; a power of two, at least `WINDOW / 64 + 1` so that
/// sliding the window clears whole blocks without touching live bits.
const BLOCKS: usize = 32;

/// Anti-replay state of one inbound SA.
///
/// The window covers the [`ReplayWindow::SIZE`] sequence numbers ending at
/// the highest one authenticated so far (`top`): a number in
/// `top - SIZE + 1 ..= top` is accepted once, anything lower is too old,
/// anything higher is new and slides the window. Checking is separate from
/// updating so that the caller can verify the ICV in between: a forged packet
/// never moves the window.
#[derive(Clone, PartialEq, Eq)]
pub struct ReplayWindow {
    /// Bit `s % 64` of block `(s / 64) % BLOCKS` is set once `s` was accepted.
    bitmap: [u64; BLOCKS],
    /// Highest accepted sequence number; 0 before the first packet.
    top: u64,
}

impl ReplayWindow {
    /// Packets the window spans.
    pub const SIZE: u64 = 1024;

    /// An empty window (no packet received).
    pub fn new() -> Self {
        Self {
            bitmap: [0; BLOCKS],
            top: 0,
        }
    }

    /// Highest sequence number accepted so far (0 if none).
    pub fn top(&self) -> u64 {
        self.top
    }

    /// The full 64-bit sequence number of a packet carrying `low` on the
    /// wire, under ESN (RFC 4303 Appendix A2.2): the high half is the one
    /// that puts the number closest to the window. `None` when the
    /// inferred number would lie before 0 or beyond 2^64 - 1.
    pub fn infer_esn(&self, low: u32) -> Option<u64> {
        let window = Self::SIZE as u32;
        let top_high = (self.top >> 32) as u32;
        let top_low = self.top as u32;
        let high = if top_low >= window - 1 {
            // Case A: the window lies within one sequence subspace.
            if low >= top_low - (window - 1) {
                Some(top_high)
            } else {
                top_high.checked_add(1)
            }
        } else if low >= top_low.wrapping_sub(window - 1) {
            // Case B: the window spans two subspaces; `low` is in the
            // lower one.
            top_high.checked_sub(1)
        } else {
            Some(top_high)
        }?;
        Some((u64::from(high) << 32) | u64::from(low))
    }

    /// Whether `seq` may be accepted: [`EspError::TooOld`] for 0 and left of
    /// the window, [`EspError::Replayed`] if already accepted.
    pub fn check(&self, seq: u64) -> Result<(), EspError> {
        if seq > self.top {
            return Ok(());
        }
        if seq == 0 || self.top - seq >= Self::SIZE {
            return Err(EspError::TooOld(seq));
        }
        let (block, mask) = Self::position(seq);
        if self.bitmap[block] & mask != 0 {
            Err(EspError::Replayed(seq))
        } else {
            Ok(())
        }
    }

    /// Records `seq` as received (after [`Self::check`] and the ICV). A
    /// number that does not pass `check` leaves the window as it is.
    pub fn update(&mut self, seq: u64) {
        if self.check(seq).is_err() {
            return;
        }
        if seq > self.top {
            let current = self.top / BLOCK_BITS;
            let advance = (seq / BLOCK_BITS - current).min(BLOCKS as u64);
            for i in 1..=advance {
                self.bitmap[(current.wrapping_add(i) % BLOCKS as u64) as usize] = 0;
            }
            self.top = seq;
        }
        let (block, mask) = Self::position(seq);
        self.bitmap[block] |= mask;
    }

    /// Block index and bit mask of `seq`.
    fn position(seq: u64) -> (usize, u64) {
        (
            ((seq / BLOCK_BITS) % BLOCKS as u64) as usize,
            1 << (seq % BLOCK_BITS),
        )
    }
}

impl Default for ReplayWindow {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for ReplayWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReplayWindow(top {}, size {})", self.top, Self::SIZE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(w: &mut ReplayWindow, seq: u64) -> Result<(), EspError> {
        w.check(seq)?;
        w.update(seq);
        Ok(())
    }

    #[test]
    fn zero_is_never_valid() {
        let w = ReplayWindow::new();
        assert_eq!(w.check(0), Err(EspError::TooOld(0)));
    }

    #[test]
    fn in_order_reorder_and_replay() {
        let mut w = ReplayWindow::new();
        for s in [1, 2, 5, 4, 3, 100] {
            assert_eq!(accept(&mut w, s), Ok(()), "{s}");
        }
        for s in [1, 2, 3, 4, 5, 100] {
            assert_eq!(w.check(s), Err(EspError::Replayed(s)));
        }
        assert_eq!(w.top(), 100);
        assert_eq!(accept(&mut w, 99), Ok(()));
    }

    #[test]
    fn window_edges() {
        let mut w = ReplayWindow::new();
        let top = 5000;
        accept(&mut w, top).unwrap();
        let oldest = top - ReplayWindow::SIZE + 1;
        assert_eq!(w.check(oldest - 1), Err(EspError::TooOld(oldest - 1)));
        assert_eq!(accept(&mut w, oldest), Ok(()));
        assert_eq!(w.check(oldest), Err(EspError::Replayed(oldest)));
        // every number of the window is accepted exactly once
        for s in oldest + 1..top {
            assert_eq!(accept(&mut w, s), Ok(()), "{s}");
        }
        for s in oldest..=top {
            assert_eq!(w.check(s), Err(EspError::Replayed(s)));
        }
    }

    #[test]
    fn sliding_clears_stale_bits() {
        let mut w = ReplayWindow::new();
        for s in 1..=10_000u64 {
            if s % 3 != 0 {
                accept(&mut w, s).unwrap();
            }
        }
        // only the last SIZE numbers are reachable, and exactly the
        // multiples of 3 among them are still free
        for s in 10_000 - ReplayWindow::SIZE + 1..=10_000 {
            let expected = if s % 3 == 0 {
                Ok(())
            } else {
                Err(EspError::Replayed(s))
            };
            assert_eq!(w.check(s), expected, "{s}");
        }
        // a jump of more than the whole ring resets every block
        accept(&mut w, 1_000_000).unwrap();
        for s in 1_000_000 - ReplayWindow::SIZE + 1..1_000_000 {
            assert_eq!(w.check(s), Ok(()), "{s}");
        }
    }

    #[test]
    fn update_without_check_is_harmless() {
        let mut w = ReplayWindow::new();
        accept(&mut w, 3000).unwrap();
        let before = w.clone();
        w.update(1); // too old
        w.update(0);
        assert_eq!(w, before);
    }

    #[test]
    fn esn_inference() {
        let mut w = ReplayWindow::new();
        // fresh window: low numbers are in subspace 0; the tail of the
        // previous (nonexistent) subspace is refused
        assert_eq!(w.infer_esn(1), Some(1));
        assert_eq!(w.infer_esn(u32::MAX), None);
        accept(&mut w, 0xffff_fff0).unwrap();
        // case A: behind the window means the next subspace
        assert_eq!(w.infer_esn(5), Some(0x1_0000_0005));
        assert_eq!(w.infer_esn(0xffff_fff1), Some(0xffff_fff1));
        assert_eq!(w.infer_esn(0xffff_fff0 - 1023), Some(0xffff_fff0 - 1023));
        assert_eq!(w.infer_esn(0xffff_fff0 - 1024), Some(0x1_ffff_fff0 - 1024));
        accept(&mut w, 0x1_0000_0005).unwrap();
        // case B: the window straddles the boundary
        assert_eq!(w.infer_esn(0xffff_fffe), Some(0xffff_fffe));
        assert_eq!(w.infer_esn(6), Some(0x1_0000_0006));
        assert_eq!(w.infer_esn(0x8000_0000), Some(0x1_8000_0000));
        // the top of the whole space
        let mut w = ReplayWindow::new();
        accept(&mut w, u64::MAX - 10).unwrap();
        assert_eq!(w.infer_esn(u32::MAX), Some(u64::MAX));
        assert_eq!(w.infer_esn(3), None);
    }
}
