import { describe, expect, it } from "vitest";

import { WORK, fire, snapshot, startApp } from "./test-support";

const CONNECTED = snapshot({
  state: "connected",
  profile: { uuid: WORK.uuid, name: WORK.name },
  gateway: "192.0.2.1:4500",
  virtual_ips: ["10.99.0.2"],
  dns: ["10.99.0.53", "10.99.0.54"],
  ike_suite: "aes256gcm16-prfsha384-ecp384",
  esp_suite: "aes256gcm16",
  nat_detected: true,
  mobike: true,
  uptime_s: 3725,
  bytes_in: 5120,
  bytes_out: 2048,
  packets_in: 40,
  packets_out: 31,
});

describe("connection view", () => {
  it("shows everything about a connected tunnel", async () => {
    const h = await startApp();
    await fire("status", CONNECTED);
    const text = (id: string) => h.el(id).textContent;
    expect(text("state")).toBe("Connected");
    expect(h.el("state").dataset.state).toBe("connected");
    expect(text("state-profile")).toBe(WORK.name);
    expect(text("gateway")).toBe("192.0.2.1:4500");
    expect(text("virtual-ip")).toBe("10.99.0.2");
    expect(text("dns")).toBe("10.99.0.53, 10.99.0.54");
    expect(text("ike-suite")).toBe("aes256gcm16-prfsha384-ecp384");
    expect(text("esp-suite")).toBe("aes256gcm16");
    expect(text("nat")).toBe("Detected (UDP 4500)");
    expect(text("mobike")).toBe("Yes");
    expect(text("uptime")).toBe("1:02:05");
    expect(text("bytes-in")).toBe("5.0 KiB (40 packets)");
    expect(text("bytes-out")).toBe("2.0 KiB (31 packets)");
    expect(h.el("daemon").hidden).toBe(true);
  });

  it("loads the status at start", async () => {
    const h = await startApp({ status: CONNECTED });
    expect(h.argsOf("status")).toHaveLength(1);
    expect(h.el("virtual-ip").textContent).toBe("10.99.0.2");
  });

  it("follows the counters", async () => {
    const h = await startApp({ status: CONNECTED });
    await fire("status", { ...CONNECTED, uptime_s: 3726, bytes_in: 3 * 1024 * 1024 });
    expect(h.el("uptime").textContent).toBe("1:02:06");
    expect(h.el("bytes-in").textContent).toBe("3.0 MiB (40 packets)");
  });

  it("clears the details when disconnected", async () => {
    const h = await startApp({ status: CONNECTED });
    await fire("status", snapshot());
    expect(h.el("state").textContent).toBe("Disconnected");
    expect(h.el("virtual-ip").textContent).toBe("–");
    expect(h.el("uptime").textContent).toBe("–");
    expect(h.el<HTMLButtonElement>("connect").disabled).toBe(false);
    expect(h.el<HTMLButtonElement>("disconnect").disabled).toBe(true);
  });

  it("shows why an attempt failed", async () => {
    const h = await startApp();
    const reason = "authentication failed: wrong one-time code (round 2, EAP-GTC)";
    await fire("status", snapshot({ state: "error", reason }));
    expect(h.el("state").textContent).toBe("Error");
    expect(h.el("state-reason").textContent).toBe(reason);
    expect(h.el("error").hidden).toBe(false);
    expect(h.el("error-text").textContent).toBe(reason);
    h.el("error-dismiss").click();
    expect(h.el("error").hidden).toBe(true);
  });

  it("says when ibexd is not reachable and disables connect", async () => {
    const h = await startApp();
    await fire(
      "status",
      snapshot({ daemon_running: false, daemon_error: "connection refused" }),
    );
    expect(h.el("daemon").hidden).toBe(false);
    expect(h.el("daemon").textContent).toContain("/run/ibex/ibexd.sock: connection refused");
    expect(h.el<HTMLButtonElement>("connect").disabled).toBe(true);
  });

  it("shows a tray action's error", async () => {
    const h = await startApp();
    await fire("app-error", "ibexd is not reachable at /run/ibex/ibexd.sock");
    expect(h.el("error-text").textContent).toContain("not reachable");
  });
});
