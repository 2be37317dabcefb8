import { describe, expect, it } from "vitest";

import { HOME, WORK, fire, settle, snapshot, startApp } from "./test-support";

describe("profile list", () => {
  it("lists the profiles with their gateways and selects the first", async () => {
    const h = await startApp();
    const items = h.el("profiles").querySelectorAll("li");
    expect([...items].map((li) => li.querySelector(".profile-name")?.textContent)).toEqual([
      WORK.name,
      HOME.name,
    ]);
    expect(items[1].querySelector(".profile-gateway")?.textContent).toBe("192.0.2.1");
    expect(items[0].getAttribute("aria-selected")).toBe("true");
    expect(h.el("no-profiles").hidden).toBe(true);
  });

  it("connects with the selected profile", async () => {
    const h = await startApp();
    h.el(`profile-${HOME.uuid}`).click();
    h.el<HTMLButtonElement>("connect").click();
    await settle();
    expect(h.argsOf("connect")).toEqual([{ uuid: HOME.uuid }]);
  });

  it("shows the state on the active profile and offers disconnect", async () => {
    const h = await startApp();
    await fire(
      "status",
      snapshot({ state: "connecting", profile: { uuid: WORK.uuid, name: WORK.name } }),
    );
    const state = h.el(`profile-${WORK.uuid}`).querySelector(".profile-state");
    expect(state?.textContent).toBe("Connecting…");
    expect(h.el(`profile-${HOME.uuid}`).querySelector(".profile-state")?.textContent).toBe("");
    expect(h.el<HTMLButtonElement>("connect").disabled).toBe(true);
    expect(h.el<HTMLButtonElement>("disconnect").disabled).toBe(false);
    h.el<HTMLButtonElement>("disconnect").click();
    await settle();
    expect(h.argsOf("disconnect")).toEqual([{}]);
  });

  it("imports a file picked in the dialog and lists it", async () => {
    let stored = [WORK];
    const h = await startApp({
      answers: {
        list_profiles: () => stored,
        "plugin:dialog|open": () => "/home/alice/Downloads/home.json",
        import_profile: () => {
          stored = [WORK, HOME];
          return HOME;
        },
      },
    });
    h.el<HTMLButtonElement>("import").click();
    await settle();
    // What the file holds is shown first; nothing is stored yet.
    expect(h.el("import-preview").hidden).toBe(false);
    expect(h.argsOf("preview_import")).toEqual([{ path: "/home/alice/Downloads/home.json" }]);
    expect(h.argsOf("import_profile")).toEqual([]);
    h.el<HTMLButtonElement>("import-confirm").click();
    await settle();
    expect(h.el("import-preview").hidden).toBe(true);
    // The picker offers every format the app imports.
    const picker = h.argsOf("plugin:dialog|open")[0] as {
      options: { filters: { extensions: string[] }[] };
    };
    expect(picker.options.filters[0].extensions).toEqual(["json", "sswan", "mobileconfig"]);
    expect(h.argsOf("import_profile")).toEqual([{ path: "/home/alice/Downloads/home.json" }]);
    expect(h.el(`profile-${HOME.uuid}`).getAttribute("aria-selected")).toBe("true");
  });

  it("shows why an import failed", async () => {
    const h = await startApp({
      answers: {
        "plugin:dialog|open": () => "/tmp/bad.json",
        preview_import: () => {
          throw "/tmp/bad.json: line 1, column 14: missing field `uuid`";
        },
      },
    });
    h.el<HTMLButtonElement>("import").click();
    await settle();
    expect(h.el("import-preview").hidden).toBe(true);
    expect(h.argsOf("import_profile")).toEqual([]);
    expect(h.el("error").hidden).toBe(false);
    expect(h.el("error-text").textContent).toContain("missing field `uuid`");
  });

  it("imports nothing when the picker is cancelled", async () => {
    const h = await startApp({ answers: { "plugin:dialog|open": () => null } });
    h.el<HTMLButtonElement>("import").click();
    await settle();
    expect(h.argsOf("import_profile")).toEqual([]);
  });

  it("imports the file whose path is pasted into the field", async () => {
    let stored = [WORK];
    const h = await startApp({
      answers: {
        list_profiles: () => stored,
        import_profile: () => {
          stored = [WORK, HOME];
          return HOME;
        },
      },
    });
    const field = h.el<HTMLInputElement>("import-path");
    field.value = " file:///home/alice/My%20Downloads/home.json ";
    h.el<HTMLButtonElement>("import-path-submit").click();
    await settle();
    h.el<HTMLButtonElement>("import-confirm").click();
    await settle();
    expect(h.argsOf("import_profile")).toEqual([
      { path: "/home/alice/My Downloads/home.json" },
    ]);
    expect(h.argsOf("plugin:dialog|open")).toEqual([]);
    expect(h.el(`profile-${HOME.uuid}`).getAttribute("aria-selected")).toBe("true");
    expect(field.value).toBe("");
    expect(h.el("error").hidden).toBe(true);
  });

  it("keeps a path that failed to import and says why", async () => {
    const h = await startApp({
      answers: {
        preview_import: () => {
          throw "/tmp/nope.json: No such file or directory (os error 2)";
        },
      },
    });
    const field = h.el<HTMLInputElement>("import-path");
    field.value = "/tmp/nope.json";
    h.el<HTMLButtonElement>("import-path-submit").click();
    await settle();
    expect(h.argsOf("preview_import")).toEqual([{ path: "/tmp/nope.json" }]);
    expect(h.argsOf("import_profile")).toEqual([]);
    expect(field.value).toBe("/tmp/nope.json");
    expect(h.el("error").hidden).toBe(false);
    expect(h.el("error-text").textContent).toContain("No such file");
  });

  it("asks for a path when the field is empty", async () => {
    const h = await startApp();
    h.el<HTMLButtonElement>("import-path-submit").click();
    await settle();
    expect(h.argsOf("import_profile")).toEqual([]);
    expect(h.el("error-text").textContent).toContain("path of an Ibex profile");
  });

  it("removes the selected profile", async () => {
    const h = await startApp();
    h.el(`profile-${HOME.uuid}`).click();
    h.el<HTMLButtonElement>("remove").click();
    await settle();
    expect(h.argsOf("remove_profile")).toEqual([{ uuid: HOME.uuid }]);
  });

  it("says how to start without profiles", async () => {
    const h = await startApp({ profiles: [] });
    expect(h.el("no-profiles").hidden).toBe(false);
    expect(h.el<HTMLButtonElement>("connect").disabled).toBe(true);
  });
});
