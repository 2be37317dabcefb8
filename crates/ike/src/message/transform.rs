//! Transform substructures and their attributes (RFC 7296 3.3.2, 3.3.5).

use super::newtype::wire_newtype;
use super::wire::{finish_prefixed, start_prefixed, to_u16, Reader};
use super::{DecodeError, EncodeError};

wire_newtype! {
    /// Transform type (RFC 7296 3.3.2).
    TransformType(u8) {
        /// Encryption algorithm.
        ENCR = 1,
        /// Pseudorandom function.
        PRF = 2,
        /// Integrity algorithm.
        INTEG = 3,
        /// Diffie-Hellman group (key exchange method, RFC 9370).
        DH = 4,
        /// Extended sequence numbers.
        ESN = 5,
    }
}

impl TransformType {
    /// Key exchange method: the RFC 9370 name of [`TransformType::DH`].
    pub const KE: Self = Self::DH;
}

/// Last-substructure value of a transform followed by another.
const MORE: u8 = 3;

/// Attribute Format bit: set for TV (2-byte value) attributes.
const AF: u16 = 0x8000;

/// A transform substructure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transform {
    /// Transform type.
    pub kind: TransformType,
    /// Transform ID within the type's registry.
    pub id: u16,
    /// Transform attributes, in wire order.
    pub attributes: Vec<Attribute>,
}

impl Transform {
    /// A transform without attributes.
    pub fn new(kind: TransformType, id: u16) -> Self {
        Self {
            kind,
            id,
            attributes: Vec::new(),
        }
    }

    /// A transform with a Key Length attribute of `bits`.
    pub fn with_key_length(kind: TransformType, id: u16, bits: u16) -> Self {
        Self {
            kind,
            id,
            attributes: vec![Attribute {
                kind: Attribute::KEY_LENGTH,
                value: AttributeValue::Short(bits),
            }],
        }
    }

    /// The Key Length attribute (14, TV format), if present.
    pub fn key_length(&self) -> Option<u16> {
        self.attributes.iter().find_map(|a| match a.value {
            AttributeValue::Short(bits) if a.kind == Attribute::KEY_LENGTH => Some(bits),
            _ => None,
        })
    }
}

/// A transform attribute (RFC 7296 3.3.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// Attribute type without the AF bit (at most 0x7fff).
    pub kind: u16,
    /// Attribute value; its variant selects the TV or TLV format.
    pub value: AttributeValue,
}

impl Attribute {
    /// Key Length in bits.
    pub const KEY_LENGTH: u16 = 14;
}

/// A transform attribute value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttributeValue {
    /// TV format (AF = 1): a 2-byte value.
    Short(u16),
    /// TLV format (AF = 0): a variable-length value.
    Long(Vec<u8>),
}

/// Decodes the transforms area of a proposal, checking last-substructure
/// markers and the declared count.
pub(super) fn decode_list(buf: &[u8], declared: u8) -> Result<Vec<Transform>, DecodeError> {
    let mut r = Reader::new(buf);
    let mut transforms = Vec::new();
    while !r.is_empty() {
        let (last, _reserved, body) = r.prefixed("transform")?;
        let expected = if r.is_empty() { 0 } else { MORE };
        if last != expected {
            return Err(DecodeError::BadLastSubstructure {
                what: "transform",
                value: last,
            });
        }
        transforms.push(decode_body(body)?);
    }
    if transforms.len() != usize::from(declared) {
        return Err(DecodeError::CountMismatch {
            what: "transforms",
            declared: usize::from(declared),
            found: transforms.len(),
        });
    }
    Ok(transforms)
}

/// Decodes a transform substructure after its 4-byte prefix.
fn decode_body(body: &[u8]) -> Result<Transform, DecodeError> {
    const WHAT: &str = "transform";
    let mut r = Reader::new(body);
    let kind = TransformType(r.u8(WHAT)?);
    let _reserved = r.u8(WHAT)?;
    let id = r.u16(WHAT)?;
    let mut attributes = Vec::new();
    while !r.is_empty() {
        attributes.push(decode_attribute(&mut r)?);
    }
    Ok(Transform {
        kind,
        id,
        attributes,
    })
}

/// Decodes one TV or TLV attribute.
fn decode_attribute(r: &mut Reader<'_>) -> Result<Attribute, DecodeError> {
    const WHAT: &str = "transform attribute";
    let raw = r.u16(WHAT)?;
    let value = if raw & AF != 0 {
        AttributeValue::Short(r.u16(WHAT)?)
    } else {
        let len = usize::from(r.u16(WHAT)?);
        AttributeValue::Long(r.take_declared(len, WHAT)?.to_vec())
    };
    Ok(Attribute {
        kind: raw & !AF,
        value,
    })
}

/// Appends transform substructures with last-substructure markers.
pub(super) fn encode_list(transforms: &[Transform], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    for (i, t) in transforms.iter().enumerate() {
        let last = if i + 1 == transforms.len() { 0 } else { MORE };
        let start = start_prefixed(out, last, 0);
        out.push(t.kind.0);
        out.push(0);
        out.extend_from_slice(&t.id.to_be_bytes());
        for a in &t.attributes {
            encode_attribute(a, out)?;
        }
        finish_prefixed(out, start, "transform length")?;
    }
    Ok(())
}

/// Appends one attribute in TV or TLV format according to its value.
fn encode_attribute(a: &Attribute, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if a.kind & AF != 0 {
        return Err(EncodeError::FieldOverflow {
            what: "attribute type",
            value: usize::from(a.kind),
        });
    }
    match &a.value {
        AttributeValue::Short(v) => {
            out.extend_from_slice(&(a.kind | AF).to_be_bytes());
            out.extend_from_slice(&v.to_be_bytes());
        }
        AttributeValue::Long(v) => {
            let len = to_u16(v.len(), "attribute length")?;
            out.extend_from_slice(&a.kind.to_be_bytes());
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(v);
        }
    }
    Ok(())
}
