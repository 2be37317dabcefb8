//! Ibex FIDO2 (experimental type 255, subtype 2) messages and the challenge
//! binding to the IKE SA.

use ring::digest::{digest, SHA256};

use super::ibex::{self, WireError, SUBTYPE_FIDO};
use crate::FidoAssertion;

/// Prefix of the hashed challenge, naming this construction.
pub(crate) const CHALLENGE_LABEL: &[u8] = b"ibex eap-fido v1";
/// Length of the server's nonce C0.
pub(crate) const NONCE_LEN: usize = 32;

const NONCE: u8 = 1;
const RP_ID: u8 = 2;
const ORIGIN: u8 = 3;
const CREDENTIAL_ID: u8 = 4;
const USER_VERIFICATION: u8 = 5;

const R_CREDENTIAL_ID: u8 = 1;
const R_AUTHENTICATOR_DATA: u8 = 2;
const R_CLIENT_DATA_JSON: u8 = 3;
const R_SIGNATURE: u8 = 4;
const R_USER_HANDLE: u8 = 5;

/// The challenge the security key signs: SHA-256("ibex eap-fido v1" || C0 ||
/// channel binding). A gateway relaying another IKE SA's request gets a
/// signature over that SA's binding, which its own verifier rejects.
pub(crate) fn bind_challenge(nonce: &[u8], binding: &[u8]) -> Vec<u8> {
    let mut input = Vec::with_capacity(CHALLENGE_LABEL.len() + nonce.len() + binding.len());
    input.extend_from_slice(CHALLENGE_LABEL);
    input.extend_from_slice(nonce);
    input.extend_from_slice(binding);
    digest(&SHA256, &input).as_ref().to_vec()
}

/// Server to peer: sign with a security key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FidoRequestMsg {
    /// C0: the server's contribution to the challenge.
    pub nonce: Vec<u8>,
    /// Relying-party ID.
    pub rp_id: String,
    /// Origin for the client data, when not `https://` + rp_id.
    pub origin: Option<String>,
    /// Acceptable credential IDs (empty: any discoverable credential).
    pub allow_credentials: Vec<Vec<u8>>,
    /// "required", "preferred" or "discouraged".
    pub user_verification: String,
}

fn uv_to_wire(uv: &str) -> u8 {
    match uv {
        "discouraged" => 0,
        "required" => 2,
        _ => 1,
    }
}

fn uv_from_wire(uv: u8) -> Result<&'static str, WireError> {
    match uv {
        0 => Ok("discouraged"),
        1 => Ok("preferred"),
        2 => Ok("required"),
        _ => Err(WireError::Invalid("user verification")),
    }
}

/// A relying-party ID: a lower-case DNS name (IDNs in their A-label form).
fn valid_rp_id(rp_id: &str) -> bool {
    !rp_id.is_empty()
        && rp_id.len() <= 253
        && !rp_id.starts_with('.')
        && !rp_id.ends_with('.')
        && !rp_id.contains("..")
        && rp_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// WebAuthn's rule: the origin is https and its host is the RP ID or a
/// subdomain of it; an optional port is allowed, a path is not.
fn valid_origin(origin: &str, rp_id: &str) -> bool {
    let Some(hostport) = origin.strip_prefix("https://") else {
        return false;
    };
    let host = match hostport.split_once(':') {
        Some((host, port)) => {
            if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            host
        }
        None => hostport,
    };
    valid_rp_id(host)
        && (host == rp_id
            || host
                .strip_suffix(rp_id)
                .is_some_and(|prefix| prefix.ends_with('.')))
}

impl FidoRequestMsg {
    /// The origin the client data names.
    pub(crate) fn origin(&self) -> String {
        self.origin
            .clone()
            .unwrap_or_else(|| format!("https://{}", self.rp_id))
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>, WireError> {
        let uv = [uv_to_wire(&self.user_verification)];
        let mut tlvs: Vec<(u8, &[u8])> = vec![
            (NONCE, &self.nonce),
            (RP_ID, self.rp_id.as_bytes()),
            (USER_VERIFICATION, &uv),
        ];
        if let Some(origin) = &self.origin {
            tlvs.push((ORIGIN, origin.as_bytes()));
        }
        for id in &self.allow_credentials {
            tlvs.push((CREDENTIAL_ID, id));
        }
        ibex::build(SUBTYPE_FIDO, &tlvs)
    }

    pub(crate) fn decode(tlvs: &ibex::Tlvs<'_>) -> Result<FidoRequestMsg, WireError> {
        let nonce = tlvs.required(NONCE, "nonce")?;
        if !(16..=64).contains(&nonce.len()) {
            return Err(WireError::Invalid("nonce"));
        }
        let rp_id = ibex::utf8(tlvs.required(RP_ID, "rp id")?, "rp id")?.to_ascii_lowercase();
        if !valid_rp_id(&rp_id) {
            return Err(WireError::Invalid("rp id"));
        }
        let origin = match tlvs.once(ORIGIN, "origin")? {
            Some(o) => {
                let o = ibex::utf8(o, "origin")?.to_ascii_lowercase();
                if !valid_origin(&o, &rp_id) {
                    return Err(WireError::Invalid("origin"));
                }
                Some(o)
            }
            None => None,
        };
        let user_verification = match tlvs.once(USER_VERIFICATION, "user verification")? {
            Some(v) => uv_from_wire(ibex::array::<1>(v, "user verification")?[0])?,
            None => "preferred",
        };
        let allow_credentials = tlvs
            .all(CREDENTIAL_ID)
            .map(<[u8]>::to_vec)
            .collect::<Vec<_>>();
        if allow_credentials.iter().any(Vec::is_empty) {
            return Err(WireError::Invalid("credential id"));
        }
        Ok(FidoRequestMsg {
            nonce: nonce.to_vec(),
            rp_id,
            origin,
            allow_credentials,
            user_verification: user_verification.to_string(),
        })
    }
}

/// Peer to server: the assertion.
pub(crate) fn encode_assertion(a: &FidoAssertion) -> Result<Vec<u8>, WireError> {
    let mut tlvs: Vec<(u8, &[u8])> = vec![
        (R_CREDENTIAL_ID, &a.credential_id),
        (R_AUTHENTICATOR_DATA, &a.authenticator_data),
        (R_CLIENT_DATA_JSON, &a.client_data_json),
        (R_SIGNATURE, &a.signature),
    ];
    if let Some(handle) = &a.user_handle {
        tlvs.push((R_USER_HANDLE, handle));
    }
    ibex::build(SUBTYPE_FIDO, &tlvs)
}

/// Reads the peer's assertion.
pub(crate) fn decode_assertion(tlvs: &ibex::Tlvs<'_>) -> Result<FidoAssertion, WireError> {
    let nonempty = |kind, name| {
        let v = tlvs.required(kind, name)?;
        if v.is_empty() {
            return Err(WireError::Invalid(name));
        }
        Ok(v.to_vec())
    };
    Ok(FidoAssertion {
        credential_id: nonempty(R_CREDENTIAL_ID, "credential id")?,
        authenticator_data: nonempty(R_AUTHENTICATOR_DATA, "authenticator data")?,
        client_data_json: nonempty(R_CLIENT_DATA_JSON, "client data")?,
        signature: nonempty(R_SIGNATURE, "signature")?,
        user_handle: tlvs.once(R_USER_HANDLE, "user handle")?.map(<[u8]>::to_vec),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> FidoRequestMsg {
        FidoRequestMsg {
            nonce: vec![7; NONCE_LEN],
            rp_id: "vpn.example.com".into(),
            origin: None,
            allow_credentials: vec![b"cred-1".to_vec(), b"cred-2".to_vec()],
            user_verification: "required".into(),
        }
    }

    fn reparse(data: &[u8]) -> Result<FidoRequestMsg, WireError> {
        let (subtype, tlvs) = ibex::parse(data)?;
        assert_eq!(subtype, SUBTYPE_FIDO);
        FidoRequestMsg::decode(&tlvs)
    }

    #[test]
    fn request_round_trip() {
        let req = request();
        assert_eq!(reparse(&req.encode().unwrap()).unwrap(), req);
        assert_eq!(req.origin(), "https://vpn.example.com");
        let with_origin = FidoRequestMsg {
            origin: Some("https://login.vpn.example.com:8443".into()),
            ..request()
        };
        assert_eq!(
            reparse(&with_origin.encode().unwrap()).unwrap(),
            with_origin
        );
    }

    #[test]
    fn origin_must_belong_to_the_rp_id() {
        for origin in [
            "http://vpn.example.com",
            "https://evil.com",
            "https://xvpn.example.com",
            "https://vpn.example.com/path",
            "https://vpn.example.com:",
            "https://vpn.example.com:99999x",
        ] {
            let req = FidoRequestMsg {
                origin: Some(origin.into()),
                ..request()
            };
            assert_eq!(
                reparse(&req.encode().unwrap()),
                Err(WireError::Invalid("origin")),
                "{origin}"
            );
        }
    }

    #[test]
    fn rp_id_and_nonce_are_checked() {
        for rp in ["", "a..b", ".a", "a b", "évil.com"] {
            let req = FidoRequestMsg {
                rp_id: rp.into(),
                ..request()
            };
            assert_eq!(
                reparse(&req.encode().unwrap()),
                Err(WireError::Invalid("rp id"))
            );
        }
        let req = FidoRequestMsg {
            nonce: vec![1; 8],
            ..request()
        };
        assert_eq!(
            reparse(&req.encode().unwrap()),
            Err(WireError::Invalid("nonce"))
        );
    }

    #[test]
    fn assertion_round_trip() {
        let a = FidoAssertion {
            credential_id: b"cred".to_vec(),
            authenticator_data: vec![1; 37],
            client_data_json: b"{}".to_vec(),
            signature: vec![2; 70],
            user_handle: Some(b"user".to_vec()),
        };
        let data = encode_assertion(&a).unwrap();
        let (_, tlvs) = ibex::parse(&data).unwrap();
        assert_eq!(decode_assertion(&tlvs).unwrap(), a);
        let no_sig = ibex::build(SUBTYPE_FIDO, &[(R_CREDENTIAL_ID, b"c")]).unwrap();
        let (_, tlvs) = ibex::parse(&no_sig).unwrap();
        assert!(decode_assertion(&tlvs).is_err());
    }

    #[test]
    fn challenge_depends_on_binding() {
        let c = bind_challenge(&[1; 32], b"binding a");
        assert_eq!(c.len(), 32);
        assert_eq!(c, bind_challenge(&[1; 32], b"binding a"));
        assert_ne!(c, bind_challenge(&[1; 32], b"binding b"));
        assert_ne!(c, bind_challenge(&[2; 32], b"binding a"));
    }
}
