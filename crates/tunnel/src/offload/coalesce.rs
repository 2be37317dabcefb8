//! The write side of TUN offloads (GRO in userspace): the decrypted packets
//! of one burst are queued, and consecutive TCP segments of one flow become
//! one super-packet written with a `virtio_net_hdr` (GSO), so the kernel
//! handles a burst as one packet. Segments are merged only under the rules
//! of Linux's own GRO (tcp_gro_receive): same addresses, ports, IP fields,
//! ACK number, window and options, plain ACK flags (PSH ends a run), the
//! next sequence number, at most `gso_size` bytes each (a shorter one ends
//! a run), and a valid TCP checksum (a corrupt segment is passed on as it
//! is, for the kernel to drop and count). Everything else is written as it
//! came. Packets of one flow keep their order.

use super::checksum::{add, fix_ipv4_header, fold, pseudo};
use super::vnet::{self, VnetHdr};

/// Most frames queued before the caller must flush.
pub const MAX_FRAMES: usize = 64;
/// A super-packet's size limit (IPv4 total length, IPv6 payload length).
const MAX_IP: usize = u16::MAX as usize;

const ACK: u8 = 0x10;
const PSH: u8 = 0x08;

/// What a queued packet is to the merge rules.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// TCP with plain headers: it has a flow.
    Tcp,
    /// Possibly TCP but not understood (IPv4 options, a fragment, IPv6
    /// extension headers): nothing later merges past it.
    #[default]
    Barrier,
    /// UDP or ICMP: no TCP flow's order depends on it.
    Other,
}

/// One queued frame: a `virtio_net_hdr` slot, then the packet.
#[derive(Debug, Default)]
struct Frame {
    buf: Vec<u8>,
    kind: Kind,
    /// Segments in it (0: not a TCP run; it is written as it came).
    segs: usize,
    /// TCP header offset and where the headers end.
    l4: usize,
    hdrs: usize,
    /// Payload bytes of the first segment: no later one may be longer.
    gso: usize,
    /// The sequence number the next segment must have.
    next_seq: u32,
    /// Nothing more may be appended (a shorter or PSH segment ended the
    /// run, or the frame was finished for writing).
    closed: bool,
    /// Its `virtio_net_hdr` and lengths are filled in.
    done: bool,
}

impl Frame {
    fn packet(&self) -> &[u8] {
        &self.buf[vnet::LEN..]
    }
}

/// Decrypted packets waiting to be written to a TUN device with a
/// `virtio_net_hdr`, TCP runs merged.
#[derive(Debug, Default)]
pub struct Coalescer {
    frames: Vec<Frame>,
    used: usize,
}

impl Coalescer {
    /// An empty queue.
    pub fn new() -> Coalescer {
        Coalescer::default()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// Queues `packet`, merged into the last run of its flow where the
    /// rules allow. `false`: the queue is full; flush and push again.
    pub fn push(&mut self, packet: &[u8]) -> bool {
        let tcp = tcp_info(packet);
        if let Some(t) = &tcp {
            if let Some(f) = self.last_of_flow(packet, t) {
                if f.segs > 0 && can_append(f, packet, t) {
                    append(f, packet, t);
                    return true;
                }
            }
        }
        if self.used == MAX_FRAMES {
            return false;
        }
        if self.frames.len() == self.used {
            self.frames.push(Frame::default());
        }
        let f = &mut self.frames[self.used];
        self.used += 1;
        f.buf.clear();
        f.buf.resize(vnet::LEN, 0);
        f.buf.extend_from_slice(packet);
        f.kind = match &tcp {
            Some(_) => Kind::Tcp,
            None if is_other(packet) => Kind::Other,
            None => Kind::Barrier,
        };
        f.segs = 0;
        f.closed = true;
        f.done = false;
        if let Some(t) = tcp {
            f.l4 = t.l4;
            f.hdrs = t.hdrs;
            if t.mergeable && checksum_ok(packet, &t) {
                f.segs = 1;
                f.gso = packet.len() - t.hdrs;
                f.next_seq = t.seq.wrapping_add(f.gso as u32);
                f.closed = t.flags & PSH != 0;
            }
        }
        true
    }

    /// The queued frames, each ready for one write (header first), in order.
    pub fn frames(&mut self) -> impl Iterator<Item = &[u8]> {
        for f in &mut self.frames[..self.used] {
            finish(f);
        }
        self.frames[..self.used].iter().map(|f| f.buf.as_slice())
    }

    /// Empties the queue (after the frames were written); buffers are kept.
    pub fn clear(&mut self) {
        self.used = 0;
    }

    /// The most recent queued frame of the packet's flow, if any and if no
    /// packet that might belong to it (a barrier) came after it.
    fn last_of_flow(&mut self, packet: &[u8], t: &TcpInfo) -> Option<&mut Frame> {
        self.frames[..self.used]
            .iter_mut()
            .rev()
            .find(|f| f.kind == Kind::Barrier || f.kind == Kind::Tcp && same_flow(f, packet, t))
            .filter(|f| f.kind == Kind::Tcp)
    }
}

/// What the merge rules need from a TCP packet.
#[derive(Debug, Clone, Copy)]
struct TcpInfo {
    l4: usize,
    hdrs: usize,
    seq: u32,
    flags: u8,
    /// Plain IP header, ACK (and maybe PSH) only, some payload.
    mergeable: bool,
}

fn tcp_info(p: &[u8]) -> Option<TcpInfo> {
    let (l4, proto) = match p.first()? >> 4 {
        4 if p.len() >= 20 => {
            let plain = p[0] == 0x45 && p[6] & 0x3f == 0 && p[7] == 0; // no options, unfragmented
            let total = usize::from(u16::from_be_bytes([p[2], p[3]]));
            if !plain || total != p.len() {
                return None;
            }
            (20, p[9])
        }
        6 if p.len() >= 40 => {
            let payload = usize::from(u16::from_be_bytes([p[4], p[5]]));
            if payload + 40 != p.len() {
                return None;
            }
            (40, p[6])
        }
        _ => return None,
    };
    if proto != 6 || p.len() < l4 + 20 {
        return None;
    }
    let hdrs = l4 + usize::from(p[l4 + 12] >> 4) * 4;
    if hdrs < l4 + 20 || hdrs > p.len() {
        return None;
    }
    let flags = p[l4 + 13];
    Some(TcpInfo {
        l4,
        hdrs,
        seq: u32::from_be_bytes([p[l4 + 4], p[l4 + 5], p[l4 + 6], p[l4 + 7]]),
        flags,
        mergeable: (flags == ACK || flags == ACK | PSH) && p.len() > hdrs,
    })
}

/// Same IP version, addresses and ports: the same TCP connection.
fn same_flow(f: &Frame, b: &[u8], t: &TcpInfo) -> bool {
    let a = f.packet();
    let addrs = if t.l4 == 20 { 12..20 } else { 8..40 };
    f.l4 == t.l4 && a[addrs.clone()] == b[addrs] && a[t.l4..t.l4 + 4] == b[t.l4..t.l4 + 4]
}

/// UDP, ICMP or ICMPv6 (or not IP at all): outside every TCP flow.
fn is_other(p: &[u8]) -> bool {
    match p.first().map(|b| b >> 4) {
        Some(4) => {
            matches!(p.get(9), Some(1 | 17))
                && p.get(6).is_some_and(|b| b & 0x3f == 0)
                && p.get(7) == Some(&0)
        }
        Some(6) => matches!(p.get(6), Some(17 | 58)),
        _ => true,
    }
}

/// Whether `p` may be appended to the run `f` (same flow already checked).
fn can_append(f: &Frame, p: &[u8], t: &TcpInfo) -> bool {
    let head = f.packet();
    let len = p.len() - t.hdrs;
    let ip_same = if t.l4 == 20 {
        // TOS, DF, TTL (identification and checksum differ)
        head[1] == p[1] && head[6] == p[6] && head[8] == p[8]
    } else {
        // traffic class, flow label, next header, hop limit
        head[..4] == p[..4] && head[6..8] == p[6..8]
    };
    let (h, l4) = (&head[t.l4..], t.l4);
    ip_same
        && !f.closed
        && t.mergeable
        && f.hdrs == t.hdrs
        && t.seq == f.next_seq
        && len <= f.gso
        && f.buf.len() - vnet::LEN + len - if l4 == 40 { 40 } else { 0 } <= MAX_IP
        // ACK number, then data offset and flags (PSH may differ), then
        // window, checksum skipped, urgent pointer and options.
        && h[8..13] == p[l4 + 8..l4 + 13]
        && h[14..16] == p[l4 + 14..l4 + 16]
        && h[18..f.hdrs - l4] == p[l4 + 18..t.hdrs]
        && checksum_ok(p, t)
}

fn append(f: &mut Frame, p: &[u8], t: &TcpInfo) {
    let len = p.len() - t.hdrs;
    f.buf.extend_from_slice(&p[t.hdrs..]);
    f.segs += 1;
    f.next_seq = f.next_seq.wrapping_add(len as u32);
    if t.flags & PSH != 0 {
        let i = vnet::LEN + f.l4 + 13;
        f.buf[i] |= PSH;
        f.closed = true;
    }
    if len < f.gso {
        f.closed = true;
    }
}

/// Whether the TCP checksum of `p` is right.
fn checksum_ok(p: &[u8], t: &TcpInfo) -> bool {
    fold(pseudo(p, 6, p.len() - t.l4) + add(0, &p[t.l4..])) == 0xffff
}

/// Fills in the frame's `virtio_net_hdr`; a run of several segments gets
/// its IP length and a partial TCP checksum for the kernel to complete.
fn finish(f: &mut Frame) {
    if f.done {
        return;
    }
    f.done = true;
    f.closed = true;
    let mut hdr = VnetHdr::default();
    if f.segs > 1 {
        let (l4, hdrs) = (f.l4, f.hdrs);
        let p = &mut f.buf[vnet::LEN..];
        let len = p.len();
        if l4 == 20 {
            p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            fix_ipv4_header(p);
        } else {
            p[4..6].copy_from_slice(&((len - 40) as u16).to_be_bytes());
        }
        p[l4 + 16] = 0;
        p[l4 + 17] = 0;
        let partial = fold(pseudo(p, 6, len - l4));
        p[l4 + 16..l4 + 18].copy_from_slice(&partial.to_be_bytes());
        hdr = VnetHdr {
            flags: vnet::F_NEEDS_CSUM,
            gso_type: if l4 == 20 {
                vnet::GSO_TCPV4
            } else {
                vnet::GSO_TCPV6
            },
            hdr_len: hdrs as u16,
            gso_size: f.gso as u16,
            csum_start: l4 as u16,
            csum_offset: 16,
        };
    }
    hdr.write(&mut f.buf);
}
