// The prompt dialog (#prompt, markup in prompt/markup.ts): password (with
// "Remember in keyring"), pre-shared key, PIN and certificate passphrase
// (hidden input); one-time code (digits only, sent as soon as it is
// complete; "Use push instead" and "Send a new code" when the gateway
// offers them); push approval (the number to match, shown large, a
// countdown, cancel, and "use a code instead" when the gateway allows it);
// security key (touch, PIN, errors with "Try again": prompt/fido.ts).
//
// A dialog: focused when it opens, Tab stays inside, Escape cancels, Enter
// sends. What the person types goes to its command and nowhere else: it is
// not logged, and the field is emptied as soon as it is sent.

import * as api from "./api";
import { duration } from "./format";
import { byId } from "./layout";
import { FidoSignIn, type FidoStage } from "./prompt/fido";
import { kindOf, LABELS, OTP_LENGTH, RESEND, TITLES, USE_PUSH } from "./prompt/kinds";
import { USE_CODE, type FidoPinRequest, type Prompt, type PromptKind } from "./types";

export { OTP_LENGTH };

/** The security key's usual text: not repeated under the title. */
const FIDO_DEFAULT_TEXT = "Touch your security key";

export interface PromptOptions {
  /** Milliseconds since the epoch (tests pass a fixed clock). */
  now?: () => number;
  /** Errors for the person (#error). */
  onError?: (message: string) => void;
}

export class PromptDialog {
  /** Whether "Remember in keyring" starts ticked (the settings say). */
  rememberByDefault = false;
  private el: HTMLElement;
  private form: HTMLFormElement;
  private input: HTMLInputElement;
  private remember: HTMLInputElement;
  private submit: HTMLButtonElement;
  private cancel: HTMLButtonElement;
  private buttons: Record<"useCode" | "usePush" | "resend" | "retry", HTMLButtonElement>;
  private open = new Map<number, Prompt>();
  private shown: Prompt | null = null;
  private fido: FidoSignIn | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private sending = false;
  private now: () => number;
  private onError: (message: string) => void;

  constructor(
    private root: ParentNode,
    opts: PromptOptions = {},
  ) {
    this.now = opts.now ?? (() => Date.now());
    this.onError = opts.onError ?? (() => {});
    this.el = byId(root, "prompt");
    this.form = byId<HTMLFormElement>(root, "prompt-form");
    this.input = byId<HTMLInputElement>(root, "prompt-input");
    this.remember = byId<HTMLInputElement>(root, "prompt-remember");
    this.submit = byId<HTMLButtonElement>(root, "prompt-submit");
    this.cancel = byId<HTMLButtonElement>(root, "prompt-cancel");
    this.buttons = {
      useCode: byId<HTMLButtonElement>(root, "use-code"),
      usePush: byId<HTMLButtonElement>(root, "use-push"),
      resend: byId<HTMLButtonElement>(root, "resend"),
      retry: byId<HTMLButtonElement>(root, "fido-retry"),
    };
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.entered();
    });
    this.input.addEventListener("input", () => this.typed());
    this.cancel.addEventListener("click", () => void this.giveUp());
    this.buttons.useCode.addEventListener("click", () => void this.send(USE_CODE));
    this.buttons.usePush.addEventListener("click", () => void this.send(USE_PUSH));
    this.buttons.resend.addEventListener("click", () => void this.send(RESEND));
    this.buttons.retry.addEventListener("click", () => void this.fido?.sign());
    this.el.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        void this.giveUp();
      } else if (e.key === "Tab") this.trapTab(e);
    });
  }

  /** The prompt on screen, if any. */
  current(): Prompt | null {
    return this.shown;
  }

  /** A prompt opened: it is shown (the newest one is on top). */
  add(p: Prompt): void {
    this.open.set(p.prompt_id, p);
    this.show(p);
  }

  /** A prompt closed: off the screen; an older open one comes back. */
  close(prompt_id: number): void {
    this.open.delete(prompt_id);
    if (this.shown?.prompt_id !== prompt_id) return;
    const rest = [...this.open.values()];
    if (rest.length) this.show(rest[rest.length - 1]);
    else this.hide();
  }

  /** Every prompt is void (ibexd went away). */
  clear(): void {
    this.open.clear();
    this.hide();
  }

  /** The security key asks for its PIN (the `fido-pin` event). */
  fidoPin(r: FidoPinRequest): void {
    if (this.fido?.prompt.prompt_id === r.prompt_id) this.fido.pinAsked();
  }

  private show(p: Prompt): void {
    this.shown = p;
    this.sending = false;
    this.fido = null;
    const kind = kindOf(p.kind);
    this.el.dataset.kind = kind;
    delete this.el.dataset.fido;
    byId(this.root, "prompt-title").textContent = TITLES[kind];
    const text = byId(this.root, "prompt-text");
    // The gateway's words, unless they only repeat the title ("Password").
    const said = (p.text ?? "").trim();
    const repeats = [TITLES[kind], FIDO_DEFAULT_TEXT].some(
      (t) => t.toLowerCase() === said.toLowerCase(),
    );
    text.textContent = repeats ? "" : said;
    text.hidden = !text.textContent;
    const isPush = kind === "push";
    byId(this.root, "push").hidden = !isPush;
    byId(this.root, "push-number").textContent = p.number_to_match ?? "";
    byId(this.root, "push-number").hidden = !p.number_to_match;
    byId(this.root, "fido").hidden = kind !== "fido2";
    const offers = (choice: string) => (p.choices ?? []).includes(choice);
    this.buttons.useCode.hidden = !(isPush && offers(USE_CODE));
    this.buttons.usePush.hidden = !(kind === "otp" && offers(USE_PUSH));
    this.buttons.resend.hidden = !(kind === "otp" && offers(RESEND));
    this.buttons.retry.hidden = true;
    this.remember.checked = kind === "password" && this.rememberByDefault;
    byId(this.root, "prompt-remember-row").hidden = kind !== "password";
    this.field(kind, !isPush && kind !== "fido2");
    this.setBusy(false);
    this.el.hidden = false;
    this.startCountdown();
    if (kind === "fido2") {
      this.fido = new FidoSignIn(p, { stage: (s, e) => this.fidoStage(p, s, e) });
      void this.fido.sign();
      return;
    }
    this.focusFirst();
  }

  /** Sets up the answer field for `kind` (shown or not). */
  private field(kind: PromptKind, shown: boolean): void {
    const label = byId(this.root, "prompt-label");
    label.textContent = kind === "fido2" ? "PIN of your security key" : (LABELS[kind] ?? "");
    label.hidden = !shown;
    this.input.hidden = !shown;
    this.submit.hidden = !shown;
    this.input.value = "";
    if (kind === "otp") {
      this.input.type = "text";
      this.input.inputMode = "numeric";
      this.input.autocomplete = "one-time-code";
      this.input.maxLength = 10;
      this.input.pattern = "[0-9]*";
    } else {
      this.input.type = "password";
      this.input.inputMode = kind === "pin" ? "numeric" : "text";
      this.input.autocomplete = "off";
      this.input.removeAttribute("maxlength");
      this.input.removeAttribute("pattern");
    }
  }

  /** Shows a stage of the security key sign-in of `p`. */
  private fidoStage(p: Prompt, stage: FidoStage, error?: string): void {
    if (this.shown !== p) return;
    this.el.dataset.fido = stage;
    const status = byId(this.root, "fido-status");
    status.textContent = {
      touch: "Touch your security key",
      pin: "Enter your security key's PIN",
      error: "The security key could not sign you in",
    }[stage];
    const rp = p.fido?.rp_id;
    byId(this.root, "fido-rp").textContent = rp ? `to sign in to ${rp}` : "";
    const err = byId(this.root, "fido-error");
    err.textContent = error ?? "";
    err.hidden = stage !== "error";
    this.buttons.retry.hidden = stage !== "error";
    this.field("fido2", stage === "pin");
    this.sending = false;
    this.setBusy(false);
    if (stage === "pin") this.input.focus();
    else if (stage === "error") this.buttons.retry.focus();
    else this.cancel.focus();
  }

  private hide(): void {
    this.shown = null;
    this.fido = null;
    this.input.value = "";
    this.remember.checked = false;
    this.el.hidden = true;
    this.stopCountdown();
  }

  /** The first thing to act on: the field, an alternative, or Cancel. */
  private focusFirst(): void {
    if (!this.input.hidden) return this.input.focus();
    const alt = Object.values(this.buttons).find((b) => !b.hidden);
    (alt ?? this.cancel).focus();
  }

  /** Tab and Shift+Tab go round the dialog's visible controls. */
  private trapTab(e: KeyboardEvent): void {
    const controls = [
      ...this.el.querySelectorAll<HTMLElement>("input, button"),
    ].filter((c) => !c.closest("[hidden]") && !(c as HTMLButtonElement).disabled);
    if (!controls.length) return;
    const first = controls[0];
    const last = controls[controls.length - 1];
    const active = document.activeElement;
    if (e.shiftKey && active === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && active === last) {
      e.preventDefault();
      first.focus();
    }
  }

  /** Digits only in a code field; a complete code is sent at once. */
  private typed(): void {
    if (this.shown?.kind !== "otp") return;
    const digits = this.input.value.replace(/\D/g, "");
    if (digits !== this.input.value) this.input.value = digits;
    if (digits.length === OTP_LENGTH) void this.send(digits);
  }

  /** Enter (or the submit button): the field's value goes to its command. */
  private async entered(): Promise<void> {
    const value = this.input.value;
    if (this.input.hidden || value === "") return;
    if (this.fido) {
      this.input.value = "";
      this.setBusy(true);
      await this.fido.pin(value);
      return;
    }
    await this.send(value);
  }

  private async send(value: string): Promise<void> {
    const p = this.shown;
    if (!p || this.sending) return;
    if (value === "" && p.kind !== "push") return;
    this.sending = true;
    this.input.value = "";
    const remember = p.kind === "password" && this.remember.checked;
    this.setBusy(true);
    try {
      if (remember) await api.answerPassword(p.prompt_id, value, true);
      else await api.answer(p.prompt_id, value);
      this.close(p.prompt_id);
    } catch (e) {
      this.onError(String(e));
      if (this.shown === p) {
        this.sending = false;
        this.setBusy(false);
      }
    }
  }

  private async giveUp(): Promise<void> {
    const p = this.shown;
    if (!p) return;
    this.setBusy(true);
    try {
      if (this.fido) await this.fido.stop();
      await api.cancelPrompt(p.prompt_id);
    } catch (e) {
      this.onError(String(e));
    }
    this.close(p.prompt_id);
  }

  private setBusy(busy: boolean): void {
    this.submit.disabled = busy;
    this.input.disabled = busy;
    this.remember.disabled = busy;
    for (const b of Object.values(this.buttons)) b.disabled = busy;
  }

  private startCountdown(): void {
    this.stopCountdown();
    const out = byId(this.root, "push-countdown");
    const deadline = this.shown?.deadline;
    if (!deadline || this.shown?.kind !== "push") {
      out.textContent = "";
      return;
    }
    const tick = () => {
      const left = Math.max(0, deadline - this.now() / 1000);
      out.textContent = `${duration(left)} left`;
      if (left <= 0) this.stopCountdown();
    };
    tick();
    this.timer = setInterval(tick, 1000);
  }

  private stopCountdown(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
