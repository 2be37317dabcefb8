#!/usr/bin/env bash
# bench-roaming.sh — how long traffic stops when a VPN client loses its first
# uplink and the tunnel moves to the second one with MOBIKE (RFC 4555), for
# Ibex and for strongSwan, in one run on one topology:
#
#   client ns  c1 192.0.2.2/24   ── gw ns g1 192.0.2.1/24    uplink 1
#              c2 203.0.113.2/24 ── gw ns g2 203.0.113.1/24  uplink 2 (backup route
#                                   to 192.0.2.0/24 via 203.0.113.1, metric 200)
#   gw ns ── 10.99.0.0/24 ── lan ns (ping target 10.99.0.2)
#
#   1. ibex        ibex-responder (gw) + ibexd and the ibex CLI (client), PSK
#   2. strongswan  charon on both ends, kernel-libipsec (userspace ESP over TUN;
#                  this kernel may have no ESP in XFRM), PSK
#
# Each repetition starts the tunnel afresh (over uplink 1), pings 10.99.0.2
# every 10 ms through it, takes uplink 1 down after 2 s, and measures the gap:
# the time without a reply across the cut (about 10 ms when nothing is lost;
# a busy machine stretches ping's interval). Then the tunnel is torn down
# and uplink 1 comes back for the next repetition. The gateway drops
# cleartext forwarding between its uplinks and the LAN, so the pings can only
# go through the tunnel. Both suites: aes128gcm16 / prfsha256 / x25519.
#
# Usage (root, Debian 12, after scripts/install-deps.sh and a build):
#   scripts/bench-roaming.sh
# Environment:
#   BENCH_REPS=10        repetitions per implementation
#   BENCH_PROFILE=release   which Ibex build to run (release or debug)
#   BENCH_BUILD=1        build ibexd, ibex and ibex-responder first (0: use what is built)
#   BENCH_SKIP="strongswan"  implementations to leave out (ibex strongswan)
#   BENCH_OUT=/tmp/ibex-bench-roaming.txt   where the table is saved as well
#   BENCH_KEEP=1         keep the temp dir (configs, logs, ping output)
#   BENCH_IBEX_LOG=info  IBEX_LOG for ibexd and ibex-responder
#
# Exit status: 0 when Ibex was measured in every repetition, 1 otherwise.
# Everything it creates (namespaces, processes, temp files) is removed on
# exit, also on failure or Ctrl-C.
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

REPS=${BENCH_REPS:-10}
PROFILE=${BENCH_PROFILE:-release}
OUT=${BENCH_OUT:-/tmp/ibex-bench-roaming.txt}
SKIP=" ${BENCH_SKIP:-} "
IBEX_LOG_LEVEL=${BENCH_IBEX_LOG:-info}
case $REPS in '' | *[!0-9]*) echo "bench-roaming: BENCH_REPS must be a whole number" >&2; exit 2 ;; esac
[ "$REPS" -ge 1 ] || { echo "bench-roaming: BENCH_REPS must be >= 1" >&2; exit 2; }
case $PROFILE in release | debug) ;; *) echo "bench-roaming: BENCH_PROFILE is release or debug" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "bench-roaming: run as root (network namespaces, TUN)" >&2; exit 1; }

log() { printf '[roam %s] %s\n' "$(date +%T)" "$*" >&2; }

# ------------------------------------------------------------------ names
TAG=$$
NS_C=iroam$TAG-c NS_G=iroam$TAG-g NS_L=iroam$TAG-l
IF_C1=irc1$TAG IF_G1=irg1$TAG IF_C2=irc2$TAG IF_G2=irg2$TAG IF_H=irh$TAG IF_L=irl$TAG
IBEX_GW_TUN=irt$TAG
CLI_IP=192.0.2.2 GW_IP=192.0.2.1 CLI_IP2=203.0.113.2 GW_IP2=203.0.113.1
GW_LAN_IP=10.99.0.1 LAN_HOST=10.99.0.2 LAN_NET=10.99.0.0/24
TMP=
CLEANED=0

# ------------------------------------------------------------------ cleanup
ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$1"; }
# kill_ns NS: TERM (then KILL) every process in NS, by pid: only this
# script's namespaces are passed, so these are processes it started.
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
	local ns
	for ns in "$NS_C" "$NS_G" "$NS_L"; do kill_ns "$ns"; done
	for ns in "$NS_C" "$NS_G" "$NS_L"; do ns_exists "$ns" && ip netns del "$ns" 2>/dev/null; done
	if [ -n "$TMP" ] && [ -d "$TMP" ]; then
		if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
	fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# Namespaces of an earlier run that was killed with SIGKILL (creator gone).
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^iroam[0-9]+-[cgl]$'); do
	pid=${ns#iroam}; pid=${pid%-*}
	if ! kill -0 "$pid" 2>/dev/null; then
		log "removing stale namespace $ns (creator $pid is gone)"
		kill_ns "$ns"; ip netns del "$ns" 2>/dev/null
	fi
done

# ------------------------------------------------------------------ helpers
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# wait_for SECONDS CMD...: poll CMD every 0.05 s until it succeeds
wait_for() {
	local t=$1 end
	shift
	end=$(($(date +%s%N) + t * 1000000000))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	"$@" >/dev/null 2>&1
}
ping_ok() { nsx "$NS_C" ping -n -c 1 -W 1 "$LAN_HOST" >/dev/null 2>&1; }
udp_bound() { [ -n "$(nsx "$1" ss -Hlun "sport = :$2" 2>/dev/null)" ]; }
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
# median / max of whole numbers
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR == 0) exit 1; if (NR % 2) m = a[(NR + 1) / 2]; else m = (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.0f\n", m}'; }
maxof() { printf '%s\n' "$@" | sort -n | tail -1; }

# ------------------------------------------------------------------ topology
topology() {
	local ns
	for ns in "$NS_C" "$NS_G" "$NS_L"; do
		ip netns add "$ns" || return 1
		nsx "$ns" ip link set lo up
		nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
		nsx "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 >/dev/null 2>&1
	done
	ip link add "$IF_C1" netns "$NS_C" type veth peer name "$IF_G1" netns "$NS_G" || return 1
	ip link add "$IF_C2" netns "$NS_C" type veth peer name "$IF_G2" netns "$NS_G" || return 1
	ip link add "$IF_H" netns "$NS_G" type veth peer name "$IF_L" netns "$NS_L" || return 1
	ip -n "$NS_C" addr add "$CLI_IP/24" dev "$IF_C1" &&
		ip -n "$NS_C" addr add "$CLI_IP2/24" dev "$IF_C2" &&
		ip -n "$NS_G" addr add "$GW_IP/24" dev "$IF_G1" &&
		ip -n "$NS_G" addr add "$GW_IP2/24" dev "$IF_G2" &&
		ip -n "$NS_G" addr add "$GW_LAN_IP/24" dev "$IF_H" &&
		ip -n "$NS_L" addr add "$LAN_HOST/24" dev "$IF_L" || return 1
	local pair
	for pair in "$NS_C $IF_C1" "$NS_C $IF_C2" "$NS_G $IF_G1" "$NS_G $IF_G2" "$NS_G $IF_H" "$NS_L $IF_L"; do
		# shellcheck disable=SC2086
		set -- $pair
		ip -n "$1" link set "$2" up || return 1
	done
	ip -n "$NS_L" route add default via "$GW_LAN_IP" || return 1
	nsx "$NS_G" sysctl -qw net.ipv4.ip_forward=1 >/dev/null || return 1
	# uplink 1 first; uplink 2 carries traffic to the gateway once it is gone
	ip -n "$NS_C" route add 192.0.2.0/24 via "$GW_IP2" dev "$IF_C2" metric 200 || return 1
	ip -n "$NS_C" route add default via "$GW_IP2" dev "$IF_C2" metric 200 || return 1
	# only decrypted traffic (out of a tunnel device) may reach the LAN
	nsx "$NS_G" nft -f - <<EOF || return 1
table inet iroam {
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname { "$IF_G1", "$IF_G2" } oifname "$IF_H" drop
		iifname "$IF_H" oifname { "$IF_G1", "$IF_G2" } drop
	}
}
EOF
	wait_for 5 nsx "$NS_C" ping -n -c 1 -W 1 "$GW_IP" || return 1
	! ping_ok
}
uplink1_up() {
	ip -n "$NS_C" link set "$IF_C1" up
	wait_for 5 nsx "$NS_C" ping -n -c 1 -W 1 -I "$IF_C1" "$GW_IP"
}
# The gap of one repetition: ping every 10 ms, uplink 1 down after 2 s.
# Prints, in ms, the time from the last reply before the link was down (when
# `ip link set down` returned) to the first reply after it: the outage that
# spans the cut (no reply can arrive while the link is down and the tunnel
# has not moved). "lost" when no reply came back.
gap_once() {
	local out=$1 down
	nsx "$NS_C" ping -D -n -i 0.01 -W 1 -w 5 "$LAN_HOST" >"$out" 2>&1 &
	local pp=$!
	sleep 2
	ip -n "$NS_C" link set "$IF_C1" down
	down=$(date +%s.%N)
	wait "$pp"
	awk -v down="$down" '
		/bytes from/ {
			t = substr($1, 2, length($1) - 2) + 0
			if (t <= down) last = t
			else if (!first) first = t
		}
		END { if (last && first) printf "%.0f\n", (first - last) * 1000; else print "lost" }' "$out"
}

# ------------------------------------------------------------------ results
declare -A GAPS FAILS NOTE LABEL=(
	[ibex]="Ibex (ibexd + ibex-responder)"
	[strongswan]="strongSwan charon, kernel-libipsec"
)
ORDER=(ibex strongswan)
for k in "${ORDER[@]}"; do GAPS[$k]=""; FAILS[$k]=0; NOTE[$k]=""; done
wanted() { [[ "$SKIP" != *" $1 "* ]]; }
record() { # record KEY GAP
	if [ "$2" = lost ]; then
		FAILS[$1]=$((FAILS[$1] + 1))
	else
		GAPS[$1]="${GAPS[$1]} $2"
	fi
}

# ------------------------------------------------------------------ Ibex
IBEX_BIN=
build_ibex() {
	local tdir=${CARGO_TARGET_DIR:-target} flag=()
	case $tdir in /*) ;; *) tdir=$ROOT/$tdir ;; esac
	IBEX_BIN=$tdir/$PROFILE
	[ "$PROFILE" = release ] && flag=(--release)
	if [ "${BENCH_BUILD:-1}" != 0 ]; then
		command -v cargo >/dev/null || { log "cargo not found (install Rust with rustup)"; return 1; }
		log "building ibexd, ibex and ibex-responder ($PROFILE) into $tdir"
		if ! cargo build "${flag[@]}" --locked -p ibexd -p ibex -p ibex-responder >"$TMP/cargo-build.log" 2>&1; then
			tail -20 "$TMP/cargo-build.log" >&2
			return 1
		fi
	fi
	local b
	for b in ibexd ibex ibex-responder; do
		[ -x "$IBEX_BIN/$b" ] || { log "$IBEX_BIN/$b missing"; return 1; }
	done
}
ibex_rep() { # ibex_rep N: one repetition; prints the gap
	local n=$1 d=$TMP/ibex/$1 psk rpid dpid out gap
	mkdir -p "$d"
	psk="bench-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
	(
		umask 077
		cat >"$d/responder.json" <<JSON
{"version": 1, "listen": "$GW_IP", "id": "gw.bench.test", "auth": {"method": "psk"},
 "users": [{"id": "client.bench.test", "psk": "$psk"}],
 "ike_proposals": ["aes128gcm16-prfsha256-x25519"], "esp_proposals": ["aes128gcm16"],
 "pool": "10.99.10.0/24", "subnets": ["$LAN_NET"],
 "tun": {"name": "$IBEX_GW_TUN", "mtu": 1400}}
JSON
	)
	cat >"$d/profile.json" <<JSON
{"version": 1, "uuid": "6b0f3c1e-2d4a-4f7b-9c8e-1a2b3c4d5e70", "name": "roam",
 "gateway": {"host": "$GW_IP", "port": 500}, "local_id": "client.bench.test", "remote_id": "gw.bench.test",
 "auth": {"method": "psk"},
 "ike_proposals": ["aes128gcm16-prfsha256-x25519"], "esp_proposals": ["aes128gcm16"],
 "routes": {"mode": "split", "prefixes": ["$LAN_NET"]},
 "dns": {"use_gateway": false, "servers": [], "search": []},
 "mobike": true, "remember_secrets": false}
JSON
	ip netns exec "$NS_G" env IBEX_LOG="$IBEX_LOG_LEVEL" "$IBEX_BIN/ibex-responder" --config "$d/responder.json" \
		--state-dir "$d/gw-state" >"$d/responder.log" 2>&1 &
	rpid=$!
	ip netns exec "$NS_C" env IBEX_LOG="$IBEX_LOG_LEVEL" "$IBEX_BIN/ibexd" --socket "$d/ibexd.sock" \
		--state-dir "$d/client-state" >"$d/ibexd.log" 2>&1 &
	dpid=$!
	gap=lost
	if ! wait_for 10 udp_bound "$NS_G" 500; then
		log "ibex #$n: ibex-responder did not bind UDP 500: $(tail -3 "$d/responder.log" | tr '\n' ' ')"
	elif ! wait_for 10 test -S "$d/ibexd.sock"; then
		log "ibex #$n: ibexd did not create its socket: $(tail -3 "$d/ibexd.log" | tr '\n' ' ')"
	elif ! out=$(printf '%s\n' "$psk" | timeout --foreground 40 ip netns exec "$NS_C" \
		"$IBEX_BIN/ibex" --socket "$d/ibexd.sock" connect "$d/profile.json" 2>&1); then
		log "ibex #$n: ibex connect failed: $(echo "$out" | tail -3 | tr '\n' ' ')"
	elif ! wait_for 10 ping_ok; then
		log "ibex #$n: connected, but the LAN host does not answer through the tunnel"
	else
		gap=$(gap_once "$d/ping.txt")
		grep -q "moving the tunnel (MOBIKE)" "$d/ibexd.log" || log "ibex #$n: ibexd did not move the tunnel"
	fi
	timeout 15 ip netns exec "$NS_C" "$IBEX_BIN/ibex" --socket "$d/ibexd.sock" disconnect >/dev/null 2>&1
	stop_pid "$dpid" "$rpid"
	echo "$gap"
}

# ------------------------------------------------------------------ strongSwan
CHARON=
for c in /usr/lib/ipsec/charon /usr/libexec/ipsec/charon; do [ -x "$c" ] && CHARON=$c && break; done
# sw_conf DIR: strongswan.conf (kernel-libipsec before kernel-netlink: the
# first kernel-ipsec interface registered wins; kernel-netlink still does
# routes, and its address/route events trigger MOBIKE roaming)
sw_conf() {
	local d=$1
	cat >"$d/strongswan.conf" <<EOF
charon {
	load_modular = no
	load = random nonce openssl curve25519 sha2 hmac kdf attr kernel-libipsec kernel-netlink socket-default vici
	install_virtual_ip = yes
	filelog {
		bench {
			path = $d/charon.log
			time_format = %H:%M:%S
			time_add_ms = yes
			append = no
			flush_line = yes
			default = 1
			ike = 1
		}
	}
	syslog {
		identifier = charon-iroam
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
sw_rep() { # sw_rep N: one repetition; prints the gap
	local n=$1 g=$TMP/sw/$1/gw c=$TMP/sw/$1/cli psk out gap gpid cpid
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
		mobike = yes
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
		mobike = yes
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
	gap=lost
	if ! charon_start "$g" "$NS_G"; then
		log "strongswan #$n: charon (gw) did not start: $(tail -3 "$g/charon.stdout" "$g/load.log" 2>/dev/null | tr '\n' ' ')"
	elif ! charon_start "$c" "$NS_C"; then
		log "strongswan #$n: charon (client) did not start: $(tail -3 "$c/charon.stdout" "$c/load.log" 2>/dev/null | tr '\n' ' ')"
	elif ! out=$(swanctl --initiate --child home --timeout 30 --uri "unix://$c/charon.vici" 2>&1); then
		log "strongswan #$n: swanctl --initiate failed: $(echo "$out" | tail -2 | tr '\n' ' ')"
	elif ! wait_for 10 ping_ok; then
		log "strongswan #$n: established, but the LAN host does not answer through the tunnel"
	else
		gap=$(gap_once "$c/ping.txt")
		grep -q "requesting address change using MOBIKE" "$c/charon.log" ||
			log "strongswan #$n: charon did not roam with MOBIKE"
	fi
	gpid=$(cat "$g/pid" 2>/dev/null) cpid=$(cat "$c/pid" 2>/dev/null)
	[ -S "$c/charon.vici" ] && swanctl --terminate --ike home --timeout 5 --uri "unix://$c/charon.vici" >/dev/null 2>&1
	stop_pid "$cpid" "$gpid"
	echo "$gap"
}

# ------------------------------------------------------------------ run
TMP=$(mktemp -d /tmp/ibex-bench-roaming.XXXXXX) || exit 1
log "topology (namespaces $NS_C $NS_G $NS_L)"
topology || { log "cannot build the topology"; exit 1; }

run_impl() { # run_impl KEY REPFN
	local key=$1 fn=$2 i gap
	for i in $(seq "$REPS"); do
		uplink1_up || { log "$key #$i: uplink 1 does not come back"; record "$key" lost; continue; }
		gap=$("$fn" "$i")
		log "$key #$i/$REPS: gap ${gap} ms"
		record "$key" "$gap"
	done
}

if wanted ibex; then
	if build_ibex; then
		NOTE[ibex]="$PROFILE build, MOBIKE; ibexd follows netlink events (1 ms settle)"
		run_impl ibex ibex_rep
	else
		NOTE[ibex]="not built"
		FAILS[ibex]=$REPS
	fi
fi
if wanted strongswan; then
	if [ -z "$CHARON" ] || ! command -v swanctl >/dev/null ||
		[ ! -e "$(dirname "$CHARON")/plugins/libstrongswan-kernel-libipsec.so" ]; then
		NOTE[strongswan]="charon/swanctl/kernel-libipsec not installed (scripts/install-deps.sh)"
	else
		NOTE[strongswan]="charon $(dpkg-query -W -f='${Version}' strongswan-charon 2>/dev/null), MOBIKE; waits ROAM_DELAY (100 ms) after a network change"
		run_impl strongswan sw_rep
	fi
fi

# ------------------------------------------------------------------ table
{
	echo "Traffic gap when uplink 1 is lost (ping every 10 ms; ~10 ms = nothing lost)"
	echo "$(date -u +%FT%TZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $REPS repetitions each"
	printf '%-38s %6s %6s %10s %8s   %s\n' implementation ok failed "median ms" "max ms" "gaps (ms)"
	for k in "${ORDER[@]}"; do
		# shellcheck disable=SC2086
		set -- ${GAPS[$k]}
		if [ $# -gt 0 ]; then
			printf '%-38s %6s %6s %10s %8s   %s\n' "${LABEL[$k]}" "$#" "${FAILS[$k]}" "$(median "$@")" "$(maxof "$@")" "$*"
		else
			printf '%-38s %6s %6s %10s %8s   %s\n' "${LABEL[$k]}" 0 "${FAILS[$k]}" - - "$(wanted "$k" && echo "${NOTE[$k]:-not run}" || echo "skipped (BENCH_SKIP)")"
		fi
	done
	echo
	for k in "${ORDER[@]}"; do [ -n "${NOTE[$k]}" ] && echo "$k: ${NOTE[$k]}"; done
} | tee "$OUT"
log "saved to $OUT"

# shellcheck disable=SC2086
set -- ${GAPS[ibex]}
[ $# -eq "$REPS" ] || ! wanted ibex
