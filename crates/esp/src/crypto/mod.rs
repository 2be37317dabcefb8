//! The ciphers of an SA, one enum per direction: [`SealCipher`] and
//! [`OpenCipher`] dispatch to the AEADs ([`aead`]) or AES-CBC + HMAC
//! ([`cbc`]).
//!
//! Key material handed in is never stored raw: it goes straight into the
//! `ring` / RustCrypto key schedules (the AES-CBC ones are wiped on drop;
//! `ring` offers no zeroization of its opaque keys) and the AEAD salt sits in
//! a [`zeroize::Zeroizing`] array.

pub(crate) mod aead;
pub(crate) mod cbc;

use std::ops::Range;

use ibex_ike::crypto::{EncrAlg, IntegAlg};

use crate::error::EspError;
use crate::layout::Layout;

/// Checks the suite and returns its layout.
pub(crate) fn layout(encr: EncrAlg, integ: Option<IntegAlg>) -> Result<Layout, EspError> {
    match (encr.is_aead(), integ) {
        (true, None) => Ok(aead::AeadCipher::LAYOUT),
        (false, Some(i)) => Ok(cbc::layout(i)),
        (true, Some(_)) => Err(EspError::InvalidSa(
            "an AEAD cipher takes no integrity algorithm",
        )),
        (false, None) => Err(EspError::InvalidSa("AES-CBC needs an integrity algorithm")),
    }
}

/// The `ring` AEAD of an AEAD [`EncrAlg`].
fn ring_aead(encr: EncrAlg) -> Option<&'static ring::aead::Algorithm> {
    match encr {
        EncrAlg::AesGcm16_128 => Some(&ring::aead::AES_128_GCM),
        EncrAlg::AesGcm16_256 => Some(&ring::aead::AES_256_GCM),
        EncrAlg::ChaCha20Poly1305 => Some(&ring::aead::CHACHA20_POLY1305),
        EncrAlg::AesCbc128 | EncrAlg::AesCbc256 => None,
    }
}

/// Checks that a CBC key has the length `encr` announces.
fn cbc_key(encr: EncrAlg, key: &[u8]) -> Result<(), EspError> {
    if key.len() == encr.cipher_key_len() {
        Ok(())
    } else {
        Err(EspError::InvalidSa("AES-CBC key length"))
    }
}

/// Which construction an SA uses, after checking its keys fit.
enum Suite {
    Aead(&'static ring::aead::Algorithm),
    Cbc(IntegAlg),
}

fn suite(
    encr: EncrAlg,
    integ: Option<IntegAlg>,
    encr_key: &[u8],
    integ_key: &[u8],
) -> Result<Suite, EspError> {
    match (ring_aead(encr), integ) {
        (Some(alg), _) if integ_key.is_empty() => Ok(Suite::Aead(alg)),
        (Some(_), _) => Err(EspError::InvalidSa("an AEAD SA takes no integrity key")),
        (None, Some(i)) => {
            cbc_key(encr, encr_key)?;
            Ok(Suite::Cbc(i))
        }
        (None, None) => Err(EspError::InvalidSa("AES-CBC needs an integrity algorithm")),
    }
}

/// Outbound cipher.
pub(crate) enum SealCipher {
    Aead(aead::AeadCipher),
    Cbc(cbc::CbcSealer),
}

impl SealCipher {
    /// Builds the cipher; the suite was checked by [`layout`].
    pub fn new(
        encr: EncrAlg,
        integ: Option<IntegAlg>,
        encr_key: &[u8],
        integ_key: &[u8],
    ) -> Result<Self, EspError> {
        Ok(match suite(encr, integ, encr_key, integ_key)? {
            Suite::Aead(alg) => Self::Aead(aead::AeadCipher::new(alg, encr_key)?),
            Suite::Cbc(i) => Self::Cbc(cbc::CbcSealer::new(encr_key, i, integ_key)?),
        })
    }

    /// Writes the IV for sequence number `seq`, encrypts and appends the ICV
    /// (see [`aead::AeadCipher::seal`]).
    pub fn seal(&self, packet: &mut [u8], seq: u64, esn: bool) -> Result<(), EspError> {
        let seq_hi = esn.then_some((seq >> 32) as u32);
        match self {
            // RFC 4106 3.1: a counter is the natural explicit IV
            Self::Aead(c) => c.seal(packet, seq_hi, seq.to_be_bytes()),
            Self::Cbc(c) => c.seal(packet, seq_hi, c.iv(seq)),
        }
    }
}

/// Inbound cipher.
pub(crate) enum OpenCipher {
    Aead(aead::AeadCipher),
    Cbc(cbc::CbcOpener),
}

impl OpenCipher {
    /// Builds the cipher; the suite was checked by [`layout`].
    pub fn new(
        encr: EncrAlg,
        integ: Option<IntegAlg>,
        encr_key: &[u8],
        integ_key: &[u8],
    ) -> Result<Self, EspError> {
        Ok(match suite(encr, integ, encr_key, integ_key)? {
            Suite::Aead(alg) => Self::Aead(aead::AeadCipher::new(alg, encr_key)?),
            Suite::Cbc(i) => Self::Cbc(cbc::CbcOpener::new(encr_key, i, integ_key)?),
        })
    }

    /// Verifies the ICV of the packet with full sequence number `seq`, then
    /// decrypts in place; returns the plaintext's range.
    pub fn open(&self, packet: &mut [u8], seq: u64, esn: bool) -> Result<Range<usize>, EspError> {
        let seq_hi = esn.then_some((seq >> 32) as u32);
        match self {
            Self::Aead(c) => c.open(packet, seq_hi),
            Self::Cbc(c) => c.open(packet, seq_hi),
        }
    }
}
