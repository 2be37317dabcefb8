#!/usr/bin/env bash
# build-app.sh — build the desktop app as it runs for people, once, and get
# from that one compile both
#  * <target>/app-e2e/ibex-app: the custom-protocol app (the frontend
#    embedded; a plain `cargo build -p ibex-app` makes a dev build that loads
#    the Vite dev server instead) that the GUI end-to-end tests run
#    (tests/tests/tunnel/gui.rs). The copy matters: a later `cargo build` or
#    `cargo test` of the workspace without the feature relinks
#    <target>/debug/ibex-app as a dev build;
#  * <target>/app-e2e/ibex.deb: the Debian package of that debug build with
#    ibexd, the `ibex` CLI and ibexd.service (docs/packaging.md), which
#    tests/tests/tunnel/package.rs checks and installs.
#
#   scripts/build-app.sh        # needs `npm ci` done; prints both paths
#
# The app is compiled by `cargo build --workspace --bins --tests` with
# feature `ibex-app/custom-protocol` (what `tauri build` turns on), after
# `npm run build` made dist/ for it to embed; `tauri bundle` then packages
# that binary. Unlike `tauri build`, which compiles the app on its own and so
# with other features for shared dependencies, this reuses every artifact
# of the workspace build that scripts/test.sh runs with the same feature
# (and `cargo test` after it too). Tauri's beforeBundleCommand
# (scripts/stage-deb-bins.sh) puts ibexd and ibex in the package. The
# release package is scripts/build-deb.sh's. <target> is cargo's target
# dir (CARGO_TARGET_DIR, as scripts/env.sh sets it in CI, or the
# workspace's own), asked from `cargo metadata`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

target=$(cargo metadata --format-version 1 --no-deps --locked |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
# scripts/test.sh has just built dist/ (a second vite build would make
# cargo rebuild the app for its new file times).
[ "${IBEX_FRONTEND_BUILT:-}" = 1 ] || npm run build
cargo build --workspace --bins --tests --locked --features ibex-app/custom-protocol
rm -f "$target"/debug/bundle/deb/*.deb
npx tauri bundle --debug --bundles deb
install -D -m 0755 "$target/debug/ibex-app" "$target/app-e2e/ibex-app"
debs=("$target"/debug/bundle/deb/*.deb)
if [ "${#debs[@]}" -ne 1 ] || [ ! -f "${debs[0]}" ]; then
	echo "build-app.sh: expected one .deb in $target/debug/bundle/deb, found: ${debs[*]}" >&2
	exit 1
fi
install -m 0644 "${debs[0]}" "$target/app-e2e/ibex.deb"
echo "build-app.sh: $target/app-e2e/ibex-app"
echo "build-app.sh: $target/app-e2e/ibex.deb (from ${debs[0]##*/})"
