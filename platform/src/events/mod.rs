//! Link, address and route change events from rtnetlink multicast (Linux):
//! what the daemon watches to notice a lost uplink, a new local address
//! (MOBIKE) or a changed path to the gateway.

mod mapper;

use std::net::IpAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{StreamExt, TryStreamExt};
use rtnetlink::MulticastGroup;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::error::{PlatformError, Result};
use crate::netlink::{link::LinkState, nl_error};
use mapper::EventMapper;

/// How many events may wait for the consumer before the reader waits for it.
const QUEUE: usize = 1024;

/// One change to the network configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetEvent {
    /// A link became usable: administratively up with carrier (`IFF_UP` and
    /// `IFF_LOWER_UP`), or appeared in that state.
    LinkUp {
        /// Interface index.
        index: u32,
        /// Interface name.
        name: String,
    },
    /// A link stopped being usable (down, lost carrier) or was removed.
    LinkDown {
        /// Interface index.
        index: u32,
        /// Interface name.
        name: String,
    },
    /// An address was added to a link.
    AddressAdded {
        /// Interface index.
        index: u32,
        /// The address.
        addr: IpAddr,
        /// Its prefix length.
        prefix_len: u8,
    },
    /// An address was removed from a link.
    AddressRemoved {
        /// Interface index.
        index: u32,
        /// The address.
        addr: IpAddr,
        /// Its prefix length.
        prefix_len: u8,
    },
    /// A route was added or removed (any table, either family); re-check the
    /// path to the gateway with [`route_get`](crate::route_get).
    RouteChanged,
}

/// A subscription to [`NetEvent`]s; a `Stream`, or call [`recv`](Self::recv).
/// Dropping it closes the netlink socket.
#[derive(Debug)]
pub struct NetEvents {
    rx: mpsc::Receiver<NetEvent>,
    tasks: [JoinHandle<()>; 2],
}

impl NetEvents {
    /// Join the link, IPv4/IPv6 address and IPv4/IPv6 route multicast groups
    /// in the caller's network namespace (call inside a tokio runtime). Links'
    /// current states are read first, so the first events are real changes.
    pub async fn subscribe() -> Result<NetEvents> {
        let rt = tokio::runtime::Handle::try_current().map_err(|_| {
            PlatformError::NetlinkSocket(std::io::Error::other(
                "no tokio runtime: call this from inside a tokio runtime",
            ))
        })?;
        let groups = [
            MulticastGroup::Link,
            MulticastGroup::Ipv4Ifaddr,
            MulticastGroup::Ipv6Ifaddr,
            MulticastGroup::Ipv4Route,
            MulticastGroup::Ipv6Route,
        ];
        let (conn, handle, mut messages) =
            rtnetlink::new_multicast_connection(&groups).map_err(PlatformError::NetlinkSocket)?;
        let conn_task = rt.spawn(conn);

        let mut mapper = EventMapper::default();
        let mut links = handle.link().get().execute();
        loop {
            match links.try_next().await {
                Ok(Some(msg)) => mapper.seed(&LinkState::from_message(&msg)),
                Ok(None) => break,
                Err(e) => {
                    conn_task.abort();
                    return Err(nl_error("list links", e));
                }
            }
        }

        let (tx, rx) = mpsc::channel(QUEUE);
        let pump = rt.spawn(async move {
            while let Some((msg, _from)) = messages.next().await {
                let rtnetlink::packet_core::NetlinkPayload::InnerMessage(inner) = msg.payload
                else {
                    continue;
                };
                if let Some(event) = mapper.map(inner) {
                    tracing::debug!(?event, "network event");
                    if tx.send(event).await.is_err() {
                        return;
                    }
                }
            }
            tracing::warn!("netlink event socket closed");
        });
        tracing::debug!("subscribed to link/address/route events");
        Ok(NetEvents {
            rx,
            tasks: [conn_task, pump],
        })
    }

    /// The next event; `None` once the netlink socket has closed.
    pub async fn recv(&mut self) -> Option<NetEvent> {
        self.rx.recv().await
    }
}

impl futures_core::Stream for NetEvents {
    type Item = NetEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<NetEvent>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for NetEvents {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
