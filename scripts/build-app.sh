#!/usr/bin/env bash
# build-app.sh — build the desktop app as it runs for people: Tauri's custom
# protocol with the frontend embedded (`npx tauri build --debug --no-bundle`;
# a plain `cargo build -p ibex-app` makes a dev build that loads the Vite dev
# server instead), and copy it to <target>/app-e2e/ibex-app, where the GUI
# end-to-end test (tests/tests/tunnel/gui.rs) finds it. The copy matters:
# any later `cargo build`/`cargo test` of the workspace relinks
# <target>/debug/ibex-app as a dev build.
#
#   scripts/build-app.sh        # needs `npm ci` done; prints the binary's path
#
# <target> is cargo's target dir (CARGO_TARGET_DIR, as scripts/env.sh sets it
# in CI, or the workspace's own), asked from `cargo metadata`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

target=$(cargo metadata --format-version 1 --no-deps --locked |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
npx tauri build --debug --no-bundle -- --locked
install -D -m 0755 "$target/debug/ibex-app" "$target/app-e2e/ibex-app"
echo "build-app.sh: $target/app-e2e/ibex-app"
