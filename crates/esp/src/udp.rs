//! UDP encapsulation of ESP and IKE on port 4500 (RFC 3948).
//!
//! One socket carries three kinds of datagram: ESP packets (the SPI is never
//! 0), IKE messages behind the 4-byte zero non-ESP marker, and NAT-keepalives
//! (the single byte 0xFF).

use crate::error::EspError;

/// A NAT-keepalive datagram (RFC 3948 2.3).
pub const KEEPALIVE: [u8; 1] = [0xff];

/// The non-ESP marker that precedes IKE messages on port 4500 (RFC 3948 2.2).
pub const NON_ESP_MARKER: [u8; 4] = [0; 4];

/// Shortest ESP packet or marked IKE message worth looking at: the SPI and
/// the sequence number, or the marker and the start of an IKE header.
const MIN_LEN: usize = 8;

/// What a datagram received on the encapsulation port is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datagram<'a> {
    /// An IKE message, the non-ESP marker removed.
    Ike(&'a [u8]),
    /// An ESP packet, starting with the SPI.
    Esp(&'a [u8]),
    /// A NAT-keepalive, to be ignored.
    Keepalive,
}

/// Sorts a datagram received on port 4500.
///
/// # Errors
///
/// [`EspError::Malformed`] for anything shorter than 8 bytes that is not a
/// keepalive.
pub fn classify(datagram: &[u8]) -> Result<Datagram<'_>, EspError> {
    if datagram == KEEPALIVE {
        return Ok(Datagram::Keepalive);
    }
    if datagram.len() < MIN_LEN {
        return Err(EspError::Malformed);
    }
    match datagram.strip_prefix(&NON_ESP_MARKER) {
        Some(ike) => Ok(Datagram::Ike(ike)),
        None => Ok(Datagram::Esp(datagram)),
    }
}

/// Writes `NON_ESP_MARKER || msg` into `out`, replacing its contents (its
/// capacity is reused).
pub fn encap_ike(msg: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.reserve(NON_ESP_MARKER.len() + msg.len());
    out.extend_from_slice(&NON_ESP_MARKER);
    out.extend_from_slice(msg);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies() {
        assert_eq!(classify(&[0xff]), Ok(Datagram::Keepalive));
        let ike = [0, 0, 0, 0, 1, 2, 3, 4, 5];
        assert_eq!(classify(&ike), Ok(Datagram::Ike(&ike[4..])));
        let esp = [0, 0, 0, 1, 0, 0, 0, 1];
        assert_eq!(classify(&esp), Ok(Datagram::Esp(&esp)));
        assert_eq!(classify(&[]), Err(EspError::Malformed));
        assert_eq!(classify(&[0xff, 0xff]), Err(EspError::Malformed));
        assert_eq!(classify(&[0; 7]), Err(EspError::Malformed));
        assert_eq!(classify(&[1; 7]), Err(EspError::Malformed));
        assert_eq!(classify(&[0; 8]), Ok(Datagram::Ike(&[0; 4])));
    }

    #[test]
    fn encapsulates_ike() {
        let mut out = vec![9; 100];
        encap_ike(&[1, 2, 3], &mut out);
        assert_eq!(out, [0, 0, 0, 0, 1, 2, 3]);
        assert_eq!(
            classify(&[&out[..], &[4, 5]].concat()),
            Ok(Datagram::Ike(&[1, 2, 3, 4, 5]))
        );
    }
}
