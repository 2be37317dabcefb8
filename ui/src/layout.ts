// The window's markup. Element ids are stable: the WebDriver tests and
// docs/app.md name them. Text from outside (profile names, the gateway's
// prompt text, errors) is only ever set with textContent, never as HTML.
// Dialogs keep their markup beside their code and are added here.

import { EDITOR_LAYOUT } from "./editor";
import { GRAPH_LAYOUT } from "./graph";
import { IMPORT_PREVIEW_LAYOUT } from "./import-preview";
import { PROMPT_LAYOUT } from "./prompt/markup";
import { SETTINGS_LAYOUT } from "./settings";

export const LAYOUT = `
<header class="toolbar">
  <span class="app-name">Ibex</span>
  <button type="button" id="open-settings">Settings…</button>
</header>
<div id="error" role="alert" hidden>
  <span id="error-text"></span>
  <button type="button" id="error-dismiss" aria-label="Dismiss the error">×</button>
</div>
<div id="daemon" role="status" hidden></div>
<main>
  <section class="pane" aria-labelledby="profiles-title">
    <h2 id="profiles-title">Profiles</h2>
    <ul id="profiles" role="listbox" aria-labelledby="profiles-title"></ul>
    <p id="no-profiles" hidden>No profiles yet: import the profile file your administrator gave you (Ibex .json, strongSwan .sswan or Apple .mobileconfig).</p>
    <div class="buttons">
      <button type="button" id="import">Import…</button>
      <button type="button" id="edit" disabled>Edit…</button>
      <button type="button" id="duplicate" disabled>Duplicate</button>
      <button type="button" id="export" disabled>Export…</button>
      <button type="button" id="remove" disabled>Remove</button>
    </div>
    <p class="note">Or drop a profile file on this window.</p>
    <form id="import-path-form" class="import-path" novalidate>
      <label for="import-path">Or paste a profile file's path</label>
      <input id="import-path" type="text" autocomplete="off" spellcheck="false" placeholder="/home/you/Downloads/vpn.json" />
      <button type="submit" id="import-path-submit">Import</button>
    </form>
  </section>
  <section class="pane" aria-labelledby="connection-title">
    <h2 id="connection-title">Connection</h2>
    <p class="state-line">
      <span id="state" data-state="disconnected" role="status" aria-live="polite">Disconnected</span>
      <span id="state-profile"></span>
    </p>
    <p id="state-reason" hidden></p>
    <dl id="details">
      <dt>Gateway</dt><dd id="gateway">–</dd>
      <dt>Virtual IP</dt><dd id="virtual-ip">–</dd>
      <dt>DNS</dt><dd id="dns">–</dd>
      <dt>IKE</dt><dd id="ike-suite">–</dd>
      <dt>ESP</dt><dd id="esp-suite">–</dd>
      <dt>NAT</dt><dd id="nat">–</dd>
      <dt>MOBIKE</dt><dd id="mobike">–</dd>
      <dt>Uptime</dt><dd id="uptime">–</dd>
      <dt>Received</dt><dd id="bytes-in">–</dd>
      <dt>Sent</dt><dd id="bytes-out">–</dd>
    </dl>
    ${GRAPH_LAYOUT}
    <div class="buttons">
      <button type="button" id="connect" disabled>Connect</button>
      <button type="button" id="disconnect" disabled>Disconnect</button>
      <button type="button" id="show-logs">Logs</button>
    </div>
  </section>
</main>
<div id="drop-zone" aria-hidden="true" hidden><p>Drop the profile file to import it</p></div>
${IMPORT_PREVIEW_LAYOUT}
${EDITOR_LAYOUT}
${SETTINGS_LAYOUT}
${PROMPT_LAYOUT}
`;

export { byId } from "./dom";
