#!/usr/bin/env bash
# Ibex's main job at this stage of the road map: an Ibex initiator signs in to
# the bundled Ibex responder over real UDP in two network namespaces that this
# script creates (192.0.2.0/24 only), negotiates the IKE SA and the first Child
# SA with a virtual IP, rekeys both, and deletes it. Everything is removed on
# exit. Needs root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: run as root (network namespaces)" >&2; exit 1; }
scripts/install-deps.sh >/dev/null

echo "==> building"
cargo build --quiet --locked -p ibex-e2e --bin ibex-ike-driver
bin="${CARGO_TARGET_DIR:-target}/debug/ibex-ike-driver"

gw=ibexdemo-gw$$ cli=ibexdemo-cli$$ tmp=$(mktemp -d)
cleanup() {
	for ns in "$gw" "$cli"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ip netns add "$gw"
ip netns add "$cli"
ip link add ibxd0 netns "$gw" type veth peer name ibxd1 netns "$cli"
ip -n "$gw" addr add 192.0.2.1/24 dev ibxd0
ip -n "$cli" addr add 192.0.2.2/24 dev ibxd1
for ns in "$gw" "$cli"; do ip -n "$ns" link set lo up; done
ip -n "$gw" link set ibxd0 up
ip -n "$cli" link set ibxd1 up

psk="demo-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
cat >"$tmp/gw.json" <<JSON
{"role":"responder","local":"192.0.2.1","ike_proposals":["aes256gcm16-prfsha384-ecp384","chacha20poly1305-prfsha256-x25519"],
 "esp_proposals":["aes256gcm16","chacha20poly1305"],"local_id":"gw.ibex.test","remote_id":"client.ibex.test",
 "auth":{"psk":"$psk"},"pool":"10.99.10.0/24","local_ts":["10.99.0.0/24"],"remote_ts":["0.0.0.0/0"],"exit_after_ms":15000}
JSON
cat >"$tmp/cli.json" <<JSON
{"role":"initiator","local":"192.0.2.2","remote":"192.0.2.1","ike_proposals":["aes256gcm16-prfsha384-ecp384"],
 "esp_proposals":["aes256gcm16"],"local_id":"client.ibex.test","remote_id":"gw.ibex.test","auth":{"psk":"$psk"},
 "request_vip":true,"remote_ts":["10.99.0.0/24"],
 "actions":[{"after_ms":500,"do":"rekey-child"},{"after_ms":1000,"do":"rekey-ike"},{"after_ms":1500,"do":"delete"}],"exit_after_ms":10000}
JSON

echo "==> ibex responder in netns $gw (192.0.2.1), ibex initiator in netns $cli (192.0.2.2)"
IBEX_LOG=warn ip netns exec "$gw" "$bin" "$tmp/gw.json" >"$tmp/gw.out" 2>"$tmp/gw.err" &
sleep 0.3
IBEX_LOG=${IBEX_LOG:-info} ip netns exec "$cli" "$bin" "$tmp/cli.json" | sed 's/^/  initiator: /'
status=${PIPESTATUS[0]}
sleep 0.2
sed 's/^/  responder: /' "$tmp/gw.out"
if [ "$status" -eq 0 ] && grep -q "EVENT closed" "$tmp/gw.out"; then
	echo "==> OK: signed in, got a virtual IP, rekeyed, and closed cleanly"
else
	echo "==> FAILED (initiator exit $status)"; cat "$tmp/gw.err" >&2; exit 1
fi
