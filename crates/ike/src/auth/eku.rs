//! Extended key usage policy for IKE peer certificates (RFC 4945 §5.1.3.12):
//! a certificate without the extension is fine; one with it must list
//! serverAuth, clientAuth, ipsecIKE or anyExtendedKeyUsage.
//!
//! One webpki validator accepting any of the four is equivalent to trying
//! `KeyUsage::required_if_present` for each in turn, with a single path
//! build. webpki applies it to every certificate of the path, intermediates
//! included.

use webpki::{
    Error, ExtendedKeyUsageValidator, KeyPurposeId, KeyPurposeIdIter, KeyUsage,
    RequiredEkuNotFoundContext,
};

/// id-kp-serverAuth, 1.3.6.1.5.5.7.3.1 (OID contents).
const SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
/// id-kp-clientAuth, 1.3.6.1.5.5.7.3.2.
const CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
/// id-kp-ipsecIKE, 1.3.6.1.5.5.7.3.17 (RFC 4945).
const IPSEC_IKE: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x11];
/// anyExtendedKeyUsage, 2.5.29.37.0.
const ANY_EKU: &[u8] = &[0x55, 0x1d, 0x25, 0x00];

const ACCEPTED: [&[u8]; 4] = [SERVER_AUTH, CLIENT_AUTH, IPSEC_IKE, ANY_EKU];

/// The IKE EKU policy as a webpki validator.
pub(super) struct IkeKeyUsage;

impl ExtendedKeyUsageValidator for IkeKeyUsage {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), Error> {
        let mut present = Vec::new();
        for id in iter {
            let id = id?;
            if ACCEPTED.iter().any(|&oid| KeyPurposeId::new(oid) == id) {
                return Ok(());
            }
            present.push(id.to_decoded_oid());
        }
        if present.is_empty() {
            return Ok(());
        }
        Err(Error::RequiredEkuNotFoundContext(
            RequiredEkuNotFoundContext {
                required: KeyUsage::required_if_present(IPSEC_IKE),
                present,
            },
        ))
    }
}
