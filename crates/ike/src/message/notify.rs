//! Notify payload (RFC 7296 3.10) and notify message types.

use super::newtype::wire_newtype;
use super::wire::{to_u8, Reader};
use super::{DecodeError, EncodeError, ProtocolId};

wire_newtype! {
    /// Notify message type (RFC 7296 3.10.1; RFC 4555, 5685, 7383, 7427 and
    /// others). Values below 16384 are errors, the rest status types.
    NotifyType(u16) {
        /// A critical payload was not understood.
        UNSUPPORTED_CRITICAL_PAYLOAD = 1,
        /// A message arrived for an unknown IKE SA.
        INVALID_IKE_SPI = 4,
        /// The major version is not supported.
        INVALID_MAJOR_VERSION = 5,
        /// The message was malformed.
        INVALID_SYNTAX = 7,
        /// The message ID was outside the window.
        INVALID_MESSAGE_ID = 9,
        /// An ESP/AH packet arrived for an unknown SPI.
        INVALID_SPI = 11,
        /// No proposal was acceptable.
        NO_PROPOSAL_CHOSEN = 14,
        /// The KE group differs from the selected one; data is the wanted group.
        INVALID_KE_PAYLOAD = 17,
        /// Authentication failed.
        AUTHENTICATION_FAILED = 24,
        /// Only one pair of traffic selectors is accepted.
        SINGLE_PAIR_REQUIRED = 34,
        /// No more Child SAs are accepted on this IKE SA.
        NO_ADDITIONAL_SAS = 35,
        /// No internal address could be assigned.
        INTERNAL_ADDRESS_FAILURE = 36,
        /// A CP payload was required but absent.
        FAILED_CP_REQUIRED = 37,
        /// The traffic selectors are unacceptable.
        TS_UNACCEPTABLE = 38,
        /// A packet did not match the Child SA's selectors.
        INVALID_SELECTORS = 39,
        /// The new addresses are unacceptable (RFC 4555).
        UNACCEPTABLE_ADDRESSES = 40,
        /// NAT detected where none is allowed (RFC 4555).
        UNEXPECTED_NAT_DETECTED = 41,
        /// Try again later (simultaneous rekeying etc.).
        TEMPORARY_FAILURE = 43,
        /// The Child SA to rekey does not exist.
        CHILD_SA_NOT_FOUND = 44,
        /// The sender has no other IKE SA with the peer.
        INITIAL_CONTACT = 16384,
        /// Window size for concurrent requests.
        SET_WINDOW_SIZE = 16385,
        /// Narrowed traffic selectors; more are possible.
        ADDITIONAL_TS_POSSIBLE = 16386,
        /// IPComp is supported.
        IPCOMP_SUPPORTED = 16387,
        /// Hash of the sender's source address and port.
        NAT_DETECTION_SOURCE_IP = 16388,
        /// Hash of the destination address and port.
        NAT_DETECTION_DESTINATION_IP = 16389,
        /// Anti-DoS cookie.
        COOKIE = 16390,
        /// Transport mode is requested.
        USE_TRANSPORT_MODE = 16391,
        /// Hash-and-URL certificates are supported.
        HTTP_CERT_LOOKUP_SUPPORTED = 16392,
        /// This CREATE_CHILD_SA rekeys the SA with the given SPI.
        REKEY_SA = 16393,
        /// ESP TFC padding is not supported.
        ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
        /// Non-first fragments are sent on this SA too.
        NON_FIRST_FRAGMENTS_ALSO = 16395,
        /// MOBIKE is supported (RFC 4555).
        MOBIKE_SUPPORTED = 16396,
        /// Additional IPv4 address (RFC 4555).
        ADDITIONAL_IP4_ADDRESS = 16397,
        /// Additional IPv6 address (RFC 4555).
        ADDITIONAL_IP6_ADDRESS = 16398,
        /// No additional addresses (RFC 4555).
        NO_ADDITIONAL_ADDRESSES = 16399,
        /// Update the SA addresses (RFC 4555).
        UPDATE_SA_ADDRESSES = 16400,
        /// Return routability check cookie (RFC 4555).
        COOKIE2 = 16401,
        /// NAT traversal is not allowed (RFC 4555).
        NO_NATS_ALLOWED = 16402,
        /// Seconds until reauthentication (RFC 4478).
        AUTH_LIFETIME = 16403,
        /// Multiple authentication is supported (RFC 4739).
        MULTIPLE_AUTH_SUPPORTED = 16404,
        /// Another authentication round follows (RFC 4739).
        ANOTHER_AUTH_FOLLOWS = 16405,
        /// Redirection is supported (RFC 5685).
        REDIRECT_SUPPORTED = 16406,
        /// Redirect to another gateway (RFC 5685).
        REDIRECT = 16407,
        /// The client was redirected from this gateway (RFC 5685).
        REDIRECTED_FROM = 16408,
        /// EAP-only authentication is supported (RFC 5998).
        EAP_ONLY_AUTHENTICATION = 16417,
        /// IKE fragmentation is supported (RFC 7383).
        IKEV2_FRAGMENTATION_SUPPORTED = 16430,
        /// Supported signature hash algorithms (RFC 7427).
        SIGNATURE_HASH_ALGORITHMS = 16431,
    }
}

impl NotifyType {
    /// Whether this is an error type (below 16384).
    pub fn is_error(&self) -> bool {
        self.0 < 16384
    }
}

/// Notify payload body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notify {
    /// Protocol of the SA concerned, `ProtocolId::NONE` (0) when none.
    pub protocol: ProtocolId,
    /// SPI of the SA concerned (usually empty).
    pub spi: Vec<u8>,
    /// Notify message type.
    pub kind: NotifyType,
    /// Notification data.
    pub data: Vec<u8>,
}

impl Notify {
    /// Decodes the payload body after the generic header.
    pub(super) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        const WHAT: &str = "Notify payload";
        let mut r = Reader::new(body);
        let protocol = ProtocolId(r.u8(WHAT)?);
        let spi_size = usize::from(r.u8(WHAT)?);
        let kind = NotifyType(r.u16(WHAT)?);
        let spi = r.take_declared(spi_size, "Notify SPI")?.to_vec();
        Ok(Self {
            protocol,
            spi,
            kind,
            data: r.rest().to_vec(),
        })
    }

    /// Appends the payload body after the generic header.
    pub(super) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(self.protocol.0);
        out.push(to_u8(self.spi.len(), "Notify SPI size")?);
        out.extend_from_slice(&self.kind.0.to_be_bytes());
        out.extend_from_slice(&self.spi);
        out.extend_from_slice(&self.data);
        Ok(())
    }
}
