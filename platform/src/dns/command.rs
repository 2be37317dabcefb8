//! Running a helper program (`resolvectl`, `busctl`) with a time limit.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use crate::error::{PlatformError, Result};

/// How long a helper may take before it is killed.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Run `program args...`; `Ok(stdout)` on exit status 0.
pub(crate) async fn run(program: &str, args: &[&str]) -> Result<String> {
    let line = format!("{program} {}", args.join(" "));
    tracing::debug!(command = %line, "running");
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(TIMEOUT, child).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => {
            return Err(PlatformError::Command {
                command: line,
                detail: format!("cannot start it: {e}"),
            })
        }
        Err(_) => {
            return Err(PlatformError::Command {
                command: line,
                detail: format!("no answer within {} s; killed", TIMEOUT.as_secs()),
            })
        }
    };
    if !out.status.success() {
        return Err(PlatformError::Command {
            command: line,
            detail: format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
