import { afterEach, describe, expect, it, vi } from "vitest";

import { fire, settle, startApp, type } from "./test-support";
import type { Prompt } from "./types";

const NOW = 1_767_225_510_000; // ms; the push deadline below is 90 s later

const OTP: Prompt = { prompt_id: 7, kind: "otp", text: "Enter the code from your app" };
const PUSH: Prompt = {
  prompt_id: 8,
  kind: "push",
  text: "Approve the sign-in on your phone",
  number_to_match: "42",
  deadline: 1_767_225_600,
  choices: ["code"],
};
const PASSWORD: Prompt = { prompt_id: 9, kind: "password" };

afterEach(() => {
  vi.useRealTimers();
});

describe("one-time code prompt", () => {
  it("is shown with a numeric field and sent as soon as it is complete", async () => {
    const h = await startApp();
    await fire("prompt", OTP);
    expect(h.el("prompt").hidden).toBe(false);
    expect(h.el("prompt").dataset.kind).toBe("otp");
    expect(h.el("prompt-title").textContent).toBe("One-time code");
    expect(h.el("prompt-text").textContent).toBe("Enter the code from your app");
    const input = h.el<HTMLInputElement>("prompt-input");
    expect(input.inputMode).toBe("numeric");
    type(input, "12345");
    await settle();
    expect(h.argsOf("answer")).toEqual([]);
    type(input, "123456");
    await settle();
    expect(h.argsOf("answer")).toEqual([{ prompt_id: 7, value: "123456" }]);
    expect(input.value).toBe("");
    expect(h.el("prompt").hidden).toBe(true);
  });

  it("keeps only the digits of a pasted code", async () => {
    const h = await startApp();
    await fire("prompt", OTP);
    type(h.el<HTMLInputElement>("prompt-input"), "123 456");
    await settle();
    expect(h.argsOf("answer")).toEqual([{ prompt_id: 7, value: "123456" }]);
  });

  it("shows a refused answer as an error and stays open", async () => {
    const h = await startApp({
      answers: {
        answer: () => {
          throw "unknown prompt";
        },
      },
    });
    await fire("prompt", OTP);
    type(h.el<HTMLInputElement>("prompt-input"), "654321");
    await settle();
    expect(h.el("error-text").textContent).toBe("unknown prompt");
    expect(h.el("prompt").hidden).toBe(false);
    expect(h.el<HTMLInputElement>("prompt-input").disabled).toBe(false);
  });
});

describe("push approval prompt", () => {
  it("shows the number to match, a countdown, and switches to a code", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    let now = NOW;
    const h = await startApp({ now: () => now });
    await fire("prompt", PUSH);
    expect(h.el("prompt").dataset.kind).toBe("push");
    expect(h.el("push").hidden).toBe(false);
    expect(h.el("push-number").textContent).toBe("42");
    expect(h.el("push-countdown").textContent).toBe("1:30 left");
    expect(h.el("prompt-input").hidden).toBe(true);
    now += 2000;
    vi.advanceTimersByTime(2000);
    expect(h.el("push-countdown").textContent).toBe("1:28 left");
    expect(h.el("use-code").hidden).toBe(false);
    h.el<HTMLButtonElement>("use-code").click();
    await settle();
    expect(h.argsOf("answer")).toEqual([{ prompt_id: 8, value: "code" }]);
  });

  it("cancels", async () => {
    const h = await startApp({ now: () => NOW });
    await fire("prompt", PUSH);
    h.el<HTMLButtonElement>("prompt-cancel").click();
    await settle();
    expect(h.argsOf("cancel_prompt")).toEqual([{ prompt_id: 8 }]);
    expect(h.argsOf("answer")).toEqual([]);
    expect(h.el("prompt").hidden).toBe(true);
  });

  it("offers no code when the gateway does not take one", async () => {
    const h = await startApp({ now: () => NOW });
    await fire("prompt", { ...PUSH, choices: undefined });
    expect(h.el("use-code").hidden).toBe(true);
  });

  it("goes away when approved on the phone", async () => {
    const h = await startApp({ now: () => NOW });
    await fire("prompt", PUSH);
    await fire("prompt-closed", { prompt_id: 8, reason: "answered" });
    expect(h.el("prompt").hidden).toBe(true);
    expect(h.argsOf("answer")).toEqual([]);
  });
});

describe("password prompt", () => {
  it("hides what is typed and sends it on submit", async () => {
    const h = await startApp();
    await fire("prompt", PASSWORD);
    expect(h.el("prompt-title").textContent).toBe("Password");
    const input = h.el<HTMLInputElement>("prompt-input");
    expect(input.type).toBe("password");
    type(input, "correct horse");
    await settle();
    expect(h.argsOf("answer")).toEqual([]);
    h.el<HTMLButtonElement>("prompt-submit").click();
    await settle();
    expect(h.argsOf("answer")).toEqual([{ prompt_id: 9, value: "correct horse" }]);
    expect(input.value).toBe("");
  });

  it("sends nothing for an empty field", async () => {
    const h = await startApp();
    await fire("prompt", PASSWORD);
    h.el<HTMLButtonElement>("prompt-submit").click();
    await settle();
    expect(h.argsOf("answer")).toEqual([]);
  });
});

describe("prompts in general", () => {
  it("shows a prompt that opened before the window loaded", async () => {
    const h = await startApp({ prompts: [OTP] });
    expect(h.el("prompt").hidden).toBe(false);
    expect(h.el("prompt").dataset.kind).toBe("otp");
  });

  it("comes back to an older open prompt when the newer one closes", async () => {
    const h = await startApp({ now: () => NOW });
    await fire("prompt", PASSWORD);
    await fire("prompt", PUSH);
    await fire("prompt-closed", { prompt_id: 8, reason: "expired" });
    expect(h.el("prompt").dataset.kind).toBe("password");
  });

  it("shows the gateway's text as text, not markup", async () => {
    const h = await startApp();
    await fire("prompt", { ...OTP, text: "<img src=x onerror=alert(1)>" });
    expect(h.el("prompt-text").textContent).toBe("<img src=x onerror=alert(1)>");
    expect(h.el("prompt-text").querySelector("img")).toBeNull();
  });

  it("closes every prompt when ibexd goes away", async () => {
    const h = await startApp();
    await fire("prompt", OTP);
    await fire("status", {
      daemon_running: false,
      socket: "/run/ibex/ibexd.sock",
      daemon_error: "connection refused",
      reason: null,
      state: "disconnected",
      virtual_ips: [],
      dns: [],
      nat_detected: false,
      mobike: false,
      uptime_s: 0,
      bytes_in: 0,
      bytes_out: 0,
      packets_in: 0,
      packets_out: 0,
      drops: 0,
    });
    expect(h.el("prompt").hidden).toBe(true);
  });
});
