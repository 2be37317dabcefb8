//! Independent constructions: the packets `seal` produces, rebuilt or
//! checked by hand with `ring` (AEADs, HMAC) and the `aes`/`cbc` crates,
//! and packets built by hand (bad padding, other next headers) fed to
//! `open`.

use crate::common::*;
use aes::cipher::array::Array;
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use ibex_esp::{EspError, InboundSa, NextHeader};
use ibex_ike::crypto::{EncrAlg, IntegAlg};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hmac;

fn ring_aead(encr: EncrAlg) -> &'static ring::aead::Algorithm {
    match encr {
        EncrAlg::AesGcm16_128 => &ring::aead::AES_128_GCM,
        EncrAlg::AesGcm16_256 => &ring::aead::AES_256_GCM,
        EncrAlg::ChaCha20Poly1305 => &ring::aead::CHACHA20_POLY1305,
        _ => unreachable!(),
    }
}

/// `inner || 1, 2, ... || pad length || next header`, aligned to `align`.
fn padded(inner: &[u8], align: usize, next_header: u8) -> Vec<u8> {
    let pad = (align - (inner.len() + 2) % align) % align;
    let mut p = inner.to_vec();
    p.extend((1..=pad as u8).collect::<Vec<_>>());
    p.push(pad as u8);
    p.push(next_header);
    p
}

/// RFC 4106 / RFC 7634 by hand: `SPI || seq_lo || IV || AEAD(salt || IV,
/// AAD, plaintext) || tag`, with IV = the 64-bit sequence number.
fn aead_packet(
    encr: EncrAlg,
    spi: u32,
    seq: u64,
    esn: bool,
    iv: [u8; 8],
    plaintext: &[u8],
) -> Vec<u8> {
    let keymat = encr_key(encr);
    let (k, salt) = keymat.split_at(encr.cipher_key_len());
    let key = LessSafeKey::new(UnboundKey::new(ring_aead(encr), k).unwrap());
    let mut nonce = [0u8; 12];
    nonce[..4].copy_from_slice(salt);
    nonce[4..].copy_from_slice(&iv);
    let mut aad = spi.to_be_bytes().to_vec();
    if esn {
        aad.extend_from_slice(&((seq >> 32) as u32).to_be_bytes());
    }
    aad.extend_from_slice(&(seq as u32).to_be_bytes());
    let mut body = plaintext.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(&aad),
        &mut body,
    )
    .unwrap();
    let mut packet = spi.to_be_bytes().to_vec();
    packet.extend_from_slice(&(seq as u32).to_be_bytes());
    packet.extend_from_slice(&iv);
    packet.extend_from_slice(&body);
    packet
}

#[test]
fn aead_packets_match_ring_by_hand() {
    for encr in [
        EncrAlg::AesGcm16_128,
        EncrAlg::AesGcm16_256,
        EncrAlg::ChaCha20Poly1305,
    ] {
        for esn in [false, true] {
            let (mut out, _) = sa_pair(encr, None, esn);
            if esn {
                out.skip_to(0x0000_0007_ffff_fffe).unwrap();
            }
            for size in [0, 1, 5, 64, 1400] {
                let inner = inner_packet(size, NextHeader::Ipv6);
                let sealed = seal(&mut out, &inner, NextHeader::Ipv6);
                let seq = out.stats().last_seq;
                let expected = aead_packet(
                    encr,
                    out.spi(),
                    seq,
                    esn,
                    seq.to_be_bytes(),
                    &padded(&inner, 4, 41),
                );
                assert_eq!(sealed, expected, "{} esn={esn} size={size}", encr.name());
            }
        }
    }
}

/// The ICV of a CBC packet is HMAC-SHA2 over `SPI .. ciphertext` (and the
/// high sequence bits with ESN) truncated to half the hash (RFC 4868 2.3),
/// and the ciphertext decrypts with plain AES-CBC under the IV it carries.
#[test]
fn cbc_packets_verify_by_hand() {
    for encr in [EncrAlg::AesCbc128, EncrAlg::AesCbc256] {
        for (integ, hmac_alg, icv_len) in [
            (IntegAlg::HmacSha256_128, hmac::HMAC_SHA256, 16),
            (IntegAlg::HmacSha384_192, hmac::HMAC_SHA384, 24),
            (IntegAlg::HmacSha512_256, hmac::HMAC_SHA512, 32),
        ] {
            for esn in [false, true] {
                let label = name(encr, Some(integ), esn);
                let (mut out, _) = sa_pair(encr, Some(integ), esn);
                if esn {
                    out.skip_to(0x0000_0003_0000_0000).unwrap();
                }
                for size in [0, 14, 15, 16, 100, 1400] {
                    let inner = inner_packet(size, NextHeader::Ipv4);
                    let packet = seal(&mut out, &inner, NextHeader::Ipv4);
                    let seq = out.stats().last_seq;
                    let (covered, icv) = packet.split_at(packet.len() - icv_len);
                    let key = hmac::Key::new(hmac_alg, &integ_key(Some(integ)));
                    let mut ctx = hmac::Context::with_key(&key);
                    ctx.update(covered);
                    if esn {
                        ctx.update(&((seq >> 32) as u32).to_be_bytes());
                    }
                    let full = ctx.sign();
                    assert_eq!(icv, &full.as_ref()[..icv_len], "{label}");

                    let iv = &covered[8..24];
                    let mut body = covered[24..].to_vec();
                    let ek = encr_key(encr);
                    let (blocks, rest) = Array::slice_as_chunks_mut(&mut body);
                    assert!(rest.is_empty(), "{label}: not block-aligned");
                    if ek.len() == 16 {
                        cbc::Decryptor::<aes::Aes128>::new_from_slices(&ek, iv)
                            .unwrap()
                            .decrypt_blocks(blocks);
                    } else {
                        cbc::Decryptor::<aes::Aes256>::new_from_slices(&ek, iv)
                            .unwrap()
                            .decrypt_blocks(blocks);
                    }
                    assert_eq!(body, padded(&inner, 16, 4), "{label} size={size}");
                }
            }
        }
    }
}

#[test]
fn cbc_ivs_are_unpredictable() {
    let (mut out, _) = sa_pair(EncrAlg::AesCbc256, Some(IntegAlg::HmacSha256_128), false);
    let mut ivs: Vec<[u8; 16]> = (0..1000)
        .map(|_| {
            seal(&mut out, &[], NextHeader::Ipv4)[8..24]
                .try_into()
                .unwrap()
        })
        .collect();
    // no counter in sight: consecutive IVs share no structure
    for pair in ivs.windows(2) {
        let same = pair[0].iter().zip(&pair[1]).filter(|(a, b)| a == b).count();
        assert!(same < 8, "{:02x?}", pair);
    }
    ivs.sort();
    ivs.dedup();
    assert_eq!(ivs.len(), 1000);
    // another key, other IVs for the same sequence numbers
    let ek = vec![0x5a; 32];
    let mut other = ibex_esp::OutboundSa::new(
        1,
        EncrAlg::AesCbc256,
        Some(IntegAlg::HmacSha256_128),
        &ek,
        &[0; 32],
        false,
    )
    .unwrap();
    let first: [u8; 16] = seal(&mut other, &[], NextHeader::Ipv4)[8..24]
        .try_into()
        .unwrap();
    assert!(!ivs.contains(&first));
}

/// Authentic packets with bad padding or another next header: dropped and
/// counted, and (being authentic) their sequence number is consumed.
#[test]
fn authentic_but_invalid_contents() {
    let encr = EncrAlg::ChaCha20Poly1305;
    let spi: u32 = 0xc001_d00d;
    let inner = inner_packet(28, NextHeader::Ipv4);
    let good = padded(&inner, 4, 4); // padding 1, 2
    let with = |at_end: usize, value: u8| {
        let mut p = good.clone();
        let n = p.len();
        p[n - at_end] = value;
        p
    };
    // more padding than needed (traffic flow confidentiality) is valid
    let mut long_padding = inner.clone();
    long_padding.extend(1..=8u8);
    long_padding.extend([8, 4]);
    let cases: [(Vec<u8>, Option<EspError>); 7] = [
        (with(3, 3), Some(EspError::BadPadding)),   // padding 1, 3
        (with(2, 200), Some(EspError::BadPadding)), // beyond the plaintext
        (padded(&inner, 4, 17), Some(EspError::UnknownNextHeader(17))),
        (padded(&inner, 4, 6), Some(EspError::UnknownNextHeader(6))),
        (padded(&[], 4, 59), Some(EspError::DummyPacket)),
        (long_padding, None),
        (good.clone(), None),
    ];
    let mut inb = InboundSa::new(spi, encr, None, &encr_key(encr), &[], false).unwrap();
    for (i, (plaintext, expected)) in cases.into_iter().enumerate() {
        let seq = i as u64 + 1;
        let mut p = aead_packet(encr, spi, seq, false, [9; 8], &plaintext);
        match (inb.open(&mut p), expected) {
            (Ok(opened), None) => assert_eq!(&p[opened.inner], &inner[..]),
            (result, expected) => assert_eq!(result.err(), expected, "case {i}"),
        }
        assert_eq!(inb.window().top(), seq, "case {i}");
    }
    let d = inb.stats().drops;
    assert_eq!((d.bad_padding, d.unknown_next_header, d.dummy), (2, 2, 1));
    assert_eq!(inb.stats().packets, 2);
}

#[test]
fn cbc_bad_padding_by_hand() {
    let encr = EncrAlg::AesCbc128;
    let integ = IntegAlg::HmacSha256_128;
    let spi: u32 = 0xc001_d00d;
    let ek = encr_key(encr);
    let ik = integ_key(Some(integ));
    let mut plaintext = padded(&[0x45; 20], 16, 4);
    let n = plaintext.len();
    plaintext[n - 3] ^= 0xff; // last padding byte
    let iv = [3u8; 16];
    let (blocks, _) = Array::slice_as_chunks_mut(&mut plaintext);
    cbc::Encryptor::<aes::Aes128>::new_from_slices(&ek, &iv)
        .unwrap()
        .encrypt_blocks(blocks);
    let mut packet = spi.to_be_bytes().to_vec();
    packet.extend_from_slice(&1u32.to_be_bytes());
    packet.extend_from_slice(&iv);
    packet.extend_from_slice(&plaintext);
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &ik), &packet);
    packet.extend_from_slice(&tag.as_ref()[..16]);

    let mut inb = InboundSa::new(spi, encr, Some(integ), &ek, &ik, false).unwrap();
    assert_eq!(inb.open(&mut packet), Err(EspError::BadPadding));
    assert_eq!(inb.stats().drops.bad_padding, 1);
    assert_eq!(inb.window().top(), 1);
}
