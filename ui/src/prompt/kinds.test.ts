import { describe, expect, it } from "vitest";

import { fire, settle, startApp, type } from "../test-support";
import type { Prompt } from "../types";

const PASSWORD: Prompt = { prompt_id: 21, kind: "password" };
const PASSPHRASE: Prompt = { prompt_id: 22, kind: "certificate-passphrase" };
const PIN: Prompt = { prompt_id: 23, kind: "pin", text: "Smart card PIN" };
const OTP: Prompt = { prompt_id: 24, kind: "otp", choices: ["push", "resend"] };

function press(el: HTMLElement, key: string, shiftKey = false): void {
  el.dispatchEvent(new KeyboardEvent("keydown", { key, shiftKey, bubbles: true }));
}

describe("password prompt: remember in keyring", () => {
  it("offers the checkbox, unchecked", async () => {
    const h = await startApp();
    await fire("prompt", PASSWORD);
    const row = h.el("prompt-remember-row");
    expect(row.hidden).toBe(false);
    expect(row.textContent?.trim()).toBe("Remember in keyring");
    expect(h.el<HTMLInputElement>("prompt-remember").checked).toBe(false);
  });

  it("checked: the password goes with remember to answer_password", async () => {
    const h = await startApp();
    await fire("prompt", PASSWORD);
    type(h.el<HTMLInputElement>("prompt-input"), "correct horse");
    h.el<HTMLInputElement>("prompt-remember").click();
    h.el<HTMLFormElement>("prompt-form").requestSubmit();
    await settle();
    expect(h.argsOf("answer_password")).toEqual([
      { prompt_id: 21, value: "correct horse", remember: true },
    ]);
    expect(h.argsOf("answer")).toEqual([]);
    expect(h.el<HTMLInputElement>("prompt-input").value).toBe("");
    expect(h.el("prompt").hidden).toBe(true);
  });

  it("unchecked: a plain answer, nothing to remember", async () => {
    const h = await startApp();
    await fire("prompt", PASSWORD);
    type(h.el<HTMLInputElement>("prompt-input"), "correct horse");
    h.el<HTMLButtonElement>("prompt-submit").click();
    await settle();
    expect(h.argsOf("answer")).toEqual([{ prompt_id: 21, value: "correct horse" }]);
    expect(h.argsOf("answer_password")).toEqual([]);
  });

  it("the checkbox starts unchecked for the next prompt", async () => {
    const h = await startApp();
    await fire("prompt", PASSWORD);
    h.el<HTMLInputElement>("prompt-remember").click();
    await fire("prompt-closed", { prompt_id: 21, reason: "cancelled" });
    await fire("prompt", { ...PASSWORD, prompt_id: 25 });
    expect(h.el<HTMLInputElement>("prompt-remember").checked).toBe(false);
  });

  it("a refused answer shows the error and keeps the dialog", async () => {
    const h = await startApp({
      answers: {
        answer_password: () => {
          throw "unknown prompt";
        },
      },
    });
    await fire("prompt", PASSWORD);
    type(h.el<HTMLInputElement>("prompt-input"), "pw");
    h.el<HTMLInputElement>("prompt-remember").click();
    h.el<HTMLButtonElement>("prompt-submit").click();
    await settle();
    expect(h.el("error-text").textContent).toBe("unknown prompt");
    expect(h.el("prompt").hidden).toBe(false);
    expect(h.el<HTMLInputElement>("prompt-remember").disabled).toBe(false);
  });

  it("does not repeat the title as the gateway's text", async () => {
    const h = await startApp();
    await fire("prompt", { ...PASSWORD, text: "Password" });
    expect(h.el("prompt-text").hidden).toBe(true);
    await fire("prompt", { ...PASSWORD, prompt_id: 26, text: "Password for corp\\alice" });
    expect(h.el("prompt-text").hidden).toBe(false);
    expect(h.el("prompt-text").textContent).toBe("Password for corp\\alice");
  });

  it("is not offered for other kinds", async () => {
    const h = await startApp();
    for (const p of [PASSPHRASE, PIN, OTP]) {
      await fire("prompt", p);
      expect(h.el("prompt-remember-row").hidden).toBe(true);
    }
  });
});

describe("certificate passphrase and PIN prompts", () => {
  it("ask for the passphrase in a hidden, labelled field", async () => {
    const h = await startApp();
    await fire("prompt", PASSPHRASE);
    expect(h.el("prompt").dataset.kind).toBe("certificate-passphrase");
    expect(h.el("prompt-title").textContent).toBe("Certificate passphrase");
    expect(h.el("prompt-label").textContent).toBe(
      "The passphrase of your certificate's private key",
    );
    const input = h.el<HTMLInputElement>("prompt-input");
    expect(input.type).toBe("password");
    expect(input.autocomplete).toBe("off");
    expect(document.activeElement).toBe(input);
    type(input, "s3cret pass");
    h.el<HTMLFormElement>("prompt-form").requestSubmit();
    await settle();
    expect(h.argsOf("answer")).toEqual([{ prompt_id: 22, value: "s3cret pass" }]);
  });

  it("ask for a PIN, hidden, with a number pad, and show the text", async () => {
    const h = await startApp();
    await fire("prompt", PIN);
    expect(h.el("prompt-title").textContent).toBe("PIN");
    expect(h.el("prompt-label").textContent).toBe("PIN of your smart card or security key");
    expect(h.el("prompt-text").textContent).toBe("Smart card PIN");
    const input = h.el<HTMLInputElement>("prompt-input");
    expect(input.type).toBe("password");
    expect(input.inputMode).toBe("numeric");
    type(input, "123456");
    await settle();
    // a PIN is not sent on its own
    expect(h.argsOf("answer")).toEqual([]);
    h.el<HTMLButtonElement>("prompt-submit").click();
    await settle();
    expect(h.argsOf("answer")).toEqual([{ prompt_id: 23, value: "123456" }]);
  });
});

describe("one-time code choices", () => {
  it("offers push instead and a new code when the gateway does", async () => {
    const h = await startApp();
    await fire("prompt", OTP);
    expect(h.el("use-push").hidden).toBe(false);
    expect(h.el("use-push").textContent).toBe("Use push instead");
    expect(h.el("resend").hidden).toBe(false);
    expect(h.el("use-code").hidden).toBe(true);
    h.el<HTMLButtonElement>("use-push").click();
    await settle();
    expect(h.argsOf("answer")).toEqual([{ prompt_id: 24, value: "push" }]);
  });

  it("resend answers resend", async () => {
    const h = await startApp();
    await fire("prompt", OTP);
    h.el<HTMLButtonElement>("resend").click();
    await settle();
    expect(h.argsOf("answer")).toEqual([{ prompt_id: 24, value: "resend" }]);
  });

  it("offers neither without choices", async () => {
    const h = await startApp();
    await fire("prompt", { ...OTP, choices: undefined });
    expect(h.el("use-push").hidden).toBe(true);
    expect(h.el("resend").hidden).toBe(true);
  });
});

describe("every prompt is a dialog", () => {
  it("labelled, described and focused", async () => {
    const h = await startApp();
    await fire("prompt", PIN);
    const d = h.el("prompt");
    expect(d.getAttribute("role")).toBe("dialog");
    expect(d.getAttribute("aria-modal")).toBe("true");
    expect(h.el(d.getAttribute("aria-labelledby") ?? "").textContent).toBe("PIN");
    expect(h.el(d.getAttribute("aria-describedby") ?? "").textContent).toBe("Smart card PIN");
    expect(d.contains(document.activeElement)).toBe(true);
  });

  it("Escape cancels, Enter sends", async () => {
    const h = await startApp();
    await fire("prompt", PASSPHRASE);
    press(h.el("prompt-input"), "Escape");
    await settle();
    expect(h.argsOf("cancel_prompt")).toEqual([{ prompt_id: 22 }]);
    expect(h.el("prompt").hidden).toBe(true);
    await fire("prompt", PASSWORD);
    type(h.el<HTMLInputElement>("prompt-input"), "pw");
    h.el<HTMLFormElement>("prompt-form").requestSubmit();
    await settle();
    expect(h.argsOf("answer")).toEqual([{ prompt_id: 21, value: "pw" }]);
  });

  it("Tab stays inside", async () => {
    const h = await startApp();
    await fire("prompt", PASSWORD);
    const cancel = h.el("prompt-cancel");
    cancel.focus();
    press(cancel, "Tab");
    expect(document.activeElement).toBe(h.el("prompt-input"));
    press(h.el("prompt-input"), "Tab", true);
    expect(document.activeElement).toBe(cancel);
  });
});
