import { describe, expect, it } from "vitest";

import { fire, settle, startApp, type } from "../test-support";
import type { Prompt } from "../types";

const RP = "vpn.example.test";
const FIDO: Prompt = {
  prompt_id: 11,
  kind: "fido2",
  text: "Touch your security key",
  deadline: 1_767_225_600,
  fido: { rp_id: RP, origin: `https://${RP}` },
};

/** A command that stays pending until the test settles it. */
function pending() {
  let resolve!: (v: unknown) => void;
  let reject!: (e: unknown) => void;
  const calls: Promise<unknown>[] = [];
  return {
    handler: () => {
      const p = new Promise((res, rej) => {
        resolve = res;
        reject = rej;
      });
      calls.push(p);
      return p;
    },
    resolve: (v: unknown = null) => resolve(v),
    reject: (e: unknown) => reject(e),
  };
}

/** FidoError's messages (crates/client/src/fido.rs), as `fido_sign` fails. */
const ERRORS = [
  "no FIDO2 security key found: plug in your key and connect again (on Linux its hidraw device must be readable by you)",
  `this security key is not registered for ${RP} (the gateway accepts none of its credentials): use the key you enrolled, or ask the gateway's administrator to register this one`,
  "wrong PIN for the security key; connect again and enter the key's PIN (a few more wrong PINs lock the key)",
  "the security key's PIN is blocked after too many wrong PINs: reset or unblock the key with its manager",
  "timed out: the security key was not touched within 60 s",
];

describe("security key prompt", () => {
  it("asks the key at once and says to touch it, naming the gateway", async () => {
    const sign = pending();
    const h = await startApp({ answers: { fido_sign: sign.handler } });
    await fire("prompt", FIDO);
    expect(h.argsOf("fido_sign")).toEqual([{ prompt_id: 11 }]);
    expect(h.el("prompt").hidden).toBe(false);
    expect(h.el("prompt").dataset.kind).toBe("fido2");
    expect(h.el("prompt").dataset.fido).toBe("touch");
    expect(h.el("prompt-title").textContent).toBe("Security key");
    expect(h.el("fido").hidden).toBe(false);
    expect(h.el("fido-status").textContent).toBe("Touch your security key");
    expect(h.el("fido-rp").textContent).toBe(`to sign in to ${RP}`);
    expect(h.el("prompt-text").hidden).toBe(true);
    expect(h.el("prompt-input").hidden).toBe(true);
    expect(h.el("fido-error").hidden).toBe(true);
    expect(h.el("fido-retry").hidden).toBe(true);
    expect(document.activeElement).toBe(h.el("prompt-cancel"));
    // the assertion goes to ibexd from the Rust side, never through here
    sign.resolve();
    await settle();
    expect(h.argsOf("answer")).toEqual([]);
    await fire("prompt-closed", { prompt_id: 11, reason: "answered" });
    expect(h.el("prompt").hidden).toBe(true);
  });

  it("asks the key's PIN in the window and sends it to the key only", async () => {
    const sign = pending();
    const h = await startApp({ answers: { fido_sign: sign.handler } });
    await fire("prompt", FIDO);
    await fire("fido-pin", { prompt_id: 11, rp_id: RP });
    expect(h.el("prompt").dataset.fido).toBe("pin");
    expect(h.el("fido-status").textContent).toBe("Enter your security key's PIN");
    const input = h.el<HTMLInputElement>("prompt-input");
    expect(input.hidden).toBe(false);
    expect(input.type).toBe("password");
    expect(h.el("prompt-label").textContent).toBe("PIN of your security key");
    expect(h.el("prompt-label").getAttribute("for")).toBe("prompt-input");
    expect(document.activeElement).toBe(input);
    type(input, "4321");
    h.el<HTMLFormElement>("prompt-form").requestSubmit(); // Enter
    await settle();
    expect(h.argsOf("fido_pin")).toEqual([{ prompt_id: 11, pin: "4321" }]);
    expect(h.argsOf("answer")).toEqual([]);
    expect(input.value).toBe("");
    // touch the key after the PIN
    expect(h.el("prompt").dataset.fido).toBe("touch");
    expect(input.hidden).toBe(true);
  });

  it("sends no empty PIN and ignores a PIN request for another prompt", async () => {
    const sign = pending();
    const h = await startApp({ answers: { fido_sign: sign.handler } });
    await fire("prompt", FIDO);
    await fire("fido-pin", { prompt_id: 99, rp_id: RP });
    expect(h.el("prompt").dataset.fido).toBe("touch");
    await fire("fido-pin", { prompt_id: 11, rp_id: RP });
    h.el<HTMLButtonElement>("prompt-submit").click();
    await settle();
    expect(h.argsOf("fido_pin")).toEqual([]);
  });

  for (const message of ERRORS) {
    it(`shows "${message.slice(0, 30)}…" and tries again`, async () => {
      let n = 0;
      const second = pending();
      const h = await startApp({
        answers: {
          fido_sign: () => {
            n += 1;
            if (n === 1) throw message;
            return second.handler();
          },
        },
      });
      await fire("prompt", FIDO);
      expect(h.el("prompt").dataset.fido).toBe("error");
      expect(h.el("fido-status").textContent).toBe("The security key could not sign you in");
      expect(h.el("fido-error").hidden).toBe(false);
      expect(h.el("fido-error").getAttribute("role")).toBe("alert");
      expect(h.el("fido-error").textContent).toBe(message);
      expect(h.el("fido-retry").hidden).toBe(false);
      expect(document.activeElement).toBe(h.el("fido-retry"));
      // the prompt stays open for a retry
      expect(h.argsOf("cancel_prompt")).toEqual([]);
      h.el<HTMLButtonElement>("fido-retry").click();
      await settle();
      expect(h.argsOf("fido_sign")).toEqual([{ prompt_id: 11 }, { prompt_id: 11 }]);
      expect(h.el("prompt").dataset.fido).toBe("touch");
      expect(h.el("fido-error").hidden).toBe(true);
    });
  }

  it("a PIN the key refuses is an error with a retry", async () => {
    const sign = pending();
    const h = await startApp({
      answers: {
        fido_sign: sign.handler,
        fido_pin: () => {
          throw "no PIN is being asked for this prompt";
        },
      },
    });
    await fire("prompt", FIDO);
    await fire("fido-pin", { prompt_id: 11, rp_id: RP });
    type(h.el<HTMLInputElement>("prompt-input"), "0000");
    h.el<HTMLFormElement>("prompt-form").requestSubmit();
    await settle();
    expect(h.el("prompt").dataset.fido).toBe("error");
    expect(h.el("fido-error").textContent).toBe("no PIN is being asked for this prompt");
  });

  it("cancel stops the key and cancels the prompt", async () => {
    const sign = pending();
    const h = await startApp({ answers: { fido_sign: sign.handler } });
    await fire("prompt", FIDO);
    h.el<HTMLButtonElement>("prompt-cancel").click();
    await settle();
    expect(h.argsOf("fido_cancel")).toEqual([{ prompt_id: 11 }]);
    expect(h.argsOf("cancel_prompt")).toEqual([{ prompt_id: 11 }]);
    expect(h.el("prompt").hidden).toBe(true);
    // the stopped sign-in's failure is not shown
    sign.reject("cancelled");
    await settle();
    expect(h.el("error").hidden).toBe(true);
  });

  it("Escape at the PIN cancels too, without sending the PIN", async () => {
    const sign = pending();
    const h = await startApp({ answers: { fido_sign: sign.handler } });
    await fire("prompt", FIDO);
    await fire("fido-pin", { prompt_id: 11, rp_id: RP });
    const input = h.el<HTMLInputElement>("prompt-input");
    type(input, "12");
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    await settle();
    expect(h.argsOf("fido_cancel")).toEqual([{ prompt_id: 11 }]);
    expect(h.argsOf("cancel_prompt")).toEqual([{ prompt_id: 11 }]);
    expect(h.argsOf("fido_pin")).toEqual([]);
    expect(input.value).toBe("");
  });
});
