//! `ProfileStore`: import, list, get, remove in a temporary directory.

use std::os::unix::fs::PermissionsExt;

use crate::common::{example, profiles_dir, EXAMPLES};
use ibex_profile::{Profile, ProfileStore, StoreError};

fn store() -> (tempfile::TempDir, ProfileStore) {
    let tmp = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(tmp.path().join("ibex").join("profiles"));
    (tmp, store)
}

#[test]
fn import_list_get_remove_roundtrip() {
    let (_tmp, store) = store();
    assert!(
        store.list().unwrap().is_empty(),
        "a missing directory is an empty store"
    );
    for name in EXAMPLES {
        store.import(&profiles_dir().join(name)).unwrap();
    }
    let names: Vec<_> = store.list().unwrap().into_iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        [
            "Example Corp (MFA)",
            "Example Corp (certificate over EAP-TLS)",
            "Example Corp (split)",
            "Home lab"
        ]
    );

    let original = Profile::from_json(&example("psk-full-tunnel.json")).unwrap();
    let file = store.dir().join(format!("{}.json", original.uuid));
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "profile files are private");
    let dir_mode = std::fs::metadata(store.dir()).unwrap().permissions().mode();
    assert_eq!(dir_mode & 0o777, 0o700, "the directory is private");

    assert_eq!(store.get("Home lab").unwrap(), original);
    assert_eq!(store.get(&original.uuid.to_uppercase()).unwrap(), original);
    let removed = store.remove("Home lab").unwrap();
    assert_eq!(removed, original);
    assert!(!file.exists());
    assert!(matches!(
        store.get("Home lab"),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.list().unwrap().len(), EXAMPLES.len() - 1);
    let leftovers: Vec<_> = std::fs::read_dir(store.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary files left: {leftovers:?}"
    );
}

#[test]
fn same_uuid_replaces_and_names_are_unique() {
    let (tmp, store) = store();
    let mut p = Profile::from_json(&example("psk-full-tunnel.json")).unwrap();
    store.save(&p).unwrap();
    p.gateway.host = "vpn2.example.com".into();
    let renamed = tmp.path().join("renamed.json");
    std::fs::write(&renamed, p.to_json_pretty()).unwrap();
    store.import(&renamed).unwrap();
    let all = store.list().unwrap();
    assert_eq!(all.len(), 1, "same uuid replaces");
    assert_eq!(all[0].gateway.host, "vpn2.example.com");

    let mut other = p.clone();
    other.uuid = "00000000-0000-4000-8000-000000000001".into();
    let e = store.save(&other).unwrap_err();
    assert!(matches!(e, StoreError::NameTaken { .. }), "{e}");
    assert!(e.to_string().contains("already named 'Home lab'"), "{e}");
    other.name = "Home lab 2".into();
    store.save(&other).unwrap();
    assert_eq!(store.list().unwrap().len(), 2);
}

#[test]
fn import_reports_file_and_line() {
    let (tmp, store) = store();
    let bad = tmp.path().join("bad.json");
    let text = example("psk-full-tunnel.json").replace("\"gateway\"", "\"gatway\"");
    std::fs::write(&bad, text).unwrap();
    let e = store.import(&bad).unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with(&bad.display().to_string()), "{msg}");
    assert!(
        msg.contains("line 5, column 3: unknown field `gatway`"),
        "{msg}"
    );
    assert!(store.list().unwrap().is_empty(), "nothing stored");

    let missing = store.import(&tmp.path().join("nope.json")).unwrap_err();
    assert!(matches!(missing, StoreError::Io { .. }), "{missing}");
    std::fs::write(&bad, [0xff, 0xfe]).unwrap();
    assert!(matches!(
        store.import(&bad),
        Err(StoreError::NotText { .. })
    ));
}

#[test]
fn list_skips_broken_files() {
    let (_tmp, store) = store();
    store.import(&profiles_dir().join("eap-mfa.json")).unwrap();
    std::fs::write(store.dir().join("broken.json"), "{").unwrap();
    std::fs::write(store.dir().join("notes.txt"), "hello").unwrap();
    let all = store.list().unwrap();
    assert_eq!(all.len(), 1);
    assert!(matches!(
        store.remove("nothing"),
        Err(StoreError::NotFound(_))
    ));
}
