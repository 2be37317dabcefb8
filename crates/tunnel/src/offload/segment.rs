//! The read side of TUN offloads: one frame from the device (a
//! `virtio_net_hdr` and a packet) becomes the IP packets it stands for. A
//! TCP super-packet (TSO) is cut into segments of `gso_size` bytes, each with
//! its own IP length, IPv4 identification and checksum, TCP sequence number
//! and checksum, and FIN/PSH on the last and CWR on the first only (as the
//! kernel's own segmentation does); a packet whose checksum the kernel left
//! partial gets it completed.

use super::checksum::{add, fix_ipv4_header, fold, pseudo};
use super::vnet::{self, VnetHdr};
use super::OffloadError;

const TCP: u8 = 6;
const UDP: u8 = 17;

/// How the packet of a frame becomes packets.
#[derive(Debug, Clone, Copy)]
enum Plan {
    /// As it is.
    Copy,
    /// Complete the checksum at `field` over the bytes from `start`.
    Checksum {
        start: usize,
        field: usize,
        udp: bool,
    },
    /// Cut into TCP segments: L4 header at `l4`, headers end at `hdrs`.
    Tcp { l4: usize, hdrs: usize, gso: usize },
}

/// The IP packets one TUN frame carries, produced one at a time into a
/// caller's buffer (no allocation).
#[derive(Debug)]
pub struct Segments<'a> {
    packet: &'a [u8],
    plan: Plan,
    /// Segments produced so far.
    index: usize,
    /// How many there are.
    count: usize,
}

impl<'a> Segments<'a> {
    /// The packets of `frame`, which starts with a `virtio_net_hdr`.
    pub fn new(frame: &'a [u8]) -> Result<Segments<'a>, OffloadError> {
        let hdr = VnetHdr::parse(frame)?;
        let packet = &frame[vnet::LEN..];
        let plan = plan(&hdr, packet)?;
        let count = match plan {
            Plan::Tcp { hdrs, gso, .. } => (packet.len() - hdrs).div_ceil(gso),
            _ => 1,
        };
        Ok(Segments {
            packet,
            plan,
            index: 0,
            count,
        })
    }

    /// One packet as it is (a device without a `virtio_net_hdr`).
    pub fn plain(packet: &'a [u8]) -> Segments<'a> {
        Segments {
            packet,
            plan: Plan::Copy,
            index: 0,
            count: 1,
        }
    }

    /// How many packets are left.
    pub fn remaining(&self) -> usize {
        self.count - self.index
    }

    /// Writes the next packet to the start of `out`; its length, `None`
    /// after the last.
    pub fn next_into(&mut self, out: &mut [u8]) -> Option<Result<usize, OffloadError>> {
        if self.index >= self.count {
            return None;
        }
        let i = self.index;
        self.index += 1;
        Some(match self.plan {
            Plan::Copy => copy(self.packet, out),
            Plan::Checksum { start, field, udp } => {
                copy(self.packet, out).map(|len| complete(&mut out[..len], start, field, udp))
            }
            Plan::Tcp { l4, hdrs, gso } => self.tcp_segment(out, i, l4, hdrs, gso),
        })
    }

    fn tcp_segment(
        &self,
        out: &mut [u8],
        i: usize,
        l4: usize,
        hdrs: usize,
        gso: usize,
    ) -> Result<usize, OffloadError> {
        let p = self.packet;
        let start = hdrs + i * gso;
        let chunk = gso.min(p.len() - start);
        let len = hdrs + chunk;
        if len > out.len() || len > usize::from(u16::MAX) {
            return Err(OffloadError::TooLarge(len));
        }
        out[..hdrs].copy_from_slice(&p[..hdrs]);
        out[hdrs..len].copy_from_slice(&p[start..start + chunk]);
        let seg = &mut out[..len];
        if seg[0] >> 4 == 4 {
            seg[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            let id = u16::from_be_bytes([seg[4], seg[5]]).wrapping_add(i as u16);
            seg[4..6].copy_from_slice(&id.to_be_bytes());
            fix_ipv4_header(seg);
        } else {
            seg[4..6].copy_from_slice(&((len - 40) as u16).to_be_bytes());
        }
        let t = l4;
        let seq = u32::from_be_bytes([seg[t + 4], seg[t + 5], seg[t + 6], seg[t + 7]])
            .wrapping_add((i * gso) as u32);
        seg[t + 4..t + 8].copy_from_slice(&seq.to_be_bytes());
        if i + 1 < self.count {
            seg[t + 13] &= !(0x01 | 0x08); // FIN, PSH: last segment only
        }
        if i > 0 {
            seg[t + 13] &= !0x80; // CWR: first segment only
        }
        seg[t + 16] = 0;
        seg[t + 17] = 0;
        let c = !fold(pseudo(seg, TCP, len - t) + add(0, &seg[t..]));
        seg[t + 16..t + 18].copy_from_slice(&c.to_be_bytes());
        Ok(len)
    }
}

fn copy(packet: &[u8], out: &mut [u8]) -> Result<usize, OffloadError> {
    let dst = out
        .get_mut(..packet.len())
        .ok_or(OffloadError::TooLarge(packet.len()))?;
    dst.copy_from_slice(packet);
    Ok(packet.len())
}

/// Completes a partial checksum: the field holds the pseudo-header's sum.
fn complete(p: &mut [u8], start: usize, field: usize, udp: bool) -> usize {
    let mut c = !fold(add(0, &p[start..]));
    if c == 0 && udp {
        c = 0xffff; // UDP: zero means "no checksum" (RFC 768)
    }
    p[field..field + 2].copy_from_slice(&c.to_be_bytes());
    p.len()
}

/// Checks the header against the packet; every offset used later is in bounds.
fn plan(hdr: &VnetHdr, p: &[u8]) -> Result<Plan, OffloadError> {
    let start = usize::from(hdr.csum_start);
    let needs_csum = hdr.flags & vnet::F_NEEDS_CSUM != 0;
    match hdr.gso_type & !vnet::GSO_ECN {
        vnet::GSO_NONE if !needs_csum => Ok(Plan::Copy),
        vnet::GSO_NONE => {
            let field = start + usize::from(hdr.csum_offset);
            if field + 2 > p.len() {
                return Err(OffloadError::BadHeader("checksum field beyond the packet"));
            }
            Ok(Plan::Checksum {
                start,
                field,
                udp: l4_proto(p) == Some(UDP),
            })
        }
        t @ (vnet::GSO_TCPV4 | vnet::GSO_TCPV6) => {
            let v4 = t == vnet::GSO_TCPV4;
            let ip_ok = match p.first().map(|b| b >> 4) {
                Some(4) if v4 => {
                    p.len() >= 20 && usize::from(p[0] & 0x0f) * 4 == start && start >= 20
                }
                Some(6) if !v4 => start == 40,
                _ => false,
            };
            if !ip_ok || l4_proto(p) != Some(TCP) {
                return Err(OffloadError::BadHeader(
                    "TSO frame is not TCP in a plain IP header",
                ));
            }
            let off = *p
                .get(start + 12)
                .ok_or(OffloadError::BadHeader("TCP header beyond the packet"))?;
            let hdrs = start + usize::from(off >> 4) * 4;
            let gso = usize::from(hdr.gso_size);
            if off >> 4 < 5 || hdrs >= p.len() || gso == 0 {
                return Err(OffloadError::BadHeader("TSO frame without payload or size"));
            }
            Ok(Plan::Tcp {
                l4: start,
                hdrs,
                gso,
            })
        }
        _ => Err(OffloadError::BadHeader("unsupported GSO type")),
    }
}

/// The transport protocol of an IPv4 or IPv6 (without extension headers) packet.
fn l4_proto(p: &[u8]) -> Option<u8> {
    match p.first()? >> 4 {
        4 => p.get(9).copied(),
        6 => p.get(6).copied(),
        _ => None,
    }
}
