#!/usr/bin/env bash
# Ibex's main job, end to end, on one machine: the bundled reference gateway
# (ibex-responder) and the client (ibexd + the ibex CLI) in network namespaces
# that this script creates, a host on the gateway's LAN, and a NAT router in
# between. It signs in, pings through the tunnel, shows `ibex status`,
# disconnects, and removes everything on exit. Only documentation ranges are
# used (192.0.2.0/24, 198.51.100.0/24) plus 10.99.0.0/16 inside the namespaces.
# Needs root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: run as root (network namespaces, TUN)" >&2; exit 1; }
scripts/install-deps.sh >/dev/null

echo "==> building ibex, ibexd and ibex-responder"
cargo build --quiet --locked -p ibex -p ibexd -p ibex-responder
bin="${CARGO_TARGET_DIR:-target}/debug"

tag=$$
cli=ibexdemo-c$tag nat=ibexdemo-n$tag gw=ibexdemo-g$tag lan=ibexdemo-l$tag
tmp=$(mktemp -d)
cleanup() {
	for ns in "$cli" "$nat" "$gw" "$lan"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
	done
	sleep 0.3
	for ns in "$cli" "$nat" "$gw" "$lan"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "/etc/netns/$cli" "$tmp"
}
trap cleanup EXIT INT TERM

for ns in "$cli" "$nat" "$gw" "$lan"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
link() { ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"; ip -n "$1" link set "$2" up; ip -n "$3" link set "$4" up; }
link "$cli" d$tag-c "$nat" d$tag-n
link "$nat" d$tag-o "$gw" d$tag-g
link "$gw" d$tag-h "$lan" d$tag-l
ip -n "$cli" addr add 198.51.100.2/24 dev d$tag-c
ip -n "$cli" route add default via 198.51.100.1
ip -n "$nat" addr add 198.51.100.1/24 dev d$tag-n
ip -n "$nat" addr add 192.0.2.3/24 dev d$tag-o
ip netns exec "$nat" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$nat" nft add table ip demo
ip netns exec "$nat" nft add chain ip demo post '{ type nat hook postrouting priority 100; }'
ip netns exec "$nat" nft add rule ip demo post oifname d$tag-o masquerade
ip -n "$gw" addr add 192.0.2.1/24 dev d$tag-g
ip -n "$gw" addr add 10.99.0.1/24 dev d$tag-h
ip netns exec "$gw" sysctl -qw net.ipv4.ip_forward=1
ip -n "$lan" addr add 10.99.0.2/24 dev d$tag-l
ip -n "$lan" route add default via 10.99.0.1
# The client's own resolver: `ip netns exec` shows this file as /etc/resolv.conf.
mkdir -p "/etc/netns/$cli"
printf 'nameserver 198.51.100.53\n' >"/etc/netns/$cli/resolv.conf"

psk="demo-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
cat >"$tmp/responder.json" <<JSON
{"version": 1, "listen": "192.0.2.1", "id": "gw.ibex.test", "auth": {"method": "psk"},
 "users": [{"id": "client.ibex.test", "psk": "$psk"}],
 "pool": "10.99.10.0/24", "dns": ["10.99.0.53"], "subnets": ["10.99.0.0/24"]}
JSON
chmod 600 "$tmp/responder.json"
cat >"$tmp/demo.json" <<JSON
{"version": 1, "uuid": "0d3c1a9e-5b7f-4e21-8c6d-9a2b4f1e7c30", "name": "demo",
 "gateway": {"host": "192.0.2.1", "port": 500}, "local_id": "client.ibex.test", "remote_id": "gw.ibex.test",
 "auth": {"method": "psk"}, "routes": {"mode": "full"}, "dns": {"use_gateway": true, "servers": [], "search": []}}
JSON

echo "==> gateway: ibex-responder in $gw (192.0.2.1), LAN host 10.99.0.2 in $lan"
ip netns exec "$gw" "$bin/ibex-responder" --config "$tmp/responder.json" --state-dir "$tmp/gw" 2>"$tmp/responder.log" &
echo "==> client: ibexd in $cli (198.51.100.2, behind a NAT router)"
ip netns exec "$cli" "$bin/ibexd" --socket "$tmp/ibexd.sock" --state-dir "$tmp/client" 2>"$tmp/ibexd.log" &
for _ in $(seq 50); do [ -S "$tmp/ibexd.sock" ] && break; sleep 0.1; done
ibex() { ip netns exec "$cli" "$bin/ibex" --socket "$tmp/ibexd.sock" "$@"; }

echo "==> before: the LAN host is unreachable"
ip netns exec "$cli" ping -c1 -W1 10.99.0.2 >/dev/null 2>&1 && { echo "the LAN is reachable without a tunnel"; exit 1; }
echo "    (no answer, as expected)"
echo "==> ibex connect demo.json   (the pre-shared key is answered on stdin)"
echo "$psk" | ibex connect "$tmp/demo.json"
echo "==> ping 10.99.0.2 through the tunnel"
ip netns exec "$cli" ping -c3 -i0.2 10.99.0.2
echo "==> ibex status"
sleep 1.2 # ibexd publishes traffic counters once a second, not per packet
ibex status
echo "==> client resolv.conf while connected"
ip netns exec "$cli" cat /etc/resolv.conf
echo "==> ibex disconnect"
ibex disconnect
ip netns exec "$cli" ping -c1 -W1 10.99.0.2 >/dev/null 2>&1 && { echo "traffic still flows after disconnect"; exit 1; }
echo "    routes, DNS and TUN restored:"
ip -n "$cli" -br link | sed 's/^/    /'
ip netns exec "$cli" cat /etc/resolv.conf | sed 's/^/    /'
echo "==> OK"
