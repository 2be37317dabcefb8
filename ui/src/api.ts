// The Tauri commands and events of src-tauri (docs/app.md), typed.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { open, save } from "@tauri-apps/plugin-dialog";

import type { LogLine, Prompt, PromptClosed, ProfileSummary, Snapshot } from "./types";

export const listProfiles = () => invoke<ProfileSummary[]>("list_profiles");
export const importProfile = (path: string) =>
  invoke<ProfileSummary>("import_profile", { path });
export const removeProfile = (uuid: string) => invoke<void>("remove_profile", { uuid });
export const connect = (uuid: string) => invoke<void>("connect", { uuid });
export const disconnect = () => invoke<void>("disconnect");
export const status = () => invoke<Snapshot>("status");
export const openPrompts = () => invoke<Prompt[]>("open_prompts");
export const answer = (prompt_id: number, value: string) =>
  invoke<void>("answer", { prompt_id, value });
export const cancelPrompt = (prompt_id: number) =>
  invoke<void>("cancel_prompt", { prompt_id });

/** Extensions of the profile files the app imports: Ibex JSON, strongSwan
 * `.sswan`, Apple `.mobileconfig` (docs/profiles-import.md). */
export const PROFILE_EXTENSIONS = ["json", "sswan", "mobileconfig"];

/** Asks for a profile file; `null` when the person cancels. */
export async function pickProfileFile(): Promise<string | null> {
  const picked = await open({
    multiple: false,
    directory: false,
    title: "Import a VPN profile",
    filters: [{ name: "VPN profile", extensions: PROFILE_EXTENSIONS }],
  });
  return typeof picked === "string" ? picked : null;
}

export const onStatus = (f: (s: Snapshot) => void): Promise<UnlistenFn> =>
  listen<Snapshot>("status", (e) => f(e.payload));
export const onPrompt = (f: (p: Prompt) => void): Promise<UnlistenFn> =>
  listen<Prompt>("prompt", (e) => f(e.payload));
export const onPromptClosed = (f: (p: PromptClosed) => void): Promise<UnlistenFn> =>
  listen<PromptClosed>("prompt-closed", (e) => f(e.payload));
export const onAppError = (f: (message: string) => void): Promise<UnlistenFn> =>
  listen<string>("app-error", (e) => f(e.payload));
export const onProfilesChanged = (f: () => void): Promise<UnlistenFn> =>
  listen<null>("profiles-changed", () => f());

export const logs = () => invoke<LogLine[]>("logs");
export const exportDiagnostics = (path: string) =>
  invoke<string>("export_diagnostics", { path });

/** Asks where to save the diagnostics; `null` when the person cancels. */
export async function pickDiagnosticsPath(defaultName: string): Promise<string | null> {
  const picked = await save({
    title: "Export diagnostics",
    defaultPath: defaultName,
    filters: [{ name: "Diagnostics (JSON)", extensions: ["json"] }],
  });
  return typeof picked === "string" ? picked : null;
}
