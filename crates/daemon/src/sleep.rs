//! Sleep and resume from systemd-logind: its `PrepareForSleep(false)`
//! signal on the system bus means the machine just woke up, so the gateway
//! may have dropped us meanwhile; the connection checks at once. Without a
//! system bus (or logind), resumes are still noticed by the connection's
//! clock-jump check, only later.

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tracing::{debug, info};

use crate::manager::Msg;

/// Watches logind's sleep signals and tells the manager about resumes.
/// Returns when the bus goes away (or was never there).
pub async fn watch(manager: mpsc::Sender<Msg>) {
    let conn = match zbus::Connection::system().await {
        Ok(c) => c,
        Err(e) => {
            info!(error = %e, "no system bus: resume from sleep is noticed by clock jumps only");
            return;
        }
    };
    // No sender filter: logind owns the name on a real system; the signal
    // only ever triggers a liveness check, so a spoofed one does no harm.
    let rule = match zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .interface("org.freedesktop.login1.Manager")
        .and_then(|b| b.member("PrepareForSleep"))
        .and_then(|b| b.path("/org/freedesktop/login1"))
    {
        Ok(b) => b.build(),
        Err(e) => {
            info!(error = %e, "cannot watch for sleep");
            return;
        }
    };
    let mut signals = match zbus::MessageStream::for_match_rule(rule, &conn, Some(16)).await {
        Ok(s) => s,
        Err(e) => {
            info!(error = %e, "cannot watch logind's sleep signal: resume is noticed by clock jumps only");
            return;
        }
    };
    info!("watching systemd-logind for sleep and resume");
    while let Some(msg) = signals.next().await {
        let Ok(msg) = msg else { continue };
        match msg.body().deserialize::<bool>() {
            Ok(true) => info!("the machine is going to sleep"),
            Ok(false) => {
                info!("the machine resumed from sleep");
                if manager.send(Msg::Resumed).await.is_err() {
                    return;
                }
            }
            Err(e) => debug!(error = %e, "malformed PrepareForSleep signal ignored"),
        }
    }
}
