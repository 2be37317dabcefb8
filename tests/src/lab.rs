//! The four-node tunnel topology: a client behind a NAT router, the gateway,
//! and a host on the gateway's LAN.
//!
//! ```text
//!  client                 nat (masquerade)                  gw                      lan
//!  c0 198.51.100.2/24 ── n0 198.51.100.1 | n1 192.0.2.3 ── g0 192.0.2.1/24
//!  default via .1                                          g1 10.99.0.1/24 ── l0 10.99.0.2/24
//!                                                                               default via 10.99.0.1
//! ```
//! The gateway has no route to 198.51.100.0/24 and drops cleartext forwarding
//! between its uplink and the LAN, so the client reaches 10.99.0.2 only through
//! the tunnel. Without `nat`, the client sits directly on 192.0.2.0/24
//! (192.0.2.2) and the nat namespace is not created. Everything is deleted on
//! drop (processes first), also when a test fails.

use std::time::Duration;

use crate::netns::{next_id, Netns, NS_PREFIX};
use crate::wait_until;

/// The gateway's outer address.
pub const GW_IP: &str = "192.0.2.1";
/// The LAN host behind the gateway.
pub const LAN_HOST: &str = "10.99.0.2";
/// The gateway's LAN address.
pub const GW_LAN_IP: &str = "10.99.0.1";
/// Virtual IPs the gateway hands out.
pub const VIP_POOL: &str = "10.99.10.0/24";

/// One lab; fields drop in declaration order.
#[derive(Debug)]
pub struct Lab {
    /// The client (where ibexd or a strongSwan client runs).
    pub client: Netns,
    /// The NAT router, when asked for.
    pub nat: Option<Netns>,
    /// The gateway.
    pub gw: Netns,
    /// The host on the gateway's LAN.
    pub lan: Netns,
    /// The client's uplink interface.
    pub client_if: String,
    /// The gateway's uplink and LAN interfaces.
    pub gw_if: String,
    /// The gateway's LAN interface.
    pub gw_lan_if: String,
    /// Routers added later (a second uplink's).
    routers: std::sync::Mutex<Vec<Netns>>,
}

fn veth(a: &Netns, a_if: &str, b: &Netns, b_if: &str) -> Result<(), String> {
    crate::run_ok(
        std::process::Command::new("ip").args([
            "link",
            "add",
            a_if,
            "netns",
            a.name(),
            "type",
            "veth",
            "peer",
            "name",
            b_if,
            "netns",
            b.name(),
        ]),
        Duration::from_secs(15),
    )?;
    a.run_ok(&["ip", "link", "set", a_if, "up"])?;
    b.run_ok(&["ip", "link", "set", b_if, "up"])?;
    Ok(())
}

impl Lab {
    /// Builds the lab (with the NAT router when `nat`), or panics saying which step failed.
    pub fn new(nat: bool) -> Lab {
        Self::try_new(nat).unwrap_or_else(|e| panic!("building the tunnel lab: {e}"))
    }

    /// Builds the lab.
    pub fn try_new(nat: bool) -> Result<Lab, String> {
        crate::netns::reap_stale();
        let n = next_id();
        let pid = std::process::id() % 10_000_000;
        let name = |t: &str| format!("{NS_PREFIX}{pid}-{n}{t}");
        let ifn = |t: &str| format!("{NS_PREFIX}{pid}{t}{n}");
        let gw = Netns::create_named(&name("g"))?;
        let lan = Netns::create_named(&name("l"))?;
        let client = Netns::create_named(&name("c"))?;
        let nat_ns = if nat {
            Some(Netns::create_named(&name("n"))?)
        } else {
            None
        };
        let (client_if, gw_if, gw_lan_if) = (ifn("c"), ifn("g"), ifn("h"));
        for i in [&client_if, &gw_if, &gw_lan_if] {
            assert!(i.len() <= 15, "interface name {i} too long");
        }
        let lab = Lab {
            client,
            nat: nat_ns,
            gw,
            lan,
            client_if,
            gw_if,
            gw_lan_if,
            routers: Default::default(),
        };
        // gateway <-> LAN
        let lan_if = ifn("l");
        veth(&lab.gw, &lab.gw_lan_if, &lab.lan, &lan_if)?;
        lab.gw
            .run_ok(&["ip", "addr", "add", "10.99.0.1/24", "dev", &lab.gw_lan_if])?;
        lab.lan
            .run_ok(&["ip", "addr", "add", "10.99.0.2/24", "dev", &lan_if])?;
        lab.lan
            .run_ok(&["ip", "route", "add", "default", "via", GW_LAN_IP])?;
        lab.gw.run_ok(&["sysctl", "-qw", "net.ipv4.ip_forward=1"])?;
        // No cleartext forwarding between the uplink and the LAN: only decrypted
        // traffic (from the gateway's TUN) may reach the LAN.
        let (u, l) = (lab.gw_if.as_str(), lab.gw_lan_if.as_str());
        lab.gw.run_ok(&["nft", "add", "table", "inet", "ibexlab"])?;
        lab.gw.run_ok(&[
            "nft",
            "add",
            "chain",
            "inet",
            "ibexlab",
            "forward_filter",
            "{ type filter hook forward priority 0; policy accept; }",
        ])?;
        lab.gw_drops_cleartext(u, l)?;
        match &lab.nat {
            Some(natns) => {
                let (n_in, n_out) = (ifn("i"), ifn("o"));
                veth(&lab.client, &lab.client_if, natns, &n_in)?;
                veth(natns, &n_out, &lab.gw, &lab.gw_if)?;
                lab.client.run_ok(&[
                    "ip",
                    "addr",
                    "add",
                    "198.51.100.2/24",
                    "dev",
                    &lab.client_if,
                ])?;
                lab.client
                    .run_ok(&["ip", "route", "add", "default", "via", "198.51.100.1"])?;
                natns.run_ok(&["ip", "addr", "add", "198.51.100.1/24", "dev", &n_in])?;
                natns.run_ok(&["ip", "addr", "add", "192.0.2.3/24", "dev", &n_out])?;
                natns.run_ok(&["sysctl", "-qw", "net.ipv4.ip_forward=1"])?;
                natns.run_ok(&["nft", "add", "table", "ip", "ibexnat"])?;
                natns.run_ok(&[
                    "nft",
                    "add",
                    "chain",
                    "ip",
                    "ibexnat",
                    "post",
                    "{ type nat hook postrouting priority 100; }",
                ])?;
                // Remap source ports, as home routers do, so NAT detection sees a change.
                natns.run_ok(&[
                    "nft",
                    "add",
                    "rule",
                    "ip",
                    "ibexnat",
                    "post",
                    "oifname",
                    &n_out,
                    "meta",
                    "l4proto",
                    "udp",
                    "masquerade",
                    "to",
                    ":20000-29999",
                ])?;
                natns.run_ok(&[
                    "nft",
                    "add",
                    "rule",
                    "ip",
                    "ibexnat",
                    "post",
                    "oifname",
                    &n_out,
                    "masquerade",
                ])?;
                lab.gw
                    .run_ok(&["ip", "addr", "add", "192.0.2.1/24", "dev", &lab.gw_if])?;
            }
            None => {
                veth(&lab.client, &lab.client_if, &lab.gw, &lab.gw_if)?;
                lab.client
                    .run_ok(&["ip", "addr", "add", "192.0.2.2/24", "dev", &lab.client_if])?;
                lab.gw
                    .run_ok(&["ip", "addr", "add", "192.0.2.1/24", "dev", &lab.gw_if])?;
            }
        }
        if !wait_until(Duration::from_secs(5), Duration::from_millis(50), || {
            lab.client.ping(GW_IP, 1)
        }) {
            return Err("the client cannot reach the gateway's outer address".into());
        }
        if lab.client.ping(LAN_HOST, 1) {
            return Err("the LAN host is reachable without a tunnel: the lab leaks".into());
        }
        Ok(lab)
    }

    /// Gives the client a second uplink, straight to the gateway on
    /// 203.0.113.0/24 (client .2, gateway .1), with a default route of
    /// higher metric (200) than the first: it carries traffic only once the
    /// first uplink is gone. The gateway forwards no cleartext between it and
    /// the LAN either. Returns the client's interface name.
    pub fn add_second_uplink(&self) -> Result<String, String> {
        let suffix = self.client_if.trim_start_matches(NS_PREFIX);
        let (c2, g2) = (
            format!("{NS_PREFIX}{suffix}2"),
            format!("{NS_PREFIX}{}2", self.gw_if.trim_start_matches(NS_PREFIX)),
        );
        if c2.len() > 15 || g2.len() > 15 {
            return Err(format!("interface names {c2}/{g2} too long"));
        }
        veth(&self.client, &c2, &self.gw, &g2)?;
        self.client
            .run_ok(&["ip", "addr", "add", "203.0.113.2/24", "dev", &c2])?;
        self.gw
            .run_ok(&["ip", "addr", "add", "203.0.113.1/24", "dev", &g2])?;
        self.client.run_ok(&[
            "ip",
            "route",
            "add",
            "default",
            "via",
            "203.0.113.1",
            "metric",
            "200",
        ])?;
        self.gw_drops_cleartext(&g2, &self.gw_lan_if)?;
        Ok(c2)
    }

    /// Gives the client an IPv6-only uplink straight to the gateway on
    /// 2001:db8:2::/64 (client ::2, gateway ::1; no duplicate address
    /// detection, so the addresses work at once), with the client's only
    /// IPv6 default route. The gateway forwards no cleartext between it and
    /// the LAN. Returns the client's interface name.
    pub fn add_ipv6_uplink(&self) -> Result<String, String> {
        let suffix = self.client_if.trim_start_matches(NS_PREFIX);
        let (c6, g6) = (
            format!("{NS_PREFIX}{suffix}6"),
            format!("{NS_PREFIX}{}6", self.gw_if.trim_start_matches(NS_PREFIX)),
        );
        if c6.len() > 15 || g6.len() > 15 {
            return Err(format!("interface names {c6}/{g6} too long"));
        }
        for ns in [&self.client, &self.gw] {
            ns.run_ok(&["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0"])?;
            ns.run_ok(&["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=0"])?;
        }
        veth(&self.client, &c6, &self.gw, &g6)?;
        self.client
            .run_ok(&["ip", "addr", "add", "2001:db8:2::2/64", "dev", &c6, "nodad"])?;
        self.gw
            .run_ok(&["ip", "addr", "add", "2001:db8:2::1/64", "dev", &g6, "nodad"])?;
        self.client.run_ok(&[
            "ip",
            "-6",
            "route",
            "add",
            "default",
            "via",
            "2001:db8:2::1",
        ])?;
        self.gw_drops_cleartext(&g6, &self.gw_lan_if)?;
        if !wait_until(Duration::from_secs(5), Duration::from_millis(50), || {
            self.client
                .run_ok(&["ping", "-6", "-c1", "-W1", "2001:db8:2::1"])
                .is_ok()
        }) {
            return Err("the client cannot reach the gateway over IPv6".into());
        }
        Ok(c6)
    }

    /// Gives the client a second uplink through a second router that
    /// masquerades like the first (another home or mobile network): client
    /// 203.0.113.2/24, router 203.0.113.1 and 198.51.100.129/25, gateway
    /// 198.51.100.130/25. Its default route has a higher metric (200) than
    /// the first: it carries traffic only once the first uplink is gone.
    /// The gateway forwards no cleartext between it and the LAN. Returns
    /// the client's interface name.
    pub fn add_second_uplink_via_router(&self) -> Result<String, String> {
        let suffix = self.client_if.trim_start_matches(NS_PREFIX).to_string();
        let name = |t: &str| format!("{NS_PREFIX}{suffix}{t}");
        let (c2, r_in, r_out, g2) = (name("2"), name("ri"), name("ro"), name("g2"));
        if [&c2, &r_in, &r_out, &g2].iter().any(|n| n.len() > 15) {
            return Err(format!("interface names for {suffix} too long"));
        }
        let router = Netns::create_named(&format!("{}r", self.client.name()))?;
        veth(&self.client, &c2, &router, &r_in)?;
        veth(&router, &r_out, &self.gw, &g2)?;
        self.client
            .run_ok(&["ip", "addr", "add", "203.0.113.2/24", "dev", &c2])?;
        router.run_ok(&["ip", "addr", "add", "203.0.113.1/24", "dev", &r_in])?;
        router.run_ok(&["ip", "addr", "add", "198.51.100.129/25", "dev", &r_out])?;
        self.gw
            .run_ok(&["ip", "addr", "add", "198.51.100.130/25", "dev", &g2])?;
        router.run_ok(&["ip", "route", "add", "default", "via", "198.51.100.130"])?;
        router.run_ok(&["sysctl", "-qw", "net.ipv4.ip_forward=1"])?;
        router.run_ok(&["nft", "add", "table", "ip", "ibexnat"])?;
        router.run_ok(&[
            "nft",
            "add",
            "chain",
            "ip",
            "ibexnat",
            "post",
            "{ type nat hook postrouting priority 100; }",
        ])?;
        router.run_ok(&[
            "nft",
            "add",
            "rule",
            "ip",
            "ibexnat",
            "post",
            "oifname",
            &r_out,
            "masquerade",
        ])?;
        self.client.run_ok(&[
            "ip",
            "route",
            "add",
            "default",
            "via",
            "203.0.113.1",
            "metric",
            "200",
        ])?;
        self.gw_drops_cleartext(&g2, &self.gw_lan_if)?;
        self.routers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(router);
        Ok(c2)
    }

    /// A second gateway's namespace on the NAT router's far side, on
    /// 203.0.113.0/24 (router .1, gateway .9; the router masquerades toward
    /// it too), with 10.99.0.2 on its loopback standing in for the LAN host
    /// behind it. Needs the NAT lab; the caller owns the namespace
    /// (drop processes in it first).
    pub fn add_second_gateway(&self) -> Result<Netns, String> {
        let nat = self
            .nat
            .as_ref()
            .ok_or("the second gateway needs the NAT lab")?;
        let suffix = self.client_if.trim_start_matches(NS_PREFIX).to_string();
        let (n9, g9) = (
            format!("{NS_PREFIX}{suffix}n9"),
            format!("{NS_PREFIX}{suffix}g9"),
        );
        if n9.len() > 15 || g9.len() > 15 {
            return Err(format!("interface names for {suffix} too long"));
        }
        let gw2 = Netns::create_named(&format!("{}g2", self.client.name()))?;
        veth(nat, &n9, &gw2, &g9)?;
        nat.run_ok(&["ip", "addr", "add", "203.0.113.1/24", "dev", &n9])?;
        nat.run_ok(&[
            "nft",
            "add",
            "rule",
            "ip",
            "ibexnat",
            "post",
            "oifname",
            &n9,
            "masquerade",
        ])?;
        gw2.run_ok(&["ip", "addr", "add", "203.0.113.9/24", "dev", &g9])?;
        gw2.run_ok(&["ip", "route", "add", "default", "via", "203.0.113.1"])?;
        gw2.run_ok(&["ip", "addr", "add", "10.99.0.2/32", "dev", "lo"])?;
        if !wait_until(Duration::from_secs(5), Duration::from_millis(50), || {
            self.client.ping("203.0.113.9", 1)
        }) {
            return Err("the client cannot reach the second gateway".into());
        }
        Ok(gw2)
    }

    /// The NAT router's UDP mappings towards the gateway's port 4500, as
    /// `conntrack -L` shows them (one line each); empty without a NAT.
    pub fn nat_mappings(&self) -> Result<String, String> {
        match &self.nat {
            Some(n) => n.run_ok(&["conntrack", "-L", "-p", "udp", "--dport", "4500"]),
            None => Ok(String::new()),
        }
    }

    /// Makes the NAT router forget every mapping (`conntrack -F`) and
    /// masquerade UDP to `ports` (e.g. `"40000-49999"`) from now on, so the
    /// client's next packet gets a mapping it never had: what a rebooted or
    /// overloaded home router does. Errors without a NAT router.
    pub fn remap_nat(&self, ports: &str) -> Result<(), String> {
        let natns = self.nat.as_ref().ok_or("this lab has no NAT router")?;
        let n_out = natns
            .run_ok(&["ip", "-o", "addr", "show", "to", "192.0.2.3"])?
            .split_whitespace()
            .nth(1)
            .ok_or("the NAT router has no outside interface")?
            .to_string();
        // One transaction: no packet ever sees the chain without its rules.
        let rules = format!(
            "flush chain ip ibexnat post\n\
             add rule ip ibexnat post oifname {n_out} meta l4proto udp masquerade to :{ports}\n\
             add rule ip ibexnat post oifname {n_out} masquerade\n"
        );
        let mut nft = natns
            .command(&["nft", "-f", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("nft: {e}"))?;
        {
            use std::io::Write;
            let mut stdin = nft.stdin.take().ok_or("nft: no stdin")?;
            stdin
                .write_all(rules.as_bytes())
                .map_err(|e| format!("nft: {e}"))?;
        }
        let out = nft.wait_with_output().map_err(|e| format!("nft: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "nft: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        natns.run_ok(&["conntrack", "-F"])?;
        Ok(())
    }

    /// The gateway forwards no cleartext between its interfaces `a` and `b`
    /// (either way): only decrypted traffic, from its TUN, reaches the LAN.
    fn gw_drops_cleartext(&self, a: &str, b: &str) -> Result<(), String> {
        for (i, o) in [(a, b), (b, a)] {
            self.gw.run_ok(&[
                "nft",
                "add",
                "rule",
                "inet",
                "ibexlab",
                "forward_filter",
                "iifname",
                i,
                "oifname",
                o,
                "drop",
            ])?;
        }
        Ok(())
    }

    /// The client's address as the gateway sees it without a tunnel.
    pub fn client_outer_ip(&self) -> &'static str {
        if self.nat.is_some() {
            "192.0.2.3"
        } else {
            "192.0.2.2"
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // Processes in every namespace first, so nothing sends into a half-deleted lab.
        self.client.kill_all();
        if let Some(n) = &self.nat {
            n.kill_all();
        }
        self.gw.kill_all();
        self.lan.kill_all();
        for r in self
            .routers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            r.kill_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prereq::{require, Prereq};

    #[test]
    fn lab_isolates_the_lan_and_nats_the_client() {
        if !require(&[Prereq::Root, Prereq::Netns]) {
            return;
        }
        for nat in [false, true] {
            let lab = Lab::new(nat);
            // try_new proved: client -> gw works, client -> LAN does not.
            assert!(lab.lan.ping(GW_LAN_IP, 1), "LAN host reaches the gateway");
            if nat {
                // The gateway has no route back to the client's real network.
                assert!(!lab.gw.ping("198.51.100.2", 1));
            }
            let name = lab.client.name().to_string();
            drop(lab);
            let list = crate::run_ok(
                std::process::Command::new("ip").args(["netns", "list"]),
                Duration::from_secs(5),
            )
            .unwrap();
            assert!(!list.contains(&name), "namespaces removed on drop");
        }
    }
}
