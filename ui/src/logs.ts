// The Logs view: ibexd's recent log lines and the app's own (the `logs`
// command), filtered by level, copied to the clipboard, and the
// diagnostics bundle exported to a file (save dialog, or a typed path).

import * as api from "./api";
import { byId } from "./layout";
import type { LogLevel, LogLine } from "./types";

export const LOGS_LAYOUT = `
<section id="logs" class="pane logs" aria-labelledby="logs-title" hidden>
  <h2 id="logs-title">Logs</h2>
  <div class="logs-tools">
    <label for="logs-level">Show</label>
    <select id="logs-level">
      <option value="error">Errors</option>
      <option value="warn">Warnings and errors</option>
      <option value="info" selected>Information and above</option>
      <option value="debug">Everything</option>
    </select>
    <button type="button" id="logs-refresh">Refresh</button>
    <button type="button" id="logs-copy">Copy</button>
    <button type="button" id="logs-export">Export diagnostics…</button>
    <button type="button" id="logs-close" aria-label="Close the logs">×</button>
  </div>
  <ol id="logs-list" aria-label="Log lines"></ol>
  <p id="logs-empty" hidden>No log lines yet.</p>
  <form id="logs-export-form" class="import-path" novalidate>
    <label for="logs-export-path">Or save the diagnostics to this path</label>
    <input id="logs-export-path" type="text" autocomplete="off" spellcheck="false" placeholder="/home/you/ibex-diagnostics.json" />
    <button type="submit" id="logs-export-submit">Export</button>
  </form>
  <p id="logs-status" role="status"></p>
</section>
`;

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

/** The lines at `level` or more severe. */
export function filterLines(lines: LogLine[], level: LogLevel): LogLine[] {
  return lines.filter((l) => RANK[l.level] <= RANK[level]);
}

/** One line as text: `time level source: message`. */
export function lineText(l: LogLine): string {
  const time = l.time_ms === null ? "" : new Date(l.time_ms).toISOString() + " ";
  return `${time}${l.level.toUpperCase()} ${l.source}: ${l.message}`;
}

/** A file name for the bundle: `ibex-diagnostics-2026-11-27T08-30-00.json`. */
export function diagnosticsName(now: Date): string {
  const stamp = now.toISOString().slice(0, 19).replace(/:/g, "-");
  return `ibex-diagnostics-${stamp}.json`;
}

/** Puts `text` on the clipboard (the Clipboard API, else a hidden field). */
async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement("textarea");
  area.value = text;
  document.body.append(area);
  area.select();
  const ok = document.execCommand?.("copy");
  area.remove();
  if (!ok) throw new Error("the clipboard is not available");
}

/** How often the open view fetches new lines. */
export const REFRESH_MS = 2000;

export class LogsView {
  private lines: LogLine[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private root: ParentNode,
    private onError: (message: string) => void,
    private now: () => Date = () => new Date(),
  ) {
    const level = byId<HTMLSelectElement>(root, "logs-level");
    level.value = "info";
    level.addEventListener("change", () => this.render());
    byId(root, "logs-refresh").addEventListener("click", () => void this.refresh());
    byId(root, "logs-copy").addEventListener("click", () => void this.copy());
    byId(root, "logs-export").addEventListener("click", () => void this.exportPicked());
    byId(root, "logs-close").addEventListener("click", () => this.hide());
    byId(root, "logs-export-form").addEventListener("submit", (e) => {
      e.preventDefault();
      void this.exportTyped();
    });
  }

  get shown(): boolean {
    return !byId(this.root, "logs").hidden;
  }

  /** Opens the view and keeps it fresh while open. */
  async show(): Promise<void> {
    const pane = byId(this.root, "logs");
    pane.hidden = false;
    pane.scrollIntoView?.({ block: "nearest" });
    if (this.timer === null) this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    await this.refresh();
  }

  hide(): void {
    byId(this.root, "logs").hidden = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  async toggle(): Promise<void> {
    if (this.shown) this.hide();
    else await this.show();
  }

  /** Fetches the lines again. */
  async refresh(): Promise<void> {
    try {
      this.lines = await api.logs();
    } catch (e) {
      this.onError(String(e));
      return;
    }
    this.render();
  }

  private level(): LogLevel {
    return byId<HTMLSelectElement>(this.root, "logs-level").value as LogLevel;
  }

  /** The lines the filter lets through. */
  visible(): LogLine[] {
    return filterLines(this.lines, this.level());
  }

  private render(): void {
    const list = byId(this.root, "logs-list");
    const atEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    const shown = this.visible();
    list.replaceChildren(
      ...shown.map((l) => {
        const li = document.createElement("li");
        li.className = "log-line";
        li.dataset.level = l.level;
        li.dataset.source = l.source;
        li.textContent = lineText(l);
        return li;
      }),
    );
    byId(this.root, "logs-empty").hidden = shown.length > 0;
    if (atEnd) list.scrollTop = list.scrollHeight;
  }

  private status(text: string): void {
    byId(this.root, "logs-status").textContent = text;
  }

  private async copy(): Promise<void> {
    const shown = this.visible();
    try {
      await copyText(shown.map(lineText).join("\n") + "\n");
      this.status(`Copied ${shown.length} lines.`);
    } catch (e) {
      this.onError(`Cannot copy the logs: ${String(e)}`);
    }
  }

  private async exportPicked(): Promise<void> {
    let path: string | null;
    try {
      path = await api.pickDiagnosticsPath(diagnosticsName(this.now()));
    } catch (e) {
      this.onError(String(e));
      return;
    }
    if (path) await this.exportTo(path);
  }

  private async exportTyped(): Promise<void> {
    const field = byId<HTMLInputElement>(this.root, "logs-export-path");
    const path = field.value.trim();
    if (!path) {
      this.onError("Enter the path of the file to write the diagnostics to.");
      return;
    }
    await this.exportTo(path);
  }

  private async exportTo(path: string): Promise<void> {
    try {
      const written = await api.exportDiagnostics(path);
      this.status(`Diagnostics written to ${written}. Secrets and your identity were left out.`);
    } catch (e) {
      this.onError(String(e));
    }
  }
}
