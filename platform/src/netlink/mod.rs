//! A private rtnetlink connection (Linux) and the requests the rest of the crate
//! makes over it: links and addresses ([`link`]), routes ([`route`]).
//!
//! The connection lives in the network namespace of the thread that opens it.

pub(crate) mod link;
pub(crate) mod route;

use std::io;

use rtnetlink::Handle;

use crate::error::{PlatformError, Result};

/// `ESRCH`: no such route.
pub(crate) const ESRCH: i32 = libc::ESRCH;
/// `ENODEV`: no such device.
pub(crate) const ENODEV: i32 = libc::ENODEV;
/// `ENOENT`: no such entry.
pub(crate) const ENOENT: i32 = libc::ENOENT;
/// `EEXIST`: the object exists already.
pub(crate) const EEXIST: i32 = libc::EEXIST;
/// The address is not on the interface.
pub(crate) const EADDRNOTAVAIL: i32 = libc::EADDRNOTAVAIL;

/// An open rtnetlink socket; its I/O task stops when this is dropped.
#[derive(Debug)]
pub(crate) struct Netlink {
    handle: Handle,
    task: tokio::task::JoinHandle<()>,
}

impl Netlink {
    /// Open a connection; must be called inside a tokio runtime.
    pub(crate) fn connect() -> Result<Netlink> {
        let rt = tokio::runtime::Handle::try_current().map_err(|_| {
            PlatformError::NetlinkSocket(io::Error::other(
                "no tokio runtime: call this from inside a tokio runtime",
            ))
        })?;
        let (conn, handle, _unsolicited) =
            rtnetlink::new_connection().map_err(PlatformError::NetlinkSocket)?;
        let task = rt.spawn(conn);
        Ok(Netlink { handle, task })
    }

    /// The request handle.
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl Drop for Netlink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The kernel's errno behind a failed request, if it was a kernel NACK.
pub(crate) fn errno(e: &rtnetlink::Error) -> Option<i32> {
    match e {
        rtnetlink::Error::NetlinkError(m) => m.code.map(|c| c.get().abs()),
        _ => None,
    }
}

/// Convert a request failure into an `io::Error` (errno preserved when there is one).
pub(crate) fn to_io(e: rtnetlink::Error) -> io::Error {
    match e {
        rtnetlink::Error::NetlinkError(m) => m.to_io(),
        other => io::Error::other(other.to_string()),
    }
}

/// [`PlatformError::Netlink`] for operation `op`.
pub(crate) fn nl_error(op: impl Into<String>, e: rtnetlink::Error) -> PlatformError {
    PlatformError::Netlink {
        op: op.into(),
        source: to_io(e),
    }
}
