import { describe, expect, it } from "vitest";

import { DEFAULT_SETTINGS, fire, settle, startApp } from "./test-support";

describe("settings", () => {
  it("shows the stored settings and applies the theme at start", async () => {
    const h = await startApp({ settings: { ...DEFAULT_SETTINGS, theme: "dark", start_at_login: true } });
    expect(document.documentElement.dataset.theme).toBe("dark");
    h.el<HTMLButtonElement>("open-settings").click();
    expect(h.el("settings").hidden).toBe(false);
    expect(h.el<HTMLInputElement>("setting-start-at-login").checked).toBe(true);
    expect(h.el<HTMLInputElement>("setting-auto-reconnect").checked).toBe(true);
    expect(h.el<HTMLSelectElement>("setting-theme").value).toBe("dark");
    expect(document.activeElement?.id).toBe("setting-start-at-login");
  });

  it("stores each change at once and follows the theme", async () => {
    const h = await startApp();
    h.el<HTMLButtonElement>("open-settings").click();
    const reconnect = h.el<HTMLInputElement>("setting-auto-reconnect");
    reconnect.checked = false;
    reconnect.dispatchEvent(new Event("change"));
    await settle();
    expect(h.argsOf("set_settings")).toEqual([
      { settings: { ...DEFAULT_SETTINGS, auto_reconnect: false } },
    ]);
    const theme = h.el<HTMLSelectElement>("setting-theme");
    theme.value = "light";
    theme.dispatchEvent(new Event("change"));
    await settle();
    expect(document.documentElement.dataset.theme).toBe("light");
    theme.value = "system";
    theme.dispatchEvent(new Event("change"));
    await settle();
    expect(document.documentElement.dataset.theme).toBeUndefined();
    expect(h.app.settings.settings?.auto_reconnect).toBe(false);
  });

  it("stores quick changes one after the other, the last one winning", async () => {
    const h = await startApp();
    h.el<HTMLButtonElement>("open-settings").click();
    const login = h.el<HTMLInputElement>("setting-start-at-login");
    login.checked = true;
    login.dispatchEvent(new Event("change"));
    const theme = h.el<HTMLSelectElement>("setting-theme");
    theme.value = "dark";
    theme.dispatchEvent(new Event("change"));
    await settle();
    await settle();
    expect(h.argsOf("set_settings")).toEqual([
      { settings: { ...DEFAULT_SETTINGS, start_at_login: true } },
      { settings: { ...DEFAULT_SETTINGS, start_at_login: true, theme: "dark" } },
    ]);
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(login.checked).toBe(true);
  });

  it("ticks Remember in keyring for passwords when the settings say so", async () => {
    const h = await startApp({ settings: { ...DEFAULT_SETTINGS, remember_passwords: true } });
    await fire("prompt", { prompt_id: 3, kind: "password" });
    expect(h.el<HTMLInputElement>("prompt-remember").checked).toBe(true);
    await fire("prompt-closed", { prompt_id: 3, reason: "cancelled" });
    await fire("prompt", { prompt_id: 4, kind: "otp" });
    expect(h.el<HTMLInputElement>("prompt-remember").checked).toBe(false);
  });

  it("puts a change back and says why when it fails", async () => {
    const h = await startApp({
      answers: {
        set_settings: () => {
          throw "the autostart entry: Permission denied (os error 13)";
        },
      },
    });
    h.el<HTMLButtonElement>("open-settings").click();
    const login = h.el<HTMLInputElement>("setting-start-at-login");
    login.checked = true;
    login.dispatchEvent(new Event("change"));
    await settle();
    expect(login.checked).toBe(false);
    expect(h.el("settings-problem").hidden).toBe(false);
    expect(h.el("settings-problem").textContent).toContain("Permission denied");
  });

  it("says when the settings file was unusable", async () => {
    const h = await startApp({
      answers: {
        get_settings: () => ({
          ...DEFAULT_SETTINGS,
          problem: "/home/a/.config/ibex/app-settings.json: not valid settings",
        }),
      },
    });
    h.el<HTMLButtonElement>("open-settings").focus();
    h.el<HTMLButtonElement>("open-settings").click();
    expect(h.el("settings-problem").textContent).toContain("not valid settings");
    h.el("settings").dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    expect(h.el("settings").hidden).toBe(true);
    expect(document.activeElement?.id).toBe("open-settings");
  });
});
