// The Tauri commands and events of src-tauri (docs/app.md), typed.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { open, save } from "@tauri-apps/plugin-dialog";

import type {
  FidoPinRequest,
  ImportPreview,
  LogLine,
  Prompt,
  PromptClosed,
  ProfileSummary,
  Settings,
  Snapshot,
} from "./types";

export const listProfiles = () => invoke<ProfileSummary[]>("list_profiles");
export const importProfile = (path: string) =>
  invoke<ProfileSummary>("import_profile", { path });
export const previewImport = (path: string) => invoke<ImportPreview>("preview_import", { path });
export const profileDocument = (uuid: string) => invoke<string>("profile_document", { uuid });
export const saveProfile = (uuid: string, document: string) =>
  invoke<ProfileSummary>("save_profile", { uuid, document });
export const duplicateProfile = (uuid: string) =>
  invoke<ProfileSummary>("duplicate_profile", { uuid });
export const exportProfile = (uuid: string, path: string) =>
  invoke<void>("export_profile", { uuid, path });
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

/** Asks where to export a profile; `null` when the person cancels. */
export async function pickExportFile(name: string): Promise<string | null> {
  const picked = await save({
    title: "Export the VPN profile",
    defaultPath: `${name.replace(/[/\\:*?"<>|]/g, "_")}.json`,
    filters: [{ name: "Ibex profile", extensions: ["json"] }],
  });
  return typeof picked === "string" ? picked : null;
}

/** The settings and, when the file was unusable, why. */
export type SettingsView = Settings & { problem: string | null };
export const getSettings = () => invoke<SettingsView>("get_settings");
export const setSettings = (settings: Settings) =>
  invoke<SettingsView>("set_settings", { settings });

/** Files dropped on the window (`over`: something is being dragged over
 * it; `null`: the drag left). */
export async function onFileDrop(
  f: (e: { type: "over" } | { type: "drop"; paths: string[] } | null) => void,
): Promise<UnlistenFn> {
  return getCurrentWebview().onDragDropEvent((e) => {
    const p = e.payload;
    if (p.type === "drop") f({ type: "drop", paths: p.paths });
    else if (p.type === "leave") f(null);
    else f({ type: "over" });
  });
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

/** Answers a password prompt; `remember` saves it in the keyring once connected. */
export const answerPassword = (prompt_id: number, value: string, remember: boolean) =>
  invoke<void>("answer_password", { prompt_id, value, remember });
/** Has the security key sign a fido2 prompt and answers it (fails with what to do). */
export const fidoSign = (prompt_id: number) => invoke<void>("fido_sign", { prompt_id });
/** The security key's PIN, after a `fido-pin` event: it goes to the key only. */
export const fidoPin = (prompt_id: number, pin: string) =>
  invoke<void>("fido_pin", { prompt_id, pin });
/** Stops asking the security key for a prompt. */
export const fidoCancel = (prompt_id: number) => invoke<void>("fido_cancel", { prompt_id });
export const onFidoPin = (f: (r: FidoPinRequest) => void): Promise<UnlistenFn> =>
  listen<FidoPinRequest>("fido-pin", (e) => f(e.payload));
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
