//! `ibex profiles import`: foreign formats through the CLI, warnings on
//! stderr, secrets kept out of the stored profile, refusals with the key.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../profile/tests/data/import")
        .join(name)
}

fn ibex(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ibex"))
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .env_remove("IBEX_SOCKET")
        .output()
        .expect("ibex runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn imports_foreign_profiles() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path();
    let file = sample("psk.mobileconfig");
    let file = file.to_str().unwrap();

    let out = ibex(cfg, &["profiles", "import", "--preview", file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("gateway:   vpn.example.com"), "{shown}");
    assert!(shown.contains("secrets:   psk"), "{shown}");
    assert!(
        !cfg.join("ibex/profiles").exists(),
        "a preview stores nothing"
    );

    let out = ibex(cfg, &["profiles", "import", file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .starts_with("imported 'Example Corp' (9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a) from a"),
        "{}",
        text(&out.stdout)
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("warning: IKEv2.OnDemandEnabled: ignored"),
        "{err}"
    );
    assert!(err.contains("pre-shared key was not saved"), "{err}");
    assert!(!err.contains("correct horse"), "{err}");
    let stored = std::fs::read_to_string(
        cfg.join("ibex/profiles/9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a.json"),
    )
    .unwrap();
    assert!(!stored.contains("correct horse"), "{stored}");

    // Same UUID again: replaced, still one profile.
    let sswan = sample("eap.sswan");
    for _ in 0..2 {
        let out = ibex(cfg, &["profiles", "import", sswan.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = ibex(cfg, &["profiles", "list"]);
    assert_eq!(
        text(&out.stdout).lines().count(),
        2,
        "{}",
        text(&out.stdout)
    );

    let weak = sample("weak-3des.mobileconfig");
    let out = ibex(cfg, &["profiles", "import", weak.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("IKEv2.IKESecurityAssociationParameters.EncryptionAlgorithm '3DES'"),
        "{err}"
    );
}
