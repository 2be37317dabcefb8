#!/usr/bin/env bash
# build-deb.sh — the release Debian package: ibexd and the `ibex` CLI
# (cargo, release), then the app and the package (`npx tauri build --bundles
# deb`, whose beforeBundleCommand, scripts/stage-deb-bins.sh, adds the two).
# Slow (a full release build); not part of CI, which checks the debug
# package scripts/build-app.sh makes. Layout: docs/packaging.md.
#
#   scripts/build-deb.sh        # needs `npm ci` done; prints the .deb's path
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

target=$(cargo metadata --format-version 1 --no-deps --locked |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
cargo build --release --locked -p ibexd -p ibex --bins
rm -f "$target"/release/bundle/deb/*.deb
npx tauri build --bundles deb -- --locked
ls "$target"/release/bundle/deb/*.deb
