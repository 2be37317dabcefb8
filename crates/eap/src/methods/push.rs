//! Ibex push approval (experimental type 255, subtype 1) messages.

use std::time::Duration;

use super::ibex::{self, WireError, SUBTYPE_PUSH};

const NUMBER: u8 = 1;
const TIMEOUT: u8 = 2;
const TEXT: u8 = 3;
const FLAGS: u8 = 4;
const ACTION: u8 = 1;

/// Flags bit: the server accepts a one-time code instead.
const FLAG_CODE_ALTERNATIVE: u8 = 0x01;

/// Server to peer: approve on your device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PushRequest {
    /// The number to match.
    pub number: u32,
    /// How long the server waits.
    pub timeout: Duration,
    /// Message for the person.
    pub text: String,
    /// "Use a code instead" is accepted.
    pub code_alternative: bool,
}

/// Peer to server: what the peer does about the push.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PushAction {
    /// Showing the number; the person approves on their device.
    Waiting,
    /// The person wants to type a one-time code instead.
    UseCode,
}

impl PushRequest {
    pub(crate) fn encode(&self) -> Result<Vec<u8>, WireError> {
        let secs = u16::try_from(self.timeout.as_secs()).unwrap_or(u16::MAX);
        let flags = if self.code_alternative {
            FLAG_CODE_ALTERNATIVE
        } else {
            0
        };
        ibex::build(
            SUBTYPE_PUSH,
            &[
                (NUMBER, &self.number.to_be_bytes()),
                (TIMEOUT, &secs.to_be_bytes()),
                (TEXT, self.text.as_bytes()),
                (FLAGS, &[flags]),
            ],
        )
    }

    /// Reads a push request; the framing must say subtype push.
    pub(crate) fn decode(tlvs: &ibex::Tlvs<'_>) -> Result<PushRequest, WireError> {
        let number = u32::from_be_bytes(ibex::array(tlvs.required(NUMBER, "number")?, "number")?);
        let secs = u16::from_be_bytes(ibex::array(tlvs.required(TIMEOUT, "timeout")?, "timeout")?);
        let text = match tlvs.once(TEXT, "text")? {
            Some(t) => ibex::utf8(t, "text")?.to_string(),
            None => String::new(),
        };
        let flags = match tlvs.once(FLAGS, "flags")? {
            Some(f) => ibex::array::<1>(f, "flags")?[0],
            None => 0,
        };
        Ok(PushRequest {
            number,
            timeout: Duration::from_secs(u64::from(secs)),
            text,
            code_alternative: flags & FLAG_CODE_ALTERNATIVE != 0,
        })
    }
}

impl PushAction {
    pub(crate) fn encode(self) -> Vec<u8> {
        let action = match self {
            PushAction::Waiting => 0,
            PushAction::UseCode => 1,
        };
        // One 1-byte TLV never exceeds its length field.
        ibex::build(SUBTYPE_PUSH, &[(ACTION, &[action])]).unwrap_or_default()
    }

    pub(crate) fn decode(tlvs: &ibex::Tlvs<'_>) -> Result<PushAction, WireError> {
        match ibex::array::<1>(tlvs.required(ACTION, "action")?, "action")?[0] {
            0 => Ok(PushAction::Waiting),
            1 => Ok(PushAction::UseCode),
            _ => Err(WireError::Invalid("action")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trip() {
        let req = PushRequest {
            number: 47,
            timeout: Duration::from_secs(60),
            text: "Approve sign-in to VPN".into(),
            code_alternative: true,
        };
        let data = req.encode().unwrap();
        let (subtype, tlvs) = ibex::parse(&data).unwrap();
        assert_eq!(subtype, SUBTYPE_PUSH);
        assert_eq!(PushRequest::decode(&tlvs).unwrap(), req);
    }

    #[test]
    fn request_needs_number_and_timeout() {
        let data = ibex::build(SUBTYPE_PUSH, &[(TIMEOUT, &[0, 5])]).unwrap();
        let (_, tlvs) = ibex::parse(&data).unwrap();
        assert_eq!(
            PushRequest::decode(&tlvs),
            Err(WireError::Missing("number"))
        );
        let data = ibex::build(SUBTYPE_PUSH, &[(NUMBER, &[0, 5]), (TIMEOUT, &[0, 5])]).unwrap();
        let (_, tlvs) = ibex::parse(&data).unwrap();
        assert_eq!(
            PushRequest::decode(&tlvs),
            Err(WireError::Invalid("number"))
        );
    }

    #[test]
    fn action_round_trip() {
        for action in [PushAction::Waiting, PushAction::UseCode] {
            let data = action.encode();
            let (_, tlvs) = ibex::parse(&data).unwrap();
            assert_eq!(PushAction::decode(&tlvs).unwrap(), action);
        }
        let data = ibex::build(SUBTYPE_PUSH, &[(ACTION, &[7])]).unwrap();
        let (_, tlvs) = ibex::parse(&data).unwrap();
        assert_eq!(PushAction::decode(&tlvs), Err(WireError::Invalid("action")));
    }
}
