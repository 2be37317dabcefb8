// The settings dialog (#settings) and the theme it sets. Each change is
// applied and stored at once (set_settings); a change that fails is put
// back and its error shown.

import * as api from "./api";
import { byId } from "./dom";
import { Modal } from "./modal";
import type { Settings, Theme } from "./types";

export const SETTINGS_LAYOUT = `
<div id="settings" class="modal" role="dialog" aria-modal="true" aria-labelledby="settings-title" hidden>
  <form id="settings-form" class="dialog" novalidate>
    <h2 id="settings-title">Settings</h2>
    <p id="settings-problem" role="alert" hidden></p>
    <label class="check"><input type="checkbox" id="setting-start-at-login" /> Start Ibex at login (in the tray)</label>
    <label class="check"><input type="checkbox" id="setting-auto-reconnect" /> Reconnect automatically when the tunnel drops</label>
    <label class="check"><input type="checkbox" id="setting-remember-passwords" /> Tick “Remember in keyring” for passwords</label>
    <label for="setting-theme">Theme</label>
    <select id="setting-theme">
      <option value="system">Same as the desktop</option>
      <option value="light">Light</option>
      <option value="dark">Dark</option>
    </select>
    <div class="buttons">
      <button type="button" id="settings-close" class="primary">Close</button>
    </div>
  </form>
</div>
`;

/** Sets the window's colours: `system` follows the desktop. */
export function applyTheme(theme: Theme, doc: Document = document): void {
  if (theme === "system") delete doc.documentElement.dataset.theme;
  else doc.documentElement.dataset.theme = theme;
}

export class SettingsDialog {
  private modal: Modal;
  private current: Settings | null = null;
  /** Changes are stored one after the other, in the order made. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private root: ParentNode,
    private changed: (s: Settings) => void,
  ) {
    this.modal = new Modal(byId(root, "settings"), () => this.modal.hide());
    byId(root, "settings-close").addEventListener("click", () => this.modal.hide());
    byId(root, "settings-form").addEventListener("submit", (e) => e.preventDefault());
    for (const id of [
      "setting-start-at-login",
      "setting-auto-reconnect",
      "setting-remember-passwords",
      "setting-theme",
    ]) {
      byId(root, id).addEventListener("change", () => {
        const wanted = this.wanted();
        this.queue = this.queue.then(() => this.store(wanted));
      });
    }
  }

  /** The settings as last loaded or stored. */
  get settings(): Settings | null {
    return this.current;
  }

  /** Loads the settings and applies the theme (at start). */
  async load(): Promise<void> {
    const view = await api.getSettings();
    this.show(view);
  }

  open(): void {
    this.modal.show();
  }

  private show(view: api.SettingsView): void {
    const { problem, ...s } = view;
    this.current = s;
    this.check("setting-start-at-login").checked = s.start_at_login;
    this.check("setting-auto-reconnect").checked = s.auto_reconnect;
    this.check("setting-remember-passwords").checked = s.remember_passwords;
    byId<HTMLSelectElement>(this.root, "setting-theme").value = s.theme;
    this.problem(problem);
    applyTheme(s.theme);
    this.changed(s);
  }

  /** What the controls say now. */
  private wanted(): Settings {
    return {
      start_at_login: this.check("setting-start-at-login").checked,
      auto_reconnect: this.check("setting-auto-reconnect").checked,
      remember_passwords: this.check("setting-remember-passwords").checked,
      theme: byId<HTMLSelectElement>(this.root, "setting-theme").value as Theme,
    };
  }

  private async store(wanted: Settings): Promise<void> {
    try {
      this.show(await api.setSettings(wanted));
    } catch (e) {
      if (this.current) this.show({ ...this.current, problem: String(e) });
      else this.problem(String(e));
    }
  }

  private check(id: string): HTMLInputElement {
    return byId<HTMLInputElement>(this.root, id);
  }

  private problem(text: string | null): void {
    const el = byId(this.root, "settings-problem");
    el.textContent = text ?? "";
    el.hidden = !text;
  }
}
