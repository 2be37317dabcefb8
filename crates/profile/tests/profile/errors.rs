//! Every kind of error `Profile::from_json` reports, with its line, column
//! and text.

use crate::common::BASE;
use ibex_profile::{Problem, Profile, ProfileError, MAX_PROFILE_LEN};

/// `BASE` with `from` replaced by `to` (which must occur exactly once).
fn edit(from: &str, to: &str) -> String {
    assert_eq!(BASE.matches(from).count(), 1, "{from}");
    BASE.replacen(from, to, 1)
}

/// The error for `text`, checked to sit at `line`/`column` and to contain
/// `text_part` (the whole message must start with the position).
fn err(text: &str, line: usize, column: usize, text_part: &str) -> ProfileError {
    let e = Profile::from_json(text).expect_err("document must be refused");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("line {line}, column {column}: ")),
        "expected line {line}, column {column}: {msg}"
    );
    assert_eq!((e.line(), e.column()), (Some(line), Some(column)));
    assert!(msg.contains(text_part), "expected {text_part:?} in {msg}");
    e
}

#[test]
fn base_is_valid() {
    Profile::from_json(BASE).unwrap();
}

#[test]
fn syntax_error() {
    let e = err(
        &edit("\"Home lab\",", "\"Home lab\""),
        5,
        3,
        "expected `,` or `}`",
    );
    assert!(matches!(e, ProfileError::Syntax { .. }));
    let e = err("{\"version\": 1,", 1, 14, "EOF while parsing");
    assert!(matches!(e, ProfileError::Syntax { .. }));
}

#[test]
fn unknown_top_level_field_with_suggestion() {
    let e = err(
        &edit("\"gateway\"", "\"gatway\""),
        5,
        3,
        "unknown field `gatway` (did you mean `gateway`?)",
    );
    assert!(matches!(e, ProfileError::Structure { .. }));
    assert_eq!(
        e.to_string(),
        "line 5, column 3: unknown field `gatway` (did you mean `gateway`?)"
    );
}

#[test]
fn unknown_nested_field_without_close_match() {
    err(
        &edit("\"port\": 500", "\"port\": 500, \"colour\": 1"),
        5,
        55,
        "gateway: unknown field `colour`; expected one of `host`, `port`",
    );
}

#[test]
fn unknown_field_in_tagged_object() {
    err(
        &edit(
            "{\"method\": \"psk\"}",
            "{\"method\": \"psk\", \"secret\": \"hunter2\"}",
        ),
        8,
        29,
        "auth: unknown field `secret`",
    );
    let round = edit(
        "{\"method\": \"psk\"}",
        "{\"method\": \"eap\", \"rounds\": [{\"method\": \"gtc\", \"idenity\": \"a\"}]}",
    );
    err(
        &round,
        8,
        58,
        "auth.rounds[0]: unknown field `idenity` (did you mean `identity`?)",
    );
}

#[test]
fn unknown_method_with_suggestion() {
    err(
        &edit("\"psk\"", "\"pks\""),
        8,
        22,
        "auth.method: unknown value `pks` (did you mean `psk`?)",
    );
    let eap = edit(
        "{\"method\": \"psk\"}",
        "{\"method\": \"eap\", \"rounds\": [{\"method\": \"mschap\"}]}",
    );
    err(
        &eap,
        8,
        51,
        "auth.rounds[0].method: unknown value `mschap` (did you mean `mschapv2`?)",
    );
}

#[test]
fn wrong_type() {
    err(
        &edit("\"port\": 500", "\"port\": \"500\""),
        5,
        50,
        "gateway.port: invalid type: string \"500\", expected u16",
    );
    err(
        &edit(
            "{\"host\": \"vpn.example.com\", \"port\": 500}",
            "\"vpn.example.com\"",
        ),
        5,
        14,
        "gateway: invalid type: string \"vpn.example.com\", expected a JSON object",
    );
}

#[test]
fn missing_and_duplicate_fields() {
    let text = edit(
        "  \"uuid\": \"3b6f0c1e-8d2a-4f57-9a61-2c4e7b9d0f13\",\n",
        "",
    );
    err(&text, 1, 1, "missing field `uuid`");
    err(
        &edit(
            "\"name\": \"Home lab\",",
            "\"name\": \"Home lab\", \"name\": \"Lab\",",
        ),
        4,
        23,
        "field `name` appears twice",
    );
}

#[test]
fn weak_proposal() {
    let e = err(
        &edit("\"aes256-sha256-modp3072\"", "\"aes128-sha1-modp1024\""),
        11,
        5,
        "ike_proposals[1] 'aes128-sha1-modp1024': 'sha1' is a weak algorithm and is refused",
    );
    let ProfileError::Invalid { error, .. } = e else {
        panic!("not a rule violation");
    };
    assert!(matches!(error.problem, Problem::Proposal(_)));
    err(
        &edit("\"aes256-sha256-modp3072\"", "\"aes256gcm16-x25519\""),
        11,
        5,
        "has no PRF",
    );
}

#[test]
fn bad_prefix() {
    err(
        &edit("\"10.99.0.0/24\"", "\"10.99.0.1/24\""),
        13,
        44,
        "routes.prefixes[0] '10.99.0.1/24': has host bits set; did you mean \"10.99.0.0/24\"?",
    );
    err(
        &edit("\"192.168.7.0/24\"", "\"192.168.7.0\""),
        13,
        60,
        "routes.prefixes[1] '192.168.7.0': has no prefix length",
    );
}

#[test]
fn missing_remote_id() {
    let e = err(
        &edit("  \"remote_id\": \"vpn.example.com\",\n", ""),
        1,
        1,
        "remote_id: required but missing",
    );
    assert!(
        e.to_string().contains("vpn.example.com"),
        "hint with an example: {e}"
    );
    err(
        &edit("\"remote_id\": \"vpn.example.com\"", "\"remote_id\": \"\""),
        7,
        16,
        "remote_id: required but missing",
    );
}

#[test]
fn port_zero() {
    err(
        &edit("\"port\": 500", "\"port\": 0"),
        5,
        50,
        "gateway.port: port 0 is not a usable port",
    );
}

#[test]
fn unsupported_version() {
    // Version checked first: a newer document's new fields are not blamed.
    let text = edit("\"version\": 1,", "\"version\": 2, \"post_quantum\": true,");
    let e = err(&text, 2, 14, "version: unsupported profile version 2");
    assert!(e.to_string().contains("update Ibex"), "{e}");
}

#[test]
fn secrets_refused_and_requirements() {
    let cert = edit(
        "{\"method\": \"psk\"}",
        "{\"method\": \"certificate\", \"certificate\": \"/c.pem\", \"key\": \"-----BEGIN PRIVATE KEY-----\"}",
    );
    err(&cert, 8, 69, "auth.key: contains a private key");
    let relative = edit(
        "{\"method\": \"psk\"}",
        "{\"method\": \"certificate\", \"certificate\": \"/c.pem\", \"key\": \"key.pem\"}",
    );
    let e = Profile::from_json(&relative).unwrap_err();
    assert!(
        e.to_string()
            .contains("auth.key 'key.pem': is a relative path"),
        "{e}"
    );
    let eap = edit(
        "{\"method\": \"psk\"}",
        "{\"method\": \"eap\", \"rounds\": [{\"method\": \"push\"}]}",
    );
    err(&eap, 1, 1, "ca_certificate: required for auth method 'eap'");
    err(
        &edit("\"dpd_interval_s\": 30", "\"dpd_interval_s\": 99999"),
        14,
        21,
        "dpd_interval_s: 99999 is out of range; use 0 to 3600 seconds",
    );
    err(
        &edit(
            "\"dpd_interval_s\": 30",
            "\"dpd_interval_s\": 30, \"child_lifetime_s\": 10",
        ),
        14,
        45,
        "child_lifetime_s: 10 is out of range; use 120 to 86400 seconds",
    );
    err(
        &edit("\"uuid\": \"3b6f0c1e", "\"uuid\": \"zz6f0c1e"),
        3,
        11,
        "uuid 'zz6f0c1e-8d2a-4f57-9a61-2c4e7b9d0f13': is not a UUID",
    );
}

#[test]
fn too_large() {
    let text = format!("{}{}", " ".repeat(MAX_PROFILE_LEN), BASE);
    let e = Profile::from_json(&text).unwrap_err();
    assert!(matches!(e, ProfileError::TooLarge { .. }));
    assert!(e.to_string().contains("limit"), "{e}");
}

#[test]
fn hostile_input_does_not_panic() {
    for text in [
        "",
        "[]",
        "null",
        "\"x\"",
        &"[".repeat(10_000),
        &"{\"a\":".repeat(10_000),
        "{\"version\": 1e400}",
        "{\"version\": -1}",
        "{\"version\": \"1\"}",
    ] {
        let e = Profile::from_json(text).unwrap_err();
        assert!(e.line().is_some(), "{text:.40}: {e}");
    }
}

/// An eap profile whose two rounds are `round0` and `round1` (lines 9 and
/// 10, starting at column 5) and whose `remote_id` (line 7) is `remote`.
fn eap_tls(round0: &str, round1: &str, remote: &str) -> String {
    let ca = crate::common::example("eap-mfa.json");
    let ca: serde_json::Value = serde_json::from_str(&ca).unwrap();
    format!(
        r#"{{
  "version": 1,
  "uuid": "3b6f0c1e-8d2a-4f57-9a61-2c4e7b9d0f13",
  "name": "TLS",
  "gateway": {{"host": "vpn.example.com"}},
  "local_id": "alice@example.com",
  "remote_id": "{remote}",
  "auth": {{"method": "eap", "rounds": [
    {round0},
    {round1}
  ]}},
  "ca_certificate": {}
}}
"#,
        ca["ca_certificate"]
    )
}

const TLS_ROUND: &str = r#"{"method": "tls", "certificate": "~/c.pem", "key": "~/k.pem"}"#;

#[test]
fn eap_tls_rounds() {
    let ok = eap_tls(TLS_ROUND, r#"{"method": "push"}"#, "vpn.example.com");
    let p = Profile::from_json(&ok).unwrap();
    assert_eq!(p.auth.client_certificate(), Some(("~/c.pem", "~/k.pem")));
    assert!(p.auth.has_tls_round());
    // The certificate may be PEM text, the key never.
    let pem = r#"{"method": "tls", "certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "key": "~/k.pem"}"#;
    Profile::from_json(&eap_tls(pem, r#"{"method": "push"}"#, "@vpn.example.com")).unwrap();
    err(
        &eap_tls(
            r#"{"method": "tls", "certificate": "~/c.pem"}"#,
            r#"{"method": "push"}"#,
            "vpn.example.com",
        ),
        9,
        5,
        "auth.rounds[0].key: required but missing; a tls round needs the path of your certificate's private key file",
    );
    err(
        &eap_tls(
            r#"{"method": "tls", "key": "~/k.pem"}"#,
            r#"{"method": "push"}"#,
            "vpn.example.com",
        ),
        9,
        5,
        "auth.rounds[0].certificate: required but missing; a tls round needs your certificate",
    );
    err(
        &eap_tls(
            r#"{"method": "tls", "certificate": "~/c.pem", "key": "-----BEGIN PRIVATE KEY-----"}"#,
            r#"{"method": "push"}"#,
            "vpn.example.com",
        ),
        9,
        56,
        "auth.rounds[0].key: contains a private key",
    );
    err(
        &eap_tls(
            r#"{"method": "tls", "certificate": "c.pem", "key": "~/k.pem"}"#,
            r#"{"method": "push"}"#,
            "vpn.example.com",
        ),
        9,
        38,
        "auth.rounds[0].certificate 'c.pem': is a relative path",
    );
    err(
        &eap_tls(
            TLS_ROUND,
            r#"{"method": "gtc", "certificate": "~/c.pem"}"#,
            "vpn.example.com",
        ),
        10,
        38,
        "auth.rounds[1].certificate: only a tls round takes a certificate and key",
    );
    err(
        &eap_tls(TLS_ROUND, TLS_ROUND, "vpn.example.com"),
        10,
        16,
        "auth.rounds[1].method: a profile may have one tls round only",
    );
    err(
        &eap_tls(TLS_ROUND, r#"{"method": "push"}"#, "alice@example.com"),
        7,
        16,
        "remote_id 'alice@example.com': is not a DNS name or IP address, but the tls round checks",
    );
    // After a certificate round, the tls round uses that round's certificate.
    let cert = edit(
        "{\"method\": \"psk\"}",
        "{\"method\": \"certificate\", \"certificate\": \"/c.pem\", \"key\": \"/k.pem\", \"eap_rounds\": [{\"method\": \"tls\", \"key\": \"/k.pem\"}]}",
    );
    let e = Profile::from_json(&cert).unwrap_err();
    assert!(
        e.to_string().contains(
            "auth.eap_rounds[0].key: after a certificate round, the tls round uses auth.certificate and auth.key"
        ),
        "{e}"
    );
}
