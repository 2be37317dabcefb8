# Shared environment for Ibex scripts (sourced). A cargo target dir outside the
# clone is reused between runs when /var/cache is writable: CI clones afresh
# each time but the machine keeps the cache; a cold build still works.
if [ -z "${CARGO_TARGET_DIR:-}" ] && [ -w /var/cache ]; then
	export CARGO_TARGET_DIR=/var/cache/ibex-target
fi
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
export PATH="$HOME/.cargo/bin:$PATH"
