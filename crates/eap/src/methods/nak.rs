//! Legacy Nak (RFC 3748 5.3.1) and Expanded Nak (5.3.2): the peer's list of
//! methods it would accept instead.

use crate::MethodType;

/// Legacy Nak type-data: the acceptable types, or 0 for none.
pub(crate) fn legacy(accepted: &[MethodType]) -> Vec<u8> {
    if accepted.is_empty() {
        return vec![0];
    }
    accepted.iter().map(|m| m.0).collect()
}

/// Expanded Nak type-data (answer to a type-254 request): Vendor-Id 0,
/// Vendor-Type 3, then each acceptable type in expanded form, or the
/// expanded "none" (vendor 0, type 0).
pub(crate) fn expanded(accepted: &[MethodType]) -> Vec<u8> {
    let mut out = vec![0, 0, 0, 0, 0, 0, 3];
    if accepted.is_empty() {
        out.extend_from_slice(&[254, 0, 0, 0, 0, 0, 0, 0]);
    }
    for m in accepted {
        out.extend_from_slice(&[254, 0, 0, 0, 0, 0, 0, m.0]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_accepted_types() {
        assert_eq!(
            legacy(&[MethodType::MSCHAPV2, MethodType::GTC]),
            vec![26, 6]
        );
        assert_eq!(legacy(&[]), vec![0]);
        let e = expanded(&[MethodType::GTC]);
        assert_eq!(e, vec![0, 0, 0, 0, 0, 0, 3, 254, 0, 0, 0, 0, 0, 0, 6]);
        assert_eq!(expanded(&[]).len(), 15);
    }
}
