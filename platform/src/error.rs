//! The crate's error type: each variant says what failed and what to do about it.

use std::io;
use std::net::IpAddr;
use std::path::PathBuf;

/// `Result` with [`PlatformError`].
pub type Result<T, E = PlatformError> = std::result::Result<T, E>;

/// Everything that can go wrong while changing the system's network setup.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlatformError {
    /// The TUN configuration is not usable as given.
    #[error("invalid TUN configuration: {0}")]
    TunConfig(String),

    /// The kernel (or Wintun/utun) refused to create the TUN device.
    #[error(
        "cannot create TUN device {name}: {source}; the daemon needs root (CAP_NET_ADMIN) and \
         /dev/net/tun (Linux), a free utunN (macOS) or wintun.dll next to the executable \
         (Windows)"
    )]
    TunCreate {
        /// Requested name, or `(kernel-chosen)`.
        name: String,
        /// What the `tun` crate reported.
        #[source]
        source: tun::Error,
    },

    /// A route prefix is malformed.
    #[error("invalid IP prefix {input:?}: {reason}")]
    InvalidPrefix {
        /// The text or address/length given.
        input: String,
        /// Why it was rejected.
        reason: &'static str,
    },

    /// The DNS settings are not usable as given.
    #[error("invalid DNS configuration: {0}")]
    InvalidDns(String),

    /// Opening a netlink socket failed.
    #[error(
        "cannot open a netlink route socket: {0}; the daemon must run on Linux with CAP_NET_ADMIN"
    )]
    NetlinkSocket(#[source] io::Error),

    /// A netlink request was rejected by the kernel or failed in transit.
    #[error("netlink: {op} failed: {source}")]
    Netlink {
        /// What was being done, e.g. `add route 0.0.0.0/1 dev ibex0`.
        op: String,
        /// The kernel's errno (or a transport error).
        #[source]
        source: io::Error,
    },

    /// An interface named in a plan does not exist.
    #[error(
        "no network interface named {0:?}; create the TUN device before applying routes or DNS"
    )]
    NoSuchInterface(String),

    /// The kernel has no usable route to an address.
    #[error("no usable route to {dest}: {reason}; check the underlying network connection")]
    NoRoute {
        /// The destination looked up.
        dest: IpAddr,
        /// What the lookup returned instead.
        reason: String,
    },

    /// A route we are about to add already exists (another VPN or a leftover).
    #[error(
        "route {route} already exists; another VPN or a manual route owns it: remove it \
         (`ip route del {route}`) or disconnect the other VPN, then retry"
    )]
    RouteExists {
        /// Human-readable route, `ip route` style.
        route: String,
    },

    /// The path to the VPN gateway already runs through the tunnel.
    #[error(
        "the route to the VPN gateway {gateway} already goes through the tunnel interface \
         {tun}; undo the previous session's journal before connecting again"
    )]
    GatewayThroughTunnel {
        /// The gateway's outer address.
        gateway: IpAddr,
        /// The TUN interface.
        tun: String,
    },

    /// Reading, writing or renaming a file failed.
    #[error("{action} {path}: {source}")]
    File {
        /// What was being done, e.g. `write`, `rename to`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// The journal file exists but cannot be understood.
    #[error(
        "journal {path} is unreadable: {source}; it lists system changes a previous run left \
         behind: inspect it, undo them by hand, then delete the file"
    )]
    JournalCorrupt {
        /// The journal file.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },

    /// The journal was written by a newer Ibex.
    #[error("journal {path} has format version {found}, this build understands {supported}; undo it with the Ibex version that wrote it")]
    JournalVersion {
        /// The journal file.
        path: PathBuf,
        /// Version in the file.
        found: u32,
        /// Version this build writes.
        supported: u32,
    },

    /// An external command (`resolvectl`, `busctl`) failed.
    #[error("`{command}` failed: {detail}")]
    Command {
        /// The command line.
        command: String,
        /// Exit status and stderr, or the spawn error.
        detail: String,
    },

    /// Some undo steps failed; they stay in the journal for a retry.
    #[error(
        "undo incomplete: {failed} step(s) failed, first: {first}; they stay in the journal \
         {path} and are retried by the next undo"
    )]
    UndoIncomplete {
        /// How many entries could not be undone.
        failed: usize,
        /// The first failure, rendered.
        first: String,
        /// The journal file.
        path: PathBuf,
    },

    /// The operation has no implementation on this operating system.
    #[error("{0} is not supported on this platform")]
    Unsupported(&'static str),
}

impl PlatformError {
    /// Shorthand for [`PlatformError::File`].
    pub(crate) fn file(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        PlatformError::File {
            action,
            path: path.into(),
            source,
        }
    }
}
