// Shared by the Vitest tests: the app in a fresh document over mocked
// Tauri IPC, with every command call recorded.

import { clearMocks, mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import { vi } from "vitest";

import { App } from "./app";
import type { ImportPreview, Prompt, ProfileSummary, Settings, Snapshot } from "./types";

export type Call = [string, Record<string, unknown> | undefined];

export const WORK: ProfileSummary = {
  uuid: "c41a7f3e-0b9d-4c62-8e15-d37f2a6b9c08",
  name: "Example Corp (MFA)",
  gateway: "vpn.corp.example.com",
  auth: "eap",
};
export const HOME: ProfileSummary = {
  uuid: "0e6b9a52-8a35-4f0e-9d4b-5b3c1e2f7a10",
  name: "Home lab",
  gateway: "192.0.2.1",
  auth: "psk",
};

export function snapshot(over: Partial<Snapshot> = {}): Snapshot {
  return {
    daemon_running: true,
    socket: "/run/ibex/ibexd.sock",
    daemon_error: null,
    reason: null,
    state: "disconnected",
    virtual_ips: [],
    dns: [],
    nat_detected: false,
    mobike: false,
    uptime_s: 0,
    bytes_in: 0,
    bytes_out: 0,
    packets_in: 0,
    packets_out: 0,
    drops: 0,
    ...over,
  };
}

export const DEFAULT_SETTINGS: Settings = {
  start_at_login: false,
  auto_reconnect: true,
  remember_passwords: false,
  theme: "system",
};

/** What `preview_import` says of a file (HOME's profile by default). */
export function preview(over: Partial<ImportPreview> = {}): ImportPreview {
  return {
    format: "ibex",
    name: HOME.name,
    uuid: HOME.uuid,
    gateway: HOME.gateway,
    auth: "pre-shared key",
    local_id: null,
    remote_id: "192.0.2.1",
    ca_certificates: 0,
    ike_proposals: [],
    esp_proposals: [],
    routes: [],
    dns_servers: [],
    secrets: [],
    warnings: [],
    replaces: null,
    ...over,
  };
}

export interface Harness {
  app: App;
  root: HTMLElement;
  calls: Call[];
  /** Calls of one command, their arguments. */
  argsOf(cmd: string): (Record<string, unknown> | undefined)[];
  el<T extends HTMLElement = HTMLElement>(id: string): T;
}

/** Starts the app over mocked IPC; `answers` overrides command results. */
export async function startApp(
  opts: {
    profiles?: ProfileSummary[];
    status?: Snapshot;
    prompts?: Prompt[];
    answers?: Record<string, (args: Record<string, unknown> | undefined) => unknown>;
    now?: () => number;
    settings?: Settings;
  } = {},
): Promise<Harness> {
  clearMocks();
  mockWindows("main");
  const calls: Call[] = [];
  mockIPC(
    (cmd, args) => {
      const a = args as Record<string, unknown> | undefined;
      calls.push([cmd, a]);
      const custom = opts.answers?.[cmd];
      if (custom) return custom(a);
      switch (cmd) {
        case "list_profiles":
          return opts.profiles ?? [WORK, HOME];
        case "status":
          return opts.status ?? snapshot();
        case "open_prompts":
          return opts.prompts ?? [];
        case "get_settings":
          return { ...(opts.settings ?? DEFAULT_SETTINGS), problem: null };
        case "set_settings":
          return { ...(a?.settings as Settings), problem: null };
        case "preview_import":
          return preview();
        default:
          return null;
      }
    },
    { shouldMockEvents: true },
  );
  document.body.innerHTML = `<div id="app"></div>`;
  const root = document.getElementById("app") as HTMLElement;
  const app = new App(root, { now: opts.now });
  await app.start();
  return {
    app,
    root,
    calls,
    argsOf: (cmd) => calls.filter(([c]) => c === cmd).map(([, a]) => a),
    el: <T extends HTMLElement>(id: string) => {
      const e = root.querySelector<T>(`#${id}`);
      if (!e) throw new Error(`no #${id}`);
      return e;
    },
  };
}

/** Sends an event as the Rust side would, and lets the handlers run. */
export async function fire(event: string, payload: unknown): Promise<void> {
  await emit(event, payload);
  await settle();
}

/** Lets pending promises (mocked invokes) settle. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
}

/** Types into an input as a person would (value, then an input event). */
export function type(input: HTMLInputElement, text: string): void {
  input.value = text;
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

export { vi };
