import { emit } from "@tauri-apps/api/event";
import { describe, expect, it } from "vitest";

import { HOME, WORK, preview, settle, startApp, type } from "./test-support";

describe("import preview", () => {
  it("shows what the file holds, what it replaces and what was left out", async () => {
    const h = await startApp({
      answers: {
        preview_import: () =>
          preview({
            format: "sswan",
            name: WORK.name,
            uuid: WORK.uuid,
            gateway: "vpn.corp.example.com:4500",
            auth: "EAP (mschapv2)",
            routes: ["10.0.0.0/8"],
            secrets: ["password"],
            warnings: ["split-tunneling: dropped <b>setting</b>"],
            replaces: WORK.name,
          }),
      },
    });
    type(h.el<HTMLInputElement>("import-path"), "/tmp/corp.sswan");
    h.el<HTMLButtonElement>("import-path-submit").click();
    await settle();
    const text = h.el("import-preview").textContent ?? "";
    expect(text).toContain("strongSwan profile (.sswan)");
    expect(text).toContain("vpn.corp.example.com:4500");
    expect(text).toContain("EAP (mschapv2)");
    expect(text).toContain("10.0.0.0/8");
    expect(h.el("import-replaces").hidden).toBe(false);
    expect(h.el("import-replaces").textContent).toContain(WORK.name);
    expect(h.el("import-secrets").textContent).toContain("password");
    // Warnings are text, never markup.
    const warning = h.el("import-warning-list").querySelector("li");
    expect(warning?.textContent).toBe("split-tunneling: dropped <b>setting</b>");
    expect(warning?.querySelector("b")).toBeNull();
    expect(document.activeElement?.id).toBe("import-confirm");
  });

  it("stores nothing when cancelled, by button or Escape", async () => {
    const h = await startApp();
    for (const how of ["button", "escape"]) {
      type(h.el<HTMLInputElement>("import-path"), "/tmp/home.json");
      h.el<HTMLButtonElement>("import-path-submit").click();
      await settle();
      expect(h.el("import-preview").hidden).toBe(false);
      expect(h.el("import-replaces").hidden).toBe(true);
      if (how === "button") h.el<HTMLButtonElement>("import-cancel").click();
      else
        h.el("import-preview").dispatchEvent(
          new KeyboardEvent("keydown", { key: "Escape", bubbles: true }),
        );
      await settle();
      expect(h.el("import-preview").hidden).toBe(true);
    }
    expect(h.argsOf("preview_import")).toHaveLength(2);
    expect(h.argsOf("import_profile")).toEqual([]);
  });
});

describe("drag and drop", () => {
  const drop = (paths: string[]) =>
    emit("tauri://drag-drop", { paths, position: { x: 10, y: 10 } });

  it("previews and imports a dropped file", async () => {
    const h = await startApp({ answers: { import_profile: () => HOME } });
    await emit("tauri://drag-over", { position: { x: 5, y: 5 } });
    await settle();
    expect(h.el("drop-zone").hidden).toBe(false);
    await drop(["/home/alice/Downloads/home.mobileconfig"]);
    await settle();
    expect(h.el("drop-zone").hidden).toBe(true);
    expect(h.argsOf("preview_import")).toEqual([
      { path: "/home/alice/Downloads/home.mobileconfig" },
    ]);
    h.el<HTMLButtonElement>("import-confirm").click();
    await settle();
    expect(h.argsOf("import_profile")).toEqual([
      { path: "/home/alice/Downloads/home.mobileconfig" },
    ]);
  });

  it("hides the drop zone when the drag leaves and refuses several files", async () => {
    const h = await startApp();
    await emit("tauri://drag-over", { position: { x: 5, y: 5 } });
    await emit("tauri://drag-leave", null);
    await settle();
    expect(h.el("drop-zone").hidden).toBe(true);
    await drop(["/tmp/a.json", "/tmp/b.json"]);
    await settle();
    expect(h.argsOf("preview_import")).toEqual([]);
    expect(h.el("error-text").textContent).toContain("one profile file at a time");
  });
});

describe("edit, duplicate, export", () => {
  const DOC = `${JSON.stringify(
    { version: 1, uuid: HOME.uuid, name: HOME.name, gateway: { host: "192.0.2.1" } },
    null,
    2,
  )}\n`;

  it("edits the common fields into the document and saves it", async () => {
    const h = await startApp({
      answers: {
        profile_document: () => DOC,
        save_profile: () => ({ ...HOME, name: "Lab" }),
      },
    });
    h.el(`profile-${HOME.uuid}`).click();
    h.el<HTMLButtonElement>("edit").click();
    await settle();
    expect(h.argsOf("profile_document")).toEqual([{ uuid: HOME.uuid }]);
    expect(h.el("editor").hidden).toBe(false);
    expect(h.el<HTMLInputElement>("edit-name").value).toBe(HOME.name);
    expect(h.el<HTMLInputElement>("edit-port").value).toBe("500");
    type(h.el<HTMLInputElement>("edit-name"), "Lab");
    type(h.el<HTMLInputElement>("edit-port"), "4500");
    const doc = JSON.parse(h.el<HTMLTextAreaElement>("edit-document").value);
    expect(doc).toEqual({
      version: 1,
      uuid: HOME.uuid,
      name: "Lab",
      gateway: { host: "192.0.2.1", port: 4500 },
    });
    h.el<HTMLButtonElement>("edit-save").click();
    await settle();
    const saved = h.argsOf("save_profile")[0] as { uuid: string; document: string };
    expect(saved.uuid).toBe(HOME.uuid);
    expect(JSON.parse(saved.document)).toEqual(doc);
    expect(h.el("editor").hidden).toBe(true);
  });

  it("keeps the editor open with the validation error, and a broken document turns the form off", async () => {
    const h = await startApp({
      answers: {
        profile_document: () => DOC,
        save_profile: () => {
          throw "line 5, column 12: port 0 is not a port";
        },
      },
    });
    h.el<HTMLButtonElement>("edit").click();
    await settle();
    h.el<HTMLButtonElement>("edit-save").click();
    await settle();
    expect(h.el("editor").hidden).toBe(false);
    expect(h.el("edit-error").textContent).toContain("line 5, column 12");
    type(h.el<HTMLInputElement>("edit-document") as unknown as HTMLInputElement, "{ broken");
    expect(h.el<HTMLInputElement>("edit-name").disabled).toBe(true);
    expect(h.el("edit-error").textContent).toContain("not valid JSON");
    h.el<HTMLButtonElement>("edit-cancel").click();
    expect(h.el("editor").hidden).toBe(true);
  });

  it("duplicates the selected profile and selects the copy", async () => {
    const copy = { ...HOME, uuid: "7f0c2a1e-1d2b-4c3d-8e4f-5a6b7c8d9e0f", name: "Home lab (copy)" };
    let stored = [WORK, HOME];
    const h = await startApp({
      answers: {
        list_profiles: () => stored,
        duplicate_profile: () => {
          stored = [WORK, HOME, copy];
          return copy;
        },
      },
    });
    h.el(`profile-${HOME.uuid}`).click();
    h.el<HTMLButtonElement>("duplicate").click();
    await settle();
    expect(h.argsOf("duplicate_profile")).toEqual([{ uuid: HOME.uuid }]);
    expect(h.el(`profile-${copy.uuid}`).getAttribute("aria-selected")).toBe("true");
  });

  it("exports to the file chosen in the save dialog", async () => {
    const h = await startApp({
      answers: { "plugin:dialog|save": () => "/home/alice/home-lab.json" },
    });
    h.el(`profile-${HOME.uuid}`).click();
    h.el<HTMLButtonElement>("export").click();
    await settle();
    const dialog = h.argsOf("plugin:dialog|save")[0] as {
      options: { defaultPath: string; filters: { extensions: string[] }[] };
    };
    expect(dialog.options.defaultPath).toBe("Home lab.json");
    expect(dialog.options.filters[0].extensions).toEqual(["json"]);
    expect(h.argsOf("export_profile")).toEqual([
      { uuid: HOME.uuid, path: "/home/alice/home-lab.json" },
    ]);
  });

  it("exports nothing when the save dialog is cancelled", async () => {
    const h = await startApp({ answers: { "plugin:dialog|save": () => null } });
    h.el<HTMLButtonElement>("export").click();
    await settle();
    expect(h.argsOf("export_profile")).toEqual([]);
  });

  it("offers edit, duplicate and export only with a profile selected", async () => {
    const h = await startApp({ profiles: [] });
    for (const id of ["edit", "duplicate", "export", "remove"]) {
      expect(h.el<HTMLButtonElement>(id).disabled).toBe(true);
    }
  });
});

describe("keyboard", () => {
  it("moves through the profiles with arrows, Home and End; one tab stop", async () => {
    const h = await startApp();
    const items = () => [...h.el("profiles").querySelectorAll<HTMLElement>("li")];
    expect(items().map((li) => li.tabIndex)).toEqual([0, -1]);
    const key = (k: string) =>
      h.el("profiles").dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
    key("End");
    expect(items()[1].getAttribute("aria-selected")).toBe("true");
    expect(items().map((li) => li.tabIndex)).toEqual([-1, 0]);
    expect(document.activeElement).toBe(items()[1]);
    key("Home");
    expect(items()[0].getAttribute("aria-selected")).toBe("true");
    key("ArrowDown");
    expect(items()[1].getAttribute("aria-selected")).toBe("true");
    expect(h.el<HTMLButtonElement>("edit").disabled).toBe(false);
  });

  it("keeps Tab inside an open dialog", async () => {
    const h = await startApp();
    h.el<HTMLButtonElement>("open-settings").click();
    const close = h.el<HTMLButtonElement>("settings-close");
    close.focus();
    close.dispatchEvent(new KeyboardEvent("keydown", { key: "Tab", bubbles: true }));
    expect(document.activeElement?.id).toBe("setting-start-at-login");
    h.el("setting-start-at-login").dispatchEvent(
      new KeyboardEvent("keydown", { key: "Tab", shiftKey: true, bubbles: true }),
    );
    expect(document.activeElement?.id).toBe("settings-close");
  });
});
