//! AES-CBC (RFC 3602) with HMAC-SHA2 (RFC 4868): [`CbcSealer`] and
//! [`CbcOpener`].
//!
//! The ICV covers `SPI || seq_lo || IV || ciphertext`, followed for ESN by
//! the high 32 bits of the sequence number, which are not sent (RFC 4303
//! 2.2.1). The opener checks it before decrypting anything.
//!
//! The IV must be unpredictable (RFC 3602 2.3, the CBC attacks of TLS 1.0):
//! it is the 64-bit sequence number, zero-extended to a block and encrypted
//! with AES-128 under a separate key, derived once per SA as
//! `HMAC-SHA-256(encryption key, "ibex-esp AES-CBC IV key")`. The sequence
//! number never repeats within an SA, so neither does the IV, and nobody
//! without the key can predict it.

use aes::cipher::array::Array;
use aes::cipher::{BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, InnerIvInit, KeyInit};
use aes::{Aes128Dec, Aes128Enc, Aes256Dec, Aes256Enc};
use ibex_ike::crypto::IntegAlg;
use ring::hmac;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::EspError;
use crate::layout::{Layout, SPI_SEQ_LEN};

/// AES block, also the IV length.
const BLOCK: usize = 16;
/// Label of the IV key derivation.
const IV_KEY_LABEL: &[u8] = b"ibex-esp AES-CBC IV key";

/// The packet layout with the ICV of `integ`.
pub(crate) fn layout(integ: IntegAlg) -> Layout {
    Layout {
        iv_len: BLOCK,
        align: BLOCK,
        icv_len: integ.icv_len(),
    }
}

/// Outbound AES-CBC + HMAC.
pub(crate) struct CbcSealer {
    cipher: AesEnc,
    iv_gen: Aes128Enc,
    mac: Mac,
}

/// Inbound AES-CBC + HMAC.
pub(crate) struct CbcOpener {
    cipher: AesDec,
    mac: Mac,
}

impl CbcSealer {
    /// A sealer for an AES key of 16 or 32 bytes and an integrity key of
    /// `integ`'s length.
    pub fn new(encr_key: &[u8], integ: IntegAlg, integ_key: &[u8]) -> Result<Self, EspError> {
        let cipher = match encr_key.len() {
            16 => AesEnc::A128(Aes128Enc::new_from_slice(encr_key).map_err(key_err)?),
            32 => AesEnc::A256(Aes256Enc::new_from_slice(encr_key).map_err(key_err)?),
            _ => return Err(key_err(())),
        };
        let derived = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, encr_key), IV_KEY_LABEL);
        let mut iv_key = Zeroizing::new([0u8; BLOCK]);
        iv_key.copy_from_slice(&derived.as_ref()[..BLOCK]);
        Ok(Self {
            cipher,
            iv_gen: Aes128Enc::new_from_slice(&iv_key[..]).map_err(key_err)?,
            mac: Mac::new(integ, integ_key)?,
        })
    }

    /// The IV of the packet with sequence number `seq`.
    pub fn iv(&self, seq: u64) -> [u8; BLOCK] {
        let mut block = Array::from([0u8; BLOCK]);
        block[8..].copy_from_slice(&seq.to_be_bytes());
        self.iv_gen.encrypt_block(&mut block);
        block.into()
    }

    /// Seals `packet` in place: `SPI || seq_lo` must be written, the padded
    /// plaintext must follow the IV gap, and the last bytes receive the ICV.
    pub fn seal(
        &self,
        packet: &mut [u8],
        seq_hi: Option<u32>,
        iv: [u8; BLOCK],
    ) -> Result<(), EspError> {
        let header = SPI_SEQ_LEN + BLOCK;
        let icv_at = icv_offset(packet, self.mac.icv_len)?;
        packet[SPI_SEQ_LEN..header].copy_from_slice(&iv);
        let blocks = as_blocks(&mut packet[header..icv_at])?;
        let iv = Array::from(iv);
        match &self.cipher {
            AesEnc::A128(c) => cbc::Encryptor::inner_iv_init(c, &iv).encrypt_blocks(blocks),
            AesEnc::A256(c) => cbc::Encryptor::inner_iv_init(c, &iv).encrypt_blocks(blocks),
        }
        let (covered, icv) = packet.split_at_mut(icv_at);
        let tag = self.mac.sign(covered, seq_hi);
        icv.copy_from_slice(&tag.as_ref()[..self.mac.icv_len]);
        Ok(())
    }
}

impl CbcOpener {
    /// An opener; same keys as [`CbcSealer::new`].
    pub fn new(encr_key: &[u8], integ: IntegAlg, integ_key: &[u8]) -> Result<Self, EspError> {
        let cipher = match encr_key.len() {
            16 => AesDec::A128(Aes128Dec::new_from_slice(encr_key).map_err(key_err)?),
            32 => AesDec::A256(Aes256Dec::new_from_slice(encr_key).map_err(key_err)?),
            _ => return Err(key_err(())),
        };
        Ok(Self {
            cipher,
            mac: Mac::new(integ, integ_key)?,
        })
    }

    /// Verifies the ICV, then decrypts in place; returns the plaintext's
    /// range in `packet`.
    pub fn open(
        &self,
        packet: &mut [u8],
        seq_hi: Option<u32>,
    ) -> Result<std::ops::Range<usize>, EspError> {
        let header = SPI_SEQ_LEN + BLOCK;
        let icv_at = icv_offset(packet, self.mac.icv_len)?;
        if !(icv_at - header).is_multiple_of(BLOCK) {
            return Err(EspError::Malformed);
        }
        let (covered, icv) = packet.split_at_mut(icv_at);
        let tag = self.mac.sign(covered, seq_hi);
        if !bool::from(tag.as_ref()[..self.mac.icv_len].ct_eq(icv)) {
            return Err(EspError::Integrity);
        }
        let mut iv = Array::from([0u8; BLOCK]);
        iv.copy_from_slice(&covered[SPI_SEQ_LEN..header]);
        let blocks = as_blocks(&mut covered[header..])?;
        match &self.cipher {
            AesDec::A128(c) => cbc::Decryptor::inner_iv_init(c, &iv).decrypt_blocks(blocks),
            AesDec::A256(c) => cbc::Decryptor::inner_iv_init(c, &iv).decrypt_blocks(blocks),
        }
        Ok(header..icv_at)
    }
}

/// AES encryption with either key size (round keys wiped on drop).
enum AesEnc {
    A128(Aes128Enc),
    A256(Aes256Enc),
}

/// AES decryption with either key size (round keys wiped on drop).
enum AesDec {
    A128(Aes128Dec),
    A256(Aes256Dec),
}

/// The HMAC key and the truncation.
struct Mac {
    /// `ring` keeps the HMAC state opaque; it offers no zeroization.
    key: hmac::Key,
    icv_len: usize,
}

impl Mac {
    fn new(integ: IntegAlg, key: &[u8]) -> Result<Self, EspError> {
        if key.len() != integ.key_len() {
            return Err(EspError::InvalidSa("integrity key length"));
        }
        let algorithm = match integ {
            IntegAlg::HmacSha256_128 => hmac::HMAC_SHA256,
            IntegAlg::HmacSha384_192 => hmac::HMAC_SHA384,
            IntegAlg::HmacSha512_256 => hmac::HMAC_SHA512,
        };
        Ok(Self {
            key: hmac::Key::new(algorithm, key),
            icv_len: integ.icv_len(),
        })
    }

    /// The full HMAC of `covered || seq_hi` (truncate to `icv_len`).
    fn sign(&self, covered: &[u8], seq_hi: Option<u32>) -> hmac::Tag {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(covered);
        if let Some(hi) = seq_hi {
            ctx.update(&hi.to_be_bytes());
        }
        ctx.sign()
    }
}

fn key_err<E>(_: E) -> EspError {
    EspError::InvalidSa("AES-CBC key length (16 or 32 bytes)")
}

/// Where the ICV starts; [`EspError::Malformed`] if the packet cannot hold a
/// header, one block and the ICV.
fn icv_offset(packet: &[u8], icv_len: usize) -> Result<usize, EspError> {
    if packet.len() < SPI_SEQ_LEN + 2 * BLOCK + icv_len {
        return Err(EspError::Malformed);
    }
    Ok(packet.len() - icv_len)
}

fn as_blocks(buf: &mut [u8]) -> Result<&mut [aes::Block], EspError> {
    let (blocks, rest) = Array::slice_as_chunks_mut(buf);
    if rest.is_empty() {
        Ok(blocks)
    } else {
        Err(EspError::Malformed)
    }
}
