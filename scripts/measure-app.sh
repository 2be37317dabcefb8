#!/usr/bin/env bash
# measure-app.sh — by hand, not in CI: sizes of the release binaries and
# .deb, and idle memory of ibexd and the app. Needs the release build
# (scripts/build-deb.sh), root (ibexd), Xvfb, dbus-run-session and xdotool.
# The app's cold start to an interactive window is the GUI end-to-end
# test's figure: run it on the release app with
#   IBEX_APP_BIN=<target>/release/ibex-app CI=true cargo test -p ibex-e2e --test tunnel -- --nocapture gui::
#
#   sudo scripts/measure-app.sh [seconds idle before reading memory, default 20]
#
# The debug app at <target>/debug/ibex-app may be a dev build (loads the
# Vite dev server); the release one is what tauri build made.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

idle=${1:-20}
target=$(cargo metadata --format-version 1 --no-deps --locked |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
rel="$target/${IBEX_PROFILE:-release}"   # IBEX_PROFILE=debug to try it on a debug build
debs=("$rel"/bundle/deb/*.deb)

echo "== sizes (bytes)"
for f in "$rel/ibex-app" "$rel/ibexd" "$rel/ibex" "${debs[0]}"; do
	printf '%-12s %10s  %s\n' "$(basename "$f")" "$(stat -c %s "$f")" "$f"
done
echo "installed size (dpkg): $(dpkg-deb -f "${debs[0]}" Installed-Size) KiB"

tmp=$(mktemp -d /tmp/ibex-measure-XXXXXX)
pids=()
cleanup() {
	# the app's session runs in its own process group (its bus daemons too)
	if [ -n "${session:-}" ]; then kill -- "-$session" 2>/dev/null || true; fi
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# Resident memory of a process and all its descendants (the app's WebKit
# web and network processes), in KiB.
tree_rss() {
	local total=0 p
	for p in $(descendants "$1"); do
		total=$((total + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
	done
	echo "$total"
}
descendants() {
	echo "$1"
	local c
	for c in $(pgrep -P "$1" || true); do descendants "$c"; done
}
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# Proportional set size (shared library pages divided among their users).
pss() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
tree_pss() {
	local total=0 p
	for p in $(descendants "$1"); do total=$((total + $(pss "$p" 2>/dev/null || echo 0))); done
	echo "$total"
}

"$rel/ibexd" --socket "$tmp/ibexd.sock" --state-dir "$tmp/state" 2>"$tmp/ibexd.log" &
pids+=($!)
ibexd=$!
for _ in $(seq 100); do [ -S "$tmp/ibexd.sock" ] && break; sleep 0.05; done
chmod 0666 "$tmp/ibexd.sock"

display=:$((90 + RANDOM % 9))
Xvfb "$display" -screen 0 1024x768x24 -nolisten tcp 2>"$tmp/xvfb.log" &
pids+=($!)
sleep 1
mkdir -p "$tmp/home" "$tmp/run"
chmod 0700 "$tmp/run"
start=$(date +%s.%N)
DISPLAY=$display HOME=$tmp/home XDG_RUNTIME_DIR=$tmp/run IBEX_SOCKET=$tmp/ibexd.sock \
	setsid dbus-run-session -- "$rel/ibex-app" 2>"$tmp/app.log" &
session=$!
DISPLAY=$display xdotool search --sync --onlyvisible --name '^Ibex$' >/dev/null
mapped=$(date +%s.%N)
echo "== start"
printf 'window mapped after %.0f ms (process start to a visible window; not yet showing ibexd state)\n' \
	"$(echo "($mapped - $start) * 1000" | bc -l)"
sleep "$idle"
app=$(pgrep -f -n "^$rel/ibex-app")
echo "== idle memory after ${idle} s (KiB)     VmRSS    Pss"
echo "ibexd               $(rss "$ibexd")   $(pss "$ibexd")"
echo "ibex-app            $(rss "$app")   $(pss "$app")"
names=$(for p in $(descendants "$app"); do cat "/proc/$p/comm"; done | paste -sd' ')
echo "ibex-app + WebKit   $(tree_rss "$app")   $(tree_pss "$app")  ($names)"
