// The prompt dialog's markup (mounted by layout.ts). Element ids are
// stable: docs/app.md lists them and the WebDriver tests use them. Text
// from the gateway is only ever set with textContent.

export const PROMPT_LAYOUT = `
<div id="prompt" role="dialog" aria-modal="true" aria-labelledby="prompt-title" aria-describedby="prompt-text" hidden>
  <form id="prompt-form" novalidate>
    <h2 id="prompt-title"></h2>
    <p id="prompt-text"></p>
    <div id="push" hidden>
      <p>Number to match</p>
      <p id="push-number" aria-live="polite"></p>
      <p id="push-countdown"></p>
    </div>
    <div id="fido" hidden>
      <p id="fido-status" aria-live="polite"></p>
      <p id="fido-rp"></p>
      <p id="fido-error" role="alert" hidden></p>
    </div>
    <label id="prompt-label" for="prompt-input"></label>
    <input id="prompt-input" autocomplete="off" spellcheck="false" />
    <label id="prompt-remember-row" class="check" hidden>
      <input type="checkbox" id="prompt-remember" /> Remember in keyring
    </label>
    <div class="buttons">
      <button type="submit" id="prompt-submit">Submit</button>
      <button type="button" id="fido-retry" hidden>Try again</button>
      <button type="button" id="use-code" hidden>Use a code instead</button>
      <button type="button" id="use-push" hidden>Use push instead</button>
      <button type="button" id="resend" hidden>Send a new code</button>
      <button type="button" id="prompt-cancel">Cancel</button>
    </div>
  </form>
</div>
`;
