//! `ibex-e2e`: end-to-end interop harness for Ibex against strongSwan.
//!
//! Every test builds its own world and tears it down again, also when it panics:
//!
//! * [`netns`]: two fresh network namespaces (`ibx<pid>-<n>r` / `ibx<pid>-<n>i`) joined by a
//!   veth pair, 192.0.2.1 (responder) / 192.0.2.2 (initiator). Nothing touches the root
//!   namespace. `Drop` kills every process in them and deletes them.
//! * [`pki`]: a throw-away test PKI (RSA and ECDSA) generated with strongSwan's `pki` and
//!   `openssl` into a temp dir; keys also as PKCS#8 PEM/DER, certs as PEM/DER.
//! * [`strongswan`]: one charon per namespace with its own strongswan.conf, swanctl.conf,
//!   VICI socket and private `/run` (`unshare -m` + bind mount), userspace ESP via
//!   kernel-libipsec, logging to a file that tests grep for proof lines.
//! * [`driver`]: spawns the `ibex-ike-driver` binary with a JSON config and collects the
//!   `EVENT ...` lines it prints; [`eap_directory`] is the EAP user table of its responder.
//! * [`radius`]: a private FreeRADIUS (EAP-GTC with TOTP codes) in a namespace, for
//!   charon's eap-radius.
//! * [`prereq`]: skip (outside CI) or fail loudly (CI=true) when root, netns, TUN or the
//!   strongSwan tools are missing.
//! * [`transfer`]: a TCP bulk transfer (python3 on both ends) whose SHA-256 is compared
//!   between sender and receiver, timed for throughput figures.
//! * [`agent`]: `ibexd`, the `ibex` CLI and `ibex-responder` in the tunnel lab, and the
//!   client's system state that a connection must restore.
//! * [`tshark`]: `tcpdump` capture inside a namespace and independent IKEv2 decryption of
//!   it with `tshark` and a key log (Wireshark UAT files) in a private profile.
//!
//! Every wait is bounded, and every spawned process additionally runs under coreutils
//! `timeout`, so a hung peer cannot hang CI even if the test process itself is killed.
//! Set `IBEX_E2E_KEEP=1` to keep temp dirs (charon logs, configs, PKI) for inspection.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

pub mod agent;
pub mod bins;
pub mod driver;
pub mod eap_directory;
pub mod gui;
pub mod lab;
pub mod netns;
pub mod pki;
pub mod prereq;
pub mod radius;
pub mod strongswan;
pub mod transfer;
pub mod tshark;
pub mod webdriver;

/// Default bound for any single wait in the harness.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Hard upper bound (seconds) for the lifetime of any process the harness spawns
/// (enforced by `timeout -k 5 <secs>`); override with `IBEX_E2E_PROC_TIMEOUT`.
pub fn proc_lifetime_secs() -> u64 {
    std::env::var("IBEX_E2E_PROC_TIMEOUT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

/// `IBEX_E2E_KEEP=1`: keep temp dirs (logs, configs, PKI) instead of deleting them.
pub fn keep_artifacts() -> bool {
    matches!(
        std::env::var("IBEX_E2E_KEEP").as_deref(),
        Ok("1") | Ok("true") | Ok("yes")
    )
}

/// A fresh temp dir under $TMPDIR with a recognisable prefix.
pub fn tempdir(prefix: &str) -> std::io::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(&format!("ibx-e2e-{prefix}-"))
        .tempdir()
}

/// Release a temp dir: delete it, or keep it (and say where) when `IBEX_E2E_KEEP` is set.
pub fn release_tempdir(dir: tempfile::TempDir) {
    if keep_artifacts() {
        let p = dir.keep();
        eprintln!("[ibex-e2e] kept {}", p.display());
    }
    // else: dropped here, which removes it
}

/// Run a command to completion, but never longer than `timeout` (then it is killed).
/// stdout/stderr are captured; stdin is /dev/null.
pub fn run_timeout(cmd: &mut Command, timeout: Duration) -> Result<Output, String> {
    let desc = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn {desc}: {e}"))?;
    let mut so = child.stdout.take().expect("piped stdout");
    let mut se = child.stderr.take().expect("piped stderr");
    let to = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = so.read_to_end(&mut v);
        v
    });
    let te = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = se.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                // the reader threads end once every holder of the pipes is gone; a
                // grandchild could keep them open, so don't join them here
                return Err(format!("timed out after {timeout:?}: {desc}"));
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("wait {desc}: {e}")),
        }
    };
    let stdout = to.join().unwrap_or_default();
    let stderr = te.join().unwrap_or_default();
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Like [`run_timeout`], but a non-zero exit is an error too. Returns stdout.
pub fn run_ok(cmd: &mut Command, timeout: Duration) -> Result<String, String> {
    let desc = format!("{cmd:?}");
    let out = run_timeout(cmd, timeout)?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{desc} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Poll `f` every `every` until it returns true or `timeout` elapses.
pub fn wait_until(timeout: Duration, every: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(every);
    }
}

/// Last `n` lines of a text file (for failure reports).
pub fn tail(path: &Path, n: usize) -> String {
    match std::fs::read(path) {
        Ok(b) => {
            let s = String::from_utf8_lossy(&b);
            let lines: Vec<&str> = s.lines().collect();
            let start = lines.len().saturating_sub(n);
            lines[start..].join("\n")
        }
        Err(e) => format!("<cannot read {}: {e}>", path.display()),
    }
}

/// Is `prog` an executable in $PATH (or an existing absolute path)?
pub fn which(prog: &str) -> Option<std::path::PathBuf> {
    let p = Path::new(prog);
    if p.is_absolute() {
        return p.is_file().then(|| p.to_path_buf());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(
            ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
                .iter()
                .map(Into::into),
        )
        .map(|d| d.join(prog))
        .find(|c| c.is_file())
}

/// Send `sig` to `pid` (ignoring errors: it may be gone already).
pub fn signal(pid: u32, sig: libc::c_int) {
    if pid > 1 {
        // SAFETY: kill(2) has no memory-safety preconditions.
        unsafe {
            libc::kill(pid as libc::pid_t, sig);
        }
    }
}

/// Is a process with this pid still alive (and not a zombie)?
pub fn pid_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => {
            // state is the field after ") "
            s.rsplit_once(") ")
                .map(|(_, rest)| !rest.starts_with('Z'))
                .unwrap_or(false)
        }
        Err(_) => false,
    }
}

/// The (transmitted, received) counts of `ping`'s summary line in `out`;
/// panics when there is none.
pub fn ping_counts(out: &str) -> (u64, u64) {
    let line = out
        .lines()
        .find(|l| l.contains("packets transmitted"))
        .unwrap_or_else(|| panic!("no ping summary in: {out}"));
    let n: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(2)
        .map(|s| s.parse().unwrap())
        .collect();
    (n[0], n[1])
}

/// `text` without ANSI escape sequences (the colours of tracing's log
/// lines), so tests can match `field=value`.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters... final byte in @..~
            if chars.next() == Some('[') {
                for f in chars.by_ref() {
                    if ('@'..='~').contains(&f) {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod ansi_tests {
    #[test]
    fn strip_ansi_keeps_the_text() {
        let line =
            "\u{1b}[2m2026\u{1b}[0m \u{1b}[3mremote\u{1b}[0m\u{1b}[2m=\u{1b}[0m192.0.2.3:40001";
        assert_eq!(super::strip_ansi(line), "2026 remote=192.0.2.3:40001");
    }
}
