#!/usr/bin/env bash
# stage-deb-bins.sh — Tauri's beforeBundleCommand (src-tauri/tauri.conf.json):
# copy ibexd and the `ibex` CLI of the profile being bundled (TAURI_ENV_DEBUG
# says which) from cargo's target dir to src-tauri/packaging/bin/, where the
# .deb's `files` mapping takes them (/usr/bin/ibexd, /usr/bin/ibex).
#
# It does not build them: a cargo build here with another package selection
# than the workspace's would resolve features differently and recompile half
# the workspace. scripts/build-app.sh (debug, CI) and scripts/build-deb.sh
# (release) build them first.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

profile=release
[ "${TAURI_ENV_DEBUG:-false}" = "true" ] && profile=debug
target=$(cargo metadata --format-version 1 --no-deps --locked |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
stage="src-tauri/packaging/bin"
mkdir -p "$stage"
for bin in ibexd ibex; do
	src="$target/$profile/$bin"
	if [ ! -x "$src" ]; then
		echo "stage-deb-bins.sh: $src is missing; build it first:" >&2
		if [ "$profile" = debug ]; then
			echo "  cargo build --workspace --bins --locked   (scripts/build-app.sh does)" >&2
		else
			echo "  cargo build --release --locked -p ibexd -p ibex --bins   (scripts/build-deb.sh does)" >&2
		fi
		exit 1
	fi
	install -m 0755 "$src" "$stage/$bin"
done
echo "stage-deb-bins.sh: staged $profile ibexd and ibex from $target/$profile"
