//! AES-CBC without padding (the caller pads, IKE-style).
//!
//! `ring` offers no CBC mode, so this is the one symmetric primitive taken
//! from RustCrypto (`aes` + `cbc`, cipher 0.5 generation).

use aes::cipher::array::Array;
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};

use super::error::CryptoError;

/// AES block size in bytes (also the CBC IV length).
pub(crate) const BLOCK: usize = 16;

/// Encrypts `buf` in place with AES-CBC (128- or 256-bit key by its length).
///
/// # Errors
///
/// [`CryptoError::InvalidKeyLength`] for a key that is not 16 or 32 bytes or
/// an IV that is not 16 bytes; [`CryptoError::Integrity`] if `buf` is not a
/// whole number of blocks.
pub(crate) fn encrypt(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), CryptoError> {
    let blocks = as_blocks(buf)?;
    match key.len() {
        16 => cbc::Encryptor::<aes::Aes128>::new_from_slices(key, iv)
            .map_err(|_| CryptoError::InvalidKeyLength)?
            .encrypt_blocks(blocks),
        32 => cbc::Encryptor::<aes::Aes256>::new_from_slices(key, iv)
            .map_err(|_| CryptoError::InvalidKeyLength)?
            .encrypt_blocks(blocks),
        _ => return Err(CryptoError::InvalidKeyLength),
    }
    Ok(())
}

/// Decrypts `buf` in place with AES-CBC; same contract as [`encrypt`].
pub(crate) fn decrypt(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), CryptoError> {
    let blocks = as_blocks(buf)?;
    match key.len() {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
            .map_err(|_| CryptoError::InvalidKeyLength)?
            .decrypt_blocks(blocks),
        32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
            .map_err(|_| CryptoError::InvalidKeyLength)?
            .decrypt_blocks(blocks),
        _ => return Err(CryptoError::InvalidKeyLength),
    }
    Ok(())
}

fn as_blocks(buf: &mut [u8]) -> Result<&mut [aes::Block], CryptoError> {
    let (blocks, rest) = Array::slice_as_chunks_mut(buf);
    if rest.is_empty() {
        Ok(blocks)
    } else {
        Err(CryptoError::Integrity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_util::hex;

    /// RFC 3602 section 4, cases 1 and 2 (AES-128-CBC).
    #[test]
    fn rfc3602_cases_1_and_2() {
        let cases: [(&str, &str, Vec<u8>, &str); 2] = [
            (
                "06a9214036b8a15b512e03d534120006",
                "3dafba429d9eb430b422da802c9fac41",
                b"Single block msg".to_vec(),
                "e353779c1079aeb82708942dbe77181a",
            ),
            (
                "c286696d887c9aa0611bbb3e2025a45a",
                "562e17996d093d28ddb3ba695a2e6f58",
                (0u8..32).collect(),
                "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1",
            ),
        ];
        for (key, iv, plain, cipher) in cases {
            let (key, iv) = (hex(key), hex(iv));
            let mut buf = plain.clone();
            encrypt(&key, &iv, &mut buf).unwrap();
            assert_eq!(buf, hex(cipher));
            decrypt(&key, &iv, &mut buf).unwrap();
            assert_eq!(buf, plain);
        }
    }

    #[test]
    fn aes256_roundtrip_and_errors() {
        let key = [7u8; 32];
        let iv = [9u8; 16];
        let plain: Vec<u8> = (0u8..64).collect();
        let mut buf = plain.clone();
        encrypt(&key, &iv, &mut buf).unwrap();
        assert_ne!(buf, plain);
        decrypt(&key, &iv, &mut buf).unwrap();
        assert_eq!(buf, plain);
        assert_eq!(
            encrypt(&key[..24], &iv, &mut buf),
            Err(CryptoError::InvalidKeyLength)
        );
        assert_eq!(
            encrypt(&key, &iv[..8], &mut buf),
            Err(CryptoError::InvalidKeyLength)
        );
        assert_eq!(
            decrypt(&key, &iv, &mut buf[..15]),
            Err(CryptoError::Integrity)
        );
    }
}
