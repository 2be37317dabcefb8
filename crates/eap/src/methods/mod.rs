//! Per-method message formats; the state machines are in `peer` and `server`.

pub(crate) mod fido;
pub(crate) mod gtc;
pub(crate) mod ibex;
pub(crate) mod md5;
pub(crate) mod mschapv2;
pub(crate) mod nak;
pub(crate) mod push;
pub(crate) mod tls;

use crate::{MethodType, ServerMethod};

/// How a method is named to the person.
pub(crate) fn type_name(method: MethodType) -> String {
    match method {
        MethodType::IDENTITY => "EAP-Identity".into(),
        MethodType::NOTIFICATION => "EAP-Notification".into(),
        MethodType::MD5 => "EAP-MD5".into(),
        MethodType::GTC => "EAP-GTC".into(),
        MethodType::TLS => "EAP-TLS".into(),
        MethodType::MSCHAPV2 => "EAP-MSCHAPv2".into(),
        MethodType::EXPANDED => "an expanded EAP method".into(),
        MethodType::EXPERIMENTAL => "an experimental EAP method".into(),
        MethodType(t) => format!("EAP method {t}"),
    }
}

/// How a server method is named in logs.
pub(crate) fn server_name(method: ServerMethod) -> &'static str {
    match method {
        ServerMethod::MsChapV2 => "EAP-MSCHAPv2",
        ServerMethod::GtcPassword => "EAP-GTC password",
        ServerMethod::GtcOtp => "EAP-GTC one-time code",
        ServerMethod::Md5 => "EAP-MD5",
        ServerMethod::Push => "push approval",
        ServerMethod::Fido2 => "FIDO2",
        ServerMethod::Tls => "EAP-TLS",
    }
}

/// Peer-side names of the Ibex experimental subtypes.
pub(crate) const PUSH_NAME: &str = "push approval";
pub(crate) const FIDO_NAME: &str = "FIDO2 security key";
/// Peer-side name of EAP-TLS.
pub(crate) const TLS_NAME: &str = "EAP-TLS";
