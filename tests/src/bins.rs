//! Locating the workspace's binaries (`ibexd`, `ibex`, `ibex-responder`) from a
//! test: they sit in the cargo target directory next to the test's `deps/`.
//! `scripts/test.sh` builds them (`cargo build --workspace --bins`) before the
//! tests run.

use std::path::PathBuf;

/// The path of workspace binary `name`, or a panic that says how to build it.
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current test executable");
    // target/<profile>/deps/<test>-<hash>  ->  target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target profile directory");
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing: build the workspace binaries first (`cargo build --workspace --bins`, as scripts/test.sh does)",
        path.display()
    );
    path
}
