//! EAP-MSCHAPv2 framing (draft-kamath-pppext-eap-mschapv2): OpCode,
//! MS-CHAPv2-ID, MS-Length, then the MS-CHAPv2 fields of RFC 2759.

use thiserror::Error;

use crate::text::{hex_decode, hex_upper, sanitize};

pub(crate) const OP_CHALLENGE: u8 = 1;
pub(crate) const OP_RESPONSE: u8 = 2;
pub(crate) const OP_SUCCESS: u8 = 3;
pub(crate) const OP_FAILURE: u8 = 4;

/// Value-Size of a Challenge.
const CHALLENGE_SIZE: u8 = 16;
/// Value-Size of a Response: peer challenge, 8 reserved, NT-Response, flags.
const RESPONSE_SIZE: u8 = 49;

/// Why an EAP-MSCHAPv2 message could not be read or written.
#[derive(Debug, Error, PartialEq, Eq)]
pub(crate) enum MsChapError {
    #[error("EAP-MSCHAPv2 message truncated")]
    Truncated,
    #[error("EAP-MSCHAPv2 value size {0} is wrong")]
    ValueSize(u8),
    #[error("EAP-MSCHAPv2 message too long")]
    TooLong,
    #[error("EAP-MSCHAPv2 success message without a valid S= field")]
    NoAuthenticatorResponse,
}

/// The fixed header; `body` is what follows MS-Length (empty for the
/// one-byte Success and Failure responses).
pub(crate) struct Header<'a> {
    pub opcode: u8,
    pub ms_id: u8,
    pub body: &'a [u8],
}

/// Reads the header. MS-Length is not trusted: the EAP length bounds the
/// message (some servers get MS-Length wrong).
pub(crate) fn parse(data: &[u8]) -> Result<Header<'_>, MsChapError> {
    match data {
        [opcode] if *opcode == OP_SUCCESS || *opcode == OP_FAILURE => Ok(Header {
            opcode: *opcode,
            ms_id: 0,
            body: &[],
        }),
        [opcode, ms_id, _, _, body @ ..] => Ok(Header {
            opcode: *opcode,
            ms_id: *ms_id,
            body,
        }),
        _ => Err(MsChapError::Truncated),
    }
}

fn with_header(opcode: u8, ms_id: u8, body: &[&[u8]]) -> Result<Vec<u8>, MsChapError> {
    let len = 4 + body.iter().map(|b| b.len()).sum::<usize>();
    let ms_len = u16::try_from(len).map_err(|_| MsChapError::TooLong)?;
    let mut out = Vec::with_capacity(len);
    out.push(opcode);
    out.push(ms_id);
    out.extend_from_slice(&ms_len.to_be_bytes());
    for b in body {
        out.extend_from_slice(b);
    }
    Ok(out)
}

/// Server's Challenge request.
pub(crate) fn challenge(
    ms_id: u8,
    challenge: &[u8; 16],
    name: &[u8],
) -> Result<Vec<u8>, MsChapError> {
    with_header(OP_CHALLENGE, ms_id, &[&[CHALLENGE_SIZE], challenge, name])
}

/// Reads a Challenge body: the authenticator challenge (the name is unused).
pub(crate) fn parse_challenge(body: &[u8]) -> Result<[u8; 16], MsChapError> {
    let (&size, rest) = body.split_first().ok_or(MsChapError::Truncated)?;
    if size != CHALLENGE_SIZE {
        return Err(MsChapError::ValueSize(size));
    }
    let challenge = rest.get(..16).ok_or(MsChapError::Truncated)?;
    let mut out = [0; 16];
    out.copy_from_slice(challenge);
    Ok(out)
}

/// Peer's Response.
pub(crate) fn response(
    ms_id: u8,
    peer_challenge: &[u8; 16],
    nt_response: &[u8; 24],
    name: &[u8],
) -> Result<Vec<u8>, MsChapError> {
    with_header(
        OP_RESPONSE,
        ms_id,
        &[
            &[RESPONSE_SIZE],
            peer_challenge,
            &[0; 8],
            nt_response,
            &[0],
            name,
        ],
    )
}

/// A peer's Response: its challenge, its NT-Response and its user name.
pub(crate) struct Response<'a> {
    pub peer_challenge: [u8; 16],
    pub nt_response: [u8; 24],
    pub name: &'a [u8],
}

pub(crate) fn parse_response(body: &[u8]) -> Result<Response<'_>, MsChapError> {
    let (&size, rest) = body.split_first().ok_or(MsChapError::Truncated)?;
    if size != RESPONSE_SIZE {
        return Err(MsChapError::ValueSize(size));
    }
    if rest.len() < usize::from(RESPONSE_SIZE) {
        return Err(MsChapError::Truncated);
    }
    let mut peer_challenge = [0; 16];
    peer_challenge.copy_from_slice(&rest[..16]);
    let mut nt_response = [0; 24];
    nt_response.copy_from_slice(&rest[24..48]);
    Ok(Response {
        peer_challenge,
        nt_response,
        name: &rest[49..],
    })
}

/// Server's Success request: `S=<authenticator response> M=<message>`.
pub(crate) fn success_request(
    ms_id: u8,
    auth_response: &[u8; 20],
    message: &str,
) -> Result<Vec<u8>, MsChapError> {
    let text = format!("S={} M={message}", hex_upper(auth_response));
    with_header(OP_SUCCESS, ms_id, &[text.as_bytes()])
}

/// Reads a Success request: the 20-byte authenticator response and the message.
pub(crate) fn parse_success(body: &[u8]) -> Result<([u8; 20], Option<String>), MsChapError> {
    let digits = body
        .strip_prefix(b"S=")
        .and_then(|rest| rest.get(..40))
        .and_then(|d| std::str::from_utf8(d).ok())
        .and_then(hex_decode)
        .ok_or(MsChapError::NoAuthenticatorResponse)?;
    let mut auth = [0; 20];
    auth.copy_from_slice(&digits);
    let rest = &body[42..];
    let message = find_field(rest, b"M=").and_then(sanitize);
    Ok((auth, message))
}

/// Server's Failure request: `E=<error> R=0 C=<challenge> V=3 M=<message>`.
pub(crate) fn failure_request(
    ms_id: u8,
    error: u32,
    challenge: &[u8; 16],
    message: &str,
) -> Result<Vec<u8>, MsChapError> {
    let text = format!("E={error} R=0 C={} V=3 M={message}", hex_upper(challenge));
    with_header(OP_FAILURE, ms_id, &[text.as_bytes()])
}

/// Reads a Failure request: the error code (if it parses) and the message.
pub(crate) fn parse_failure(body: &[u8]) -> (Option<u32>, Option<String>) {
    let message = find_field(body, b"M=").and_then(sanitize);
    let head = match body.windows(2).position(|w| w == b"M=") {
        Some(i) => &body[..i],
        None => body,
    };
    let error = head
        .split(|&b| b == b' ')
        .find_map(|f| f.strip_prefix(b"E="))
        .and_then(|e| std::str::from_utf8(e).ok())
        .and_then(|e| e.parse().ok());
    (error, message)
}

/// The rest of the text after ` M=` (or a leading `M=`): the message runs to the end.
fn find_field<'a>(text: &'a [u8], key: &[u8; 2]) -> Option<&'a [u8]> {
    if let Some(rest) = text.strip_prefix(key.as_slice()) {
        return Some(rest);
    }
    text.windows(3)
        .position(|w| w[0] == b' ' && w[1..] == key[..])
        .map(|i| &text[i + 3..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_round_trip() {
        let data = challenge(9, &[5; 16], b"ibex").unwrap();
        assert_eq!(&data[..5], &[OP_CHALLENGE, 9, 0, 25, 16]);
        let h = parse(&data).unwrap();
        assert_eq!((h.opcode, h.ms_id), (OP_CHALLENGE, 9));
        assert_eq!(parse_challenge(h.body).unwrap(), [5; 16]);
        assert_eq!(parse_challenge(&[16, 1, 2]), Err(MsChapError::Truncated));
        assert_eq!(parse_challenge(&[8; 20]), Err(MsChapError::ValueSize(8)));
    }

    #[test]
    fn response_round_trip() {
        let data = response(3, &[1; 16], &[2; 24], b"alice").unwrap();
        assert_eq!(data.len(), 4 + 1 + 49 + 5);
        assert_eq!(u16::from_be_bytes([data[2], data[3]]) as usize, data.len());
        let h = parse(&data).unwrap();
        let r = parse_response(h.body).unwrap();
        assert_eq!(
            (r.peer_challenge, r.nt_response, r.name),
            ([1; 16], [2; 24], &b"alice"[..])
        );
        assert!(parse_response(&h.body[..40]).is_err());
    }

    #[test]
    fn success_message() {
        let data = success_request(1, &[0xab; 20], "Welcome").unwrap();
        let h = parse(&data).unwrap();
        assert_eq!(
            parse_success(h.body).unwrap(),
            ([0xab; 20], Some("Welcome".into()))
        );
        // Lower-case hex and no message are fine; a short S= is not.
        let body = format!("S={}", "ab".repeat(20));
        assert_eq!(parse_success(body.as_bytes()).unwrap(), ([0xab; 20], None));
        assert_eq!(
            parse_success(b"S=ABCD M=x"),
            Err(MsChapError::NoAuthenticatorResponse)
        );
        assert_eq!(
            parse_success(b"M=x"),
            Err(MsChapError::NoAuthenticatorResponse)
        );
    }

    #[test]
    fn failure_message() {
        let data = failure_request(1, 691, &[0; 16], "wrong user name or password").unwrap();
        let h = parse(&data).unwrap();
        assert_eq!(h.opcode, OP_FAILURE);
        assert_eq!(
            parse_failure(h.body),
            (Some(691), Some("wrong user name or password".into()))
        );
        assert_eq!(parse_failure(b"E=648 R=0 V=3"), (Some(648), None));
        assert_eq!(parse_failure(b"E=x M=E=1"), (None, Some("E=1".into())));
        assert_eq!(parse_failure(b""), (None, None));
    }

    #[test]
    fn one_byte_responses() {
        assert_eq!(parse(&[OP_SUCCESS]).unwrap().opcode, OP_SUCCESS);
        assert_eq!(parse(&[OP_FAILURE]).unwrap().opcode, OP_FAILURE);
        assert!(parse(&[OP_CHALLENGE]).is_err());
        assert!(parse(&[]).is_err());
    }
}
