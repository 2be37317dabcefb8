// The window: wires the views to the commands and events of src-tauri.

import * as api from "./api";
import { renderConnection } from "./connection";
import { ProfileEditor } from "./editor";
import { FAILURE_LAYOUT, FailureScreen } from "./errors";
import { busy } from "./format";
import { ThroughputGraph } from "./graph";
import { ImportPreviewDialog } from "./import-preview";
import { byId, LAYOUT } from "./layout";
import { LOGS_LAYOUT, LogsView } from "./logs";
import { profilePath } from "./paths";
import { ProfileList } from "./profiles";
import { PromptDialog, type PromptOptions } from "./prompt";
import { SettingsDialog } from "./settings";
import type { ProfileSummary, Snapshot } from "./types";

export class App {
  private snapshot: Snapshot | null = null;
  private profiles: ProfileSummary[] = [];
  private list: ProfileList;
  readonly prompt: PromptDialog;
  private preview: ImportPreviewDialog;
  private editor: ProfileEditor;
  readonly settings: SettingsDialog;
  private graph: ThroughputGraph;
  readonly logs: LogsView;
  private failure: FailureScreen;

  constructor(
    private root: HTMLElement,
    opts: PromptOptions = {},
  ) {
    root.innerHTML = LAYOUT;
    byId(root, "state-reason").insertAdjacentHTML("afterend", FAILURE_LAYOUT);
    root.querySelector("main")?.insertAdjacentHTML("beforeend", LOGS_LAYOUT);
    this.logs = new LogsView(root, (m) => this.error(m));
    this.failure = new FailureScreen(root, {
      retry: () => void this.retry(),
      logs: () => void this.logs.show(),
    });
    byId(root, "show-logs").addEventListener("click", () => void this.logs.toggle());
    this.list = new ProfileList(root, () => this.buttons());
    this.prompt = new PromptDialog(root, { ...opts, onError: (m) => this.error(m) });
    this.preview = new ImportPreviewDialog(root);
    this.editor = new ProfileEditor(root, (p) => void this.selectAndReload(p.uuid));
    this.settings = new SettingsDialog(root, (s) => {
      this.prompt.rememberByDefault = s.remember_passwords;
    });
    this.graph = new ThroughputGraph(root, opts.now);
    byId(root, "connect").addEventListener("click", () => void this.connect());
    byId(root, "disconnect").addEventListener("click", () =>
      this.run(() => api.disconnect()),
    );
    byId(root, "import").addEventListener("click", () => void this.importFile());
    byId(root, "import-path-form").addEventListener("submit", (e) => {
      e.preventDefault();
      void this.importPath();
    });
    byId(root, "remove").addEventListener("click", () => void this.remove());
    byId(root, "edit").addEventListener("click", () => void this.edit());
    byId(root, "duplicate").addEventListener("click", () => void this.duplicate());
    byId(root, "export").addEventListener("click", () => void this.exportProfile());
    byId(root, "open-settings").addEventListener("click", () => this.settings.open());
    byId(root, "error-dismiss").addEventListener("click", () => this.error(null));
  }

  /** Subscribes to the events, then loads what is there already. */
  async start(): Promise<void> {
    await Promise.all([
      api.onStatus((s) => this.status(s)),
      api.onPrompt((p) => this.prompt.add(p)),
      api.onPromptClosed((c) => this.prompt.close(c.prompt_id)),
      api.onFidoPin((r) => this.prompt.fidoPin(r)),
      api.onAppError((m) => this.error(m)),
      api.onProfilesChanged(() => void this.reloadProfiles()),
      api.onFileDrop((d) => this.dropped(d)).catch((e: unknown) => {
        // Not fatal: the picker and the path field still import.
        console.warn("no drag and drop:", e);
      }),
    ]);
    await this.run(() => this.settings.load());
    await this.run(async () => {
      const [s, profiles, prompts] = await Promise.all([
        api.status(),
        api.listProfiles(),
        api.openPrompts(),
      ]);
      this.profiles = profiles;
      this.status(s);
      for (const p of prompts) this.prompt.add(p);
    });
  }

  /** A new snapshot from the Rust side. */
  status(s: Snapshot): void {
    const before = this.snapshot;
    this.snapshot = s;
    if (!s.daemon_running && before?.daemon_running) this.prompt.clear();
    if (s.state === "error" && s.reason && s.reason !== before?.reason) this.error(s.reason);
    renderConnection(this.root, s);
    this.graph.update(s);
    this.failure.render(s);
    this.list.render(this.profiles, s);
    this.buttons();
  }

  private buttons(): void {
    const s = this.snapshot;
    const inUse = !!s && busy(s.state);
    byId<HTMLButtonElement>(this.root, "connect").disabled =
      !s?.daemon_running || inUse || !this.list.selected;
    byId<HTMLButtonElement>(this.root, "disconnect").disabled =
      !s?.daemon_running || !inUse || s.state === "disconnecting";
    byId<HTMLButtonElement>(this.root, "remove").disabled =
      !this.list.selected || (inUse && s?.profile?.uuid === this.list.selected);
    for (const id of ["edit", "duplicate", "export"]) {
      byId<HTMLButtonElement>(this.root, id).disabled = !this.list.selected;
    }
  }

  private async connect(): Promise<void> {
    const uuid = this.list.selected;
    if (!uuid) return;
    this.error(null);
    await this.run(() => api.connect(uuid));
  }

  /** "Try again": the profile of the failed attempt. */
  private async retry(): Promise<void> {
    const uuid = this.snapshot?.profile?.uuid ?? this.list.selected;
    if (!uuid) return;
    this.error(null);
    await this.run(() => api.connect(uuid));
  }

  private async importFile(): Promise<void> {
    await this.run(async () => {
      const path = await api.pickProfileFile();
      if (path) await this.importFrom(path);
    });
  }

  /** Imports the file named in #import-path (typed or pasted). */
  private async importPath(): Promise<void> {
    const field = byId<HTMLInputElement>(this.root, "import-path");
    const path = profilePath(field.value);
    if (!path) {
      this.error("Enter the path of an Ibex profile file (.json).");
      return;
    }
    await this.run(async () => {
      await this.importFrom(path);
      field.value = "";
    });
  }

  /** Shows what the file holds; imports it if the person says so. */
  private async importFrom(path: string): Promise<void> {
    const preview = await api.previewImport(path);
    if (!(await this.preview.ask(preview))) return;
    const p = await api.importProfile(path);
    await this.selectAndReload(p.uuid);
    this.error(null);
  }

  /** A file dragged over or dropped on the window. */
  private dropped(d: { type: "over" } | { type: "drop"; paths: string[] } | null): void {
    byId(this.root, "drop-zone").hidden = d?.type !== "over";
    if (d?.type !== "drop") return;
    const [path, ...more] = d.paths;
    if (!path) return;
    if (more.length) {
      this.error("Drop one profile file at a time.");
      return;
    }
    void this.run(() => this.importFrom(path));
  }

  private async edit(): Promise<void> {
    const uuid = this.list.selected;
    if (uuid) await this.run(() => this.editor.open(uuid));
  }

  private async duplicate(): Promise<void> {
    const uuid = this.list.selected;
    if (!uuid) return;
    await this.run(async () => {
      const copy = await api.duplicateProfile(uuid);
      await this.selectAndReload(copy.uuid);
    });
  }

  private async exportProfile(): Promise<void> {
    const p = this.list.current();
    if (!p) return;
    await this.run(async () => {
      const path = await api.pickExportFile(p.name);
      if (path) await api.exportProfile(p.uuid, path);
    });
  }

  private async selectAndReload(uuid: string): Promise<void> {
    this.list.selected = uuid;
    await this.reloadProfiles();
  }

  private async remove(): Promise<void> {
    const p = this.list.current();
    if (!p) return;
    await this.run(async () => {
      await api.removeProfile(p.uuid);
      await this.reloadProfiles();
    });
  }

  private async reloadProfiles(): Promise<void> {
    this.profiles = await api.listProfiles();
    this.list.render(this.profiles, this.snapshot);
    this.buttons();
  }

  /** Runs a command; its failure goes to #error. */
  private async run(f: () => Promise<unknown>): Promise<void> {
    try {
      await f();
    } catch (e) {
      this.error(String(e));
    }
  }

  /** Shows a message in #error, or hides it (`null`). */
  error(message: string | null): void {
    const box = byId(this.root, "error");
    byId(this.root, "error-text").textContent = message ?? "";
    box.hidden = message === null;
  }
}
