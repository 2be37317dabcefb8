//! Segmentation and coalescing against each other and against the rules:
//! what the kernel would hand us and what it must get back.

use super::checksum::{add, fold, pseudo};
use super::vnet::{self, VnetHdr};
use super::{Coalescer, OffloadError, Segments, MAX_FRAMES};

const SRC4: [u8; 4] = [10, 0, 0, 2];
const DST4: [u8; 4] = [10, 99, 0, 2];

/// A TCP packet with valid checksums: IPv4 (or IPv6 with `v6`), ports
/// 40000 -> 5201, timestamps option, the given sequence number, flags and payload.
fn tcp(v6: bool, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut tcp = vec![0u8; 32];
    tcp[0..2].copy_from_slice(&40000u16.to_be_bytes());
    tcp[2..4].copy_from_slice(&5201u16.to_be_bytes());
    tcp[4..8].copy_from_slice(&seq.to_be_bytes());
    tcp[8..12].copy_from_slice(&7777u32.to_be_bytes());
    tcp[12] = 8 << 4;
    tcp[13] = flags;
    tcp[14..16].copy_from_slice(&502u16.to_be_bytes());
    tcp[20..32].copy_from_slice(&[1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 3]);
    tcp.extend_from_slice(payload);
    let mut p = if v6 {
        let mut h = vec![0u8; 40];
        h[0] = 0x60;
        h[4..6].copy_from_slice(&(tcp.len() as u16).to_be_bytes());
        h[6] = 6;
        h[7] = 64;
        h[8..24].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        h[24..40].copy_from_slice(&[
            0x20, 0x01, 0x0d, 0xb8, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
        ]);
        h
    } else {
        let mut h = vec![0u8; 20];
        h[0] = 0x45;
        h[2..4].copy_from_slice(&((20 + tcp.len()) as u16).to_be_bytes());
        h[4..6].copy_from_slice(&0x1234u16.to_be_bytes());
        h[6] = 0x40;
        h[8] = 64;
        h[9] = 6;
        h[12..16].copy_from_slice(&SRC4);
        h[16..20].copy_from_slice(&DST4);
        super::checksum::fix_ipv4_header(&mut h);
        h
    };
    let l4 = p.len();
    p.extend_from_slice(&tcp);
    let c = !fold(pseudo(&p, 6, tcp.len()) + add(0, &p[l4..]));
    p[l4 + 16..l4 + 18].copy_from_slice(&c.to_be_bytes());
    p
}

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn l4(p: &[u8]) -> usize {
    if p[0] >> 4 == 4 {
        20
    } else {
        40
    }
}

fn tcp_valid(p: &[u8]) -> bool {
    let l4 = l4(p);
    fold(pseudo(p, 6, p.len() - l4) + add(0, &p[l4..])) == 0xffff
}

fn ipv4_valid(p: &[u8]) -> bool {
    fold(add(0, &p[..20])) == 0xffff && usize::from(u16::from_be_bytes([p[2], p[3]])) == p.len()
}

fn seq(p: &[u8]) -> u32 {
    let t = l4(p);
    u32::from_be_bytes([p[t + 4], p[t + 5], p[t + 6], p[t + 7]])
}

/// A TSO frame as the kernel writes it: the super-packet with a partial checksum.
fn tso_frame(v6: bool, first_seq: u32, flags: u8, data: &[u8], gso: u16) -> Vec<u8> {
    let mut p = tcp(v6, first_seq, flags, data);
    let l4 = l4(&p);
    let partial = fold(pseudo(&p, 6, p.len() - l4));
    p[l4 + 16..l4 + 18].copy_from_slice(&partial.to_be_bytes());
    let mut f = vec![0u8; vnet::LEN];
    VnetHdr {
        flags: vnet::F_NEEDS_CSUM,
        gso_type: if v6 { vnet::GSO_TCPV6 } else { vnet::GSO_TCPV4 },
        hdr_len: (l4 + 32) as u16,
        gso_size: gso,
        csum_start: l4 as u16,
        csum_offset: 16,
    }
    .write(&mut f);
    f.extend_from_slice(&p);
    f
}

fn all(seg: &mut Segments<'_>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 1600];
    while let Some(r) = seg.next_into(&mut buf) {
        out.push(buf[..r.expect("segment")].to_vec());
    }
    out
}

#[test]
fn a_tso_frame_becomes_valid_segments_like_the_kernel_cuts_them() {
    for v6 in [false, true] {
        let data = payload(5000);
        // CWR, PSH and FIN on the super-packet.
        let frame = tso_frame(v6, u32::MAX - 1500, 0x80 | 0x18 | 0x01, &data, 1348);
        let mut seg = Segments::new(&frame).unwrap();
        assert_eq!(seg.remaining(), 4);
        let segs = all(&mut seg);
        assert_eq!(segs.len(), 4);
        let mut joined = Vec::new();
        for (i, s) in segs.iter().enumerate() {
            let hl = l4(s) + 32;
            assert!(tcp_valid(s), "v6={v6} segment {i}: TCP checksum");
            if v6 {
                assert_eq!(usize::from(u16::from_be_bytes([s[4], s[5]])), s.len() - 40);
            } else {
                assert!(ipv4_valid(s), "segment {i}: IPv4 header");
                assert_eq!(u16::from_be_bytes([s[4], s[5]]), 0x1234 + i as u16, "IP ID");
            }
            // Wraps around 2^32.
            assert_eq!(seq(s), (u32::MAX - 1500).wrapping_add(1348 * i as u32));
            let flags = s[l4(s) + 13];
            assert_eq!(flags & 0x80 != 0, i == 0, "CWR on the first only");
            assert_eq!(flags & 0x09 != 0, i == 3, "PSH and FIN on the last only");
            assert_eq!(flags & 0x09 == 0x09, i == 3);
            joined.extend_from_slice(&s[hl..]);
        }
        assert_eq!(segs[3].len(), l4(&segs[3]) + 32 + 5000 - 3 * 1348);
        assert_eq!(joined, data);
    }
}

#[test]
fn partial_checksums_are_completed_and_plain_packets_copied() {
    // UDP with a partial checksum (TUN_F_CSUM).
    let mut udp = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0];
    udp.extend_from_slice(&SRC4);
    udp.extend_from_slice(&DST4);
    udp.extend_from_slice(&[
        0x9c, 0x40, 0x14, 0x51, 0, 13, 0, 0, b'h', b'e', b'l', b'l', b'o',
    ]);
    let len = udp.len() as u16;
    udp[2..4].copy_from_slice(&len.to_be_bytes());
    super::checksum::fix_ipv4_header(&mut udp);
    let partial = fold(pseudo(&udp, 17, 13));
    udp[26..28].copy_from_slice(&partial.to_be_bytes());
    let mut frame = vec![0u8; vnet::LEN];
    VnetHdr {
        flags: vnet::F_NEEDS_CSUM,
        csum_start: 20,
        csum_offset: 6,
        ..VnetHdr::default()
    }
    .write(&mut frame);
    frame.extend_from_slice(&udp);
    let out = all(&mut Segments::new(&frame).unwrap());
    assert_eq!(out.len(), 1);
    assert_eq!(
        fold(pseudo(&out[0], 17, 13) + add(0, &out[0][20..])),
        0xffff
    );
    assert_ne!(&out[0][26..28], &[0, 0]);

    // No offload: the packet as it is, with or without a header.
    let p = tcp(false, 1, 0x10, b"abc");
    let mut frame = vec![0u8; vnet::LEN];
    frame.extend_from_slice(&p);
    assert_eq!(all(&mut Segments::new(&frame).unwrap()), vec![p.clone()]);
    assert_eq!(all(&mut Segments::plain(&p)), vec![p]);
}

/// Produces every packet of `seg`, errors included.
fn drain(seg: &mut Segments<'_>) {
    let mut buf = [0u8; 1600];
    while seg.next_into(&mut buf).is_some() {}
}

#[test]
fn hostile_frames_give_errors_never_panics() {
    assert_eq!(Segments::new(&[0; 9]).unwrap_err(), OffloadError::Short);
    let good = tso_frame(false, 1, 0x10, &payload(3000), 1000);
    // Every truncation of a TSO frame and of a checksum frame.
    for cut in 0..good.len() {
        if let Ok(mut s) = Segments::new(&good[..cut]) {
            drain(&mut s);
        }
    }
    // A segment that does not fit the buffer.
    let big = tso_frame(true, 1, 0x10, &payload(9000), 4000);
    let mut s = Segments::new(&big).unwrap();
    assert!(matches!(
        s.next_into(&mut [0u8; 1600]),
        Some(Err(OffloadError::TooLarge(_)))
    ));
    // Random headers over a real packet, and random bytes: deterministic PRNG.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..20_000 {
        let mut f = if round % 2 == 0 {
            good.clone()
        } else {
            vec![0u8; (rnd() % 200) as usize]
        };
        let n = f.len();
        for _ in 0..(rnd() % 6) {
            if n > 0 {
                let i = (rnd() as usize) % n.min(if round % 4 == 0 { 12 } else { n });
                f[i] = rnd() as u8;
            }
        }
        if let Ok(mut s) = Segments::new(&f) {
            drain(&mut s);
        }
        let mut c = Coalescer::new();
        c.push(&f[vnet::LEN.min(f.len())..]);
        c.push(&f[vnet::LEN.min(f.len())..]);
        let _ = c.frames().count();
    }
    // Unsupported GSO types and inconsistent headers are errors.
    let mut f = good.clone();
    f[1] = 5; // UDP_L4: never enabled
    assert!(matches!(Segments::new(&f), Err(OffloadError::BadHeader(_))));
    let mut f = good.clone();
    f[6] = 40; // csum_start past the IPv4 header
    assert!(matches!(Segments::new(&f), Err(OffloadError::BadHeader(_))));
    let mut f = good;
    f[4] = 0;
    f[5] = 0; // gso_size 0
    assert!(matches!(Segments::new(&f), Err(OffloadError::BadHeader(_))));
}

/// The frames the coalescer gives, each cut again as the kernel would.
fn written(c: &mut Coalescer) -> Vec<(VnetHdr, Vec<Vec<u8>>)> {
    let out = c
        .frames()
        .map(|f| {
            (
                VnetHdr::parse(f).unwrap(),
                all(&mut Segments::new(f).unwrap()),
            )
        })
        .collect();
    c.clear();
    out
}

#[test]
fn a_run_of_segments_is_written_as_one_super_packet_and_cuts_back_the_same() {
    for v6 in [false, true] {
        let data = payload(10 * 1348 + 100);
        let frame = tso_frame(v6, 1000, 0x18, &data, 1348);
        let segs = all(&mut Segments::new(&frame).unwrap());
        let mut c = Coalescer::new();
        for s in &segs {
            assert!(c.push(s));
        }
        let w = written(&mut c);
        assert_eq!(w.len(), 1, "v6={v6}: one write for the run");
        let (hdr, back) = &w[0];
        assert_eq!(
            hdr.gso_type,
            if v6 { vnet::GSO_TCPV6 } else { vnet::GSO_TCPV4 }
        );
        assert_eq!((hdr.gso_size, hdr.flags), (1348, vnet::F_NEEDS_CSUM));
        assert_eq!(usize::from(hdr.hdr_len), l4(&segs[0]) + 32);
        // Cut again, the segments are what went in (IDs aside: the kernel
        // counts up from the first, as they were).
        assert_eq!(back, &segs);
        assert!(c.is_empty());
    }
}

#[test]
fn runs_follow_the_gro_rules() {
    let seg = |seq, flags, n| tcp(false, seq, flags, &payload(n));
    let merged = |pkts: &[Vec<u8>]| {
        let mut c = Coalescer::new();
        for p in pkts {
            assert!(c.push(p));
        }
        let w = written(&mut c);
        (w.iter().map(|(_, s)| s.len()).collect::<Vec<_>>(), w)
    };
    // Contiguous: one run. A gap (loss) or a repeat starts another.
    assert_eq!(merged(&[seg(1, 0x10, 100), seg(101, 0x10, 100)]).0, [2]);
    assert_eq!(merged(&[seg(1, 0x10, 100), seg(201, 0x10, 100)]).0, [1, 1]);
    assert_eq!(merged(&[seg(1, 0x10, 100), seg(1, 0x10, 100)]).0, [1, 1]);
    // A longer one after a shorter: new run; a shorter one ends the run.
    assert_eq!(merged(&[seg(1, 0x10, 50), seg(51, 0x10, 100)]).0, [1, 1]);
    assert_eq!(
        merged(&[seg(1, 0x10, 100), seg(101, 0x10, 50), seg(151, 0x10, 100)]).0,
        [2, 1]
    );
    // PSH ends a run and stays on its last segment.
    let (n, w) = merged(&[seg(1, 0x10, 100), seg(101, 0x18, 100), seg(201, 0x10, 100)]);
    assert_eq!(n, [2, 1]);
    assert_eq!(w[0].1[1][20 + 13], 0x18);
    // SYN, FIN, RST and pure ACKs are written as they came, in order.
    let (n, w) = merged(&[
        seg(1, 0x10, 100),
        seg(101, 0x11, 100),
        seg(201, 0x10, 0),
        seg(201, 0x10, 100),
    ]);
    assert_eq!(n, [1, 1, 1, 1]);
    assert_eq!(w[1].1[0][33], 0x11);
    assert!(w.iter().all(|(h, _)| h.gso_type == vnet::GSO_NONE));
    // A different ACK number, window or option (timestamp) value: no merge.
    for (at, v) in [(28, 1u8), (34, 9), (47, 4)] {
        let mut b = seg(101, 0x10, 100);
        b[at] ^= v;
        let l4 = 20;
        b[l4 + 16] = 0;
        b[l4 + 17] = 0;
        let c = !fold(pseudo(&b, 6, b.len() - l4) + add(0, &b[l4..]));
        b[l4 + 16..l4 + 18].copy_from_slice(&c.to_be_bytes());
        assert_eq!(merged(&[seg(1, 0x10, 100), b]).0, [1, 1], "byte {at}");
    }
    // A corrupt segment is not merged, and reaches the kernel unchanged.
    let mut bad = seg(101, 0x10, 100);
    let last = bad.len() - 1;
    bad[last] ^= 0xff;
    let mut c = Coalescer::new();
    assert!(c.push(&seg(1, 0x10, 100)) && c.push(&bad));
    let frames: Vec<Vec<u8>> = c.frames().map(|f| f.to_vec()).collect();
    assert_eq!(frames.len(), 2);
    assert_eq!(&frames[1][vnet::LEN..], &bad[..]);
}

#[test]
fn flows_interleave_and_barriers_keep_order() {
    let a = |seq, n| tcp(false, seq, 0x10, &payload(n));
    let b = |seq, n| {
        let mut p = tcp(false, seq, 0x10, &payload(n));
        // Another source port: another flow (checksum fixed for the change).
        p[20] = 0x11;
        p[36] = 0;
        p[37] = 0;
        let c = !fold(pseudo(&p, 6, p.len() - 20) + add(0, &p[20..]));
        p[36..38].copy_from_slice(&c.to_be_bytes());
        p
    };
    let mut c = Coalescer::new();
    for p in [a(1, 100), b(1, 100), a(101, 100), b(101, 100), a(201, 100)] {
        assert!(c.push(&p));
    }
    let w = written(&mut c);
    assert_eq!(w.iter().map(|(_, s)| s.len()).collect::<Vec<_>>(), [3, 2]);

    // UDP between two segments does not stop the run; an IPv4 fragment does.
    let mut udp = tcp(false, 0, 0, &[]);
    udp[9] = 17;
    let mut frag = a(101, 100);
    frag[6] = 0x20; // more fragments
    for (mid, runs) in [(udp, vec![2, 1]), (frag, vec![1, 1, 1])] {
        let mut c = Coalescer::new();
        for p in [a(1, 100), mid, a(101, 100)] {
            assert!(c.push(&p));
        }
        let n: Vec<usize> = c.frames().map(|_| 0).collect();
        let segs: Vec<usize> = written(&mut c).iter().map(|(_, s)| s.len()).collect();
        assert_eq!(n.len(), runs.len());
        assert_eq!(segs[0], runs[0]);
    }
}

#[test]
fn the_queue_is_bounded_and_a_super_packet_stays_under_64k() {
    let mut c = Coalescer::new();
    let mut udp = tcp(false, 0, 0, &payload(10));
    udp[9] = 17;
    for _ in 0..MAX_FRAMES {
        assert!(c.push(&udp));
    }
    assert!(!c.push(&udp), "full: flush first");
    c.clear();
    assert!(c.is_empty() && c.push(&udp));
    c.clear();
    // 1400-byte segments: 46 fit in 64 KiB, the 47th starts a new frame.
    let mut seq = 1u32;
    for _ in 0..47 {
        assert!(c.push(&tcp(false, seq, 0x10, &payload(1400))));
        seq += 1400;
    }
    let w = written(&mut c);
    assert_eq!(w.iter().map(|(_, s)| s.len()).collect::<Vec<_>>(), [46, 1]);
    // Writing twice without clearing gives the same frames.
    let mut c = Coalescer::new();
    c.push(&tcp(true, 1, 0x10, &payload(100)));
    c.push(&tcp(true, 101, 0x10, &payload(100)));
    let first: Vec<Vec<u8>> = c.frames().map(|f| f.to_vec()).collect();
    let again: Vec<Vec<u8>> = c.frames().map(|f| f.to_vec()).collect();
    assert_eq!(first, again);
}
