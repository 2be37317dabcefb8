#!/usr/bin/env bash
# The whole test suite: system packages, formatting, lints, unit tests,
# in-memory simulations, and interop with strongSwan in network namespaces.
# Run as root on Debian 12 (network namespaces and strongSwan need it).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

step() { printf '\n==> %s [%s]\n' "$*" "$(date +%T)"; }

if [ "$(id -u)" -eq 0 ]; then
	step "system packages"
	scripts/install-deps.sh
elif [ "${CI:-}" = "true" ]; then
	echo "CI must run as root (network namespaces, strongSwan)" >&2
	exit 1
fi

step "rustfmt"
cargo fmt --all -- --check

step "desktop app frontend: typecheck and unit tests (Vitest, Tauri IPC mocks)"
npm ci --no-audit --no-fund --loglevel=error
npm run typecheck
npm test

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

# Every build below has the desktop app's custom-protocol feature (the
# frontend embedded, as `tauri build` makes it) and includes the test
# targets (so dev-dependencies' features are unified in), so they resolve
# the same features and share artifacts: scripts/build-app.sh packages the
# binary this step makes, and `cargo test` compiles nothing new.
APP_FEATURES=(--features ibex-app/custom-protocol)

step "binaries and test binaries (the end-to-end tests run the binaries)"
npm run build
cargo build --workspace --bins --tests --locked "${APP_FEATURES[@]}"

step "desktop app: the custom-protocol build the GUI end-to-end test runs"
IBEX_FRONTEND_BUILT=1 scripts/build-app.sh

step "tests"
cargo test --workspace --locked "${APP_FEATURES[@]}" -- --test-threads="${IBEX_TEST_THREADS:-2}"

step "done"
