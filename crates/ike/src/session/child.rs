//! Child SAs: proposals, traffic-selector narrowing (RFC 7296 2.9), the
//! configuration payload (3.15) and key installation events (2.17).

use std::net::{IpAddr, Ipv4Addr};

use tracing::{debug, info, warn};

use super::init::{find_notify, notify};
use super::{ChildSaInfo, Event, ReceivedConfig, ResponderCtx, Session};
use crate::config::Config;
use crate::crypto::{derive_child_sa_keys, DhPrivate, Secret};
use crate::message::{
    ConfigAttribute, Configuration, KeyExchange, Notify, NotifyType, Payload, ProtocolId,
    TrafficSelector,
};
use crate::proposal::{accept_esp, child_proposal, select_esp, ChildSuite};

/// An installed Child SA.
pub(crate) struct ChildSa {
    pub spi_in: u32,
    pub spi_out: u32,
    pub ts_local: Vec<TrafficSelector>,
    pub ts_remote: Vec<TrafficSelector>,
    /// When it is rekeyed (its lifetime, jittered).
    pub rekey_at: Option<std::time::Instant>,
}

/// Initiator side of a Child SA negotiation in flight.
pub(crate) struct ChildRequest {
    pub spi_in: u32,
    pub ts_i: Vec<TrafficSelector>,
    pub ts_r: Vec<TrafficSelector>,
    pub want_vip: bool,
    /// The virtual address to ask for (reauthentication keeps its address).
    pub requested_vip: Option<Ipv4Addr>,
    /// CREATE_CHILD_SA only: our nonce and PFS key.
    pub nonce: Option<Vec<u8>>,
    pub dh: Option<DhPrivate>,
    /// Inbound SPI of the Child SA this one replaces.
    pub rekey_of: Option<u32>,
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u32::from(a) as u128,
        IpAddr::V6(a) => u128::from(a),
    }
}

fn from_u128(v: u128, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(v.into())
    } else {
        IpAddr::V4(Ipv4Addr::from(v as u32))
    }
}

/// The selector's address range as a prefix, when it is one (any ports and protocol).
pub fn ts_prefix(ts: &TrafficSelector) -> Option<(IpAddr, u8)> {
    if ts.ip_protocol != 0 || ts.start_port != 0 || ts.end_port != 65535 {
        return None;
    }
    let bits = if ts.ts_type == 8 { 128 } else { 32 };
    let (a, b) = (to_u128(ts.start_addr), to_u128(ts.end_addr));
    let host = a ^ b;
    // A prefix: the differing low bits are all ones in `end` and all zeros in `start`.
    if host.count_ones() != 128 - host.leading_zeros() || a & host != 0 {
        return None;
    }
    let len = bits - (128 - host.leading_zeros()) as u8;
    Some((ts.start_addr, len))
}

/// The intersection of two traffic selectors, if not empty.
pub fn intersect(a: &TrafficSelector, b: &TrafficSelector) -> Option<TrafficSelector> {
    if a.ts_type != b.ts_type {
        return None;
    }
    let proto = match (a.ip_protocol, b.ip_protocol) {
        (0, p) | (p, 0) => p,
        (p, q) if p == q => p,
        _ => return None,
    };
    let (sp, ep) = (a.start_port.max(b.start_port), a.end_port.min(b.end_port));
    let (sa, ea) = (
        to_u128(a.start_addr).max(to_u128(b.start_addr)),
        to_u128(a.end_addr).min(to_u128(b.end_addr)),
    );
    if sp > ep || sa > ea {
        return None;
    }
    let v6 = a.ts_type == 8;
    Some(TrafficSelector {
        ts_type: a.ts_type,
        ip_protocol: proto,
        start_port: sp,
        end_port: ep,
        start_addr: from_u128(sa, v6),
        end_addr: from_u128(ea, v6),
    })
}

/// `inner` lies entirely inside `outer`.
pub fn ts_contains(outer: &TrafficSelector, inner: &TrafficSelector) -> bool {
    intersect(outer, inner).is_some_and(|x| &x == inner)
}

/// Responder narrowing: every non-empty intersection of a proposed selector with a policy selector.
pub fn narrow(proposed: &[TrafficSelector], policy: &[TrafficSelector]) -> Vec<TrafficSelector> {
    let mut out = Vec::new();
    for p in proposed {
        for q in policy {
            if let Some(x) = intersect(p, q) {
                if !out.contains(&x) {
                    out.push(x);
                }
            }
        }
    }
    out
}

/// The child-level error notify in a response, as text.
pub(crate) fn child_error(payloads: &[Payload]) -> Option<String> {
    const CHILD_ERRORS: [NotifyType; 6] = [
        NotifyType::NO_PROPOSAL_CHOSEN,
        NotifyType::TS_UNACCEPTABLE,
        NotifyType::SINGLE_PAIR_REQUIRED,
        NotifyType::INTERNAL_ADDRESS_FAILURE,
        NotifyType::FAILED_CP_REQUIRED,
        NotifyType::NO_ADDITIONAL_SAS,
    ];
    payloads.iter().find_map(|p| match p {
        Payload::Notify(n)
            if CHILD_ERRORS.contains(&n.kind)
                || n.kind == NotifyType::TEMPORARY_FAILURE
                || n.kind == NotifyType::CHILD_SA_NOT_FOUND =>
        {
            Some(format!("{:?}", n.kind))
        }
        _ => None,
    })
}

fn sa_proposals(payloads: &[Payload]) -> Option<&Vec<crate::message::Proposal>> {
    payloads.iter().find_map(|p| match p {
        Payload::Sa(s) => Some(s),
        _ => None,
    })
}

fn ts_pair(payloads: &[Payload]) -> Option<(&Vec<TrafficSelector>, &Vec<TrafficSelector>)> {
    let i = payloads.iter().find_map(|p| match p {
        Payload::TsI(t) => Some(t),
        _ => None,
    })?;
    let r = payloads.iter().find_map(|p| match p {
        Payload::TsR(t) => Some(t),
        _ => None,
    })?;
    Some((i, r))
}

fn parse_cp(cp: &Configuration) -> ReceivedConfig {
    let mut rc = ReceivedConfig::default();
    for a in &cp.attributes {
        let v = a.value.as_slice();
        match (a.kind, v.len()) {
            (ConfigAttribute::INTERNAL_IP4_ADDRESS, 4) => rc
                .addresses
                .push((IpAddr::V4(Ipv4Addr::new(v[0], v[1], v[2], v[3])), 32)),
            (ConfigAttribute::INTERNAL_IP6_ADDRESS, 17) => {
                let mut b = [0u8; 16];
                b.copy_from_slice(&v[..16]);
                rc.addresses.push((IpAddr::V6(b.into()), v[16].min(128)));
            }
            (ConfigAttribute::INTERNAL_IP4_DNS, 4) => rc
                .dns
                .push(IpAddr::V4(Ipv4Addr::new(v[0], v[1], v[2], v[3]))),
            (ConfigAttribute::INTERNAL_IP6_DNS, 16) => {
                let mut b = [0u8; 16];
                b.copy_from_slice(v);
                rc.dns.push(IpAddr::V6(b.into()));
            }
            (ConfigAttribute::INTERNAL_IP4_SUBNET, 8) => {
                let mask = u32::from_be_bytes([v[4], v[5], v[6], v[7]]);
                rc.subnets.push((
                    IpAddr::V4(Ipv4Addr::new(v[0], v[1], v[2], v[3])),
                    mask.leading_ones() as u8,
                ));
            }
            (ConfigAttribute::INTERNAL_IP6_SUBNET, 17) => {
                let mut b = [0u8; 16];
                b.copy_from_slice(&v[..16]);
                rc.subnets.push((IpAddr::V6(b.into()), v[16].min(128)));
            }
            _ => {}
        }
    }
    rc
}

impl ChildRequest {
    /// The child payloads of a request: [N(REKEY_SA)], [CP], SA, [Ni, KEi], TSi, TSr.
    pub fn payloads(&self, config: &Config, in_ike_auth: bool) -> Vec<Payload> {
        let mut v = Vec::new();
        if let Some(old) = self.rekey_of {
            v.push(Payload::Notify(Notify {
                protocol: ProtocolId::ESP,
                spi: old.to_be_bytes().to_vec(),
                kind: NotifyType::REKEY_SA,
                data: vec![],
            }));
        }
        if self.want_vip {
            let attrs = vec![
                ConfigAttribute {
                    kind: ConfigAttribute::INTERNAL_IP4_ADDRESS,
                    value: super::reauth::requested_address(self.requested_vip),
                },
                ConfigAttribute {
                    kind: ConfigAttribute::INTERNAL_IP4_DNS,
                    value: vec![],
                },
                ConfigAttribute {
                    kind: ConfigAttribute::INTERNAL_IP6_DNS,
                    value: vec![],
                },
            ];
            v.push(Payload::Cp(Configuration {
                cfg_type: 1,
                attributes: attrs,
            }));
        }
        let pfs = !in_ike_auth && self.dh.is_some();
        let props = config
            .esp_proposals
            .iter()
            .enumerate()
            .map(|(i, p)| p.to_proposal(i as u8 + 1, self.spi_in, pfs))
            .collect();
        v.push(Payload::Sa(props));
        if let Some(n) = &self.nonce {
            v.push(Payload::Nonce(n.clone()));
        }
        if let Some(dh) = &self.dh {
            v.push(Payload::Ke(KeyExchange {
                group: dh.group().id(),
                data: dh.public_value(),
            }));
        }
        v.push(Payload::TsI(self.ts_i.clone()));
        v.push(Payload::TsR(self.ts_r.clone()));
        v
    }
}

impl Session {
    pub(crate) fn new_spi(&mut self) -> u32 {
        loop {
            let b = self.random(4);
            let spi = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            // 1..255 are reserved by IANA (RFC 4303 2.1).
            if spi > 255 && !self.children.iter().any(|c| c.spi_in == spi) {
                return spi;
            }
        }
    }

    /// A request for the first Child SA (in IKE_AUTH).
    pub(crate) fn new_child_request(&mut self, in_ike_auth: bool) -> ChildRequest {
        let spi_in = self.new_spi();
        let want_vip = in_ike_auth && self.config.request_vip;
        let ts_i = if want_vip {
            vec![TrafficSelector::any_v4()]
        } else {
            self.config.local_ts.clone()
        };
        ChildRequest {
            spi_in,
            ts_i,
            ts_r: self.config.remote_ts.clone(),
            want_vip,
            requested_vip: self.requested_vip.filter(|_| want_vip),
            nonce: None,
            dh: None,
            rekey_of: None,
        }
    }

    /// Initiator: completes a Child SA from the response payloads.
    /// `g_ir` is the PFS shared secret, if any. Returns the new inbound SPI.
    pub(crate) fn finish_child_request(
        &mut self,
        req: ChildRequest,
        payloads: &[Payload],
        ni: &[u8],
        nr: &[u8],
        g_ir: Option<Secret>,
    ) -> Option<u32> {
        if req.want_vip {
            if let Some(cp) = payloads.iter().find_map(|p| match p {
                Payload::Cp(c) if c.cfg_type == 2 => Some(c),
                _ => None,
            }) {
                let rc = parse_cp(cp);
                self.note_virtual_ip(&rc.addresses);
                info!(addresses = ?rc.addresses, dns = ?rc.dns, "configuration received");
                self.events.push_back(Event::Config(rc));
            }
        }
        if let Some(e) = child_error(payloads) {
            warn!(error = %e, "Child SA refused by the peer");
            self.events.push_back(Event::ChildFailed(format!(
                "the peer refused the Child SA: {e}"
            )));
            return None;
        }
        let pfs = req.dh.is_some();
        let accepted =
            sa_proposals(payloads).and_then(|sa| accept_esp(&self.config.esp_proposals, sa, pfs));
        let Some((suite, spi_out)) = accepted else {
            self.events.push_back(Event::ChildFailed(
                "the peer chose an ESP proposal we did not offer".into(),
            ));
            return None;
        };
        let Some((ts_i, ts_r)) = ts_pair(payloads) else {
            self.events.push_back(Event::ChildFailed(
                "response without traffic selectors".into(),
            ));
            return None;
        };
        let within = |got: &[TrafficSelector], asked: &[TrafficSelector]| {
            !got.is_empty() && got.iter().all(|g| asked.iter().any(|a| ts_contains(a, g)))
        };
        if !within(ts_i, &req.ts_i) || !within(ts_r, &req.ts_r) {
            self.events.push_back(Event::ChildFailed(
                "the peer widened the traffic selectors".into(),
            ));
            return None;
        }
        if pfs != suite.dh.is_some() {
            self.events
                .push_back(Event::ChildFailed("PFS mismatch".into()));
            return None;
        }
        let (ts_local, ts_remote) = (ts_i.clone(), ts_r.clone());
        self.install_child(
            true,
            req.spi_in,
            spi_out,
            suite,
            ts_local,
            ts_remote,
            ni,
            nr,
            g_ir.as_ref(),
            req.rekey_of,
        );
        Some(req.spi_in)
    }

    /// Derives keys, records the Child SA and emits it. `exchange_initiator`:
    /// we initiated the exchange that created it (RFC 7296 2.17 key order).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn install_child(
        &mut self,
        exchange_initiator: bool,
        spi_in: u32,
        spi_out: u32,
        suite: ChildSuite,
        ts_local: Vec<TrafficSelector>,
        ts_remote: Vec<TrafficSelector>,
        ni: &[u8],
        nr: &[u8],
        g_ir: Option<&Secret>,
        replaces: Option<u32>,
    ) {
        let Some(sa) = self.sa.as_ref() else { return };
        let k = derive_child_sa_keys(
            sa.suite.prf,
            &sa.keys.sk_d,
            g_ir,
            ni,
            nr,
            suite.encr,
            suite.integ,
        );
        let (encr_out, integ_out, encr_in, integ_in) = if exchange_initiator {
            (k.encr_i, k.integ_i, k.encr_r, k.integ_r)
        } else {
            (k.encr_r, k.integ_r, k.encr_i, k.integ_i)
        };
        if self.config.keylog {
            let v6 = self.remote.is_ipv6();
            for (spi, e, i) in [
                (spi_in, &encr_in, &integ_in),
                (spi_out, &encr_out, &integ_out),
            ] {
                let line = crate::keylog::esp_line(
                    v6,
                    spi,
                    suite.encr,
                    e.expose(),
                    suite.integ,
                    i.expose(),
                );
                self.events.push_back(Event::KeyLog(line));
            }
        }
        info!(spi_in = format_args!("{spi_in:08x}"), spi_out = format_args!("{spi_out:08x}"), suite = %suite.name(), "Child SA established");
        let rekey_at = self.child_rekey_at(self.clock);
        self.children.push(ChildSa {
            spi_in,
            spi_out,
            ts_local: ts_local.clone(),
            ts_remote: ts_remote.clone(),
            rekey_at,
        });
        self.events.push_back(Event::ChildUp(ChildSaInfo {
            spi_in,
            spi_out,
            suite,
            encr_in,
            integ_in,
            encr_out,
            integ_out,
            ts_local,
            ts_remote,
            encap: self.nat_local || self.nat_remote,
            replaces,
            initiated: exchange_initiator,
        }));
    }

    /// Responder: negotiates a Child SA from request payloads; returns the
    /// response's child payloads (or an error notify).
    pub(crate) fn respond_child(
        &mut self,
        payloads: &[Payload],
        ni: &[u8],
        nr: &[u8],
        ctx: Option<&mut ResponderCtx<'_>>,
        in_ike_auth: bool,
    ) -> Vec<Payload> {
        let ke_in = if in_ike_auth {
            None
        } else {
            payloads.iter().find_map(|p| match p {
                Payload::Ke(k) => Some(k.clone()),
                _ => None,
            })
        };
        let mut out = Vec::new();
        let mut vip: Option<Ipv4Addr> = None;
        let cp_request = payloads.iter().find_map(|p| match p {
            Payload::Cp(c) if c.cfg_type == 1 => Some(c),
            _ => None,
        });
        if let (true, Some(cp)) = (in_ike_auth, cp_request) {
            let wants_v4 = cp
                .attributes
                .iter()
                .any(|a| a.kind == ConfigAttribute::INTERNAL_IP4_ADDRESS);
            if wants_v4 {
                let addr = match ctx {
                    Some(ctx) => {
                        let peer = self.peer_id.clone();
                        peer.and_then(|p| ctx.pool.allocate(&p))
                            .map(|a| (a, ctx.config.dns.clone()))
                    }
                    None => None,
                };
                let Some((addr, dns)) = addr else {
                    warn!("no virtual address available for the peer");
                    return vec![notify(NotifyType::INTERNAL_ADDRESS_FAILURE, vec![])];
                };
                vip = Some(addr);
                self.leased = true;
                let mut attrs = vec![ConfigAttribute {
                    kind: ConfigAttribute::INTERNAL_IP4_ADDRESS,
                    value: addr.octets().to_vec(),
                }];
                for d in dns {
                    match d {
                        IpAddr::V4(a) => attrs.push(ConfigAttribute {
                            kind: ConfigAttribute::INTERNAL_IP4_DNS,
                            value: a.octets().to_vec(),
                        }),
                        IpAddr::V6(a) => attrs.push(ConfigAttribute {
                            kind: ConfigAttribute::INTERNAL_IP6_DNS,
                            value: a.octets().to_vec(),
                        }),
                    }
                }
                // The protected IPv4 networks behind us (RFC 7296 3.15.2).
                for ts in &self.config.local_ts {
                    if let Some((IpAddr::V4(net), len)) = ts_prefix(ts) {
                        let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
                        let mut value = net.octets().to_vec();
                        value.extend_from_slice(&mask.to_be_bytes());
                        attrs.push(ConfigAttribute {
                            kind: ConfigAttribute::INTERNAL_IP4_SUBNET,
                            value,
                        });
                    }
                }
                out.push(Payload::Cp(Configuration {
                    cfg_type: 2,
                    attributes: attrs,
                }));
            }
        }
        let Some(sa) = sa_proposals(payloads) else {
            return vec![notify(NotifyType::INVALID_SYNTAX, vec![])];
        };
        let pfs_group = ke_in
            .as_ref()
            .and_then(|k| crate::crypto::DhGroup::from_id(k.group));
        let Some((suite, spi_out, _)) =
            select_esp(&self.config.esp_proposals, sa, pfs_group, in_ike_auth)
        else {
            debug!("no acceptable ESP proposal");
            return vec![notify(NotifyType::NO_PROPOSAL_CHOSEN, vec![])];
        };
        let mut g_ir = None;
        let mut ke_out = None;
        if let Some(group) = suite.dh {
            match &ke_in {
                Some(k) if Some(group) == pfs_group => {
                    let dh = self.new_dh(group);
                    match dh.shared_secret(&k.data) {
                        Ok(g) => g_ir = Some(g),
                        Err(_) => return vec![notify(NotifyType::INVALID_SYNTAX, vec![])],
                    }
                    ke_out = Some(Payload::Ke(KeyExchange {
                        group: group.id(),
                        data: dh.public_value(),
                    }));
                }
                _ => {
                    return vec![notify(
                        NotifyType::INVALID_KE_PAYLOAD,
                        group.id().to_be_bytes().to_vec(),
                    )]
                }
            }
        }
        let Some((ts_i, ts_r)) = ts_pair(payloads) else {
            return vec![notify(NotifyType::TS_UNACCEPTABLE, vec![])];
        };
        let remote_policy = match vip {
            Some(a) => vec![TrafficSelector::from_prefix(IpAddr::V4(a), 32)],
            None => self.config.remote_ts.clone(),
        };
        let (ni_ts, nr_ts) = (
            narrow(ts_i, &remote_policy),
            narrow(ts_r, &self.config.local_ts),
        );
        if ni_ts.is_empty() || nr_ts.is_empty() {
            return vec![notify(NotifyType::TS_UNACCEPTABLE, vec![])];
        }
        let spi_in = self.new_spi();
        out.push(Payload::Sa(vec![child_proposal(
            sa.iter()
                .find(|p| p.spi == spi_out.to_be_bytes())
                .map_or(1, |p| p.num),
            spi_in,
            &suite,
        )]));
        out.extend(ke_out);
        out.push(Payload::TsI(ni_ts.clone()));
        out.push(Payload::TsR(nr_ts.clone()));
        let rekey_of = find_notify(payloads, NotifyType::REKEY_SA)
            .and_then(|n| <[u8; 4]>::try_from(n.spi.as_slice()).ok())
            .map(u32::from_be_bytes);
        let replaces = rekey_of.and_then(|out_spi| {
            self.children
                .iter()
                .find(|c| c.spi_out == out_spi)
                .map(|c| c.spi_in)
        });
        self.install_child(
            false,
            spi_in,
            spi_out,
            suite,
            nr_ts,
            ni_ts,
            ni,
            nr,
            g_ir.as_ref(),
            replaces,
        );
        out
    }
}
