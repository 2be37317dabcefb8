//! `ibex-platform`: what the Ibex daemon changes in the operating system while a
//! tunnel is up, and how it puts everything back.
//!
//! * [`TunDevice`] ([`TunConfig`], [`TunIo`]): the TUN interface the packet pump
//!   reads and writes, one frame per call (an IP packet, after a
//!   `virtio_net_hdr` when offloads are on).
//! * [`RouteManager`] ([`RoutePlan`], [`Tunnel`]): the pinned route to the VPN
//!   gateway, full tunnel as `/1` halves (the default route is never touched) or
//!   split-tunnel prefixes; [`route_get`] for the path to an address.
//! * [`DnsManager`] ([`DnsConfig`], [`DnsBackend`]): systemd-resolved per-link
//!   DNS, or a replaced resolv.conf restored byte for byte.
//! * [`Journal`]: every change above is recorded (and persisted, temp file +
//!   rename) before it is made; [`Journal::load`] + [`Journal::undo`] clean up
//!   after a daemon that was killed hard. Undo is idempotent.
//! * [`NetEvents`] ([`NetEvent`]): link, address and route changes from
//!   rtnetlink multicast.
//!
//! Everything that talks to the kernel works in the network namespace of the
//! calling thread and must run inside a tokio runtime.
//!
//! # Platforms
//!
//! Linux is the implemented and tested platform: TUN through the `tun` crate,
//! addresses, routes and events through rtnetlink, DNS through `resolvectl` or
//! resolv.conf. On macOS (utun) and Windows (Wintun, via `tun`'s own
//! `wintun-bindings`, which needs `wintun.dll` beside the executable and
//! administrator rights) only [`TunDevice`] and [`Journal`] exist, with one IPv4
//! address per device; routes, DNS and events are Linux-only modules. **The
//! macOS and Windows code is cfg-gated and has never been compiled or run**: the
//! build machine is Linux without those targets. Their dependencies are
//! target-gated, so a Linux `cargo check` never touches them.
// One `ioctl` (TUNSETOFFLOAD, tun_device/linux.rs) is allowed unsafe code.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod fsutil;
mod journal;
mod prefix;
mod tun_device;

#[cfg(target_os = "linux")]
mod dns;
#[cfg(target_os = "linux")]
mod events;
#[cfg(target_os = "linux")]
mod netlink;
#[cfg(target_os = "linux")]
mod route;

pub use crate::error::{PlatformError, Result};
pub use crate::journal::{
    Journal, JournalEntry, OriginalFile, ResolvConfRecord, ResolvedRecord, RouteRecord, TunRecord,
    JOURNAL_VERSION,
};
pub use crate::prefix::IpPrefix;
pub use crate::tun_device::{TunConfig, TunDevice, TunIo};

#[cfg(target_os = "linux")]
pub use crate::dns::{DnsBackend, DnsConfig, DnsManager};
#[cfg(target_os = "linux")]
pub use crate::events::{NetEvent, NetEvents};
#[cfg(target_os = "linux")]
pub use crate::route::{
    route_get, route_get_avoiding, RouteLookup, RouteManager, RoutePlan, Tunnel,
    IBEX_ROUTE_PROTOCOL,
};
