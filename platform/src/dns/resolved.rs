//! systemd-resolved per-link DNS through `resolvectl`.

use super::{command, DnsConfig};
use crate::error::Result;

/// Give link `ifname` the servers and search domains of `config`, plus the `~.`
/// routing domain and default-route, so resolved sends every query there.
pub(crate) async fn apply(ifname: &str, config: &DnsConfig) -> Result<()> {
    let servers: Vec<String> = config.servers.iter().map(ToString::to_string).collect();
    let mut args = vec!["dns", ifname];
    args.extend(servers.iter().map(String::as_str));
    command::run("resolvectl", &args).await?;

    let mut args = vec!["domain", ifname, "~."];
    args.extend(config.search_domains.iter().map(String::as_str));
    command::run("resolvectl", &args).await?;

    command::run("resolvectl", &["default-route", ifname, "true"]).await?;
    tracing::info!(link = %ifname, servers = ?servers, "DNS set through systemd-resolved");
    Ok(())
}

/// Drop every per-link setting of `ifname` (`resolvectl revert`).
pub(crate) async fn revert(ifname: &str) -> Result<()> {
    command::run("resolvectl", &["revert", ifname]).await?;
    tracing::info!(link = %ifname, "systemd-resolved DNS reverted");
    Ok(())
}
