//! Test harness: one network namespace per test, code run inside it.
//!
//! * [`TestNs::create`] makes `ipf<pid>-<n>` (lo up) or, when the machine cannot
//!   (not root, no `ip netns`, no /dev/net/tun), prints `SKIP: reason` and returns
//!   `None` — or panics when `CI=true`, so CI never skips silently.
//! * [`TestNs::run`] runs an async block on a thread that has `setns`-ed into the
//!   namespace, on a current-thread tokio runtime (every socket and TUN device the
//!   block opens lives in the namespace), with a time limit.
//! * `Drop` deletes the namespace (and everything in it), also during a panic;
//!   namespaces of earlier test processes that died are reaped at the first create.
//!
//! Addresses used inside: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and
//! 10.99.0.0/16 only.

use std::future::Future;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

const PREFIX: &str = "ipf";
/// Longest a test body may run inside its namespace.
const BODY_LIMIT: Duration = Duration::from_secs(20);

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
        .unwrap_or(false)
}

/// Skip (print) or, under CI=true, fail.
fn skip(reason: &str) -> Option<TestNs> {
    if in_ci() {
        panic!("\n*** CI=true: refusing to skip: {reason} ***\n");
    }
    println!("SKIP: {reason}");
    None
}

/// A network namespace owned by one test.
#[derive(Debug)]
pub struct TestNs {
    name: String,
}

impl TestNs {
    /// A fresh namespace with `lo` up, or `None` (after printing SKIP) when
    /// the machine cannot provide one.
    pub fn create() -> Option<TestNs> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            return skip("not root: network namespaces, veth and TUN need uid 0");
        }
        if !Path::new("/dev/net/tun").exists() {
            return skip("/dev/net/tun is missing (kernel without TUN)");
        }
        reap_stale();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("{PREFIX}{}-{n}", std::process::id());
        match Command::new("ip").args(["netns", "add", &name]).output() {
            Ok(o) if o.status.success() => {}
            Ok(o) => {
                return skip(&format!(
                    "`ip netns add` failed: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ))
            }
            Err(e) => return skip(&format!("cannot run `ip` (apt: iproute2): {e}")),
        }
        let ns = TestNs { name };
        ns.ip(&["link", "set", "lo", "up"]);
        Some(ns)
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `ip -n NS args...`; panics on failure; returns stdout.
    pub fn ip(&self, args: &[&str]) -> String {
        ip_in(&self.name, args)
    }

    /// `ip -n NS -j args...` parsed as JSON.
    pub fn ip_json(&self, args: &[&str]) -> serde_json::Value {
        ip_json_in(&self.name, args)
    }

    /// veth0 192.0.2.2/24 (peer veth1 up, no address), default route via
    /// 192.0.2.1 (on-link, not a local address): the client's "uplink".
    pub fn uplink(&self) {
        self.ip(&[
            "link", "add", "veth0", "type", "veth", "peer", "name", "veth1",
        ]);
        self.ip(&["addr", "add", "192.0.2.2/24", "dev", "veth0"]);
        self.ip(&["link", "set", "veth0", "up"]);
        self.ip(&["link", "set", "veth1", "up"]);
        self.ip(&[
            "route",
            "add",
            "default",
            "via",
            "192.0.2.1",
            "dev",
            "veth0",
        ]);
    }

    /// Run `body` inside the namespace (see the module docs); a panic in it is
    /// re-raised here.
    pub fn run<F, Fut>(&self, body: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        let path = format!("/run/netns/{}", self.name);
        let thread = std::thread::spawn(move || {
            let ns = std::fs::File::open(&path).expect("open netns file");
            // SAFETY: setns only reads the descriptor, which `ns` keeps open for the
            // call, and switches nothing but this thread's network namespace.
            let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            rt.block_on(async {
                tokio::time::timeout(BODY_LIMIT, body())
                    .await
                    .expect("test body timed out");
            });
        });
        if let Err(panic) = thread.join() {
            std::panic::resume_unwind(panic);
        }
    }
}

impl Drop for TestNs {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// Delete namespaces left by earlier test processes that no longer exist.
fn reap_stale() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let Ok(dir) = std::fs::read_dir("/run/netns") else {
            return;
        };
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some((pid, _)) = name.strip_prefix(PREFIX).and_then(|r| r.split_once('-')) else {
                continue;
            };
            let Ok(pid) = pid.parse::<u32>() else {
                continue;
            };
            if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                eprintln!("reaping stale netns {name}");
                let _ = Command::new("ip").args(["netns", "del", &name]).output();
            }
        }
    });
}

/// `ip -n NS args...` from any thread; panics on failure; returns stdout.
pub fn ip_in(ns: &str, args: &[&str]) -> String {
    let out = Command::new("ip")
        .args(["-n", ns])
        .args(args)
        .output()
        .expect("run ip");
    assert!(
        out.status.success(),
        "ip -n {ns} {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `ip -n NS -j args...` parsed as JSON (an empty array for no output).
pub fn ip_json_in(ns: &str, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["-j"];
    full.extend_from_slice(args);
    let text = ip_in(ns, &full);
    if text.trim().is_empty() {
        return serde_json::Value::Array(Vec::new());
    }
    serde_json::from_str(&text).expect("ip -j prints JSON")
}

/// The IPv4 and IPv6 main routing tables of `ns` exactly as `ip -j route`
/// prints them, read until two reads 100 ms apart agree (kernel housekeeping
/// such as IPv6 link-local setup on a new device has settled).
pub fn route_tables(ns: &str) -> (String, String) {
    let read = || {
        (
            ip_in(ns, &["-j", "route"]),
            ip_in(ns, &["-j", "-6", "route"]),
        )
    };
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut last = read();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = read();
        if now == last || Instant::now() > deadline {
            return now;
        }
        last = now;
    }
}

/// A fresh temporary directory for journals and resolv.conf copies.
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}
