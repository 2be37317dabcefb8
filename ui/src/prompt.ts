// The prompt dialog (#prompt): password, pre-shared key, PIN and
// passphrase (hidden input); one-time code (digits only, sent as soon as
// it is complete); push approval (the number to match, shown large, a
// countdown, cancel, and "use a code instead" when the gateway allows it).
//
// What the person types goes to the `answer` command and nowhere else: it
// is not logged, and the field is emptied as soon as it is sent.

import * as api from "./api";
import { duration } from "./format";
import { byId } from "./layout";
import { USE_CODE, type Prompt, type PromptKind } from "./types";

/** Digits in a one-time code: it is sent when this many are typed. */
export const OTP_LENGTH = 6;

const TITLES: Record<PromptKind, string> = {
  password: "Password",
  psk: "Pre-shared key",
  otp: "One-time code",
  push: "Approve the sign-in on your phone",
  fido2: "Security key",
  pin: "PIN",
  "certificate-passphrase": "Certificate passphrase",
  unknown: "Answer needed",
};

const LABELS: Partial<Record<PromptKind, string>> = {
  password: "Your account password",
  psk: "The connection's pre-shared key",
  otp: `The ${OTP_LENGTH}-digit code from your authenticator app`,
  pin: "PIN",
  "certificate-passphrase": "The passphrase of your certificate's key",
  unknown: "Your answer",
};

const FIDO_NOT_YET =
  "This version of the app cannot use security keys yet: cancel, and connect with `ibex connect` in a terminal.";

export interface PromptOptions {
  /** Milliseconds since the epoch (tests pass a fixed clock). */
  now?: () => number;
  /** Errors for the person (#error). */
  onError?: (message: string) => void;
}

export class PromptDialog {
  private el: HTMLElement;
  private form: HTMLFormElement;
  private input: HTMLInputElement;
  private submit: HTMLButtonElement;
  private cancel: HTMLButtonElement;
  private useCode: HTMLButtonElement;
  private push: HTMLElement;
  private open = new Map<number, Prompt>();
  private shown: Prompt | null = null;
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
    this.submit = byId<HTMLButtonElement>(root, "prompt-submit");
    this.cancel = byId<HTMLButtonElement>(root, "prompt-cancel");
    this.useCode = byId<HTMLButtonElement>(root, "use-code");
    this.push = byId(root, "push");
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.send(this.input.value);
    });
    this.input.addEventListener("input", () => this.typed());
    this.cancel.addEventListener("click", () => void this.giveUp());
    this.useCode.addEventListener("click", () => void this.send(USE_CODE));
    this.el.addEventListener("keydown", (e) => {
      if (e.key === "Escape") void this.giveUp();
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

  private show(p: Prompt): void {
    this.shown = p;
    this.sending = false;
    const kind = p.kind in TITLES ? p.kind : "unknown";
    this.el.dataset.kind = kind;
    byId(this.root, "prompt-title").textContent = TITLES[kind];
    const text = byId(this.root, "prompt-text");
    text.textContent = kind === "fido2" ? FIDO_NOT_YET : (p.text ?? "");
    text.hidden = !text.textContent;
    const isPush = kind === "push";
    this.push.hidden = !isPush;
    byId(this.root, "push-number").textContent = p.number_to_match ?? "";
    byId(this.root, "push-number").hidden = !p.number_to_match;
    this.useCode.hidden = !(isPush && (p.choices ?? []).includes(USE_CODE));
    const typed = !isPush && kind !== "fido2";
    const label = byId(this.root, "prompt-label");
    label.textContent = LABELS[kind] ?? "";
    label.hidden = !typed;
    this.input.hidden = !typed;
    this.submit.hidden = !typed;
    this.input.value = "";
    if (kind === "otp") {
      this.input.type = "text";
      this.input.inputMode = "numeric";
      this.input.autocomplete = "one-time-code";
      this.input.maxLength = 10;
      this.input.pattern = "[0-9]*";
    } else {
      this.input.type = "password";
      this.input.inputMode = "text";
      this.input.autocomplete = "off";
      this.input.removeAttribute("maxlength");
      this.input.removeAttribute("pattern");
    }
    this.setBusy(false);
    this.el.hidden = false;
    this.startCountdown();
    if (typed) this.input.focus();
    else (this.useCode.hidden ? this.cancel : this.useCode).focus();
  }

  private hide(): void {
    this.shown = null;
    this.input.value = "";
    this.el.hidden = true;
    this.stopCountdown();
  }

  /** Digits only in a code field; a complete code is sent at once. */
  private typed(): void {
    if (this.shown?.kind !== "otp") return;
    const digits = this.input.value.replace(/\D/g, "");
    if (digits !== this.input.value) this.input.value = digits;
    if (digits.length === OTP_LENGTH) void this.send(digits);
  }

  private async send(value: string): Promise<void> {
    const p = this.shown;
    if (!p || this.sending) return;
    if (value === "" && p.kind !== "push") return;
    this.sending = true;
    this.input.value = "";
    this.setBusy(true);
    try {
      await api.answer(p.prompt_id, value);
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
      await api.cancelPrompt(p.prompt_id);
    } catch (e) {
      this.onError(String(e));
    }
    this.close(p.prompt_id);
  }

  private setBusy(busy: boolean): void {
    this.submit.disabled = busy;
    this.useCode.disabled = busy;
    this.input.disabled = busy;
  }

  private startCountdown(): void {
    this.stopCountdown();
    const out = byId(this.root, "push-countdown");
    const deadline = this.shown?.deadline;
    if (!deadline) {
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
