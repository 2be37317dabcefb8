//! Packet capture (`tcpdump`) and independent IKEv2 decryption checks (`tshark`).
//!
//! Used to prove a key log (Wireshark's `ikev2_decryption_table` / `esp_sa` UAT files, as
//! written by `ibex-ike-driver` with `IBEX_KEYLOG_DIR`) is right: Wireshark decrypts the
//! SK payloads of the captured IKE messages with those keys and verifies their ICVs with
//! its own crypto (libgcrypt), so a key, an SPI or the key order being wrong shows up.
//!
//! Recipe:
//! * [`Capture::start`]: `ip netns exec NS timeout -k 5 SECS tcpdump -i IFACE -U -n -Z root
//!   -w FILE 'udp port 500 or udp port 4500'` (`-U`: every packet is written at once;
//!   `-Z root`: Debian's tcpdump would otherwise drop to user `tcpdump` and could not write
//!   into a 0700 temp dir). Ready once it printed `listening on`; [`Capture::stop`] sends
//!   SIGINT (forwarded by `timeout`) so the file is flushed and closed before it is read.
//! * [`Profile::create`]: a private Wireshark config dir holding copies of the UAT files;
//!   tshark runs with `WIRESHARK_CONFIG_DIR` pointing at it (never the user's profile).
//! * [`analyze`]: `tshark -n -r FILE -o esp.enable_encryption_decode:TRUE
//!   -o esp.enable_authentication_check:TRUE` twice: `-T fields` for the structure of each
//!   IKE message (SPIs, exchange, response flag, payload types including the decrypted
//!   inner ones), `-V` for the text Wireshark appends to the ICV of the SK payload:
//!   `Integrity Checksum Data: <hex> (16 bytes)[correct]` when it verified, `[incorrect]`
//!   (AEAD) or `[incorrect, should be <hex>]` (HMAC) when not. Wireshark 4.0 prints the
//!   same `[correct]` suffix for AES-GCM (tag checked by `gcry_cipher_checktag`) as for
//!   AES-CBC + HMAC, so one check covers both.
//!
//! ChaCha20-Poly1305 is not in Wireshark's IKEv2 decryption table (3DES/AES-CBC/AES-CTR/
//! AES-GCM/AES-CCM only), so IKE SAs with it cannot be checked here.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::netns::Netns;
use crate::{proc_lifetime_secs, run_timeout, signal, which};

/// The capture filter for IKE (and UDP-encapsulated ESP).
pub const IKE_FILTER: &str = "udp port 500 or udp port 4500";

/// IKEv2 exchange types (RFC 7296 3.1).
pub const IKE_SA_INIT: u8 = 34;
pub const IKE_AUTH: u8 = 35;
pub const CREATE_CHILD_SA: u8 = 36;
pub const INFORMATIONAL: u8 = 37;

/// IKEv2 payload types (RFC 7296 3.2) that only appear decrypted (inside SK).
pub const PT_IDI: u8 = 35;
pub const PT_IDR: u8 = 36;
pub const PT_AUTH: u8 = 39;
pub const PT_SA: u8 = 33;
pub const PT_NONCE: u8 = 40;
pub const PT_KE: u8 = 34;
pub const PT_SK: u8 = 46;

const TSHARK_TIMEOUT: Duration = Duration::from_secs(60);

/// `tshark` and `tcpdump`, with the prerequisite policy of [`crate::prereq`]: `true` = go
/// ahead; otherwise prints `SKIP: ...` and returns `false`, or panics when `CI=true`.
pub fn require_tools() -> bool {
    let missing: Vec<&str> = [
        ("tshark", "tshark (apt: tshark)"),
        ("tcpdump", "tcpdump (apt: tcpdump)"),
    ]
    .iter()
    .filter(|(bin, _)| which(bin).is_none())
    .map(|(_, what)| *what)
    .collect();
    if missing.is_empty() {
        return true;
    }
    let reason = format!("not found: {}", missing.join(", "));
    if crate::prereq::in_ci() {
        panic!(
            "\n\n*** PREREQUISITE MISSING (CI=true, refusing to skip) ***\n*** {reason}\n\
             *** packages: scripts/install-deps.sh ***\n"
        );
    }
    println!("SKIP: {reason}");
    eprintln!("SKIP: {reason}");
    false
}

// ---------------------------------------------------------------------------- capture

/// A running `tcpdump` inside a namespace. `Drop` stops it.
#[derive(Debug)]
pub struct Capture {
    child: Option<Child>,
    pcap: PathBuf,
    stderr: PathBuf,
}

impl Capture {
    /// Start capturing `filter` on `iface` in `ns` into `pcap`; returns once tcpdump
    /// listens (bounded). tcpdump's stderr goes to `pcap` + `.stderr`.
    pub fn start(ns: &Netns, iface: &str, pcap: &Path, filter: &str) -> Result<Capture, String> {
        let tcpdump = which("tcpdump").ok_or("tcpdump not found")?;
        let stderr = pcap.with_extension("tcpdump.stderr");
        let err = fs::File::create(&stderr).map_err(|e| format!("{}: {e}", stderr.display()))?;
        let life = proc_lifetime_secs().to_string();
        let tcpdump = tcpdump.to_string_lossy();
        let pcap_s = pcap.to_string_lossy();
        let child = ns
            .command(&[
                "timeout", "-k", "5", &life, &tcpdump, "-i", iface, "-U", "-n", "-Z", "root", "-w",
                &pcap_s, filter,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .map_err(|e| format!("spawn tcpdump: {e}"))?;
        let mut cap = Capture {
            child: Some(child),
            pcap: pcap.to_path_buf(),
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = fs::read_to_string(&cap.stderr).unwrap_or_default();
            if text.contains("listening on") {
                return Ok(cap);
            }
            let exited = cap.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() >= deadline {
                cap.stop_child();
                return Err(format!(
                    "tcpdump on {iface} in {} did not start (exit: {exited:?}):\n{text}",
                    ns.name()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pcap(&self) -> &Path {
        &self.pcap
    }

    /// SIGINT (tcpdump flushes and closes the file), wait for it to exit; returns
    /// tcpdump's summary (`N packets captured ...`). Idempotent.
    pub fn stop(&mut self) -> Result<String, String> {
        let status = self.stop_child();
        let text = fs::read_to_string(&self.stderr).unwrap_or_default();
        match status {
            Some(true) | None => Ok(text
                .lines()
                .filter(|l| l.contains("packets"))
                .collect::<Vec<_>>()
                .join("; ")),
            Some(false) => Err(format!("tcpdump did not exit cleanly:\n{text}")),
        }
    }

    /// `Some(clean)` if it was running, `None` if already stopped.
    fn stop_child(&mut self) -> Option<bool> {
        let mut child = self.child.take()?;
        if let Ok(Some(st)) = child.try_wait() {
            return Some(st.success());
        }
        // `timeout` forwards SIGINT to tcpdump
        signal(child.id(), libc::SIGINT);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(st)) = child.try_wait() {
                return Some(st.success());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        Some(false)
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop_child();
    }
}

// ---------------------------------------------------------------------------- profile

/// A private Wireshark configuration directory (`WIRESHARK_CONFIG_DIR`) with the two
/// UAT files (absent files are simply not written).
#[derive(Debug, Clone)]
pub struct Profile {
    pub dir: PathBuf,
}

impl Profile {
    /// Create `dir` and write `ikev2_decryption_table` / `esp_sa` into it.
    pub fn create(dir: &Path, ike_table: Option<&str>, esp_sa: Option<&str>) -> Profile {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for (name, text) in [("ikev2_decryption_table", ike_table), ("esp_sa", esp_sa)] {
            if let Some(t) = text {
                let p = dir.join(name);
                fs::write(&p, t).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            }
        }
        Profile {
            dir: dir.to_path_buf(),
        }
    }

    /// Copy the key files of `keylog_dir` (as the driver wrote them) into `dir`.
    pub fn from_keylog(dir: &Path, keylog_dir: &Path) -> Profile {
        let read = |n: &str| fs::read_to_string(keylog_dir.join(n)).ok();
        Self::create(
            dir,
            read("ikev2_decryption_table").as_deref(),
            read("esp_sa").as_deref(),
        )
    }
}

/// Run `tshark -n -r PCAP -o esp.enable_encryption_decode:TRUE
/// -o esp.enable_authentication_check:TRUE ARGS...` with the private profile.
/// Returns (stdout, stderr); a non-zero exit is an error.
pub fn tshark(pcap: &Path, profile: &Profile, args: &[&str]) -> Result<(String, String), String> {
    let mut cmd = Command::new("tshark");
    cmd.env("WIRESHARK_CONFIG_DIR", &profile.dir)
        .arg("-n")
        .arg("-r")
        .arg(pcap)
        .args([
            "-o",
            "esp.enable_encryption_decode:TRUE",
            "-o",
            "esp.enable_authentication_check:TRUE",
        ])
        .args(args);
    let desc = format!("{cmd:?}");
    let out = run_timeout(&mut cmd, TSHARK_TIMEOUT)?;
    let so = String::from_utf8_lossy(&out.stdout).into_owned();
    let se = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(format!("{desc} failed ({}):\n{se}", out.status));
    }
    Ok((so, se))
}

/// tshark's stderr minus the lines that are always there when running as root.
pub fn stderr_problems(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter(|l| !l.starts_with("Running as user \"root\""))
        .map(String::from)
        .collect()
}

// ---------------------------------------------------------------------------- analysis

/// What Wireshark says about the ICV of an SK payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Icv {
    /// `[correct]`: decrypted and the ICV (HMAC or AEAD tag) verified.
    Correct,
    /// `[incorrect...]`, with Wireshark's text (`[incorrect, should be ...]` for HMAC).
    Incorrect(String),
    /// An `Integrity Checksum Data` line without a verdict.
    Unchecked(String),
    /// No `Integrity Checksum Data` line at all (no key for this SA: not decrypted).
    Absent,
}

/// One captured IKE message as tshark dissected it.
#[derive(Debug, Clone)]
pub struct IkeMsg {
    pub frame: u32,
    /// Lower-case hex, 16 digits.
    pub spi_i: String,
    pub spi_r: String,
    pub exchange: u8,
    pub response: bool,
    /// Payload types in dissection order, including the ones inside a decrypted SK.
    pub payloads: Vec<u8>,
    pub icv: Icv,
    /// The `-V` dissection of the frame (for failure messages).
    pub text: String,
}

impl IkeMsg {
    /// Has an SK payload (every exchange but IKE_SA_INIT).
    pub fn encrypted(&self) -> bool {
        self.payloads.first() == Some(&PT_SK)
    }

    /// Payload types found inside the SK payload (empty when not decrypted).
    pub fn inner(&self) -> &[u8] {
        if self.encrypted() {
            &self.payloads[1..]
        } else {
            &[]
        }
    }

    pub fn exchange_name(&self) -> &'static str {
        match self.exchange {
            IKE_SA_INIT => "IKE_SA_INIT",
            IKE_AUTH => "IKE_AUTH",
            CREATE_CHILD_SA => "CREATE_CHILD_SA",
            INFORMATIONAL => "INFORMATIONAL",
            _ => "?",
        }
    }

    /// `frame 3 IKE_AUTH request 1122..._3344... payloads 46,35,... [correct]`
    pub fn summary(&self) -> String {
        format!(
            "frame {} {} {} {}_{} payloads {:?} icv {:?}",
            self.frame,
            self.exchange_name(),
            if self.response { "response" } else { "request" },
            self.spi_i,
            self.spi_r,
            self.payloads,
            self.icv
        )
    }
}

/// Dissect every IKE message of `pcap` with the keys of `profile`. Also returns tshark's
/// stderr problems (UAT errors etc., see [`stderr_problems`]).
pub fn analyze(pcap: &Path, profile: &Profile) -> Result<(Vec<IkeMsg>, Vec<String>), String> {
    let (fields, e1) = tshark(
        pcap,
        profile,
        &[
            "-Y",
            "isakmp",
            "-T",
            "fields",
            "-E",
            "separator=/t",
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=,",
            "-e",
            "frame.number",
            "-e",
            "isakmp.ispi",
            "-e",
            "isakmp.rspi",
            "-e",
            "isakmp.exchangetype",
            "-e",
            "isakmp.flag_r",
            "-e",
            "isakmp.typepayload",
        ],
    )?;
    let (verbose, e2) = tshark(pcap, profile, &["-Y", "isakmp", "-V"])?;
    let texts = split_frames(&verbose);
    let mut msgs = Vec::new();
    for line in fields.lines().filter(|l| !l.trim().is_empty()) {
        let c: Vec<&str> = line.split('\t').collect();
        if c.len() < 6 {
            return Err(format!("unexpected tshark fields line: {line:?}"));
        }
        let frame: u32 = c[0]
            .parse()
            .map_err(|e| format!("frame number in {line:?}: {e}"))?;
        let text = texts.get(&frame).cloned().unwrap_or_default();
        msgs.push(IkeMsg {
            frame,
            spi_i: c[1].replace(':', "").to_ascii_lowercase(),
            spi_r: c[2].replace(':', "").to_ascii_lowercase(),
            exchange: c[3].parse().unwrap_or(0),
            response: matches!(c[4], "1" | "True" | "true"),
            payloads: c[5].split(',').filter_map(|p| p.parse().ok()).collect(),
            icv: icv_of(&text),
            text,
        });
    }
    let mut problems = stderr_problems(&e1);
    for p in stderr_problems(&e2) {
        if !problems.contains(&p) {
            problems.push(p);
        }
    }
    Ok((msgs, problems))
}

/// `-V` output split per frame (`Frame N: ...` starts a frame at column 0).
fn split_frames(text: &str) -> BTreeMap<u32, String> {
    let mut out = BTreeMap::new();
    let mut cur: Option<(u32, String)> = None;
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("Frame ") {
            if let Some(n) = rest.split(':').next().and_then(|n| n.parse().ok()) {
                if let Some((k, v)) = cur.take() {
                    out.insert(k, v);
                }
                cur = Some((n, String::new()));
            }
        }
        if let Some((_, v)) = cur.as_mut() {
            v.push_str(l);
            v.push('\n');
        }
    }
    if let Some((k, v)) = cur {
        out.insert(k, v);
    }
    out
}

fn icv_of(text: &str) -> Icv {
    let Some(l) = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("Integrity Checksum Data:"))
    else {
        return Icv::Absent;
    };
    if l.contains("[correct]") {
        Icv::Correct
    } else if l.contains("[incorrect") {
        Icv::Incorrect(l.to_string())
    } else {
        Icv::Unchecked(l.to_string())
    }
}

// ---------------------------------------------------------------------------- key tables

/// One parsed `ikev2_decryption_table` line:
/// `SPIi,SPIr,SK_ei,SK_er,"encr",SK_ai,SK_ar,"integ"` (hex without `0x`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeKeyLine {
    pub spi_i: String,
    pub spi_r: String,
    pub sk_ei: String,
    pub sk_er: String,
    pub encr: String,
    pub sk_ai: String,
    pub sk_ar: String,
    pub integ: String,
}

fn unquote(s: &str) -> Option<&str> {
    s.strip_prefix('"')?.strip_suffix('"')
}

fn is_hex(s: &str) -> bool {
    s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl IkeKeyLine {
    /// Parse and check the syntax (8 fields, quoted names, even-length hex).
    pub fn parse(line: &str) -> Result<IkeKeyLine, String> {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 8 {
            return Err(format!("{} fields instead of 8: {line:?}", f.len()));
        }
        let (Some(encr), Some(integ)) = (unquote(f[4]), unquote(f[7])) else {
            return Err(format!("algorithm names must be quoted: {line:?}"));
        };
        for (i, name) in [(0, "SPIi"), (1, "SPIr")] {
            if f[i].len() != 16 || !is_hex(f[i]) {
                return Err(format!("{name} is not 16 hex digits: {line:?}"));
            }
        }
        for (i, name) in [(2, "SK_ei"), (3, "SK_er"), (5, "SK_ai"), (6, "SK_ar")] {
            if !is_hex(f[i]) || f[i].starts_with("0x") {
                return Err(format!("{name} is not bare hex: {line:?}"));
            }
        }
        Ok(IkeKeyLine {
            spi_i: f[0].to_ascii_lowercase(),
            spi_r: f[1].to_ascii_lowercase(),
            sk_ei: f[2].into(),
            sk_er: f[3].into(),
            encr: encr.into(),
            sk_ai: f[5].into(),
            sk_ar: f[6].into(),
            integ: integ.into(),
        })
    }

    pub fn to_line(&self) -> String {
        format!(
            "{},{},{},{},\"{}\",{},{},\"{}\"",
            self.spi_i,
            self.spi_r,
            self.sk_ei,
            self.sk_er,
            self.encr,
            self.sk_ai,
            self.sk_ar,
            self.integ
        )
    }
}

/// One parsed `esp_sa` line:
/// `"IPv4","src","dst","0xSPI","encr","0xkey","auth","0xauthkey"` (all quoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EspKeyLine {
    pub family: String,
    pub src: String,
    pub dst: String,
    /// 8 lower-case hex digits, without `0x`.
    pub spi: String,
    pub encr: String,
    /// Hex without `0x`.
    pub encr_key: String,
    pub auth: String,
    /// Hex without `0x` (empty for AEAD, auth `NULL`).
    pub auth_key: String,
}

impl EspKeyLine {
    pub fn parse(line: &str) -> Result<EspKeyLine, String> {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 8 {
            return Err(format!("{} fields instead of 8: {line:?}", f.len()));
        }
        let q: Vec<&str> = f.iter().filter_map(|x| unquote(x)).collect();
        if q.len() != 8 {
            return Err(format!("every esp_sa field must be quoted: {line:?}"));
        }
        if !matches!(q[0], "IPv4" | "IPv6") {
            return Err(format!("protocol must be IPv4/IPv6: {line:?}"));
        }
        let hex0x = |s: &str, what: &str, may_be_empty: bool| -> Result<String, String> {
            if may_be_empty && s.is_empty() {
                return Ok(String::new());
            }
            match s.strip_prefix("0x") {
                Some(h) if is_hex(h) && !h.is_empty() => Ok(h.to_ascii_lowercase()),
                _ => Err(format!("{what} must be 0x-prefixed hex: {line:?}")),
            }
        };
        let spi = hex0x(q[3], "SPI", false)?;
        if spi.len() != 8 {
            return Err(format!("SPI must be 0x + 8 hex digits: {line:?}"));
        }
        Ok(EspKeyLine {
            family: q[0].into(),
            src: q[1].into(),
            dst: q[2].into(),
            spi,
            encr: q[4].into(),
            encr_key: hex0x(q[5], "encryption key", false)?,
            auth: q[6].into(),
            auth_key: hex0x(q[7], "authentication key", q[6] == "NULL")?,
        })
    }
}

/// `hex` with its first digit changed (`0`<->`1`, others to `0`): a one-nibble key error.
pub fn flip_first_digit(hex: &str) -> String {
    let mut c = hex.chars();
    let first = c.next().expect("non-empty hex");
    let new = if first == '0' { '1' } else { '0' };
    std::iter::once(new).chain(c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_key_lines() {
        let l = "bd6e58b34d5cbd1f,669d833efd695d06,ee80b6b1,d5924bd8,\"AES-GCM-128 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"";
        let k = IkeKeyLine::parse(l).unwrap();
        assert_eq!(k.sk_er, "d5924bd8");
        assert_eq!(k.integ, "NONE [RFC4306]");
        assert_eq!(k.to_line(), l);
        assert!(IkeKeyLine::parse("0x01,02,03,04,\"x\",,,\"y\"").is_err());
        let e = EspKeyLine::parse("\"IPv4\",\"*\",\"*\",\"0x20064df8\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0xc9b8\",\"NULL\",\"\"").unwrap();
        assert_eq!((e.spi.as_str(), e.auth_key.as_str()), ("20064df8", ""));
        assert!(EspKeyLine::parse(
            "\"IPv4\",\"*\",\"*\",\"20064df8\",\"x\",\"0xc9\",\"NULL\",\"\""
        )
        .is_err());
        assert_eq!(flip_first_digit("0abc"), "1abc");
        assert_eq!(flip_first_digit("fabc"), "0abc");
    }

    #[test]
    fn splits_and_reads_icv() {
        let v = "Frame 1: 10 bytes\n    x\nFrame 2: 20 bytes\n        Integrity Checksum Data: 92da (16 bytes)[correct]\n";
        let m = split_frames(v);
        assert_eq!(icv_of(&m[&1]), Icv::Absent);
        assert_eq!(icv_of(&m[&2]), Icv::Correct);
        assert!(matches!(
            icv_of("Integrity Checksum Data: 00 (16 bytes)[incorrect, should be 11]"),
            Icv::Incorrect(_)
        ));
    }
}
