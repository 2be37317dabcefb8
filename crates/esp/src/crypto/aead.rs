//! [`AeadCipher`]: AES-GCM-16 (RFC 4106) and ChaCha20-Poly1305 (RFC 7634) on
//! `ring`.
//!
//! Both use the same packet shape: an 8-byte explicit IV after the sequence
//! number, the nonce `salt || IV`, the AAD `SPI || seq` (or
//! `SPI || seq_hi || seq_lo` with ESN), and a 16-byte ICV.

use std::ops::Range;

use ring::aead::{self, Aad, LessSafeKey, Nonce, Tag, UnboundKey};
use zeroize::Zeroizing;

use crate::error::EspError;
use crate::layout::{Layout, SPI_SEQ_LEN};

/// Explicit IV length.
pub(crate) const IV_LEN: usize = 8;
/// ICV (tag) length of every supported AEAD.
pub(crate) const ICV_LEN: usize = 16;
/// Salt length (RFC 4106 8.1, RFC 7634 2).
const SALT_LEN: usize = 4;

/// An AEAD key and its salt.
pub(crate) struct AeadCipher {
    /// `ring` keeps the expanded key opaque; it offers no zeroization.
    key: LessSafeKey,
    salt: Zeroizing<[u8; SALT_LEN]>,
}

impl AeadCipher {
    /// The packet layout.
    pub const LAYOUT: Layout = Layout {
        iv_len: IV_LEN,
        align: 4,
        icv_len: ICV_LEN,
    };

    /// A cipher from keying material `key || salt` for `algorithm`.
    pub fn new(algorithm: &'static aead::Algorithm, keymat: &[u8]) -> Result<Self, EspError> {
        let key_len = algorithm.key_len();
        if keymat.len() != key_len + SALT_LEN {
            return Err(EspError::InvalidSa("AEAD key length (key || 4-byte salt)"));
        }
        let (key, salt) = keymat.split_at(key_len);
        let key =
            UnboundKey::new(algorithm, key).map_err(|_| EspError::InvalidSa("AEAD key length"))?;
        let mut s = Zeroizing::new([0u8; SALT_LEN]);
        s.copy_from_slice(salt);
        Ok(Self {
            key: LessSafeKey::new(key),
            salt: s,
        })
    }

    /// Seals `packet` in place: `SPI || seq_lo` must be written, the
    /// plaintext (payload and trailer) must follow the IV gap, and the last
    /// [`ICV_LEN`] bytes receive the ICV. `iv` becomes the explicit IV.
    ///
    /// [`EspError::Malformed`] if `packet` is shorter than header and ICV,
    /// or longer than the cipher allows (64 GiB for GCM).
    pub fn seal(
        &self,
        packet: &mut [u8],
        seq_hi: Option<u32>,
        iv: [u8; IV_LEN],
    ) -> Result<(), EspError> {
        let header = SPI_SEQ_LEN + IV_LEN;
        let icv_at = icv_offset(packet)?;
        packet[SPI_SEQ_LEN..header].copy_from_slice(&iv);
        let (aad, aad_len) = aad(packet, seq_hi);
        let nonce = self.nonce(iv);
        let (body, icv) = packet.split_at_mut(icv_at);
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(&aad[..aad_len]), &mut body[header..])
            .map_err(|_| EspError::Malformed)?;
        icv.copy_from_slice(tag.as_ref());
        Ok(())
    }

    /// Verifies and decrypts `packet` in place; returns the plaintext's range
    /// in `packet`.
    pub fn open(&self, packet: &mut [u8], seq_hi: Option<u32>) -> Result<Range<usize>, EspError> {
        let header = SPI_SEQ_LEN + IV_LEN;
        let icv_at = icv_offset(packet)?;
        let mut iv = [0u8; IV_LEN];
        iv.copy_from_slice(&packet[SPI_SEQ_LEN..header]);
        let (aad, aad_len) = aad(packet, seq_hi);
        let (body, icv) = packet.split_at_mut(icv_at);
        let tag = Tag::try_from(&*icv).map_err(|_| EspError::Malformed)?;
        self.key
            .open_in_place_separate_tag(
                self.nonce(iv),
                Aad::from(&aad[..aad_len]),
                tag,
                &mut body[header..],
                0..,
            )
            .map_err(|_| EspError::Integrity)?;
        Ok(header..icv_at)
    }

    /// `salt || iv`.
    fn nonce(&self, iv: [u8; IV_LEN]) -> Nonce {
        let mut n = [0u8; aead::NONCE_LEN];
        n[..SALT_LEN].copy_from_slice(&self.salt[..]);
        n[SALT_LEN..].copy_from_slice(&iv);
        Nonce::assume_unique_for_key(n)
    }
}

/// Where the ICV starts; [`EspError::Malformed`] if the packet cannot hold
/// the header and the ICV.
fn icv_offset(packet: &[u8]) -> Result<usize, EspError> {
    if packet.len() < SPI_SEQ_LEN + IV_LEN + ICV_LEN {
        return Err(EspError::Malformed);
    }
    Ok(packet.len() - ICV_LEN)
}

/// The AAD (RFC 4106 5): `SPI || seq_lo`, or `SPI || seq_hi || seq_lo`.
fn aad(packet: &[u8], seq_hi: Option<u32>) -> ([u8; 12], usize) {
    let mut aad = [0u8; 12];
    aad[..4].copy_from_slice(&packet[..4]);
    match seq_hi {
        Some(hi) => {
            aad[4..8].copy_from_slice(&hi.to_be_bytes());
            aad[8..12].copy_from_slice(&packet[4..8]);
            (aad, 12)
        }
        None => {
            aad[4..8].copy_from_slice(&packet[4..8]);
            (aad, 8)
        }
    }
}
