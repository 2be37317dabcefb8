// The import preview (#import-preview): what a file would create, shown
// before anything is stored; the person imports or cancels.

import { byId } from "./dom";
import { Modal } from "./modal";
import type { ImportPreview } from "./types";

export const IMPORT_PREVIEW_LAYOUT = `
<div id="import-preview" class="modal" role="dialog" aria-modal="true" aria-labelledby="import-preview-title" hidden>
  <form id="import-preview-form" class="dialog" novalidate>
    <h2 id="import-preview-title">Import this profile?</h2>
    <p id="import-replaces" class="note" hidden></p>
    <dl id="import-details"></dl>
    <div id="import-secrets" class="note" hidden></div>
    <div id="import-warnings" hidden>
      <h3>Not imported</h3>
      <ul id="import-warning-list"></ul>
    </div>
    <div class="buttons">
      <button type="submit" id="import-confirm" class="primary">Import</button>
      <button type="button" id="import-cancel">Cancel</button>
    </div>
  </form>
</div>
`;

const FORMATS: Record<string, string> = {
  ibex: "Ibex profile",
  sswan: "strongSwan profile (.sswan)",
  mobileconfig: "Apple configuration profile (.mobileconfig)",
};

export class ImportPreviewDialog {
  private modal: Modal;
  private decide: ((yes: boolean) => void) | null = null;

  constructor(private root: ParentNode) {
    this.modal = new Modal(byId(root, "import-preview"), () => this.done(false));
    byId(root, "import-preview-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.done(true);
    });
    byId(root, "import-cancel").addEventListener("click", () => this.done(false));
  }

  /** Shows `p`; resolves to whether the person chose to import. */
  ask(p: ImportPreview): Promise<boolean> {
    this.done(false);
    this.render(p);
    this.modal.show(byId(this.root, "import-confirm"));
    return new Promise((resolve) => {
      this.decide = resolve;
    });
  }

  private done(yes: boolean): void {
    const decide = this.decide;
    this.decide = null;
    this.modal.hide();
    decide?.(yes);
  }

  private render(p: ImportPreview): void {
    const rows: [string, string][] = [
      ["Format", FORMATS[p.format] ?? p.format],
      ["Name", p.name],
      ["Gateway", p.gateway],
      ["Sign-in", p.auth],
      ["Your identity", p.local_id ?? "–"],
      ["Gateway identity", p.remote_id],
      ["CA certificates", String(p.ca_certificates)],
      ["IKE proposals", p.ike_proposals.length ? p.ike_proposals.join(", ") : "Ibex's defaults"],
      ["ESP proposals", p.esp_proposals.length ? p.esp_proposals.join(", ") : "Ibex's defaults"],
      ["Routes", p.routes.length ? p.routes.join(", ") : "All traffic"],
      ["DNS servers", p.dns_servers.length ? p.dns_servers.join(", ") : "The gateway's"],
    ];
    byId(this.root, "import-details").replaceChildren(
      ...rows.flatMap(([k, v]) => {
        const dt = document.createElement("dt");
        dt.textContent = k;
        const dd = document.createElement("dd");
        dd.textContent = v;
        return [dt, dd];
      }),
    );
    const replaces = byId(this.root, "import-replaces");
    replaces.textContent = p.replaces
      ? `This replaces your profile “${p.replaces}” (same UUID).`
      : "";
    replaces.hidden = !p.replaces;
    const secrets = byId(this.root, "import-secrets");
    secrets.textContent = p.secrets.length
      ? `The file carries a ${p.secrets.join(" and a ")}: it is not stored in the profile; you are asked for it when you connect.`
      : "";
    secrets.hidden = p.secrets.length === 0;
    byId(this.root, "import-warnings").hidden = p.warnings.length === 0;
    byId(this.root, "import-warning-list").replaceChildren(
      ...p.warnings.map((w) => {
        const li = document.createElement("li");
        li.textContent = w;
        return li;
      }),
    );
  }
}
