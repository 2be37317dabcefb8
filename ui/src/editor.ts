// The profile editor (#editor): the common fields as a form, and the whole
// profile as its JSON document for everything else. Both edit the same
// document; the Rust side validates it on save (errors name the line and
// column) and a bad edit changes nothing.

import * as api from "./api";
import { byId } from "./dom";
import { Modal } from "./modal";
import type { ProfileSummary } from "./types";

export const EDITOR_LAYOUT = `
<div id="editor" class="modal" role="dialog" aria-modal="true" aria-labelledby="editor-title" hidden>
  <form id="editor-form" class="dialog wide" novalidate>
    <h2 id="editor-title">Edit profile</h2>
    <div class="fields">
      <label for="edit-name">Name</label>
      <input id="edit-name" type="text" autocomplete="off" spellcheck="false" />
      <label for="edit-host">Gateway</label>
      <input id="edit-host" type="text" autocomplete="off" spellcheck="false" />
      <label for="edit-port">Port</label>
      <input id="edit-port" type="number" min="1" max="65535" inputmode="numeric" />
    </div>
    <label for="edit-document">Profile (JSON)</label>
    <textarea id="edit-document" rows="14" spellcheck="false" aria-describedby="edit-hint"></textarea>
    <p id="edit-hint" class="note">Everything else (identities, sign-in rounds, routes, DNS, proposals) is in the document; profiles/profile.schema.json in Ibex's sources describes each key.</p>
    <p id="edit-error" role="alert" hidden></p>
    <div class="buttons">
      <button type="submit" id="edit-save" class="primary">Save</button>
      <button type="button" id="edit-cancel">Cancel</button>
    </div>
  </form>
</div>
`;

type Doc = { name?: unknown; gateway?: { host?: unknown; port?: unknown } };

export class ProfileEditor {
  private modal: Modal;
  private uuid: string | null = null;
  private name: HTMLInputElement;
  private host: HTMLInputElement;
  private port: HTMLInputElement;
  private doc: HTMLTextAreaElement;

  constructor(
    private root: ParentNode,
    private saved: (p: ProfileSummary) => void,
  ) {
    this.modal = new Modal(byId(root, "editor"), () => this.close());
    this.name = byId<HTMLInputElement>(root, "edit-name");
    this.host = byId<HTMLInputElement>(root, "edit-host");
    this.port = byId<HTMLInputElement>(root, "edit-port");
    this.doc = byId<HTMLTextAreaElement>(root, "edit-document");
    for (const f of [this.name, this.host, this.port]) {
      f.addEventListener("input", () => this.fieldsToDocument());
    }
    this.doc.addEventListener("input", () => this.documentToFields());
    byId(root, "editor-form").addEventListener("submit", (e) => {
      e.preventDefault();
      void this.save();
    });
    byId(root, "edit-cancel").addEventListener("click", () => this.close());
  }

  /** Opens the editor on the stored profile `uuid`. */
  async open(uuid: string): Promise<void> {
    const text = await api.profileDocument(uuid);
    this.uuid = uuid;
    this.doc.value = text;
    this.problem(null);
    this.documentToFields();
    this.modal.show(this.name);
  }

  private close(): void {
    this.uuid = null;
    this.modal.hide();
  }

  private async save(): Promise<void> {
    if (!this.uuid) return;
    try {
      const p = await api.saveProfile(this.uuid, this.doc.value);
      this.close();
      this.saved(p);
    } catch (e) {
      this.problem(String(e));
    }
  }

  private parsed(): Doc | null {
    try {
      const v: unknown = JSON.parse(this.doc.value);
      return v && typeof v === "object" && !Array.isArray(v) ? (v as Doc) : null;
    } catch {
      return null;
    }
  }

  /** The form shows what the document says; while the document is not
   * JSON the form is off (the document is the truth). */
  private documentToFields(): void {
    const d = this.parsed();
    for (const f of [this.name, this.host, this.port]) f.disabled = !d;
    if (!d) {
      this.problem("The document is not valid JSON: fix it, or cancel.");
      return;
    }
    this.problem(null);
    this.name.value = typeof d.name === "string" ? d.name : "";
    this.host.value = typeof d.gateway?.host === "string" ? d.gateway.host : "";
    this.port.value = typeof d.gateway?.port === "number" ? String(d.gateway.port) : "500";
  }

  /** A form change rewrites those keys of the document. */
  private fieldsToDocument(): void {
    const d = this.parsed();
    if (!d) return;
    d.name = this.name.value;
    const gateway = typeof d.gateway === "object" && d.gateway ? d.gateway : {};
    gateway.host = this.host.value.trim();
    const port = Number(this.port.value);
    if (Number.isInteger(port) && this.port.value !== "") gateway.port = port;
    d.gateway = gateway;
    this.doc.value = `${JSON.stringify(d, null, 2)}\n`;
  }

  private problem(text: string | null): void {
    const el = byId(this.root, "edit-error");
    el.textContent = text ?? "";
    el.hidden = text === null;
  }
}
