//! A TCP bulk transfer through a tunnel with its content verified on both
//! ends: a python3 receiver in one namespace hashes everything it gets, a
//! python3 sender in another sends deterministic pseudo-random data and
//! hashes what it sent; both print their SHA-256 and the test compares them.
//!
//! The receiver answers the sender with its count and digest once the sender
//! closed its half, so the sender's clock (connect to that answer) measures
//! the whole transfer, not just the fill of its socket buffer.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::netns::Netns;
use crate::run_timeout;

/// `python3 -c RECEIVER PORT TIMEOUT_S`: accept one connection, hash it,
/// print `RECEIVED <bytes> <sha256>`, send the same line back.
const RECEIVER: &str = r#"
import hashlib, socket, sys
port, timeout = int(sys.argv[1]), float(sys.argv[2])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", port))
srv.listen(1)
srv.settimeout(timeout)
print("LISTENING", flush=True)
conn, _ = srv.accept()
conn.settimeout(timeout)
h, n = hashlib.sha256(), 0
while True:
    b = conn.recv(1 << 20)
    if not b:
        break
    h.update(b)
    n += len(b)
line = "RECEIVED %d %s" % (n, h.hexdigest())
conn.sendall((line + "\n").encode())
conn.close()
print(line, flush=True)
"#;

/// `python3 -c SENDER HOST PORT BYTES SEED TIMEOUT_S`: send BYTES
/// pseudo-random bytes from SEED, print `SENT <bytes> <sha256>
/// <seconds>` and the receiver's answer line.
const SENDER: &str = r#"
import hashlib, random, socket, sys, time
host, port, total, seed, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
rng = random.Random(seed)
h, sent = hashlib.sha256(), 0
s = socket.create_connection((host, port), timeout=timeout)
t0 = time.monotonic()
while sent < total:
    chunk = rng.randbytes(min(1 << 20, total - sent))
    h.update(chunk)
    s.sendall(chunk)
    sent += len(chunk)
s.shutdown(socket.SHUT_WR)
answer = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    answer += b
elapsed = time.monotonic() - t0
print("SENT %d %s %.6f" % (sent, h.hexdigest(), elapsed), flush=True)
print(answer.decode().strip(), flush=True)
"#;

/// TCP port the receiver listens on.
pub const TRANSFER_PORT: u16 = 5001;

/// A verified transfer.
#[derive(Debug, Clone)]
pub struct Transfer {
    /// Bytes sent and received.
    pub bytes: u64,
    /// SHA-256 (hex) of the data, equal on both ends.
    pub sha256: String,
    /// From connect until the receiver's answer.
    pub elapsed: Duration,
}

impl Transfer {
    /// Megabits per second (10^6 bits).
    pub fn mbit_per_s(&self) -> f64 {
        self.bytes as f64 * 8.0 / self.elapsed.as_secs_f64() / 1e6
    }
}

impl std::fmt::Display for Transfer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} MB in {:.2} s = {:.1} Mbit/s (sha256 {}…)",
            self.bytes / 1_000_000,
            self.elapsed.as_secs_f64(),
            self.mbit_per_s(),
            &self.sha256[..16]
        )
    }
}

/// Kills the receiver if the transfer is abandoned.
struct Receiver(Child);

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends `bytes` pseudo-random bytes (from `seed`) over TCP from `sender`
/// to `dst_ip` (an address of `receiver`), within `timeout`, and checks
/// that both ends saw the same count and SHA-256.
pub fn tcp_transfer(
    sender: &Netns,
    receiver: &Netns,
    dst_ip: &str,
    bytes: u64,
    seed: u64,
    timeout: Duration,
) -> Result<Transfer, String> {
    let secs = timeout.as_secs().max(1).to_string();
    let port = TRANSFER_PORT.to_string();
    let mut rx = Receiver(
        receiver
            .command(&["timeout", &secs, "python3", "-c", RECEIVER, &port, &secs])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn the receiver: {e}"))?,
    );
    let mut out = BufReader::new(rx.0.stdout.take().expect("piped stdout"));
    let mut first = String::new();
    out.read_line(&mut first)
        .map_err(|e| format!("receiver: {e}"))?;
    if first.trim() != "LISTENING" {
        let mut err = String::new();
        if let Some(mut e) = rx.0.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        return Err(format!("the receiver did not start: {first}{err}"));
    }
    let started = Instant::now();
    let sent = run_timeout(
        &mut sender.command(&[
            "python3",
            "-c",
            SENDER,
            dst_ip,
            &port,
            &bytes.to_string(),
            &seed.to_string(),
            &secs,
        ]),
        timeout,
    )?;
    let stdout = String::from_utf8_lossy(&sent.stdout).into_owned();
    if !sent.status.success() {
        return Err(format!(
            "the sender failed after {:?} ({}): {stdout}{}",
            started.elapsed(),
            sent.status,
            String::from_utf8_lossy(&sent.stderr)
        ));
    }
    let mut received = String::new();
    out.read_line(&mut received)
        .map_err(|e| format!("receiver: {e}"))?;
    parse(&stdout, received.trim(), bytes)
}

/// Checks the sender's two lines against the receiver's own line.
fn parse(sender_out: &str, receiver_line: &str, bytes: u64) -> Result<Transfer, String> {
    let mut lines = sender_out.lines();
    let sent: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
    let echoed = lines.next().unwrap_or_default().trim();
    let [tag, n, digest, secs] = sent[..] else {
        return Err(format!("the sender printed {sender_out:?}"));
    };
    let want = format!("RECEIVED {bytes} {digest}");
    if tag != "SENT" || n != bytes.to_string() {
        return Err(format!(
            "the sender sent {n} of {bytes} bytes: {sender_out}"
        ));
    }
    if receiver_line != want || echoed != want {
        return Err(format!(
            "content differs: sender {n} bytes sha256 {digest}; receiver printed {receiver_line:?} and answered {echoed:?}"
        ));
    }
    let secs: f64 = secs
        .parse()
        .map_err(|_| format!("the sender printed {sender_out:?}"))?;
    Ok(Transfer {
        bytes,
        sha256: digest.to_string(),
        elapsed: Duration::from_secs_f64(secs),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_compares_both_ends() {
        let d = "ab".repeat(32);
        let ok = parse(
            &format!("SENT 10 {d} 0.5\nRECEIVED 10 {d}\n"),
            &format!("RECEIVED 10 {d}"),
            10,
        )
        .unwrap();
        assert_eq!(ok.bytes, 10);
        assert!((ok.mbit_per_s() - 0.00016).abs() < 1e-9);
        let bad = parse(
            &format!("SENT 10 {d} 0.5\nRECEIVED 10 {d}\n"),
            "RECEIVED 10 00",
            10,
        );
        assert!(bad.unwrap_err().contains("content differs"));
    }

    /// Both scripts over loopback in a namespace: the digests agree.
    #[test]
    fn loopback_transfer() {
        use crate::prereq::{require, Prereq};
        if !require(&[Prereq::Root, Prereq::Netns, Prereq::Python3]) {
            return;
        }
        let ns = Netns::create("t").unwrap();
        let t = tcp_transfer(&ns, &ns, "127.0.0.1", 3_000_000, 7, Duration::from_secs(30)).unwrap();
        assert_eq!(t.bytes, 3_000_000);
    }
}
