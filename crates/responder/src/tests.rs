use std::io::Write;

use crate::config::{ConfigError, FileConfig};

fn write(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

const GOOD: &str = r#"{
  "version": 1,
  "listen": "192.0.2.1",
  "id": "gw.ibex.test",
  "auth": {"method": "psk"},
  "users": [{"id": "client.ibex.test", "psk": "a-long-random-pre-shared-key"}],
  "pool": "10.99.10.0/24",
  "dns": ["10.99.0.53"],
  "subnets": ["10.99.0.0/24"]
}"#;

#[test]
fn loads_a_psk_gateway() {
    let f = write(GOOD);
    let c = FileConfig::load(f.path()).unwrap();
    assert_eq!(
        c.ike.pool,
        Some((
            "10.99.10.2".parse().unwrap(),
            "10.99.10.254".parse().unwrap()
        ))
    );
    assert_eq!(c.pool, ("10.99.10.0".parse().unwrap(), 24));
    assert_eq!(c.ike.peers.len(), 1);
    assert_eq!(c.ike.base.local_ts.len(), 1);
    assert_eq!(c.tun.name, "ibexgw0");
    assert!(
        !format!("{c:?}").contains("a-long-random"),
        "no PSK in Debug output"
    );
}

#[test]
fn errors_name_the_line_or_field() {
    let f = write(&GOOD.replace("\"pool\"", "\"poool\""));
    match FileConfig::load(f.path()) {
        Err(ConfigError::Syntax { line, message, .. }) => {
            assert_eq!(line, 7);
            assert!(message.contains("poool"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let f = write(&GOOD.replace("\"aes", "x").replace(
        "\"subnets\"",
        "\"ike_proposals\": [\"3des-sha1-modp1024\"], \"subnets\"",
    ));
    let e = FileConfig::load(f.path()).unwrap_err().to_string();
    assert!(e.contains("ike_proposals[0]") && e.contains("weak"), "{e}");
    let f = write(&GOOD.replace("a-long-random-pre-shared-key", "short"));
    let e = FileConfig::load(f.path()).unwrap_err().to_string();
    assert!(e.contains("users[0]") && e.contains("16 characters"), "{e}");
    let f = write(&GOOD.replace("10.99.10.0/24", "10.99.10.0/31"));
    assert!(FileConfig::load(f.path())
        .unwrap_err()
        .to_string()
        .contains("pool"));
}

#[test]
fn redirect_settings_are_checked() {
    let with = |r: &str| write(&GOOD.replace("\"dns\"", &format!("\"redirect\": {r}, \"dns\"")));
    let f = with(r#"{"gateways": ["192.0.2.9", "gw2.example.net"], "during": "auth"}"#);
    let c = FileConfig::load(f.path()).unwrap();
    let p = c.ike.redirect.expect("a redirect policy");
    assert_eq!(p.during, ibex_ike::RedirectPhase::Auth);
    assert_eq!(p.gateways.len(), 2);
    assert!(!p.redirected_clients);
    for (r, field) in [
        (r#"{"gateways": [], "during": "init"}"#, "redirect.gateways"),
        (
            r#"{"gateways": ["192.0.2.1"], "during": "init"}"#,
            "redirect.gateways[0]",
        ),
        (
            r#"{"gateways": ["192.0.2.9", "no such name"], "during": "init"}"#,
            "redirect.gateways[1]",
        ),
    ] {
        let e = FileConfig::load(with(r).path()).unwrap_err().to_string();
        assert!(e.contains(field), "{r}: {e}");
    }
    let e = FileConfig::load(with(r#"{"gateways": ["192.0.2.9"], "during": "later"}"#).path())
        .unwrap_err()
        .to_string();
    assert!(e.contains("later"), "{e}");
}

#[test]
fn also_listen_addresses_are_announced() {
    let f = write(&GOOD.replace("\"dns\"", "\"also_listen\": [\"2001:db8:2::1\"], \"dns\""));
    let c = FileConfig::load(f.path()).unwrap();
    assert_eq!(
        c.also_listen,
        vec!["2001:db8:2::1".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(c.ike.base.additional_addresses.len(), 2);
    let f = write(&GOOD.replace("\"dns\"", "\"also_listen\": [\"192.0.2.1\"], \"dns\""));
    let e = FileConfig::load(f.path()).unwrap_err().to_string();
    assert!(e.contains("also_listen"), "{e}");
}
