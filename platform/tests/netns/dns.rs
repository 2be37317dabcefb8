//! DNS in resolv.conf mode (a scratch file, no namespace needed): apply then
//! revert leaves the file exactly as it was.

use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use ibex_platform::{DnsBackend, DnsConfig, DnsManager, Journal};

use crate::harness::scratch;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

fn config(server: &str) -> DnsConfig {
    DnsConfig {
        servers: vec![server.parse::<IpAddr>().expect("ip")],
        search_domains: vec!["corp.example".into()],
    }
}

fn manager(path: &Path) -> DnsManager {
    DnsManager::new(DnsBackend::ResolvConf {
        path: path.to_path_buf(),
    })
}

#[test]
fn resolv_conf_file_restored_byte_for_byte() {
    let dir = scratch();
    let path = dir.path().join("resolv.conf");
    let original: &[u8] = b"# written by hand\r\nnameserver 192.0.2.53\n\xffno newline at end";
    std::fs::write(&path, original).expect("seed");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let mut journal = Journal::load(dir.path().join("j.json")).expect("journal");
    let dns = manager(&path);
    block_on(async {
        dns.apply("ibex0", &config("10.99.0.53"), &mut journal)
            .await
            .expect("apply");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.contains("nameserver 10.99.0.53\nsearch corp.example\n"),
            "{text}"
        );
        // a second apply (new servers after a rekey) still leads back to the original
        dns.apply("ibex0", &config("10.99.0.54"), &mut journal)
            .await
            .expect("apply again");
        assert_eq!(journal.entries().len(), 1);
        dns.revert(&mut journal).await.expect("revert");
        dns.revert(&mut journal).await.expect("revert twice");
    });
    assert_eq!(std::fs::read(&path).expect("read"), original);
    let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640);
    assert!(journal.is_empty());
}

#[test]
fn resolv_conf_symlink_restored_as_the_same_symlink() {
    let dir = scratch();
    let target_dir = dir.path().join("run");
    std::fs::create_dir(&target_dir).expect("mkdir");
    std::fs::write(
        target_dir.join("managed.conf"),
        b"nameserver 198.51.100.53\n",
    )
    .expect("target");
    let path = dir.path().join("resolv.conf");
    std::os::unix::fs::symlink("run/managed.conf", &path).expect("symlink");
    let mut journal = Journal::load(dir.path().join("j.json")).expect("journal");
    let dns = manager(&path);
    block_on(async {
        dns.apply("ibex0", &config("10.99.0.53"), &mut journal)
            .await
            .expect("apply");
        let meta = std::fs::symlink_metadata(&path).expect("meta");
        assert!(
            meta.is_file(),
            "replaced by a regular file, not written through the link"
        );
        dns.revert(&mut journal).await.expect("revert");
    });
    assert_eq!(
        std::fs::read_link(&path).expect("a symlink again"),
        Path::new("run/managed.conf")
    );
    assert_eq!(
        std::fs::read(target_dir.join("managed.conf")).expect("target"),
        b"nameserver 198.51.100.53\n",
        "the link's target was never touched"
    );
}

#[test]
fn resolved_stub_symlink_selects_resolved() {
    let dir = scratch();
    let path = dir.path().join("resolv.conf");
    std::os::unix::fs::symlink("../run/systemd/resolve/stub-resolv.conf", &path).expect("symlink");
    assert_eq!(block_on(DnsBackend::detect(&path)), DnsBackend::Resolved);
}
