#!/usr/bin/env bash
# install-deps.sh — install (idempotently) the Debian packages the Ibex test suite needs:
# strongSwan (charon + swanctl + pki + plugins incl. kernel-libipsec and the EAP plugins)
# and FreeRADIUS for the interop tests in tests/, packet tools, and the network utilities
# the harness calls.
#
#   sudo scripts/install-deps.sh        # or as root in CI
#
# Runs `apt-get update` only when something is missing; exits non-zero on failure.
set -euo pipefail

PACKAGES=(
	# strongSwan 5.9.x: charon, swanctl, pki, and the plugins the harness loads
	# (EAP: eap-mschapv2 is in libcharon-extauth-plugins; eap-identity, eap-gtc and
	# eap-radius in libcharon-extra-plugins; MD4 for MSCHAPv2 comes from the openssl
	# plugin via OpenSSL 3's legacy provider, part of libssl3)
	strongswan-swanctl
	strongswan-charon
	strongswan-pki
	libcharon-extra-plugins
	libcharon-extauth-plugins
	libstrongswan-extra-plugins
	libstrongswan-standard-plugins
	# packet capture / decoding
	tshark
	tcpdump
	# netns/veth/addresses + ss (iproute2), ping, unshare/mount, timeout, sysctl/ps, killall
	iproute2
	iputils-ping
	util-linux
	coreutils
	procps
	psmisc
	# test PKI (PKCS#8 conversion, DER)
	openssl
	# throughput tests and firewalling inside namespaces
	iperf3
	nftables
	# flushing a NAT router's connection tracking (the NAT rebinding test)
	conntrack
	# the verified TCP bulk transfer of the tunnel tests (tests/src/transfer.rs)
	python3
	# building the CLI's FIDO2 USB support (crates/client, feature `usb`):
	# fido-hid-rs links libudev (found with pkg-config) and runs bindgen (libclang)
	libudev-dev
	pkg-config
	libclang-dev
	# EAP interop: charon's eap-radius talks to a private FreeRADIUS 3.2 (EAP-GTC with
	# TOTP codes via rlm_totp) started by the tests in a namespace (tests/src/radius.rs);
	# the system service is not used
	freeradius
	# the push approval page is tested in headless Chromium through WebDriver
	# (tests/src/webdriver.rs)
	chromium
	chromium-driver
	# `ibex connect --remember-password` is tested against GNOME Keyring's Secret
	# Service in a private D-Bus session
	dbus
	gnome-keyring
	# the desktop app (src-tauri, Tauri 2): WebKitGTK 4.1 webview, the tray
	# (libayatana-appindicator, loaded at run time), menus (libxdo), SVG icons
	libwebkit2gtk-4.1-dev
	libayatana-appindicator3-dev
	librsvg2-dev
	libxdo-dev
	build-essential
	file
	# running the app headless (Xvfb in a private D-Bus session), finding its
	# window (xdotool), screenshots and the tray icons (ImageMagick), and
	# WebKitWebDriver for tauri-driver
	xvfb
	xauth
	x11-utils
	xdotool
	dbus-x11
	at-spi2-core
	imagemagick
	webkit2gtk-driver
	# busctl: the GUI test reads and clicks the tray's dbusmenu on the session bus
	systemd
	# the app's frontend (ui/, package.json: Vite, TypeScript, Vitest) needs
	# Node.js >= 20.19 with npm; Debian 12's own nodejs is 18, so the machine
	# must bring a newer one (this image has 20.x with npm included): only
	# checked below, not installed here
)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: must run as root (apt-get install)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${PACKAGES[@]}"; do
	# installed = dpkg reports status "install ok installed"
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-deps.sh: all ${#PACKAGES[@]} packages already installed"
else
	echo "install-deps.sh: installing: ${missing[*]}"
	apt-get update
	# tshark asks whether non-root users may capture; answer no without a prompt
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get install -y --no-install-recommends "${missing[@]}"
fi

# sanity: the binaries the harness uses must now exist
charon=""
for c in /usr/lib/ipsec/charon /usr/libexec/ipsec/charon; do
	[ -x "$c" ] && charon=$c && break
done
if [ -z "$charon" ]; then
	echo "install-deps.sh: charon not found after install" >&2
	exit 1
fi
for b in swanctl pki ip ss ping unshare mount timeout openssl tshark tcpdump iperf3 nft conntrack; do
	if ! command -v "$b" >/dev/null 2>&1; then
		echo "install-deps.sh: '$b' not found after install" >&2
		exit 1
	fi
done
plugdir=$(dirname "$charon")/plugins
for pl in kernel-libipsec kernel-netlink vici openssl curve25519 chapoly gcm pkcs8 \
	eap-identity eap-mschapv2 eap-gtc eap-radius; do
	if [ ! -e "$plugdir/libstrongswan-$pl.so" ]; then
		echo "install-deps.sh: strongSwan plugin '$pl' missing in $plugdir" >&2
		exit 1
	fi
done
if ! command -v freeradius >/dev/null 2>&1 || [ ! -e /usr/lib/freeradius/rlm_totp.so ]; then
	echo "install-deps.sh: freeradius (with rlm_totp) missing after install" >&2
	exit 1
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "install-deps.sh: warning: node/npm missing: the desktop app's frontend (npm ci, npm test) cannot be built" >&2
fi
# tauri-driver (the WebDriver server for the desktop app's end-to-end test, in
# front of WebKitWebDriver) is a crates.io tool, not a Debian package: installed
# once into a cache dir outside the clone (tests/src/gui/mod.rs looks there)
tools=${IBEX_TOOLS_DIR:-/var/cache/ibex-tools}
if [ -x "$tools/bin/tauri-driver" ]; then
	echo "install-deps.sh: tauri-driver present ($tools/bin/tauri-driver)"
elif command -v cargo >/dev/null 2>&1; then
	echo "install-deps.sh: installing tauri-driver 2.1.0 into $tools"
	cargo install tauri-driver --version 2.1.0 --locked --root "$tools"
else
	echo "install-deps.sh: warning: cargo missing: tauri-driver not installed (the GUI test needs it)" >&2
fi
echo "install-deps.sh: ok (charon: $charon)"
