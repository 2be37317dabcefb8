// The connection view: state, gateway, addresses, suites, counters.

import { bytes, duration, stateLabel } from "./format";
import { byId } from "./layout";
import type { Snapshot } from "./types";

/** Shows `s` in the connection view and the daemon banner. */
export function renderConnection(root: ParentNode, s: Snapshot): void {
  const set = (id: string, text: string) => {
    byId(root, id).textContent = text;
  };
  const up = s.state === "connected";
  const state = byId(root, "state");
  state.textContent = stateLabel(s.state);
  state.dataset.state = s.state;
  set("state-profile", s.profile && s.state !== "disconnected" ? s.profile.name : "");
  const reason = byId(root, "state-reason");
  reason.textContent = s.reason ?? "";
  reason.hidden = !s.reason;
  set("gateway", s.gateway ?? "–");
  set("virtual-ip", s.virtual_ips.length ? s.virtual_ips.join(", ") : "–");
  set("dns", s.dns.length ? s.dns.join(", ") : "–");
  set("ike-suite", s.ike_suite ?? "–");
  set("esp-suite", s.esp_suite ?? "–");
  set("nat", up ? (s.nat_detected ? "Detected (UDP 4500)" : "None") : "–");
  set("mobike", up ? (s.mobike ? "Yes" : "No") : "–");
  set("uptime", up ? duration(s.uptime_s) : "–");
  set("bytes-in", up ? `${bytes(s.bytes_in)} (${s.packets_in} packets)` : "–");
  set("bytes-out", up ? `${bytes(s.bytes_out)} (${s.packets_out} packets)` : "–");
  const daemon = byId(root, "daemon");
  daemon.hidden = s.daemon_running;
  daemon.textContent = s.daemon_running
    ? ""
    : `The Ibex service (ibexd) is not reachable at ${s.socket}` +
      (s.daemon_error ? `: ${s.daemon_error}` : "") +
      ". Retrying…";
}
