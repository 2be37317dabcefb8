// Numbers and states in words.

import type { ConnectionState } from "./types";

const STATE_LABELS: Record<ConnectionState, string> = {
  disconnected: "Disconnected",
  connecting: "Connecting…",
  waiting_for_user: "Waiting for you",
  connected: "Connected",
  disconnecting: "Disconnecting…",
  error: "Error",
};

export function stateLabel(s: ConnectionState): string {
  return STATE_LABELS[s] ?? s;
}

/** `1.5 KiB`, `12 B`, ... */
export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** `m:ss`, or `h:mm:ss` from an hour on. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** Whether a state means a profile is in use. */
export function busy(s: ConnectionState): boolean {
  return s !== "disconnected" && s !== "error";
}
