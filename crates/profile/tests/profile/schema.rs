//! `profiles/profile.schema.json` is valid, every example validates
//! against it, and its property names are those of the serde model.

use std::collections::BTreeSet;

use crate::common::{example, profiles_dir, BASE, EXAMPLES};
use ibex_profile::Profile;
use serde_json::Value;

fn schema() -> Value {
    let text = std::fs::read_to_string(profiles_dir().join("profile.schema.json")).unwrap();
    serde_json::from_str(&text).expect("schema is valid JSON")
}

/// The CA certificate of the example profiles.
fn example_ca() -> Value {
    let doc: Value = serde_json::from_str(&example("eap-mfa.json")).unwrap();
    doc["ca_certificate"].clone()
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema())
        .expect("schema is a valid draft 2020-12 schema")
}

#[test]
fn examples_validate_against_schema() {
    let v = validator();
    for name in EXAMPLES {
        let doc: Value = serde_json::from_str(&example(name)).unwrap();
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    let base: Value = serde_json::from_str(BASE).unwrap();
    assert!(v.is_valid(&base));
}

#[test]
fn schema_rejects_what_the_model_rejects() {
    let v = validator();
    let base: Value = serde_json::from_str(BASE).unwrap();
    let mut cases = Vec::new();
    let mut c = base.clone();
    c["gatway"] = c["gateway"].take();
    cases.push(("unknown field", c));
    let mut c = base.clone();
    c["gateway"]["port"] = 0.into();
    cases.push(("port 0", c));
    let mut c = base.clone();
    c["version"] = 2.into();
    cases.push(("version 2", c));
    let mut c = base.clone();
    c["auth"] = serde_json::json!({"method": "eap", "rounds": [{"method": "push"}]});
    cases.push(("eap without ca_certificate", c));
    let mut c = base.clone();
    c["auth"] =
        serde_json::json!({"method": "certificate", "certificate": "/c.pem", "key": "k.pem"});
    cases.push(("relative key path", c));
    let mut c = base.clone();
    c.as_object_mut().unwrap().remove("remote_id");
    cases.push(("missing remote_id", c));
    // EAP-TLS rounds: the certificate and key belong to the tls round of an
    // eap profile, and it needs both.
    let ca = example_ca();
    let tls_round =
        serde_json::json!({"method": "tls", "certificate": "~/c.pem", "key": "~/k.pem"});
    let mut c = base.clone();
    c["ca_certificate"] = ca.clone();
    c["auth"] = serde_json::json!({"method": "eap", "rounds": [{"method": "tls", "certificate": "~/c.pem"}]});
    cases.push(("tls round without key", c));
    let mut c = base.clone();
    c["ca_certificate"] = ca.clone();
    c["auth"] =
        serde_json::json!({"method": "eap", "rounds": [{"method": "gtc", "key": "~/k.pem"}]});
    cases.push(("key on a gtc round", c));
    let mut c = base.clone();
    c["ca_certificate"] = ca.clone();
    c["auth"] = serde_json::json!({"method": "certificate", "certificate": "/c.pem", "key": "/k.pem",
        "eap_rounds": [tls_round.clone()]});
    cases.push(("certificate on a tls round after a certificate round", c));
    let mut c = base.clone();
    c["ca_certificate"] = ca.clone();
    c["auth"] = serde_json::json!({"method": "eap", "rounds": [{"method": "tls", "certificate": "~/c.pem", "key": "k.pem"}]});
    cases.push(("relative key path of a tls round", c));
    let mut c = base.clone();
    c["ca_certificate"] = ca.clone();
    c["auth"] =
        serde_json::json!({"method": "eap", "rounds": [tls_round.clone(), tls_round.clone()]});
    cases.push(("two tls rounds", c));
    // ... and the model accepts the good forms.
    let mut c = base.clone();
    c["ca_certificate"] = ca.clone();
    c["auth"] = serde_json::json!({"method": "eap", "rounds": [tls_round, {"method": "push"}]});
    assert!(v.is_valid(&c));
    Profile::from_json(&c.to_string()).unwrap();
    c["auth"] = serde_json::json!({"method": "certificate", "certificate": "/c.pem", "key": "/k.pem",
        "eap_rounds": [{"method": "tls"}]});
    assert!(v.is_valid(&c));
    Profile::from_json(&c.to_string()).unwrap();
    for (what, doc) in cases {
        assert!(!v.is_valid(&doc), "schema accepts {what}");
        assert!(
            Profile::from_json(&doc.to_string()).is_err(),
            "model accepts {what}"
        );
    }
}

/// The names of the object properties a schema node declares, following
/// `$ref` into `$defs` and merging `oneOf` branches.
fn schema_keys(schema: &Value, node: &Value, out: &mut BTreeSet<String>, prefix: &str) {
    if let Some(r) = node.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/$defs/");
        schema_keys(schema, &schema["$defs"][name], out, prefix);
    }
    for branch in node
        .get("oneOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        schema_keys(schema, branch, out, prefix);
    }
    if let Some(items) = node.get("items") {
        schema_keys(schema, items, out, &format!("{prefix}[]"));
    }
    for (k, v) in node
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let path = format!("{prefix}.{k}");
        out.insert(path.clone());
        schema_keys(schema, v, out, &path);
    }
}

/// The keys of a JSON document, as paths.
fn doc_keys(doc: &Value, out: &mut BTreeSet<String>, prefix: &str) {
    match doc {
        Value::Object(m) => {
            for (k, v) in m {
                let path = format!("{prefix}.{k}");
                out.insert(path.clone());
                doc_keys(v, out, &path);
            }
        }
        Value::Array(items) => {
            for v in items {
                doc_keys(v, out, &format!("{prefix}[]"));
            }
        }
        _ => {}
    }
}

#[test]
fn schema_properties_match_the_model() {
    let schema = schema();
    let mut declared = BTreeSet::new();
    schema_keys(&schema, &schema, &mut declared, "");
    // Profiles exercising every field of the model, serialized by serde.
    let mut used = BTreeSet::new();
    let mut full = Profile::from_json(&example("certificate-split-tunnel.json")).unwrap();
    full.local_id = Some("alice@example.com".into());
    if let ibex_profile::Auth::Certificate {
        key_encrypted,
        eap_rounds,
        ..
    } = &mut full.auth
    {
        *key_encrypted = true;
        // The shape only: validation refuses a certificate on this round
        // (after a certificate round), but the shared round object has it.
        *eap_rounds = vec![ibex_profile::EapRound {
            identity: Some("alice".into()),
            certificate: Some("/c.pem".into()),
            key: Some("/k.pem".into()),
            allow_md5: true,
            prefer_code: true,
            ..ibex_profile::EapRound::new(ibex_profile::EapMethod::Tls)
        }];
    }
    let mut eap = Profile::from_json(&example("eap-mfa.json")).unwrap();
    if let ibex_profile::Auth::Eap { eap_only, rounds } = &mut eap.auth {
        *eap_only = true;
        rounds[0].allow_md5 = true;
        rounds[0].prefer_code = true;
    }
    for p in [
        full,
        Profile::from_json(&example("psk-full-tunnel.json")).unwrap(),
        eap,
        // A tls round with its certificate and key.
        Profile::from_json(&example("eap-tls.json")).unwrap(),
    ] {
        doc_keys(&serde_json::to_value(&p).unwrap(), &mut used, "");
    }
    let undeclared: Vec<_> = used.difference(&declared).collect();
    assert!(
        undeclared.is_empty(),
        "model fields missing from the schema: {undeclared:?}"
    );
    let unused: Vec<_> = declared.difference(&used).collect();
    assert!(
        unused.is_empty(),
        "schema properties the model lacks: {unused:?}"
    );
}
