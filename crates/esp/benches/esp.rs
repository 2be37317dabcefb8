//! ESP throughput: one iteration = `OutboundSa::seal` + `InboundSa::open` of
//! one packet, in place on a reused buffer, per suite at 64, 512 and 1400
//! bytes of inner packet.
//!
//! Beside each AEAD suite, `ring/<size>` runs the bare `ring` AEAD
//! (`seal_in_place_separate_tag` + `open_in_place_separate_tag` with a
//! counter nonce and an 8-byte AAD) over a buffer of the same size: the
//! ceiling Ibex's ESP framing, anti-replay and counters are measured against.
//!
//! Run with `cargo bench -p ibex-esp --bench esp`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ibex_esp::{InboundSa, NextHeader, OutboundSa};
use ibex_ike::crypto::{EncrAlg, IntegAlg};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey};

const SIZES: [usize; 3] = [64, 512, 1400];

const SUITES: [(EncrAlg, Option<IntegAlg>); 9] = [
    (EncrAlg::AesGcm16_128, None),
    (EncrAlg::AesGcm16_256, None),
    (EncrAlg::ChaCha20Poly1305, None),
    (EncrAlg::AesCbc128, Some(IntegAlg::HmacSha256_128)),
    (EncrAlg::AesCbc128, Some(IntegAlg::HmacSha384_192)),
    (EncrAlg::AesCbc128, Some(IntegAlg::HmacSha512_256)),
    (EncrAlg::AesCbc256, Some(IntegAlg::HmacSha256_128)),
    (EncrAlg::AesCbc256, Some(IntegAlg::HmacSha384_192)),
    (EncrAlg::AesCbc256, Some(IntegAlg::HmacSha512_256)),
];

fn suite_name(encr: EncrAlg, integ: Option<IntegAlg>) -> String {
    match integ {
        Some(i) => format!("{}-{}", encr.name(), i.name()),
        None => encr.name().to_string(),
    }
}

fn ring_alg(encr: EncrAlg) -> Option<&'static ring::aead::Algorithm> {
    match encr {
        EncrAlg::AesGcm16_128 => Some(&ring::aead::AES_128_GCM),
        EncrAlg::AesGcm16_256 => Some(&ring::aead::AES_256_GCM),
        EncrAlg::ChaCha20Poly1305 => Some(&ring::aead::CHACHA20_POLY1305),
        EncrAlg::AesCbc128 | EncrAlg::AesCbc256 => None,
    }
}

fn esp(c: &mut Criterion) {
    for (encr, integ) in SUITES {
        let mut group = c.benchmark_group(format!("seal+open/{}", suite_name(encr, integ)));
        let encr_key = vec![0x42; encr.key_len()];
        let integ_key = integ.map_or_else(Vec::new, |i| vec![0x24; i.key_len()]);
        for size in SIZES {
            group.throughput(Throughput::Bytes(size as u64));
            group.bench_with_input(BenchmarkId::new("ibex", size), &size, |b, &size| {
                let spi = 0x1000_0001;
                let mut out = OutboundSa::new(spi, encr, integ, &encr_key, &integ_key, false)
                    .expect("outbound SA");
                let mut inb = InboundSa::new(spi, encr, integ, &encr_key, &integ_key, false)
                    .expect("inbound SA");
                let mut buf = vec![0x45u8; OutboundSa::HEADROOM + size + OutboundSa::TAILROOM];
                let payload = OutboundSa::HEADROOM..OutboundSa::HEADROOM + size;
                b.iter(|| {
                    let esp = out
                        .seal(&mut buf, payload.clone(), NextHeader::Ipv4)
                        .expect("seal");
                    black_box(inb.open(&mut buf[esp]).expect("open"));
                });
            });
            if let Some(alg) = ring_alg(encr) {
                group.bench_with_input(BenchmarkId::new("ring", size), &size, |b, &size| {
                    let key = LessSafeKey::new(
                        UnboundKey::new(alg, &encr_key[..alg.key_len()]).expect("key"),
                    );
                    let mut buf = vec![0x45u8; size];
                    let mut counter = 0u64;
                    b.iter(|| {
                        counter += 1;
                        let mut nonce = [0x42u8; 12];
                        nonce[4..].copy_from_slice(&counter.to_be_bytes());
                        let mut aad = [0u8; 8];
                        aad[4..].copy_from_slice(&(counter as u32).to_be_bytes());
                        let tag = key
                            .seal_in_place_separate_tag(
                                Nonce::assume_unique_for_key(nonce),
                                Aad::from(aad),
                                &mut buf,
                            )
                            .expect("seal");
                        let plain = key
                            .open_in_place_separate_tag(
                                Nonce::assume_unique_for_key(nonce),
                                Aad::from(aad),
                                tag,
                                &mut buf,
                                0..,
                            )
                            .expect("open");
                        black_box(plain);
                    });
                });
            }
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(30);
    targets = esp
}
criterion_main!(benches);
