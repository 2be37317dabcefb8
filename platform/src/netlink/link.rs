//! Link lookups, interface addresses and link deletion over rtnetlink.

use std::net::IpAddr;

use futures_util::TryStreamExt;
use rtnetlink::packet_route::link::{InfoKind, LinkAttribute, LinkFlags, LinkInfo, LinkMessage};

use super::{errno, nl_error, Netlink, EADDRNOTAVAIL, EEXIST, ENODEV};
use crate::error::Result;

/// What we need to know about one network interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinkState {
    /// Interface index.
    pub index: u32,
    /// Interface name.
    pub name: String,
    /// A TUN device (`kind tun`).
    pub is_tun: bool,
    /// Administratively up and with carrier (`IFF_UP` and `IFF_LOWER_UP`).
    pub up: bool,
}

impl LinkState {
    /// Summarize a `RTM_NEWLINK` message.
    pub(crate) fn from_message(msg: &LinkMessage) -> LinkState {
        let mut name = String::new();
        let mut is_tun = false;
        for attr in &msg.attributes {
            match attr {
                LinkAttribute::IfName(n) => name.clone_from(n),
                LinkAttribute::LinkInfo(infos) => {
                    is_tun |= infos
                        .iter()
                        .any(|i| matches!(i, LinkInfo::Kind(InfoKind::Tun)));
                }
                _ => {}
            }
        }
        let flags = msg.header.flags;
        LinkState {
            index: msg.header.index,
            name,
            is_tun,
            up: flags.contains(LinkFlags::Up) && flags.contains(LinkFlags::LowerUp),
        }
    }
}

impl Netlink {
    /// The interface named `name`, or `None` if there is none.
    pub(crate) async fn link_by_name(&self, name: &str) -> Result<Option<LinkState>> {
        let req = self.handle().link().get().match_name(name).execute();
        Self::first_link(req, format!("look up interface {name}")).await
    }

    /// The interface with index `index`, or `None` if there is none.
    pub(crate) async fn link_by_index(&self, index: u32) -> Result<Option<LinkState>> {
        let req = self.handle().link().get().match_index(index).execute();
        Self::first_link(req, format!("look up interface #{index}")).await
    }

    async fn first_link(
        mut stream: impl futures_util::Stream<Item = Result<LinkMessage, rtnetlink::Error>> + Unpin,
        op: String,
    ) -> Result<Option<LinkState>> {
        match stream.try_next().await {
            Ok(Some(msg)) => Ok(Some(LinkState::from_message(&msg))),
            Ok(None) => Ok(None),
            Err(e) if errno(&e) == Some(ENODEV) => Ok(None),
            Err(e) => Err(nl_error(op, e)),
        }
    }

    /// Add `addr/len` to interface `index` (an existing identical address is fine).
    pub(crate) async fn add_address(&self, index: u32, addr: IpAddr, len: u8) -> Result<()> {
        match self
            .handle()
            .address()
            .add(index, addr, len)
            .execute()
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if errno(&e) == Some(EEXIST) => Ok(()),
            Err(e) => Err(nl_error(
                format!("add address {addr}/{len} to interface #{index}"),
                e,
            )),
        }
    }

    /// Remove `addr/len` from interface `index` (an absent address is fine).
    pub(crate) async fn del_address(&self, index: u32, addr: IpAddr, len: u8) -> Result<()> {
        let op = || format!("remove address {addr}/{len} from interface #{index}");
        let mut found = self
            .handle()
            .address()
            .get()
            .set_link_index_filter(index)
            .set_address_filter(addr)
            .set_prefix_length_filter(len)
            .execute();
        let mut msgs = Vec::new();
        while let Some(m) = found.try_next().await.map_err(|e| nl_error(op(), e))? {
            msgs.push(m);
        }
        for m in msgs {
            match self.handle().address().del(m).execute().await {
                Ok(()) => {}
                Err(e) if errno(&e) == Some(EADDRNOTAVAIL) => {}
                Err(e) => return Err(nl_error(op(), e)),
            }
        }
        Ok(())
    }

    /// Delete interface `index`; `Ok(false)` if it was already gone.
    pub(crate) async fn delete_link(&self, index: u32) -> Result<bool> {
        match self.handle().link().del(index).execute().await {
            Ok(()) => Ok(true),
            Err(e) if errno(&e) == Some(ENODEV) => Ok(false),
            Err(e) => Err(nl_error(format!("delete interface #{index}"), e)),
        }
    }
}
