//! Network namespaces and the two-node topology the interop tests run in.
//!
//! ```text
//!   netns ibx<pid>-<n>i (initiator)            netns ibx<pid>-<n>r (responder)
//!   ibx<pid>v<n>i 192.0.2.2/24  ==== veth ====  ibx<pid>v<n>r 192.0.2.1/24
//!                                               lo: 10.99.0.1/32 ("LAN" host inside
//!                                                   local_ts 10.99.0.0/24)
//! ```
//! Only documentation / test ranges are used (192.0.2.0/24 for the link, 10.99.0.0/16
//! behind the responder and for virtual IPs, never routed anywhere: no veth end is in
//! the root namespace). Names are unique per process (`ibx` + pid + counter), veth
//! names are at most 15 characters.
//!
//! [`Netns`] is an RAII guard: `Drop` kills every process in the namespace
//! (`ip netns pids`, SIGTERM then SIGKILL) and deletes it, also during a panic.
//! Namespaces left behind by a test process that was SIGKILLed are reaped by the next
//! run ([`reap_stale`]).

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;
use std::time::Duration;

use crate::{pid_alive, run_ok, run_timeout, signal, wait_until};

/// Responder (gateway) address on the link.
pub const RESPONDER_IP: &str = "192.0.2.1";
/// Initiator (client) address on the link.
pub const INITIATOR_IP: &str = "192.0.2.2";
/// Prefix length of the link.
pub const LINK_PREFIX: u8 = 24;
/// The protected network behind the responder (its `local_ts`).
pub const LAN_NET: &str = "10.99.0.0/24";
/// An address inside [`LAN_NET`], configured on the responder's `lo`; a ping from the
/// initiator to it can only succeed through the tunnel (the initiator has no route).
pub const LAN_HOST: &str = "10.99.0.1";
/// Virtual IP pool the responder hands out.
pub const VIP_POOL: &str = "10.99.10.0/24";

pub(crate) const NS_PREFIX: &str = "ibx";
const CMD_TIMEOUT: Duration = Duration::from_secs(15);

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub(crate) fn next_id() -> u32 {
    COUNTER.fetch_add(1, Ordering::Relaxed) % 1000
}

/// One network namespace, deleted (with everything in it) on drop.
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// Create `ibx<pid>-<n><tag>` with `lo` up, IPv6 off and rp_filter off.
    pub fn create(tag: &str) -> Result<Netns, String> {
        reap_stale();
        let name = format!("{NS_PREFIX}{}-{}{tag}", std::process::id(), next_id());
        Self::create_named(&name)
    }

    pub(crate) fn create_named(name: &str) -> Result<Netns, String> {
        run_ok(Command::new("ip").args(["netns", "add", name]), CMD_TIMEOUT)?;
        // from here on the guard owns it
        let ns = Netns {
            name: name.to_string(),
        };
        ns.run_ok(&["ip", "link", "set", "lo", "up"])?;
        // best effort: no IPv6 (no DAD/RA noise), no reverse-path filtering
        let _ = ns.run(&["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
        let _ = ns.run(&["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"]);
        let _ = ns.run(&[
            "sysctl",
            "-qw",
            "net.ipv4.conf.all.rp_filter=0",
            "net.ipv4.conf.default.rp_filter=0",
        ]);
        Ok(ns)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A `Command` that runs `args` inside this namespace (`ip netns exec NAME args...`).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).args(args);
        c
    }

    /// Run `args` in the namespace (bounded); returns the raw output.
    pub fn run(&self, args: &[&str]) -> Result<std::process::Output, String> {
        run_timeout(&mut self.command(args), CMD_TIMEOUT)
    }

    /// Run `args` in the namespace; non-zero exit is an error. Returns stdout.
    pub fn run_ok(&self, args: &[&str]) -> Result<String, String> {
        run_ok(&mut self.command(args), CMD_TIMEOUT)
    }

    /// PIDs of all processes in the namespace.
    pub fn pids(&self) -> Vec<u32> {
        pids_of(&self.name)
    }

    /// Is something bound to UDP `port` in this namespace (any local address)?
    pub fn udp_port_bound(&self, port: u16) -> bool {
        let Ok(out) = self.run(&["ss", "-Hlnu"]) else {
            return false;
        };
        let suffix = format!(":{port}");
        String::from_utf8_lossy(&out.stdout).lines().any(|l| {
            l.split_whitespace()
                .nth(3)
                .is_some_and(|local| local.ends_with(&suffix))
        })
    }

    /// Wait (bounded) until UDP `port` is bound in the namespace.
    pub fn wait_udp_port(&self, port: u16, timeout: Duration) -> bool {
        wait_until(timeout, Duration::from_millis(50), || {
            self.udp_port_bound(port)
        })
    }

    /// `ping` from this namespace; true if all `count` replies arrive.
    pub fn ping(&self, dst: &str, count: u32) -> bool {
        let c = count.to_string();
        self.run(&["ping", "-n", "-q", "-c", &c, "-i", "0.2", "-W", "1", dst])
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    /// Kill every process in the namespace: SIGTERM, wait up to 3 s, then SIGKILL.
    pub fn kill_all(&self) {
        kill_all_in(&self.name);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        kill_all_in(&self.name);
        if let Err(e) = run_ok(
            Command::new("ip").args(["netns", "del", &self.name]),
            CMD_TIMEOUT,
        ) {
            eprintln!("[ibex-e2e] warning: deleting netns {}: {e}", self.name);
        }
    }
}

fn pids_of(ns: &str) -> Vec<u32> {
    run_timeout(Command::new("ip").args(["netns", "pids", ns]), CMD_TIMEOUT)
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn kill_all_in(ns: &str) {
    let pids = pids_of(ns);
    if pids.is_empty() {
        return;
    }
    for p in &pids {
        signal(*p, libc::SIGTERM);
    }
    let gone = wait_until(Duration::from_secs(3), Duration::from_millis(50), || {
        pids_of(ns).iter().all(|p| !pid_alive(*p))
    });
    if !gone {
        for p in pids_of(ns) {
            signal(p, libc::SIGKILL);
        }
        wait_until(Duration::from_secs(2), Duration::from_millis(50), || {
            pids_of(ns).iter().all(|p| !pid_alive(*p))
        });
    }
}

/// Delete namespaces `ibx<pid>-...` whose creating test process no longer exists
/// (left over after a SIGKILLed run). Runs once per process.
pub fn reap_stale() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let Ok(out) = run_timeout(Command::new("ip").args(["netns", "list"]), CMD_TIMEOUT) else {
            return;
        };
        let me = std::process::id();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Some(name) = line.split_whitespace().next() else {
                continue;
            };
            let Some(rest) = name.strip_prefix(NS_PREFIX) else {
                continue;
            };
            let Some((pid, _)) = rest.split_once('-') else {
                continue;
            };
            let Ok(pid) = pid.parse::<u32>() else {
                continue;
            };
            if pid == me || pid_alive(pid) {
                continue;
            }
            eprintln!("[ibex-e2e] reaping stale netns {name} (creator pid {pid} is gone)");
            kill_all_in(name);
            let _ = run_timeout(Command::new("ip").args(["netns", "del", name]), CMD_TIMEOUT);
        }
    });
}

/// The two-namespace topology of one test. Drop order: initiator, then responder (each
/// kills its processes and is deleted; the veth pair goes with them).
#[derive(Debug)]
pub struct Topology {
    /// Client side, 192.0.2.2.
    pub initiator: Netns,
    /// Gateway side, 192.0.2.1, with 10.99.0.1/32 on `lo`.
    pub responder: Netns,
    /// veth name in the initiator namespace.
    pub veth_initiator: String,
    /// veth name in the responder namespace.
    pub veth_responder: String,
}

impl Topology {
    /// Build the topology (panics with the failing command on error).
    pub fn new() -> Topology {
        Self::try_new().unwrap_or_else(|e| panic!("building netns topology: {e}"))
    }

    pub fn try_new() -> Result<Topology, String> {
        reap_stale();
        let n = next_id();
        let pid = std::process::id() % 10_000_000;
        let responder = Netns::create_named(&format!("{NS_PREFIX}{pid}-{n}r"))?;
        let initiator = Netns::create_named(&format!("{NS_PREFIX}{pid}-{n}i"))?;
        let veth_responder = format!("{NS_PREFIX}{pid}v{n}r");
        let veth_initiator = format!("{NS_PREFIX}{pid}v{n}i");
        assert!(veth_responder.len() <= 15 && veth_initiator.len() <= 15);
        // created directly inside the two namespaces: never visible in the root namespace
        run_ok(
            Command::new("ip").args([
                "link",
                "add",
                &veth_responder,
                "netns",
                responder.name(),
                "type",
                "veth",
                "peer",
                "name",
                &veth_initiator,
                "netns",
                initiator.name(),
            ]),
            CMD_TIMEOUT,
        )?;
        let r_addr = format!("{RESPONDER_IP}/{LINK_PREFIX}");
        let i_addr = format!("{INITIATOR_IP}/{LINK_PREFIX}");
        responder.run_ok(&["ip", "addr", "add", &r_addr, "dev", &veth_responder])?;
        responder.run_ok(&["ip", "link", "set", &veth_responder, "up"])?;
        initiator.run_ok(&["ip", "addr", "add", &i_addr, "dev", &veth_initiator])?;
        initiator.run_ok(&["ip", "link", "set", &veth_initiator, "up"])?;
        let lan = format!("{LAN_HOST}/32");
        responder.run_ok(&["ip", "addr", "add", &lan, "dev", "lo"])?;
        let topo = Topology {
            initiator,
            responder,
            veth_initiator,
            veth_responder,
        };
        // the link must work before anything runs over it
        if !wait_until(Duration::from_secs(5), Duration::from_millis(50), || {
            topo.initiator.ping(RESPONDER_IP, 1)
        }) {
            return Err(format!(
                "veth link {} <-> {} does not pass traffic",
                topo.veth_initiator, topo.veth_responder
            ));
        }
        Ok(topo)
    }
}

impl Default for Topology {
    fn default() -> Self {
        Self::new()
    }
}
