#!/usr/bin/env bash
# bench-tunnel.sh — iperf3 TCP throughput through VPN tunnels, all in one run on
# one topology, so the numbers can be compared:
#
#   client ns ── 192.0.2.0/24 ── gw ns ── 10.99.0.0/24 ── lan ns (iperf3 server 10.99.0.2)
#
#   1. plain      the veth path routed through gw, no tunnel
#   2. ibex       ibex-responder (gw) + ibexd and the ibex CLI (client), PSK, aes128gcm16
#      ibex-no-offload  the same with TUN offloads off (IBEX_TUN_OFFLOAD=0): one packet per TUN read/write
#   3. strongswan charon with kernel-libipsec (userspace ESP over TUN) on both ends, PSK, aes128gcm16
#   4. wireguard-go  Debian's wireguard-go + wg on both ends
#   5. boringtun  boringtun-cli from crates.io (cargo install) on both ends
#
# Tunnels use inner MTU 1400 and are set up one after the other; each one is torn
# down (processes gone, UDP 500/4500/51820 free, devices, addresses, routes and rules
# back to the baseline) before the next starts. While a tunnel runs, the gateway
# drops cleartext forwarding between its uplink and the LAN, so iperf3 can only
# reach the LAN host through the tunnel. Each path: BENCH_RUNS iperf3 runs of
# BENCH_SECONDS s (client -> LAN host, receiver throughput), median reported,
# with the CPU time the tunnel's processes used (100 % = one core) and how busy
# the whole machine was.
#
# Usage (root, Debian 12, from anywhere):
#   scripts/bench-tunnel.sh
# Environment:
#   BENCH_SECONDS=5   seconds per iperf3 run
#   BENCH_RUNS=3      iperf3 runs per path (median)
#   BENCH_OMIT=1      seconds at the start of each run left out (TCP slow start)
#   BENCH_OUT=/tmp/ibex-bench-tunnel.txt   where the table is saved as well
#   BENCH_SKIP="strongswan boringtun"      paths to leave out (plain ibex ibex-no-offload strongswan wireguard-go boringtun)
#   BENCH_BUILD=0     do not run cargo build (use the release binaries already built)
#   BENCH_CACHE=/var/cache/ibex-bench      cargo install root for boringtun-cli
#   BENCH_KEEP=1      keep the temp dir (configs, logs, iperf3 JSON)
#   BENCH_IBEX_LOG=info   IBEX_LOG for ibexd and ibex-responder
#
# Exit status: 0 when plain and Ibex were measured (the others may fail or be
# skipped: the table says why), 1 otherwise. Everything it creates (namespaces,
# processes, devices, temp files) is removed on exit, also on failure or Ctrl-C.
set -uo pipefail

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
case "${1:-}" in
-h | --help) usage; exit 0 ;;
"") ;;
*) usage >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
# shellcheck source=scripts/env.sh
. scripts/env.sh

SECS=${BENCH_SECONDS:-5}
RUNS=${BENCH_RUNS:-3}
OMIT=${BENCH_OMIT:-1}
OUT=${BENCH_OUT:-/tmp/ibex-bench-tunnel.txt}
SKIP=" ${BENCH_SKIP:-} "
CACHE=${BENCH_CACHE:-/var/cache/ibex-bench}
[ -w /var/cache ] || CACHE=${BENCH_CACHE:-$HOME/.cargo/ibex-bench}
IBEX_LOG_LEVEL=${BENCH_IBEX_LOG:-info}
MTU=1400
for v in SECS RUNS OMIT; do
	case ${!v} in '' | *[!0-9]*) echo "bench-tunnel: BENCH_${v/SECS/SECONDS} must be a whole number" >&2; exit 2 ;; esac
done
if [ "$SECS" -lt 1 ] || [ "$RUNS" -lt 1 ]; then
	echo "bench-tunnel: BENCH_SECONDS and BENCH_RUNS must be >= 1" >&2
	exit 2
fi
[ "$(id -u)" -eq 0 ] || { echo "bench-tunnel: run as root (network namespaces, TUN, apt-get)" >&2; exit 1; }

T0=$(date +%s)
log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

# ------------------------------------------------------------------ names
TAG=$$
NS_C=ibench$TAG-c NS_G=ibench$TAG-g NS_L=ibench$TAG-l
IF_C=ibc$TAG IF_G=ibg$TAG IF_H=ibh$TAG IF_L=ibl$TAG # client uplink, gw uplink, gw LAN, LAN host
IBEX_GW_TUN=ibt$TAG
CLI_IP=192.0.2.2 GW_IP=192.0.2.1 GW_LAN_IP=10.99.0.1 LAN_HOST=10.99.0.2 LAN_NET=10.99.0.0/24
WG_PORT=51820
TMP=
CLEANED=0
WG_RUN_DIR_EXISTED=0
[ -d /var/run/wireguard ] && WG_RUN_DIR_EXISTED=1

# ------------------------------------------------------------------ cleanup
ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$1"; }
# kill_ns NS: TERM (then KILL) every process in NS, by pid. Only this script's
# namespaces are passed here, so these are processes this script started.
kill_ns() {
	local ns=$1 pids p i
	ns_exists "$ns" || return 0
	pids=$(ip netns pids "$ns" 2>/dev/null)
	[ -n "$pids" ] || return 0
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for i in $(seq 30); do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -z "$pids" ] && return 0
		sleep 0.1
	done
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
	sleep 0.2
}
cleanup() {
	[ "$CLEANED" = 1 ] && return
	CLEANED=1
	local ns d
	for ns in "$NS_C" "$NS_G" "$NS_L"; do kill_ns "$ns"; done
	for ns in "$NS_C" "$NS_G" "$NS_L"; do ns_exists "$ns" && ip netns del "$ns" 2>/dev/null; done
	for d in wgc wgg btc btg; do rm -f "/var/run/wireguard/$d$TAG.sock"; done
	[ "$WG_RUN_DIR_EXISTED" = 1 ] || rmdir /var/run/wireguard 2>/dev/null
	if [ -n "$TMP" ] && [ -d "$TMP" ]; then
		if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
	fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# Namespaces left by an earlier run that was killed with SIGKILL (creator gone).
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^ibench[0-9]+-[cgl]$'); do
	pid=${ns#ibench}; pid=${pid%-*}
	if ! kill -0 "$pid" 2>/dev/null; then
		log "removing stale namespace $ns (creator $pid is gone)"
		kill_ns "$ns"; ip netns del "$ns" 2>/dev/null
	fi
done

# ------------------------------------------------------------------ results
declare -A STATUS NOTE MBPS RUNLIST CPU HOSTCPU
ORDER=(plain ibex ibex-no-offload strongswan wireguard-go boringtun)
declare -A LABEL=(
	[plain]="plain veth (no tunnel)"
	[ibex]="Ibex (ibexd + ibex-responder)"
	[ibex-no-offload]="Ibex, TUN offloads off"
	[strongswan]="strongSwan kernel-libipsec"
	[wireguard-go]="wireguard-go"
	[boringtun]="boringtun-cli"
)
for k in "${ORDER[@]}"; do STATUS[$k]=skipped; NOTE[$k]=""; done
skip() { STATUS[$1]=skipped; NOTE[$1]=$2; log "SKIP $1: $2"; }
fail() { STATUS[$1]=failed; NOTE[$1]=$2; log "FAILED $1: $2"; }
wanted() { [[ "$SKIP" != *" $1 "* ]]; }

# ------------------------------------------------------------------ packages
REQUIRED_PKGS=(iproute2 iputils-ping nftables iperf3 jq procps util-linux coreutils)
OPTIONAL_PKGS=(strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins
	libstrongswan-extra-plugins wireguard-go wireguard-tools)
missing_pkgs() {
	local p
	for p in "$@"; do
		[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || printf '%s\n' "$p"
	done
}
install_pkgs() {
	local miss
	mapfile -t miss < <(missing_pkgs "${REQUIRED_PKGS[@]}" "${OPTIONAL_PKGS[@]}")
	if [ "${#miss[@]}" -eq 0 ]; then
		log "Debian packages: all present"
		return 0
	fi
	log "installing: ${miss[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || log "apt-get update failed"
	if ! apt-get install -y -qq --no-install-recommends "${miss[@]}" >/dev/null; then
		# one by one, so that a missing optional package does not block the others
		local p
		for p in "${miss[@]}"; do apt-get install -y -qq --no-install-recommends "$p" >/dev/null || log "could not install $p"; done
	fi
	mapfile -t miss < <(missing_pkgs "${REQUIRED_PKGS[@]}")
	if [ "${#miss[@]}" -gt 0 ]; then
		log "required packages missing: ${miss[*]}"
		exit 1
	fi
}

# ------------------------------------------------------------------ helpers
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds
wait_for() {
	local t=$1 end
	shift
	end=$(($(date +%s%N) + t * 1000000000))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@" >/dev/null 2>&1
}
ping_ok() { nsx "$NS_C" ping -n -c 1 -W 1 "$LAN_HOST" >/dev/null 2>&1; }
udp_bound() { [ -n "$(nsx "$1" ss -Hlun "sport = :$2" 2>/dev/null)" ]; }
tcp_listening() { [ -n "$(nsx "$1" ss -Hltn "sport = :$2" 2>/dev/null)" ]; }
# stop_pid PID...: TERM, wait up to 5 s, then KILL (only pids this script started)
stop_pid() {
	local p i
	for p in "$@"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null; done
	for p in "$@"; do
		[ -n "$p" ] || continue
		for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	return 0
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR == 0) exit 1; if (NR % 2) m = a[(NR + 1) / 2]; else m = (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f\n", m}'; }
# CPU ticks (user + system, all threads) of one process; field 2 may hold spaces
proc_ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0; }
host_stat() { awk '/^cpu / {b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6; exit}' /proc/stat; }
now_ns() { date +%s%N; }

# ------------------------------------------------------------------ topology
topology() {
	local ns
	for ns in "$NS_C" "$NS_G" "$NS_L"; do
		ip netns add "$ns" || return 1
		nsx "$ns" ip link set lo up
		nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
		nsx "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 >/dev/null 2>&1
	done
	ip link add "$IF_C" netns "$NS_C" type veth peer name "$IF_G" netns "$NS_G" || return 1
	ip link add "$IF_H" netns "$NS_G" type veth peer name "$IF_L" netns "$NS_L" || return 1
	ip -n "$NS_C" addr add "$CLI_IP/24" dev "$IF_C" &&
		ip -n "$NS_G" addr add "$GW_IP/24" dev "$IF_G" &&
		ip -n "$NS_G" addr add "$GW_LAN_IP/24" dev "$IF_H" &&
		ip -n "$NS_L" addr add "$LAN_HOST/24" dev "$IF_L" || return 1
	ip -n "$NS_C" link set "$IF_C" up && ip -n "$NS_G" link set "$IF_G" up &&
		ip -n "$NS_G" link set "$IF_H" up && ip -n "$NS_L" link set "$IF_L" up || return 1
	ip -n "$NS_L" route add default via "$GW_LAN_IP" || return 1
	nsx "$NS_G" sysctl -qw net.ipv4.ip_forward=1 >/dev/null || return 1
	wait_for 5 nsx "$NS_C" ping -n -c 1 -W 1 "$GW_IP" || return 1
}
# After the plain run: no client route to the LAN, and the gateway drops
# cleartext forwarding between its uplink and the LAN (only decrypted traffic
# coming out of a tunnel device may reach the LAN host).
seal_gateway() {
	ip -n "$NS_C" route del "$LAN_NET" via "$GW_IP" 2>/dev/null
	nsx "$NS_G" nft -f - <<EOF || return 1
table inet ibench {
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname "$IF_G" oifname "$IF_H" drop
		iifname "$IF_H" oifname "$IF_G" drop
	}
}
EOF
	! ping_ok
}
# What a torn-down tunnel must leave exactly as it found it.
ns_state() {
	local ns=$1
	ip -n "$ns" -o link show | awk -F': ' '{sub(/@.*/, "", $2); print "link", $2}'
	ip -n "$ns" -4 -o addr show | awk '{print "addr", $2, $4}'
	ip -n "$ns" -4 route show table all
	ip -n "$ns" -4 rule show
	nsx "$ns" ss -Hlun | awk '{print "udp", $4}'
	nsx "$ns" ss -Hltn | awk '{print "tcp", $4}'
	ip netns pids "$ns" | sed 's/^/pid /'
}
all_state() { local ns; for ns in "$NS_C" "$NS_G" "$NS_L"; do ns_state "$ns" | sed "s/^/$ns: /"; done; }
BASELINE=
DIRTY=0
clean_now() { [ "$(all_state)" = "$BASELINE" ]; }
# ensure_clean STAGE: wait until the namespaces are back to the baseline; force it if not.
ensure_clean() {
	local stage=$1 ns l
	wait_for 5 clean_now && return 0
	log "$stage: leftovers after teardown:"
	diff <(echo "$BASELINE") <(all_state) | grep '^[<>]' >&2
	for ns in "$NS_C" "$NS_G" "$NS_L"; do
		kill_ns "$ns"
		for l in $(ip -n "$ns" -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}'); do
			case $l in lo | "$IF_C" | "$IF_G" | "$IF_H" | "$IF_L") ;; *) ip -n "$ns" link del "$l" 2>/dev/null ;; esac
		done
		ip -n "$ns" route flush table 220 2>/dev/null
		while ip -n "$ns" rule del table 220 2>/dev/null; do :; done
	done
	ip -n "$NS_C" -4 -o addr show dev "$IF_C" | awk '{print $4}' | grep -vx "$CLI_IP/24" |
		while read -r a; do ip -n "$NS_C" addr del "$a" dev "$IF_C"; done
	if wait_for 3 clean_now; then
		log "$stage: leftovers removed by force"
		return 0
	fi
	log "$stage: cannot restore the baseline; the remaining tunnels are not run:"
	diff <(echo "$BASELINE") <(all_state) | grep '^[<>]' >&2
	DIRTY=1
	return 1
}

# ------------------------------------------------------------------ measuring
# measure KEY PID...: BENCH_RUNS iperf3 runs client -> LAN host; CPU of PIDs.
measure() {
	local key=$1 srv i out mbps vals=() errs="" t0 t1 h0b h0t h1b h1t ticks0=0 ticks1=0 p hz per=""
	shift
	local pids=("$@")
	hz=$(getconf CLK_TCK)
	nsx "$NS_L" iperf3 -s -B "$LAN_HOST" >"$TMP/iperf3-server-$key.log" 2>&1 &
	srv=$!
	if ! wait_for 5 tcp_listening "$NS_L" 5201; then
		stop_pid "$srv"
		fail "$key" "iperf3 server did not start"
		return 1
	fi
	declare -A pt0=()
	for p in "${pids[@]}"; do pt0[$p]=$(proc_ticks "$p"); ticks0=$((ticks0 + pt0[$p])); done
	read -r h0b h0t < <(host_stat)
	t0=$(now_ns)
	for i in $(seq "$RUNS"); do
		out="$TMP/iperf3-$key-$i.json"
		timeout --foreground $((SECS + OMIT + 30)) ip netns exec "$NS_C" \
			iperf3 -c "$LAN_HOST" -t "$SECS" -O "$OMIT" --connect-timeout 5000 -J >"$out" 2>&1
		mbps=$(jq -r '.end.sum_received.bits_per_second // empty' "$out" 2>/dev/null | awk 'NF {printf "%.1f", $1 / 1e6}')
		if [ -n "$mbps" ]; then
			vals+=("$mbps")
			log "  $key run $i/$RUNS: $mbps Mbit/s"
		else
			errs="$errs run $i: $(jq -r '.error // empty' "$out" 2>/dev/null || head -c 200 "$out");"
			log "  $key run $i/$RUNS failed: $(jq -r '.error // "no result"' "$out" 2>/dev/null)"
		fi
	done
	t1=$(now_ns)
	read -r h1b h1t < <(host_stat)
	for p in "${pids[@]}"; do
		local d=$(($(proc_ticks "$p") - pt0[$p]))
		ticks1=$((ticks1 + d))
		per="$per $(awk -v d="$d" -v hz="$hz" -v ns=$((t1 - t0)) 'BEGIN {printf "%.0f%%", 100 * d / hz / (ns / 1e9)}')"
	done
	stop_pid "$srv"
	if [ "${#vals[@]}" -eq 0 ]; then
		fail "$key" "no iperf3 run succeeded:$errs"
		return 1
	fi
	MBPS[$key]=$(median "${vals[@]}")
	RUNLIST[$key]="${vals[*]}"
	if [ "${#pids[@]}" -gt 0 ]; then
		CPU[$key]=$(awk -v d="$ticks1" -v hz="$hz" -v ns=$((t1 - t0)) 'BEGIN {printf "%.0f%%", 100 * d / hz / (ns / 1e9)}')
		NOTE[$key]="${NOTE[$key]}${NOTE[$key]:+; }CPU per process (gw, client):$per"
	else
		CPU[$key]="-"
	fi
	HOSTCPU[$key]=$(awk -v b=$((h1b - h0b)) -v t=$((h1t - h0t)) 'BEGIN {printf "%.0f%%", t ? 100 * b / t : 0}')
	[ -n "$errs" ] && NOTE[$key]="${NOTE[$key]}${NOTE[$key]:+; }failed runs:$errs"
	STATUS[$key]=ok
	log "$key: median ${MBPS[$key]} Mbit/s (runs: ${vals[*]}), tunnel CPU ${CPU[$key]}, host busy ${HOSTCPU[$key]}"
}

# ------------------------------------------------------------------ 1. plain
stage_plain() {
	ip -n "$NS_C" route add "$LAN_NET" via "$GW_IP" || { fail plain "cannot add the route"; return 1; }
	if ! wait_for 5 ping_ok; then
		fail plain "the LAN host does not answer over plain routing"
		return 1
	fi
	NOTE[plain]="routed veth, MTU 1500"
	measure plain
}

# ------------------------------------------------------------------ 2. Ibex
IBEX_BIN=
# fail_ibex WHY: both Ibex paths cannot run
fail_ibex() { fail ibex "$1"; fail ibex-no-offload "$1"; }
build_ibex() {
	local tdir=${CARGO_TARGET_DIR:-target}
	case $tdir in /*) ;; *) tdir=$ROOT/$tdir ;; esac
	IBEX_BIN=$tdir/release
	if [ "${BENCH_BUILD:-1}" != 0 ]; then
		command -v cargo >/dev/null || { fail_ibex "cargo not found (install Rust with rustup)"; return 1; }
		log "building ibexd, ibex and ibex-responder (release) into $tdir"
		if ! cargo build --release --locked -p ibexd -p ibex -p ibex-responder >"$TMP/cargo-build.log" 2>&1; then
			tail -20 "$TMP/cargo-build.log" >&2
			fail_ibex "cargo build --release failed"
			return 1
		fi
	fi
	local b
	for b in ibexd ibex ibex-responder; do
		[ -x "$IBEX_BIN/$b" ] || { fail_ibex "$IBEX_BIN/$b missing"; return 1; }
	done
}
# stage_ibex KEY OFFLOAD: Ibex with TUN offloads on (1) or off (0, IBEX_TUN_OFFLOAD=0)
stage_ibex() {
	local key=$1 offload=$2
	local d=$TMP/$key psk rpid dpid out
	mkdir -p "$d"
	psk="bench-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
	(
		umask 077
		cat >"$d/responder.json" <<JSON
{"version": 1, "listen": "$GW_IP", "id": "gw.bench.test", "auth": {"method": "psk"},
 "users": [{"id": "client.bench.test", "psk": "$psk"}],
 "ike_proposals": ["aes128gcm16-prfsha256-x25519"], "esp_proposals": ["aes128gcm16"],
 "pool": "10.99.10.0/24", "subnets": ["$LAN_NET"],
 "tun": {"name": "$IBEX_GW_TUN", "mtu": $MTU}}
JSON
	)
	cat >"$d/profile.json" <<JSON
{"version": 1, "uuid": "6b0f3c1e-2d4a-4f7b-9c8e-1a2b3c4d5e6f", "name": "bench",
 "gateway": {"host": "$GW_IP", "port": 500}, "local_id": "client.bench.test", "remote_id": "gw.bench.test",
 "auth": {"method": "psk"},
 "ike_proposals": ["aes128gcm16-prfsha256-x25519"], "esp_proposals": ["aes128gcm16"],
 "routes": {"mode": "split", "prefixes": ["$LAN_NET"]},
 "dns": {"use_gateway": false, "servers": [], "search": []},
 "remember_secrets": false}
JSON
	# ip netns exec and env exec: $! is the program itself (its CPU time is measured)
	ip netns exec "$NS_G" env IBEX_LOG="$IBEX_LOG_LEVEL" IBEX_TUN_OFFLOAD="$offload" "$IBEX_BIN/ibex-responder" --config "$d/responder.json" \
		--state-dir "$d/gw-state" >"$d/responder.log" 2>&1 &
	rpid=$!
	ip netns exec "$NS_C" env IBEX_LOG="$IBEX_LOG_LEVEL" IBEX_TUN_OFFLOAD="$offload" "$IBEX_BIN/ibexd" --socket "$d/ibexd.sock" \
		--state-dir "$d/client-state" >"$d/ibexd.log" 2>&1 &
	dpid=$!
	local ok=1 why=""
	if ! wait_for 10 udp_bound "$NS_G" 500; then
		ok=0 why="ibex-responder did not bind UDP 500: $(tail -3 "$d/responder.log" | tr '\n' ' ')"
	elif ! wait_for 10 test -S "$d/ibexd.sock"; then
		ok=0 why="ibexd did not create its socket: $(tail -3 "$d/ibexd.log" | tr '\n' ' ')"
	else
		log "ibex connect (PSK on stdin)"
		if ! out=$(printf '%s\n' "$psk" | timeout --foreground 40 ip netns exec "$NS_C" \
			"$IBEX_BIN/ibex" --socket "$d/ibexd.sock" connect "$d/profile.json" 2>&1); then
			ok=0 why="ibex connect failed: $(echo "$out" | tail -3 | tr '\n' ' ')"
		elif ! wait_for 10 ping_ok; then
			ok=0 why="connected, but the LAN host does not answer through the tunnel"
		fi
	fi
	if [ "$ok" = 1 ]; then
		nsx "$NS_C" "$IBEX_BIN/ibex" --socket "$d/ibexd.sock" status --json >"$d/status.json" 2>/dev/null
		NOTE[$key]="ESP $(jq -r '.esp_suite // "?"' "$d/status.json" 2>/dev/null), IKE $(jq -r '.ike_suite // "?"' "$d/status.json" 2>/dev/null), UDP 4500, MTU $MTU, TUN offloads $([ "$offload" = 1 ] && echo on || echo off)"
		measure "$key" "$rpid" "$dpid"
		nsx "$NS_C" "$IBEX_BIN/ibex" --socket "$d/ibexd.sock" status --json >"$d/status-after.json" 2>/dev/null
		NOTE[$key]="${NOTE[$key]}; after the runs: $(jq -r '"\(.packets_out) packets out, \(.packets_in) in, \(.drops) dropped"' "$d/status-after.json" 2>/dev/null)"
	else
		fail "$key" "$why"
		log "ibex-responder log (tail):"; tail -15 "$d/responder.log" >&2
		log "ibexd log (tail):"; tail -15 "$d/ibexd.log" >&2
	fi
	timeout 15 ip netns exec "$NS_C" "$IBEX_BIN/ibex" --socket "$d/ibexd.sock" disconnect >/dev/null 2>&1
	stop_pid "$dpid" "$rpid"
	ensure_clean "$key"
}

# ------------------------------------------------------------------ 3. strongSwan
CHARON=
for c in /usr/lib/ipsec/charon /usr/libexec/ipsec/charon; do [ -x "$c" ] && CHARON=$c && break; done
# sw_conf DIR: strongswan.conf for one instance (kernel-libipsec before kernel-netlink:
# the first kernel-ipsec interface registered wins; kernel-netlink still does routes)
sw_conf() {
	local d=$1
	cat >"$d/strongswan.conf" <<EOF
charon {
	load_modular = no
	load = random nonce openssl curve25519 sha2 hmac kdf kernel-libipsec kernel-netlink socket-default vici
	install_virtual_ip = yes
	filelog {
		bench {
			path = $d/charon.log
			time_format = %H:%M:%S
			append = no
			flush_line = yes
			default = 1
		}
	}
	syslog {
		identifier = charon-ibench
		daemon {
			default = -1
		}
	}
	plugins {
		vici {
			socket = unix://$d/charon.vici
		}
	}
}
EOF
}
# charon_start DIR NS: charon with a private /run (Debian's charon hard-codes its pid file there)
charon_start() {
	local d=$1 ns=$2
	mkdir -p "$d/run"
	ip netns exec "$ns" unshare -m sh -c \
		"mount --make-rprivate / && mount --bind '$d/run' /run && exec env STRONGSWAN_CONF='$d/strongswan.conf' '$CHARON'" \
		>"$d/charon.stdout" 2>&1 &
	echo $! >"$d/pid"
	wait_for 10 test -S "$d/charon.vici" || return 1
	swanctl --load-all --noprompt --file "$d/swanctl.conf" --uri "unix://$d/charon.vici" >"$d/load.log" 2>&1
}
stage_strongswan() {
	if [ -z "$CHARON" ] || ! command -v swanctl >/dev/null; then
		skip strongswan "charon/swanctl not installed"
		return 0
	fi
	[ -e "$(dirname "$CHARON")/plugins/libstrongswan-kernel-libipsec.so" ] ||
		{ skip strongswan "kernel-libipsec plugin missing (libcharon-extra-plugins)"; return 0; }
	[ -c /dev/net/tun ] || { skip strongswan "/dev/net/tun missing"; return 0; }
	local g=$TMP/sw-gw c=$TMP/sw-cli psk ok=1 why="" out
	mkdir -p "$g" "$c"
	psk="bench-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
	sw_conf "$g"
	sw_conf "$c"
	local secrets="secrets {
	ike-bench {
		id-gw = gw.bench.test
		id-cli = client.bench.test
		secret = \"$psk\"
	}
}"
	cat >"$g/swanctl.conf" <<EOF
connections {
	rw {
		version = 2
		local_addrs = $GW_IP
		pools = pool4
		proposals = aes128gcm16-prfsha256-x25519
		local {
			auth = psk
			id = gw.bench.test
		}
		remote {
			auth = psk
			id = client.bench.test
		}
		children {
			net {
				local_ts = $LAN_NET
				esp_proposals = aes128gcm16
				mode = tunnel
			}
		}
	}
}
pools {
	pool4 {
		addrs = 10.99.10.0/24
	}
}
$secrets
EOF
	cat >"$c/swanctl.conf" <<EOF
connections {
	home {
		version = 2
		remote_addrs = $GW_IP
		vips = 0.0.0.0
		proposals = aes128gcm16-prfsha256-x25519
		local {
			auth = psk
			id = client.bench.test
		}
		remote {
			auth = psk
			id = gw.bench.test
		}
		children {
			home {
				remote_ts = $LAN_NET
				esp_proposals = aes128gcm16
				mode = tunnel
			}
		}
	}
}
$secrets
EOF
	chmod 600 "$g/swanctl.conf" "$c/swanctl.conf"
	if ! charon_start "$g" "$NS_G"; then
		ok=0 why="charon (gw) did not start: $(tail -3 "$g/charon.stdout" "$g/load.log" 2>/dev/null | tr '\n' ' ')"
	elif ! charon_start "$c" "$NS_C"; then
		ok=0 why="charon (client) did not start: $(tail -3 "$c/charon.stdout" "$c/load.log" 2>/dev/null | tr '\n' ' ')"
	elif ! out=$(swanctl --initiate --child home --timeout 30 --uri "unix://$c/charon.vici" 2>&1); then
		ok=0 why="swanctl --initiate failed: $(echo "$out" | tail -2 | tr '\n' ' ')"
	elif ! wait_for 10 ping_ok; then
		ok=0 why="established, but the LAN host does not answer through the tunnel"
	fi
	local gpid cpid
	gpid=$(cat "$g/pid" 2>/dev/null) cpid=$(cat "$c/pid" 2>/dev/null)
	if [ "$ok" = 1 ]; then
		NOTE[strongswan]="charon $(dpkg-query -W -f='${Version}' strongswan-charon 2>/dev/null), ESP aes128gcm16 in UDP 4500 (libipsec), openssl crypto, TUN MTU $(ip -n "$NS_C" -o link show ipsec0 2>/dev/null | sed -n 's/.* mtu \([0-9]*\).*/\1/p')"
		measure strongswan "$gpid" "$cpid"
	else
		fail strongswan "$why"
		tail -15 "$c/charon.log" "$g/charon.log" >&2 2>/dev/null
	fi
	[ -S "$c/charon.vici" ] && swanctl --terminate --ike home --timeout 5 --uri "unix://$c/charon.vici" >/dev/null 2>&1
	stop_pid "$cpid" "$gpid"
	ensure_clean strongswan
}

# ------------------------------------------------------------------ 4./5. WireGuard
# wg_stage KEY IFPREFIX CMD...: a WireGuard tunnel with a userspace implementation
# (CMD IFNAME runs it in the foreground), configured with wg through its UAPI socket.
wg_stage() {
	local key=$1 pre=$2
	shift 2
	local d=$TMP/$key ifc=${pre}c$TAG ifg=${pre}g$TAG gpid cpid ok=1 why=""
	mkdir -p "$d"
	(umask 077; wg genkey >"$d/gw.key" && wg genkey >"$d/cli.key") || { fail "$key" "wg genkey failed"; return 1; }
	wg pubkey <"$d/gw.key" >"$d/gw.pub" && wg pubkey <"$d/cli.key" >"$d/cli.pub"
	ip netns exec "$NS_G" env WG_PROCESS_FOREGROUND=1 "$@" "$ifg" >"$d/gw.log" 2>&1 &
	gpid=$!
	ip netns exec "$NS_C" env WG_PROCESS_FOREGROUND=1 "$@" "$ifc" >"$d/cli.log" 2>&1 &
	cpid=$!
	if ! wait_for 10 test -S "/var/run/wireguard/$ifg.sock" || ! wait_for 10 test -S "/var/run/wireguard/$ifc.sock"; then
		ok=0 why="no UAPI socket: $(tail -2 "$d/gw.log" "$d/cli.log" | tr '\n' ' ')"
	elif ! nsx "$NS_G" wg set "$ifg" listen-port "$WG_PORT" private-key "$d/gw.key" \
		peer "$(cat "$d/cli.pub")" allowed-ips 10.99.20.2/32 ||
		! ip -n "$NS_G" addr add 10.99.20.1/24 dev "$ifg" ||
		! ip -n "$NS_G" link set "$ifg" mtu "$MTU" up ||
		! nsx "$NS_C" wg set "$ifc" private-key "$d/cli.key" \
			peer "$(cat "$d/gw.pub")" allowed-ips "10.99.20.0/24,$LAN_NET" endpoint "$GW_IP:$WG_PORT" ||
		! ip -n "$NS_C" addr add 10.99.20.2/24 dev "$ifc" ||
		! ip -n "$NS_C" link set "$ifc" mtu "$MTU" up ||
		! ip -n "$NS_C" route add "$LAN_NET" dev "$ifc" src 10.99.20.2; then
		ok=0 why="configuring the interfaces failed"
	elif ! wait_for 10 ping_ok; then
		ok=0 why="the LAN host does not answer through the tunnel"
	fi
	if [ "$ok" = 1 ]; then
		measure "$key" "$gpid" "$cpid"
	else
		fail "$key" "$why"
		tail -5 "$d/gw.log" "$d/cli.log" >&2
	fi
	stop_pid "$cpid" "$gpid"
	rm -f "/var/run/wireguard/$ifg.sock" "/var/run/wireguard/$ifc.sock"
	ensure_clean "$key"
}
stage_wireguard_go() {
	command -v wireguard-go >/dev/null || { skip wireguard-go "wireguard-go not installed"; return 0; }
	command -v wg >/dev/null || { skip wireguard-go "wg (wireguard-tools) not installed"; return 0; }
	NOTE[wireguard-go]="$(wireguard-go --version 2>/dev/null | head -1 | awk '{print $2}') (Debian), UDP $WG_PORT, MTU $MTU"
	wg_stage wireguard-go wg wireguard-go -f
}
stage_boringtun() {
	command -v wg >/dev/null || { skip boringtun "wg (wireguard-tools) not installed"; return 0; }
	local bin=$CACHE/boringtun/bin/boringtun-cli
	if [ ! -x "$bin" ]; then
		command -v cargo >/dev/null || { skip boringtun "cargo not found"; return 0; }
		mkdir -p "$CACHE"
		log "cargo install --locked boringtun-cli --root $CACHE/boringtun (once; a few minutes)"
		if ! cargo install --locked boringtun-cli --root "$CACHE/boringtun" >"$TMP/boringtun-install.log" 2>&1; then
			skip boringtun "cargo install boringtun-cli failed: $(grep -m1 -E '^error' "$TMP/boringtun-install.log" || tail -1 "$TMP/boringtun-install.log")"
			return 0
		fi
	fi
	[ -x "$bin" ] || { skip boringtun "boringtun-cli not found after cargo install"; return 0; }
	NOTE[boringtun]="boringtun-cli $("$bin" --version 2>/dev/null | awk '{print $2}') (crates.io), UDP $WG_PORT, MTU $MTU"
	wg_stage boringtun bt "$bin" --foreground --disable-drop-privileges
}

# ------------------------------------------------------------------ report
report() {
	local k ibex=${MBPS[ibex]:-} plain=${MBPS[plain]:-} m rib rpl
	printf '# Ibex tunnel benchmark, %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf '# host: %s x %s, kernel %s, load average at start %s\n' "$(nproc)" \
		"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" "$(uname -r)" "$LOAD0"
	printf '# iperf3 TCP client (client ns) -> %s (lan ns), %s runs x %s s (+%s s omitted), median of receiver Mbit/s\n' \
		"$LAN_HOST" "$RUNS" "$SECS" "$OMIT"
	printf '# tunnel CPU: CPU time of the tunnel processes (gw + client) during the runs, 100%% = one core;\n'
	printf '# host busy: all CPUs of the machine (iperf3, kernel and anything else running) during the runs\n'
	printf '%-31s %10s %8s %8s %11s %10s  %s\n' path 'Mbit/s' 'x Ibex' 'x plain' 'tunnel CPU' 'host busy' 'runs (Mbit/s)'
	for k in "${ORDER[@]}"; do
		if [ "${STATUS[$k]}" = ok ]; then
			m=${MBPS[$k]}
			rib=$([ -n "$ibex" ] && awk -v a="$m" -v b="$ibex" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}' || echo n/a)
			rpl=$([ -n "$plain" ] && awk -v a="$m" -v b="$plain" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}' || echo n/a)
			printf '%-31s %10s %8s %8s %11s %10s  %s\n' "${LABEL[$k]}" "$m" "$rib" "$rpl" "${CPU[$k]}" "${HOSTCPU[$k]}" "${RUNLIST[$k]}"
		else
			printf '%-31s %10s %8s %8s %11s %10s  %s\n' "${LABEL[$k]}" "${STATUS[$k]^^}" - - - - ""
		fi
	done
	printf '\n'
	for k in "${ORDER[@]}"; do
		[ -n "${NOTE[$k]}" ] && printf '%s: %s\n' "${LABEL[$k]}" "${NOTE[$k]}"
	done
	printf 'run time: %ss\n' "$(($(date +%s) - T0))"
}

# ------------------------------------------------------------------ main
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
install_pkgs
TMP=$(mktemp -d /tmp/ibex-bench.XXXXXX)
log "temp dir $TMP, namespaces $NS_C $NS_G $NS_L"

if wanted ibex || wanted ibex-no-offload; then build_ibex || true; fi

log "topology: $NS_C ($CLI_IP) -- $NS_G ($GW_IP, $GW_LAN_IP) -- $NS_L ($LAN_HOST)"
topology || { log "building the topology failed"; exit 1; }

if wanted plain; then
	log "== plain veth"
	stage_plain
fi
seal_gateway || { log "the LAN is still reachable without a tunnel after sealing the gateway"; exit 1; }
BASELINE=$(all_state)

run_stage() {
	local key=$1 fn=$2
	shift 2
	wanted "$key" || { skip "$key" "BENCH_SKIP"; return; }
	[ "${STATUS[$key]}" = failed ] && return # e.g. the Ibex build failed
	if [ "$DIRTY" = 1 ]; then
		skip "$key" "an earlier tunnel could not be torn down"
		return
	fi
	log "== $key"
	"$fn" "$@"
}
run_stage ibex stage_ibex ibex 1
run_stage ibex-no-offload stage_ibex ibex-no-offload 0
run_stage strongswan stage_strongswan
run_stage wireguard-go stage_wireguard_go
run_stage boringtun stage_boringtun

mkdir -p "$(dirname "$OUT")"
report | tee "$OUT"
log "saved to $OUT"

rc=0
for k in plain ibex; do
	if wanted "$k" && [ "${STATUS[$k]}" != ok ]; then rc=1; fi
done
exit $rc
