//! Framing of Ibex's experimental methods (EAP type 255): magic, version,
//! subtype, then TLVs. See docs/eap.md for the diagrams.

use thiserror::Error;

/// First four bytes of the type-data.
pub(crate) const MAGIC: &[u8; 4] = b"IBEX";
/// The framing version this code speaks.
pub(crate) const VERSION: u8 = 1;
/// Subtype: push approval.
pub(crate) const SUBTYPE_PUSH: u8 = 1;
/// Subtype: FIDO2 assertion.
pub(crate) const SUBTYPE_FIDO: u8 = 2;

/// Why an Ibex message could not be read or written.
#[derive(Debug, Error, PartialEq, Eq)]
pub(crate) enum WireError {
    /// Experimental type-data from another vendor.
    #[error("experimental type-data without the IBEX magic")]
    NotIbex,
    /// A framing version we do not speak.
    #[error("Ibex method version {0} is not supported")]
    Version(u8),
    /// A subtype we do not speak.
    #[error("Ibex method subtype {0} is not supported")]
    Subtype(u8),
    /// A TLV runs past the end.
    #[error("Ibex TLV truncated")]
    Truncated,
    /// A required TLV is missing.
    #[error("Ibex {0} TLV missing")]
    Missing(&'static str),
    /// A TLV that may appear once appears again.
    #[error("Ibex {0} TLV repeated")]
    Repeated(&'static str),
    /// A TLV with a wrong length or content.
    #[error("Ibex {0} TLV invalid")]
    Invalid(&'static str),
    /// A value or message too long for its length field.
    #[error("Ibex message too long")]
    TooLong,
}

/// The TLVs of one message, in order.
pub(crate) struct Tlvs<'a>(Vec<(u8, &'a [u8])>);

impl<'a> Tlvs<'a> {
    /// The value of a TLV that may appear at most once.
    pub(crate) fn once(&self, kind: u8, name: &'static str) -> Result<Option<&'a [u8]>, WireError> {
        let mut found = self.0.iter().filter(|(t, _)| *t == kind).map(|(_, v)| *v);
        let first = found.next();
        if found.next().is_some() {
            return Err(WireError::Repeated(name));
        }
        Ok(first)
    }

    /// The value of a TLV that must appear exactly once.
    pub(crate) fn required(&self, kind: u8, name: &'static str) -> Result<&'a [u8], WireError> {
        self.once(kind, name)?.ok_or(WireError::Missing(name))
    }

    /// Every value of a repeatable TLV.
    pub(crate) fn all(&self, kind: u8) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.0
            .iter()
            .filter(move |(t, _)| *t == kind)
            .map(|(_, v)| *v)
    }
}

/// Reads the framing; returns the subtype and its TLVs. Unknown TLV types
/// are kept (and so ignored by the readers, which ask for known ones).
pub(crate) fn parse(data: &[u8]) -> Result<(u8, Tlvs<'_>), WireError> {
    let rest = data
        .strip_prefix(MAGIC.as_slice())
        .ok_or(WireError::NotIbex)?;
    let (&version, rest) = rest.split_first().ok_or(WireError::Truncated)?;
    if version != VERSION {
        return Err(WireError::Version(version));
    }
    let (&subtype, mut rest) = rest.split_first().ok_or(WireError::Truncated)?;
    if subtype != SUBTYPE_PUSH && subtype != SUBTYPE_FIDO {
        return Err(WireError::Subtype(subtype));
    }
    let mut tlvs = Vec::new();
    while !rest.is_empty() {
        let [kind, hi, lo, ..] = *rest else {
            return Err(WireError::Truncated);
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let value = rest.get(3..3 + len).ok_or(WireError::Truncated)?;
        tlvs.push((kind, value));
        rest = &rest[3 + len..];
    }
    Ok((subtype, Tlvs(tlvs)))
}

/// Writes the framing and TLVs (the EAP type-data after the type byte).
pub(crate) fn build(subtype: u8, tlvs: &[(u8, &[u8])]) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::with_capacity(6 + tlvs.iter().map(|(_, v)| 3 + v.len()).sum::<usize>());
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.push(subtype);
    for (kind, value) in tlvs {
        let len = u16::try_from(value.len()).map_err(|_| WireError::TooLong)?;
        out.push(*kind);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(value);
    }
    Ok(out)
}

/// A UTF-8 TLV value.
pub(crate) fn utf8<'a>(value: &'a [u8], name: &'static str) -> Result<&'a str, WireError> {
    std::str::from_utf8(value).map_err(|_| WireError::Invalid(name))
}

/// A fixed-size big-endian integer TLV value.
pub(crate) fn array<const N: usize>(
    value: &[u8],
    name: &'static str,
) -> Result<[u8; N], WireError> {
    value.try_into().map_err(|_| WireError::Invalid(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_unknown_tlvs() {
        let data = build(SUBTYPE_PUSH, &[(1, b"ab"), (200, b"future"), (3, b"")]).unwrap();
        assert_eq!(&data[..6], b"IBEX\x01\x01");
        let (subtype, tlvs) = parse(&data).unwrap();
        assert_eq!(subtype, SUBTYPE_PUSH);
        assert_eq!(tlvs.required(1, "a").unwrap(), b"ab");
        assert_eq!(tlvs.once(3, "c").unwrap(), Some(&b""[..]));
        assert_eq!(tlvs.once(9, "d").unwrap(), None);
        assert_eq!(tlvs.required(9, "d"), Err(WireError::Missing("d")));
    }

    #[test]
    fn rejects_bad_framing() {
        assert_eq!(parse(b"XBEX\x01\x01").err(), Some(WireError::NotIbex));
        assert_eq!(parse(b"IBEX").err(), Some(WireError::Truncated));
        assert_eq!(parse(b"IBEX\x02\x01").err(), Some(WireError::Version(2)));
        assert_eq!(parse(b"IBEX\x01\x09").err(), Some(WireError::Subtype(9)));
        assert_eq!(
            parse(b"IBEX\x01\x01\x01\x00").err(),
            Some(WireError::Truncated)
        );
        assert_eq!(
            parse(b"IBEX\x01\x01\x01\x00\x03ab").err(),
            Some(WireError::Truncated)
        );
        let twice = build(SUBTYPE_FIDO, &[(1, b"a"), (1, b"b")]).unwrap();
        let (_, tlvs) = parse(&twice).unwrap();
        assert_eq!(tlvs.once(1, "x"), Err(WireError::Repeated("x")));
        assert_eq!(tlvs.all(1).count(), 2);
    }

    #[test]
    fn refuses_oversized_values() {
        let big = vec![0u8; 70_000];
        assert_eq!(build(SUBTYPE_FIDO, &[(1, &big)]), Err(WireError::TooLong));
    }
}
