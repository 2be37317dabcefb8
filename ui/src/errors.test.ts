import { describe, expect, it } from "vitest";

import { explain } from "./errors";
import { HOME, WORK, fire, snapshot, startApp } from "./test-support";
import type { Failure, Snapshot } from "./types";

function failed(failure: Failure, over: Partial<Snapshot> = {}): Snapshot {
  return snapshot({
    state: "error",
    profile: { uuid: WORK.uuid, name: WORK.name },
    reason: failure.detail ?? "failed",
    failure,
    ...over,
  });
}

describe("error screens", () => {
  it("names the round and method of a failed sign-in, and what to do", async () => {
    const h = await startApp();
    await fire(
      "status",
      failed({ kind: "auth_failed", round: 2, method: "gtc", detail: "wrong one-time code" }),
    );
    expect(h.el("failure").hidden).toBe(false);
    expect(h.el("failure").dataset.kind).toBe("auth_failed");
    expect(h.el("failure-title").textContent).toBe("Sign-in failed");
    expect(h.el("failure-what").textContent).toBe(
      "Round 2 of the sign-in (one-time code (EAP-GTC)) was not accepted: wrong one-time code",
    );
    expect(h.el("failure-todo").textContent).toContain("authenticator app");
  });

  it("a wrong pre-shared key is round 1", () => {
    const e = explain({ kind: "auth_failed", round: 1, method: "psk" });
    expect(e.what).toBe("Round 1 of the sign-in (pre-shared key) was not accepted.");
    expect(e.todo).toContain("pre-shared key");
  });

  it("shows our suites when no proposal was chosen, and the gateway's when it named them", () => {
    const ours = ["aes256gcm16-prfsha384-ecp384", "aes128-sha256-prfsha256-modp2048"];
    let e = explain({ kind: "no_proposal", ours });
    expect(e.title).toBe("No common encryption settings");
    expect(e.what).toBe(
      `We offered: ${ours.join(", ")}. The gateway accepted none of them and did not say which it wants.`,
    );
    e = explain({ kind: "no_proposal", ours, theirs: ["modp4096"] });
    expect(e.what).toContain("The gateway asks for modp4096.");
    expect(e.todo).toContain("ike_proposals");
  });

  it("gives the skew of a clock that is off", () => {
    const e = explain({ kind: "clock_skew", round: 1, method: "gtc", skew_s: -60 });
    expect(e.title).toBe("A clock is off");
    expect(e.what).toContain("about 60 s in the past");
    expect(explain({ kind: "clock_skew", skew_s: 90 }).what).toContain("90 s in the future");
    expect(e.todo).toContain("automatically");
  });

  it("names the gateway that did not answer", async () => {
    const h = await startApp();
    await fire(
      "status",
      failed(
        { kind: "gateway_unreachable", gateway: "192.0.2.1:500" },
        { reason: "the gateway did not answer" },
      ),
    );
    expect(h.el("failure-title").textContent).toBe("Gateway unreachable");
    expect(h.el("failure-what").textContent).toBe("The gateway at 192.0.2.1:500 did not answer.");
    expect(h.el("failure-todo").textContent).toContain("UDP ports 500 and 4500");
  });

  it("has words for every other kind", () => {
    for (const kind of ["dns", "cancelled", "gateway_error", "setup", "other"] as const) {
      const e = explain({ kind, detail: "d" });
      expect(e.title.length).toBeGreaterThan(0);
      expect(e.todo.length).toBeGreaterThan(0);
    }
    expect(explain({ kind: "cancelled", round: 2, method: "push" }).what).toBe(
      "Round 2 of the sign-in (push approval) got no answer.",
    );
  });

  it("Try again connects the failed profile; Show logs opens the logs", async () => {
    const h = await startApp({ answers: { logs: () => [] } });
    // Another profile is selected in the list: the retry is for the failed one.
    h.root.querySelector<HTMLElement>(`#profile-${HOME.uuid}`)?.click();
    await fire("status", failed({ kind: "auth_failed", round: 1, method: "mschapv2" }));
    h.el("failure-retry").click();
    await new Promise((r) => setTimeout(r, 0));
    expect(h.argsOf("connect")).toEqual([{ uuid: WORK.uuid }]);
    expect(h.el("logs").hidden).toBe(true);
    h.el("failure-logs").click();
    await new Promise((r) => setTimeout(r, 0));
    expect(h.el("logs").hidden).toBe(false);
    expect(h.argsOf("logs")).toHaveLength(1);
    h.app.logs.hide();
  });

  it("goes away when a new attempt starts, and is not shown without a failure", async () => {
    const h = await startApp();
    await fire("status", failed({ kind: "auth_failed", round: 1, method: "psk" }));
    expect(h.el("failure").hidden).toBe(false);
    await fire("status", snapshot({ state: "connecting", profile: { uuid: WORK.uuid, name: WORK.name } }));
    expect(h.el("failure").hidden).toBe(true);
    // An older ibexd: the reason only, in the error banner.
    await fire("status", snapshot({ state: "error", reason: "authentication failed" }));
    expect(h.el("failure").hidden).toBe(true);
    expect(h.el("error-text").textContent).toBe("authentication failed");
  });
});
