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

step "binaries (the end-to-end tests run them)"
cargo build --workspace --bins --locked

step "desktop app: the custom-protocol build the GUI end-to-end test runs"
scripts/build-app.sh

step "tests"
cargo test --workspace --locked -- --test-threads="${IBEX_TEST_THREADS:-2}"

step "done"
