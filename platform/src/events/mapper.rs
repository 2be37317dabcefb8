//! Turning rtnetlink notifications into [`NetEvent`]s. Link notifications repeat
//! for every attribute change, so link state is tracked per index and only
//! transitions are reported.

use std::collections::HashMap;
use std::net::IpAddr;

use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage};
use rtnetlink::packet_route::RouteNetlinkMessage;

use super::NetEvent;
use crate::netlink::link::LinkState;

/// Per-link up/down memory.
#[derive(Debug, Default)]
pub(crate) struct EventMapper {
    up: HashMap<u32, bool>,
}

impl EventMapper {
    /// Remember a link's state without reporting it.
    pub(crate) fn seed(&mut self, link: &LinkState) {
        self.up.insert(link.index, link.up);
    }

    /// The events one notification means (none, or one).
    pub(crate) fn map(&mut self, msg: RouteNetlinkMessage) -> Option<NetEvent> {
        match msg {
            RouteNetlinkMessage::NewLink(m) => self.link(LinkState::from_message(&m)),
            RouteNetlinkMessage::DelLink(m) => {
                let link = LinkState::from_message(&m);
                self.up.remove(&link.index);
                Some(NetEvent::LinkDown {
                    index: link.index,
                    name: link.name,
                })
            }
            RouteNetlinkMessage::NewAddress(m) => {
                address(&m).map(|(index, addr, prefix_len)| NetEvent::AddressAdded {
                    index,
                    addr,
                    prefix_len,
                })
            }
            RouteNetlinkMessage::DelAddress(m) => {
                address(&m).map(|(index, addr, prefix_len)| NetEvent::AddressRemoved {
                    index,
                    addr,
                    prefix_len,
                })
            }
            RouteNetlinkMessage::NewRoute(_) | RouteNetlinkMessage::DelRoute(_) => {
                Some(NetEvent::RouteChanged)
            }
            _ => None,
        }
    }

    fn link(&mut self, link: LinkState) -> Option<NetEvent> {
        if self.up.insert(link.index, link.up) == Some(link.up) {
            return None;
        }
        let LinkState {
            index, name, up, ..
        } = link;
        Some(if up {
            NetEvent::LinkUp { index, name }
        } else {
            NetEvent::LinkDown { index, name }
        })
    }
}

/// Index, address and prefix length of an address notification. IPv4 reports
/// the local address in `IFA_LOCAL` (`IFA_ADDRESS` is the peer on point-to-point
/// links); IPv6 only has `IFA_ADDRESS`.
fn address(m: &AddressMessage) -> Option<(u32, IpAddr, u8)> {
    let mut local = None;
    let mut address = None;
    for attr in &m.attributes {
        match attr {
            AddressAttribute::Local(a) => local = Some(*a),
            AddressAttribute::Address(a) => address = Some(*a),
            _ => {}
        }
    }
    local
        .or(address)
        .map(|a| (m.header.index, a, m.header.prefix_len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtnetlink::packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};

    fn link_msg(index: u32, name: &str, up: bool) -> RouteNetlinkMessage {
        let mut m = LinkMessage::default();
        m.header.index = index;
        if up {
            m.header.flags = LinkFlags::Up | LinkFlags::LowerUp | LinkFlags::Running;
        }
        m.attributes.push(LinkAttribute::IfName(name.into()));
        RouteNetlinkMessage::NewLink(m)
    }

    #[test]
    fn link_events_only_on_transitions() {
        let mut m = EventMapper::default();
        m.seed(&LinkState {
            index: 3,
            name: "veth0".into(),
            is_tun: false,
            up: true,
        });
        assert_eq!(m.map(link_msg(3, "veth0", true)), None);
        assert_eq!(
            m.map(link_msg(3, "veth0", false)),
            Some(NetEvent::LinkDown {
                index: 3,
                name: "veth0".into()
            })
        );
        assert_eq!(m.map(link_msg(3, "veth0", false)), None);
        assert_eq!(
            m.map(link_msg(3, "veth0", true)),
            Some(NetEvent::LinkUp {
                index: 3,
                name: "veth0".into()
            })
        );
    }

    #[test]
    fn address_prefers_local() {
        let mut msg = AddressMessage::default();
        msg.header.index = 5;
        msg.header.prefix_len = 32;
        msg.attributes.push(AddressAttribute::Address(
            "203.0.113.1".parse().expect("ip"),
        ));
        msg.attributes
            .push(AddressAttribute::Local("10.99.0.2".parse().expect("ip")));
        let mut m = EventMapper::default();
        assert_eq!(
            m.map(RouteNetlinkMessage::NewAddress(msg)),
            Some(NetEvent::AddressAdded {
                index: 5,
                addr: "10.99.0.2".parse().expect("ip"),
                prefix_len: 32
            })
        );
    }
}
