import { afterEach, describe, expect, it, vi } from "vitest";

import { diagnosticsName, filterLines, lineText } from "./logs";
import { settle, startApp } from "./test-support";
import type { LogLine } from "./types";

const LINES: LogLine[] = [
  { source: "ibexd", level: "info", message: "listening", time_ms: 1_767_225_600_000, target: "ibexd::server" },
  { source: "app", level: "info", message: "connected to ibexd", time_ms: 1_767_225_601_000, target: "ibex_app::link" },
  { source: "ibexd", level: "warn", message: "connection failed", time_ms: 1_767_225_602_000, target: "ibexd::manager" },
  { source: "ibexd", level: "error", message: "cannot listen", time_ms: null, target: null },
  { source: "ibexd", level: "debug", message: "retransmitting", time_ms: 1_767_225_603_000, target: "ibex_ike" },
];

async function openLogs(answers: Record<string, (a: Record<string, unknown> | undefined) => unknown> = {}) {
  const h = await startApp({ answers: { logs: () => LINES, ...answers } });
  h.el("show-logs").click();
  await settle();
  return h;
}

const texts = (root: ParentNode) =>
  [...root.querySelectorAll<HTMLElement>("#logs-list .log-line")].map((li) => li.textContent);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("logs view", () => {
  it("shows ibexd's and the app's lines at info and above", async () => {
    const h = await openLogs();
    expect(h.el("logs").hidden).toBe(false);
    expect(h.argsOf("logs")).toHaveLength(1);
    expect(texts(h.root)).toEqual([
      "2026-01-01T00:00:00.000Z INFO ibexd: listening",
      "2026-01-01T00:00:01.000Z INFO app: connected to ibexd",
      "2026-01-01T00:00:02.000Z WARN ibexd: connection failed",
      "ERROR ibexd: cannot listen",
    ]);
    const first = h.root.querySelector<HTMLElement>("#logs-list .log-line");
    expect(first?.dataset.level).toBe("info");
    expect(first?.dataset.source).toBe("ibexd");
    h.app.logs.hide();
  });

  it("filters by level", async () => {
    const h = await openLogs();
    const level = h.el<HTMLSelectElement>("logs-level");
    level.value = "warn";
    level.dispatchEvent(new Event("change"));
    expect(texts(h.root)).toEqual([
      "2026-01-01T00:00:02.000Z WARN ibexd: connection failed",
      "ERROR ibexd: cannot listen",
    ]);
    level.value = "debug";
    level.dispatchEvent(new Event("change"));
    expect(texts(h.root)).toHaveLength(5);
    expect(filterLines(LINES, "error").map((l) => l.message)).toEqual(["cannot listen"]);
    h.app.logs.hide();
  });

  it("says when there are no lines, and refreshes", async () => {
    let lines: LogLine[] = [];
    const h = await openLogs({ logs: () => lines });
    expect(h.el("logs-empty").hidden).toBe(false);
    lines = [LINES[0]];
    h.el("logs-refresh").click();
    await settle();
    expect(h.el("logs-empty").hidden).toBe(true);
    expect(texts(h.root)).toHaveLength(1);
    h.app.logs.hide();
  });

  it("copies the visible lines to the clipboard", async () => {
    const writeText = vi.fn(async (_: string) => {});
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const h = await openLogs();
    const level = h.el<HTMLSelectElement>("logs-level");
    level.value = "warn";
    level.dispatchEvent(new Event("change"));
    h.el("logs-copy").click();
    await settle();
    expect(writeText).toHaveBeenCalledWith(
      "2026-01-01T00:00:02.000Z WARN ibexd: connection failed\nERROR ibexd: cannot listen\n",
    );
    expect(h.el("logs-status").textContent).toBe("Copied 2 lines.");
    h.app.logs.hide();
  });

  it("exports the diagnostics to the file chosen in the save dialog", async () => {
    const h = await openLogs({
      "plugin:dialog|save": () => "/home/alice/ibex-diag.json",
      export_diagnostics: (a) => a?.path,
    });
    h.el("logs-export").click();
    await settle();
    const [save] = h.argsOf("plugin:dialog|save");
    const options = (save as { options: { defaultPath: string; filters: { extensions: string[] }[] } })
      .options;
    expect(options.defaultPath).toMatch(/^ibex-diagnostics-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.json$/);
    expect(options.filters[0].extensions).toEqual(["json"]);
    expect(h.argsOf("export_diagnostics")).toEqual([{ path: "/home/alice/ibex-diag.json" }]);
    expect(h.el("logs-status").textContent).toContain(
      "Diagnostics written to /home/alice/ibex-diag.json",
    );
    h.app.logs.hide();
  });

  it("writes nothing when the save dialog is cancelled", async () => {
    const h = await openLogs({ "plugin:dialog|save": () => null });
    h.el("logs-export").click();
    await settle();
    expect(h.argsOf("export_diagnostics")).toEqual([]);
    h.app.logs.hide();
  });

  it("exports to a typed path, and shows a failure", async () => {
    const h = await openLogs({
      export_diagnostics: (a) => {
        if (a?.path === "/nope/x.json") throw "cannot write the diagnostics to /nope/x.json: No such file or directory";
        return a?.path;
      },
    });
    const field = h.el<HTMLInputElement>("logs-export-path");
    field.value = "  /tmp/diag.json ";
    h.el("logs-export-submit").click();
    await settle();
    expect(h.argsOf("export_diagnostics")).toEqual([{ path: "/tmp/diag.json" }]);
    field.value = "/nope/x.json";
    h.el("logs-export-submit").click();
    await settle();
    expect(h.el("error").hidden).toBe(false);
    expect(h.el("error-text").textContent).toContain("No such file or directory");
    field.value = "";
    h.el("logs-export-submit").click();
    await settle();
    expect(h.el("error-text").textContent).toContain("Enter the path");
    expect(h.argsOf("export_diagnostics")).toHaveLength(2);
    h.app.logs.hide();
  });

  it("closes, and names files by time", async () => {
    const h = await openLogs();
    h.el("logs-close").click();
    expect(h.el("logs").hidden).toBe(true);
    expect(diagnosticsName(new Date(Date.UTC(2026, 10, 27, 8, 30, 5)))).toBe(
      "ibex-diagnostics-2026-11-27T08-30-05.json",
    );
    expect(lineText(LINES[3])).toBe("ERROR ibexd: cannot listen");
  });
});
