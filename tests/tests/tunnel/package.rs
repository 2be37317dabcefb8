//! The Debian package (docs/packaging.md) that `scripts/build-app.sh` makes
//! from the same Tauri compile as the GUI tests' app:
//! * what it holds, that its Depends cover every library the binaries link
//!   (`dpkg-shlibdeps`) with names this Debian has, its desktop entry and
//!   unit file (no root needed);
//! * as root, a real install: the group, the postinst run twice, the unit
//!   verified by `systemd-analyze`, ibexd run as the unit says (its
//!   ExecStart, capability bounding set, umask and environment; systemd is
//!   not PID 1 here, so its mount sandbox is not exercised) carrying a
//!   tunnel, the socket's owner and mode, who may use it, then a purge that
//!   leaves nothing behind. The package is always purged, even on failure.
//!
//! Here (and not as a step of scripts/test.sh) because the install test
//! reuses the lab: namespaces, ibex-responder, the resolv.conf guard.

use std::collections::BTreeSet;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ibex_e2e::agent::{
    write_profile, NetnsResolvConf, ProfileAuth, Responder, ResponderAuth, LAB_PSK, ORIGINAL_RESOLV,
};
use ibex_e2e::lab::{Lab, LAN_HOST};
use ibex_e2e::prereq::{in_ci, require, Prereq};
use ibex_e2e::{pid_alive, run_ok, run_timeout, tempdir, wait_until, which};

const PACKAGE: &str = "ibex";
const UNIT: &str = "/lib/systemd/system/ibexd.service";
const SOCKET: &str = "/run/ibex/ibexd.sock";
const STATE_DIR: &str = "/var/lib/ibex";
const ENABLED_LINK: &str = "/etc/systemd/system/multi-user.target.wants/ibexd.service";
const T: Duration = Duration::from_secs(120);

/// Prints why the test is skipped, or panics under CI=true.
fn skip(reason: &str) {
    if in_ci() {
        panic!("CI=true but {reason}");
    }
    eprintln!("SKIP: {reason}");
}

/// The package: `$IBEX_DEB`, else `<target>/app-e2e/ibex.deb`
/// (scripts/build-app.sh), with the tools that read it.
fn package() -> Option<PathBuf> {
    let deb = std::env::var_os("IBEX_DEB")
        .map(PathBuf::from)
        .unwrap_or_else(|| ibex_e2e::gui::target_dir().join("app-e2e/ibex.deb"));
    if !deb.is_file() {
        skip(&format!(
            "no package at {} (run scripts/build-app.sh)",
            deb.display()
        ));
        return None;
    }
    for tool in [
        "dpkg-deb",
        "dpkg-shlibdeps",
        "dpkg-query",
        "systemd-analyze",
    ] {
        if which(tool).is_none() {
            skip(&format!(
                "{tool} is missing (apt: dpkg-dev systemd; scripts/install-deps.sh)"
            ));
            return None;
        }
    }
    Some(deb)
}

fn run(cmd: &mut Command) -> String {
    run_ok(cmd, T).unwrap_or_else(|e| panic!("{e}"))
}

/// `dpkg-deb -f` field `name`.
fn field(deb: &Path, name: &str) -> String {
    run(Command::new("dpkg-deb").arg("-f").arg(deb).arg(name))
        .trim()
        .to_string()
}

/// The package names of a Depends line (alternatives included, versions dropped).
fn depends_names(depends: &str) -> BTreeSet<String> {
    depends
        .split([',', '|'])
        .filter_map(|d| d.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Regular files and symlinks the package installs (`dpkg-deb -c`), with
/// their mode string and owner.
fn contents(deb: &Path) -> Vec<(String, String, String)> {
    run(Command::new("dpkg-deb").arg("-c").arg(deb))
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let path = format!("/{}", f.get(5)?.trim_start_matches("./"));
            (!f[0].starts_with('d')).then(|| (path, f[0].to_string(), f[1].to_string()))
        })
        .collect()
}

/// `Key=` values of a unit or desktop file (all of them, in order).
fn values(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(|v| v.trim().to_string())
        .collect()
}

#[test]
fn debian_package_holds_the_app_the_daemon_and_the_service() {
    let Some(deb) = package() else { return };
    assert_eq!(field(&deb, "Package"), PACKAGE);
    assert_eq!(field(&deb, "Architecture"), "amd64");
    assert_eq!(field(&deb, "Version"), env!("CARGO_PKG_VERSION"));
    assert_eq!(field(&deb, "Section"), "net");

    let files = contents(&deb);
    let find = |p: &str| files.iter().find(|f| f.0 == p);
    for bin in ["/usr/bin/ibex-app", "/usr/bin/ibexd", "/usr/bin/ibex"] {
        let f = find(bin).unwrap_or_else(|| panic!("{bin} in the package: {files:?}"));
        assert_eq!(f.1, "-rwxr-xr-x", "{bin}");
        assert!(f.2 == "0/0" || f.2 == "root/root", "{bin} owned by root");
    }
    for p in [
        UNIT,
        "/usr/share/applications/Ibex.desktop",
        "/usr/share/doc/ibex/packaging.md",
    ] {
        let f = find(p).unwrap_or_else(|| panic!("{p} in the package: {files:?}"));
        assert_eq!(f.1, "-rw-r--r--", "{p}");
        assert!(f.2 == "0/0" || f.2 == "root/root", "{p} owned by root");
    }
    assert!(
        files
            .iter()
            .any(|f| f.0.starts_with("/usr/share/icons/hicolor/")
                && f.0.ends_with("/apps/ibex-app.png")),
        "an icon named as the desktop entry's Icon: {files:?}"
    );

    let dir = tempdir("deb").unwrap();
    let root = dir.path().join("root");
    let control = dir.path().join("control");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root));
    run(Command::new("dpkg-deb").arg("-e").arg(&deb).arg(&control));

    // Depends: the webview, GTK and the tray library, addgroup, and every
    // package whose library the three binaries link, all known to this
    // Debian (the CI machine has them installed).
    let depends = field(&deb, "Depends");
    let names = depends_names(&depends);
    for needed in [
        "libwebkit2gtk-4.1-0",
        "libgtk-3-0",
        "libayatana-appindicator3-1",
        "adduser",
    ] {
        assert!(names.contains(needed), "Depends has {needed}: {depends}");
    }
    std::fs::create_dir_all(dir.path().join("debian")).unwrap();
    std::fs::write(
        dir.path().join("debian/control"),
        "Source: ibex\n\nPackage: ibex\nArchitecture: any\n",
    )
    .unwrap();
    let bins: Vec<PathBuf> = ["ibex-app", "ibexd", "ibex"]
        .iter()
        .map(|b| root.join("usr/bin").join(b))
        .collect();
    let shlibs = run(Command::new("dpkg-shlibdeps")
        .arg("-O")
        .args(&bins)
        .current_dir(dir.path()));
    let linked = shlibs
        .lines()
        .find_map(|l| l.strip_prefix("shlibs:Depends="))
        .unwrap_or_else(|| panic!("dpkg-shlibdeps: {shlibs}"));
    let missing: Vec<_> = depends_names(linked).difference(&names).cloned().collect();
    assert!(
        missing.is_empty(),
        "Depends lacks {missing:?}: the binaries link {linked}"
    );
    for name in &names {
        let status = run_timeout(
            Command::new("dpkg-query").args(["-W", "-f=${Status}", name]),
            T,
        )
        .unwrap();
        assert!(
            String::from_utf8_lossy(&status.stdout).ends_with("installed"),
            "{name} (Depends) is a package of this Debian"
        );
    }

    // The desktop entry starts the app by the name the icon has.
    let desktop =
        std::fs::read_to_string(root.join("usr/share/applications/Ibex.desktop")).unwrap();
    assert_eq!(values(&desktop, "Exec"), ["ibex-app"], "{desktop}");
    assert_eq!(values(&desktop, "Icon"), ["ibex-app"], "{desktop}");
    assert_eq!(values(&desktop, "Name"), ["Ibex"], "{desktop}");
    assert_eq!(values(&desktop, "Type"), ["Application"], "{desktop}");
    assert!(values(&desktop, "Categories")[0].contains("Network"));

    // The unit: ibexd's default socket, its group-readable runtime
    // directory, a persistent journal, and a hardening level that does not
    // slip (`systemd-analyze security` exposure 3.0 at most).
    let unit = std::fs::read_to_string(root.join(UNIT.trim_start_matches('/'))).unwrap();
    assert_eq!(
        values(&unit, "ExecStart"),
        [format!(
            "/usr/bin/ibexd --socket {SOCKET} --state-dir {STATE_DIR}"
        )]
    );
    assert_eq!(values(&unit, "RuntimeDirectory"), ["ibex"]);
    assert_eq!(values(&unit, "StateDirectory"), ["ibex"]);
    assert_eq!(values(&unit, "WantedBy"), ["multi-user.target"]);
    let security = run_timeout(
        Command::new("systemd-analyze")
            .args(["security", "--offline=yes", "--threshold=30", "--no-pager"])
            .arg(root.join(UNIT.trim_start_matches('/'))),
        T,
    )
    .unwrap();
    assert!(
        security.status.success(),
        "exposure above 3.0:\n{}",
        String::from_utf8_lossy(&security.stdout)
    );

    // The maintainer scripts are there, executable and valid sh.
    for script in ["postinst", "prerm", "postrm"] {
        let p = control.join(script);
        let mode = std::fs::metadata(&p)
            .unwrap_or_else(|e| panic!("{script}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "{script} is executable");
        run(Command::new("sh").arg("-n").arg(&p));
    }
    let prerm = std::fs::read_to_string(control.join("prerm")).unwrap();
    assert!(
        prerm.contains("deb-systemd-invoke stop ibexd.service"),
        "removing the package stops the service: {prerm}"
    );
}

/// ibexd run as the unit runs it, killed on drop.
struct UnitDaemon {
    child: Child,
    log: PathBuf,
}

impl UnitDaemon {
    /// Starts the unit's ExecStart in the lab's client namespace under its
    /// CapabilityBoundingSet (setpriv), UMask and Environment, with no
    /// system bus (the machine's logind stays out of the test), after
    /// making its RuntimeDirectory and StateDirectory with their modes as
    /// systemd would.
    fn start(lab: &Lab, unit: &str, dir: &Path) -> UnitDaemon {
        for (key, parent) in [("RuntimeDirectory", "/run"), ("StateDirectory", "/var/lib")] {
            let name = values(unit, key).pop().unwrap_or_else(|| panic!("{key}"));
            let mode = values(unit, &format!("{key}Mode"))
                .pop()
                .map_or(0o755, |m| u32::from_str_radix(&m, 8).expect("octal mode"));
            let path = Path::new(parent).join(name);
            std::fs::create_dir_all(&path).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        let exec = values(unit, "ExecStart").pop().expect("ExecStart");
        let caps: Vec<String> = values(unit, "CapabilityBoundingSet")
            .iter()
            .flat_map(|v| v.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .map(|c| format!("+{}", c.trim_start_matches("CAP_").to_lowercase()))
            .collect();
        assert!(!caps.is_empty(), "the unit bounds the capabilities");
        let umask = values(unit, "UMask").pop().unwrap_or("0022".into());
        let bounding = format!("--bounding-set=-all,{}", caps.join(","));
        let script = format!("umask {umask} && exec {exec}");
        let log = dir.join("ibexd.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut cmd = lab.client.command(&[
            "setpriv",
            &bounding,
            "--inh-caps=-all",
            "--no-new-privs",
            "--",
            "sh",
            "-c",
            &script,
        ]);
        for env in values(unit, "Environment") {
            let (k, v) = env.split_once('=').expect("Environment=KEY=VALUE");
            cmd.env(k, v);
        }
        let child = cmd
            .env(
                "DBUS_SYSTEM_BUS_ADDRESS",
                format!("unix:path={}", dir.join("no-bus").display()),
            )
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("spawn ibexd");
        UnitDaemon { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for UnitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Purges the package on drop, whatever happened.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = run_timeout(Command::new("dpkg").args(["--purge", PACKAGE]), T);
    }
}

fn installed() -> bool {
    run_timeout(
        Command::new("dpkg-query").args(["-W", "-f=${Status}", PACKAGE]),
        T,
    )
    .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).ends_with(" installed"))
}

/// The gid of group `ibex`, if there is one.
fn ibex_gid() -> Option<u32> {
    let out = run_timeout(Command::new("getent").args(["group", "ibex"]), T).ok()?;
    String::from_utf8_lossy(&out.stdout)
        .split(':')
        .nth(2)?
        .trim()
        .parse()
        .ok()
}

/// The installed CLI, as root in the client namespace, with `stdin`.
fn cli(lab: &Lab, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut full = vec!["timeout", "40", "/usr/bin/ibex"];
    full.extend(args);
    let mut child = lab
        .client
        .command(&full)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ibex");
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

/// `ibex status` as uid/gid 65534 with these supplementary groups.
fn status_as_nobody(groups: &str, home: &Path) -> std::process::Output {
    run_timeout(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534"])
            .arg(groups)
            .args(["/usr/bin/ibex", "status"])
            .env("HOME", home),
        T,
    )
    .unwrap()
}

#[test]
fn debian_package_installs_runs_its_service_and_purges_clean() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun]) {
        return;
    }
    let Some(deb) = package() else { return };
    if installed() {
        skip("a package named ibex is installed here; this test does not replace it");
        return;
    }
    if Path::new(SOCKET).exists() || Path::new(STATE_DIR).exists() {
        skip(&format!("{SOCKET} or {STATE_DIR} exists: another ibexd?"));
        return;
    }
    let group_before = ibex_gid();
    let files: Vec<String> = contents(&deb).into_iter().map(|f| f.0).collect();

    let guard = Installed;
    let out = run_timeout(Command::new("dpkg").arg("-i").arg(&deb), T).unwrap();
    assert!(
        out.status.success(),
        "dpkg -i:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(installed());
    for f in &files {
        assert!(Path::new(f).exists(), "{f} installed");
    }

    // The group, made once: running the postinst again changes nothing.
    let gid = ibex_gid().expect("postinst made group ibex");
    if let Some(before) = group_before {
        assert_eq!(gid, before, "an existing group is kept");
    }
    run(
        Command::new(format!("/var/lib/dpkg/info/{PACKAGE}.postinst"))
            .args(["configure", env!("CARGO_PKG_VERSION")]),
    );
    assert_eq!(ibex_gid(), Some(gid), "postinst is idempotent");
    let groups = std::fs::read_to_string("/etc/group").unwrap();
    assert_eq!(
        groups.lines().filter(|l| l.starts_with("ibex:")).count(),
        1,
        "one group ibex"
    );
    assert!(
        std::fs::read_link(ENABLED_LINK).is_ok_and(|t| t.ends_with("ibexd.service")),
        "ibexd.service enabled ({ENABLED_LINK})"
    );

    // The installed unit passes systemd's own check (no warnings about it).
    let verify = run_timeout(Command::new("systemd-analyze").args(["verify", UNIT]), T).unwrap();
    let complaints: Vec<String> = String::from_utf8_lossy(&verify.stderr)
        .lines()
        .filter(|l| l.contains("ibexd"))
        .map(str::to_string)
        .collect();
    assert!(
        verify.status.success() && complaints.is_empty(),
        "systemd-analyze verify {UNIT}: {complaints:?}"
    );

    // ibexd as the unit starts it, in the lab: a tunnel through it.
    let unit = std::fs::read_to_string(UNIT).unwrap();
    let lab = Lab::new(true);
    let dir = tempdir("deb-run").unwrap();
    let resolv = NetnsResolvConf::new(lab.client.name(), ORIGINAL_RESOLV);
    let responder = Responder::start(&lab, dir.path(), &ResponderAuth::Psk);
    let daemon = UnitDaemon::start(&lab, &unit, dir.path());
    assert!(
        wait_until(Duration::from_secs(10), Duration::from_millis(50), || {
            Path::new(SOCKET).exists()
        }),
        "ibexd made no socket:\n{}",
        daemon.log()
    );
    let pid = daemon.child.id();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(status.contains("Name:\tibexd"), "{status}");
    assert!(
        status.contains("CapEff:\t0000000000001401"),
        "only CAP_CHOWN, CAP_NET_BIND_SERVICE and CAP_NET_ADMIN: {status}"
    );
    let meta = std::fs::metadata(SOCKET).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o7777),
        (0, gid, 0o660),
        "{SOCKET} is root:ibex 0660"
    );

    // Members of group ibex may use it; others may not.
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o777)).unwrap();
    let member = status_as_nobody(&format!("--groups={gid}"), &home);
    assert!(
        member.status.success(),
        "a member of ibex: {}\n{}",
        String::from_utf8_lossy(&member.stderr),
        daemon.log()
    );
    let stranger = status_as_nobody("--clear-groups", &home);
    assert!(
        !stranger.status.success(),
        "not in group ibex: refused, got {}",
        String::from_utf8_lossy(&stranger.stdout)
    );

    let profile = write_profile(dir.path(), &ProfileAuth::Psk);
    let out = cli(
        &lab,
        &["connect", profile.to_str().unwrap()],
        &format!("{LAB_PSK}\n"),
    );
    assert!(
        out.status.success(),
        "connect with the unit's capabilities only: {}\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log(),
        responder.log()
    );
    assert!(
        wait_until(Duration::from_secs(10), Duration::from_millis(200), || lab
            .client
            .ping(LAN_HOST, 1)),
        "ping through the tunnel\n{}",
        daemon.log()
    );
    assert!(
        resolv.read().contains("10.99.0.53"),
        "the gateway's DNS: {}",
        resolv.read()
    );
    let out = cli(&lab, &["disconnect"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(resolv.read(), ORIGINAL_RESOLV, "DNS restored");

    // SIGTERM (systemctl stop): a clean exit that takes its socket along.
    ibex_e2e::signal(pid, libc::SIGTERM);
    assert!(
        wait_until(Duration::from_secs(15), Duration::from_millis(50), || {
            !pid_alive(pid)
        }),
        "ibexd stops on SIGTERM"
    );
    assert!(!Path::new(SOCKET).exists(), "socket removed at stop");
    assert!(
        !Path::new(STATE_DIR).join("journal.json").exists(),
        "nothing left to undo"
    );
    drop(daemon);
    drop(responder);

    // Purge: every file, the enablement, the state and (if it made it) the group.
    drop(guard);
    assert!(!installed(), "purged");
    for f in &files {
        assert!(!Path::new(f).exists(), "{f} left after purge");
    }
    assert!(
        std::fs::symlink_metadata(ENABLED_LINK).is_err(),
        "{ENABLED_LINK} left"
    );
    assert!(!Path::new(STATE_DIR).exists(), "{STATE_DIR} left");
    assert!(!Path::new("/run/ibex").exists(), "/run/ibex left");
    assert_eq!(
        ibex_gid(),
        group_before,
        "the group goes only if the package made it"
    );
    drop(resolv);
}
