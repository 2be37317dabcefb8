// The window's markup. Element ids are stable: the WebDriver tests and
// docs/app.md name them. Text from outside (profile names, the gateway's
// prompt text, errors) is only ever set with textContent, never as HTML.

export const LAYOUT = `
<div id="error" role="alert" hidden>
  <span id="error-text"></span>
  <button type="button" id="error-dismiss" aria-label="Dismiss the error">×</button>
</div>
<div id="daemon" role="status" hidden></div>
<main>
  <section class="pane" aria-labelledby="profiles-title">
    <h2 id="profiles-title">Profiles</h2>
    <ul id="profiles" role="listbox" aria-labelledby="profiles-title"></ul>
    <p id="no-profiles" hidden>No profiles yet: import an Ibex profile (.json) from your administrator.</p>
    <div class="buttons">
      <button type="button" id="import">Import…</button>
      <button type="button" id="remove" disabled>Remove</button>
    </div>
    <form id="import-path-form" class="import-path" novalidate>
      <label for="import-path">Or paste a profile file's path</label>
      <input id="import-path" type="text" autocomplete="off" spellcheck="false" placeholder="/home/you/Downloads/vpn.json" />
      <button type="submit" id="import-path-submit">Import</button>
    </form>
  </section>
  <section class="pane" aria-labelledby="connection-title">
    <h2 id="connection-title">Connection</h2>
    <p class="state-line">
      <span id="state" data-state="disconnected">Disconnected</span>
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
    <div class="buttons">
      <button type="button" id="connect" disabled>Connect</button>
      <button type="button" id="disconnect" disabled>Disconnect</button>
      <button type="button" id="show-logs">Logs</button>
    </div>
  </section>
</main>
<div id="prompt" role="dialog" aria-modal="true" aria-labelledby="prompt-title" hidden>
  <form id="prompt-form" novalidate>
    <h2 id="prompt-title"></h2>
    <p id="prompt-text"></p>
    <div id="push" hidden>
      <p>Number to match</p>
      <p id="push-number" aria-live="polite"></p>
      <p id="push-countdown"></p>
    </div>
    <label id="prompt-label" for="prompt-input"></label>
    <input id="prompt-input" autocomplete="off" spellcheck="false" />
    <div class="buttons">
      <button type="submit" id="prompt-submit">Submit</button>
      <button type="button" id="use-code" hidden>Use a code instead</button>
      <button type="button" id="prompt-cancel">Cancel</button>
    </div>
  </form>
</div>
`;

/** An element the layout must have. */
export function byId<T extends HTMLElement = HTMLElement>(root: ParentNode, id: string): T {
  const el = root.querySelector<T>(`#${id}`);
  if (!el) throw new Error(`missing element #${id}`);
  return el;
}
