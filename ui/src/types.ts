// What the Rust side sends: see src-tauri/src/{snapshot,profiles}.rs and
// docs/ipc.md (prompts are ibexd's `prompt` events as they are).

/** ibexd's connection states. */
export type ConnectionState =
  | "disconnected"
  | "connecting"
  | "waiting_for_user"
  | "connected"
  | "disconnecting"
  | "error";

/** The `status` event / command: the daemon link plus ibexd's status. */
export interface Snapshot {
  daemon_running: boolean;
  socket: string;
  daemon_error: string | null;
  reason: string | null;
  state: ConnectionState;
  profile?: { uuid: string; name: string };
  gateway?: string;
  virtual_ips: string[];
  dns: string[];
  ike_suite?: string;
  esp_suite?: string;
  nat_detected: boolean;
  mobike: boolean;
  uptime_s: number;
  bytes_in: number;
  bytes_out: number;
  packets_in: number;
  packets_out: number;
  drops: number;
  /** Why the last attempt failed (with `error`; older ibexd: absent). */
  failure?: Failure;
}

/** One stored profile. */
export interface ProfileSummary {
  uuid: string;
  name: string;
  gateway: string;
  auth: "psk" | "certificate" | "eap";
}

/** What a prompt asks for (unknown kinds take typed input). */
export type PromptKind =
  | "password"
  | "psk"
  | "otp"
  | "push"
  | "fido2"
  | "pin"
  | "certificate-passphrase"
  | "unknown";

/** ibexd's `prompt` event. */
export interface Prompt {
  prompt_id: number;
  kind: PromptKind;
  /** From the gateway: untrusted, shown as plain text only. */
  text?: string;
  number_to_match?: string;
  /** UNIX seconds. */
  deadline?: number;
  choices?: string[];
  /** For fido2: what the security key must sign (docs/ipc.md). */
  fido?: FidoRequest;
}

/** The `prompt-closed` event. */
export interface PromptClosed {
  prompt_id: number;
  reason: "answered" | "cancelled" | "expired";
}

/** The answer that switches a push approval to a one-time code. */
export const USE_CODE = "code";

/** What importing a file would store (`preview_import`). */
export interface ImportPreview {
  format: "ibex" | "sswan" | "mobileconfig";
  name: string;
  uuid: string;
  gateway: string;
  auth: string;
  local_id: string | null;
  remote_id: string;
  ca_certificates: number;
  ike_proposals: string[];
  esp_proposals: string[];
  routes: string[];
  dns_servers: string[];
  /** Which secrets the file carried (never their values). */
  secrets: string[];
  warnings: string[];
  /** The stored profile with the same UUID, which the import replaces. */
  replaces: string | null;
}

/** The window's colours. */
export type Theme = "system" | "light" | "dark";

/** The app's settings (src-tauri/src/settings.rs). */
export interface Settings {
  start_at_login: boolean;
  auto_reconnect: boolean;
  remember_passwords: boolean;
  theme: Theme;
}

/** A fido2 prompt's WebAuthn request (only `rp_id` is shown). */
export interface FidoRequest {
  rp_id: string;
  origin: string;
}

/** The `fido-pin` event: the security key needs its PIN. */
export interface FidoPinRequest {
  prompt_id: number;
  rp_id: string;
}

/** Why an attempt failed (ibexd's `failure`, docs/ipc.md). */
export type FailureKind =
  | "auth_failed"
  | "clock_skew"
  | "no_proposal"
  | "gateway_unreachable"
  | "dns"
  | "cancelled"
  | "gateway_error"
  | "setup"
  | "other";

/** A failed attempt, structured for the error screen. */
export interface Failure {
  kind: FailureKind;
  /** The authentication round, 1-based. */
  round?: number;
  /** That round's method: psk, certificate, mschapv2, gtc, tls, fido2, push. */
  method?: string;
  detail?: string;
  /** Our IKE suites (no proposal). */
  ours?: string[];
  /** What the gateway asked for, when it said (no proposal). */
  theirs?: string[];
  /** Clock skew in seconds (negative: the code was from the past). */
  skew_s?: number;
  /** The gateway's address and port. */
  gateway?: string;
}

export type LogLevel = "error" | "warn" | "info" | "debug" | "trace";

/** One line of the Logs view (the `logs` command). */
export interface LogLine {
  source: "ibexd" | "app";
  level: LogLevel;
  message: string;
  time_ms: number | null;
  target: string | null;
}
