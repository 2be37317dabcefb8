//! The Internet checksum (RFC 1071) over IPv4 headers and TCP/UDP segments
//! with their pseudo-headers (RFC 9293 section 3.1, RFC 8200 section 8.1).

/// Adds `data` to the running one's-complement `sum` (big-endian 16-bit
/// words; an odd last byte is padded with zero). Four bytes at a time: a
/// 32-bit word is congruent to the sum of its two halves modulo 0xffff.
pub fn add(mut sum: u64, data: &[u8]) -> u64 {
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        sum += u64::from(u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
    }
    let rest = words.remainder();
    let mut pairs = rest.chunks_exact(2);
    for p in &mut pairs {
        sum += u64::from(u16::from_be_bytes([p[0], p[1]]));
    }
    if let [last] = pairs.remainder() {
        sum += u64::from(*last) << 8;
    }
    sum
}

/// Folds a running sum to 16 bits (not complemented).
pub fn fold(mut sum: u64) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// The sum of the pseudo-header of a `len`-byte upper-layer segment of
/// protocol `proto` between the addresses of `ip` (an IPv4 or IPv6 header).
pub fn pseudo(ip: &[u8], proto: u8, len: usize) -> u64 {
    let addrs = if ip[0] >> 4 == 4 {
        &ip[12..20]
    } else {
        &ip[8..40]
    };
    add(0, addrs) + u64::from(proto) + len as u64
}

/// Recomputes the header checksum of the IPv4 header `h` (its length from IHL).
pub fn fix_ipv4_header(h: &mut [u8]) {
    let ihl = usize::from(h[0] & 0x0f) * 4;
    h[10] = 0;
    h[11] = 0;
    let c = !fold(add(0, &h[..ihl]));
    h[10..12].copy_from_slice(&c.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(add(0, &data)), 0xddf2);
        // Any split and an odd tail give the same sum.
        assert_eq!(fold(add(add(0, &data[..2]), &data[2..])), 0xddf2);
        assert_eq!(fold(add(0, &[0xab])), 0xab00);
        assert_eq!(fold(add(0, &[0x12, 0x34, 0x56])), 0x1234 + 0x5600);
    }

    #[test]
    fn ipv4_header_checksum_matches_a_known_header() {
        // A header from a capture; its checksum is 0xb861.
        let mut h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        fix_ipv4_header(&mut h);
        assert_eq!(&h[10..12], &[0xb8, 0x61]);
        assert_eq!(fold(add(0, &h)), 0xffff, "a valid header sums to all ones");
    }
}
