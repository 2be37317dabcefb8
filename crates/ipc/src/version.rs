//! The protocol version carried in every line's `v` field.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The protocol version this crate speaks. A receiver refuses lines of any
/// other version. New optional fields and new message or enum values that
/// old receivers may skip do not change it; anything else does.
pub const PROTOCOL_VERSION: u32 = 1;

/// The `v` field: serializes as [`PROTOCOL_VERSION`] and deserializes only
/// from it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProtocolVersion;

impl Serialize for ProtocolVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(PROTOCOL_VERSION)
    }
}

impl<'de> Deserialize<'de> for ProtocolVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = u64::deserialize(d)?;
        if v == u64::from(PROTOCOL_VERSION) {
            Ok(ProtocolVersion)
        } else {
            Err(serde::de::Error::custom(format!(
                "unsupported protocol version {v}; this side speaks version {PROTOCOL_VERSION}"
            )))
        }
    }
}
