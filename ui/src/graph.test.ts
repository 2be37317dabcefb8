import { describe, expect, it } from "vitest";

import { SAMPLES, rate } from "./graph";
import { fire, snapshot, startApp } from "./test-support";

describe("throughput graph", () => {
  it("formats rates", () => {
    expect(rate(0)).toBe("0 bit/s");
    expect(rate(999)).toBe("999 bit/s");
    expect(rate(850_000)).toBe("850.0 kbit/s");
    expect(rate(12_345_678)).toBe("12.3 Mbit/s");
    expect(rate(-5)).toBe("0 bit/s");
  });

  it("draws the rates from successive counters and clears when disconnected", async () => {
    let now = 1_000_000;
    const h = await startApp({ now: () => now });
    const up = (bytes_in: number, bytes_out: number) =>
      snapshot({ state: "connected", bytes_in, bytes_out, virtual_ips: ["10.9.0.2"] });
    await fire("status", up(1000, 500));
    expect(h.el("rate-in").textContent).toBe("–");
    now += 1000;
    await fire("status", up(1000 + 125_000, 500 + 12_500));
    expect(h.el("rate-in").textContent).toBe("1.0 Mbit/s");
    expect(h.el("rate-out").textContent).toBe("100.0 kbit/s");
    expect(h.el("throughput-in").getAttribute("points")?.split(" ")).toHaveLength(1);
    // Counters that go back are a new tunnel: no negative rate.
    now += 1000;
    await fire("status", up(10, 10));
    expect(h.el("rate-in").textContent).toBe("–");
    for (let i = 1; i <= SAMPLES + 5; i++) {
      now += 1000;
      await fire("status", up(10 + i * 1000, 10));
    }
    expect(h.el("throughput-in").getAttribute("points")?.split(" ")).toHaveLength(SAMPLES);
    expect(h.el("rate-in").textContent).toBe("8.0 kbit/s");
    expect(h.el("rate-out").textContent).toBe("0 bit/s");
    await fire("status", snapshot({ state: "disconnected" }));
    expect(h.el("throughput-in").getAttribute("points")).toBe("");
    expect(h.el("rate-in").textContent).toBe("–");
  });
});
