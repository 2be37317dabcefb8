// A security key sign-in from the window (fido2 prompts): the Rust side
// (`fido_sign`) has the key sign and answers ibexd; this drives the
// dialog's stages: "touch" (waiting for the key), "pin" (the key needs
// its PIN: asked here, sent with `fido_pin` to the key only), "error"
// (what went wrong, with "Try again").

import * as api from "../api";
import type { Prompt } from "../types";

export type FidoStage = "touch" | "pin" | "error";

/** How the dialog shows a stage. */
export interface FidoView {
  stage(stage: FidoStage, error?: string): void;
}

export class FidoSignIn {
  private stopped = false;

  constructor(
    readonly prompt: Prompt,
    private view: FidoView,
  ) {}

  /** Asks the key (again, after an error). */
  async sign(): Promise<void> {
    this.view.stage("touch");
    try {
      await api.fidoSign(this.prompt.prompt_id);
      // Answered: ibexd closes the prompt (prompt-closed).
    } catch (e) {
      if (!this.stopped) this.view.stage("error", String(e));
    }
  }

  /** The key asks for its PIN (the `fido-pin` event). */
  pinAsked(): void {
    if (!this.stopped) this.view.stage("pin");
  }

  /** Sends the PIN the person typed to the key. */
  async pin(value: string): Promise<void> {
    try {
      await api.fidoPin(this.prompt.prompt_id, value);
      if (!this.stopped) this.view.stage("touch");
    } catch (e) {
      if (!this.stopped) this.view.stage("error", String(e));
    }
  }

  /** Stops asking the key (the dialog then cancels the prompt). */
  async stop(): Promise<void> {
    this.stopped = true;
    await api.fidoCancel(this.prompt.prompt_id);
  }
}
