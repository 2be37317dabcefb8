//! Who may talk to the daemon: root, or members of group `ibex` (checked
//! from the socket's peer credentials and the peer process's groups).

use std::path::Path;

/// The group whose members may control ibexd.
pub const GROUP: &str = "ibex";

/// The gid of `name` in /etc/group.
pub(crate) fn group_gid(group_file: &Path, name: &str) -> Option<u32> {
    let text = std::fs::read_to_string(group_file).ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next()? == name).then(|| f.nth(1)?.parse().ok())?
    })
}

/// Supplementary groups of process `pid` (from /proc).
fn process_groups(pid: i32) -> Vec<u32> {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return vec![];
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("Groups:"))
        .map(|g| {
            g.split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a peer with these credentials may connect.
pub fn authorized(uid: u32, gid: u32, pid: Option<i32>) -> bool {
    if uid == 0 {
        return true;
    }
    let Some(ibex) = group_gid(Path::new("/etc/group"), GROUP) else {
        return false;
    };
    gid == ibex || pid.is_some_and(|p| process_groups(p).contains(&ibex))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_allowed_and_strangers_are_not() {
        assert!(authorized(0, 0, None));
        // uid 65534 (nobody) in no ibex group: only if the machine has no such
        // group membership for it, which is the case on a fresh system.
        let ibex = group_gid(Path::new("/etc/group"), GROUP);
        assert_eq!(authorized(65534, 65534, None), ibex == Some(65534));
    }

    #[test]
    fn reads_gids_from_a_group_file() {
        let dir = std::env::temp_dir().join(format!("ibexd-group-{}", std::process::id()));
        std::fs::write(&dir, "root:x:0:\nibex:x:987:alice\n").unwrap();
        assert_eq!(group_gid(&dir, "ibex"), Some(987));
        assert_eq!(group_gid(&dir, "wheel"), None);
        let _ = std::fs::remove_file(dir);
    }
}
