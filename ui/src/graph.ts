// The live throughput graph (#throughput): rates in and out from the
// byte counters of successive snapshots, over the last minute, drawn as
// SVG. Screen readers get the current rates as text.

import { byId } from "./dom";
import type { Snapshot } from "./types";

export const GRAPH_LAYOUT = `
<figure id="throughput" aria-labelledby="throughput-caption">
  <svg id="throughput-svg" viewBox="0 0 300 60" preserveAspectRatio="none" aria-hidden="true">
    <polyline id="throughput-in" fill="none" points="" />
    <polyline id="throughput-out" fill="none" points="" />
  </svg>
  <figcaption id="throughput-caption">
    <span class="in">In <span id="rate-in">–</span></span>
    <span class="out">Out <span id="rate-out">–</span></span>
  </figcaption>
</figure>
`;

/** Samples kept (one per stats event, about one a second). */
export const SAMPLES = 60;

/** `12.3 Mbit/s`, `850 kbit/s`, `0 bit/s`. */
export function rate(bitsPerSecond: number): string {
  const units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"];
  let v = Math.max(0, bitsPerSecond);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${Math.round(v)} ${units[0]}` : `${v.toFixed(1)} ${units[i]}`;
}

interface Sample {
  at: number;
  bytesIn: number;
  bytesOut: number;
}

export class ThroughputGraph {
  private last: Sample | null = null;
  private rates: [number, number][] = [];

  constructor(
    private root: ParentNode,
    private now: () => number = () => Date.now(),
  ) {}

  /** Takes the counters of a snapshot; anything but a connected tunnel
   * clears the graph. */
  update(s: Snapshot): void {
    if (s.state !== "connected") {
      this.last = null;
      this.rates = [];
      this.draw();
      return;
    }
    const sample = { at: this.now(), bytesIn: s.bytes_in, bytesOut: s.bytes_out };
    const last = this.last;
    this.last = sample;
    // Counters that went back belong to a new tunnel: start over.
    if (!last || sample.bytesIn < last.bytesIn || sample.bytesOut < last.bytesOut) {
      this.rates = [];
      this.draw();
      return;
    }
    const dt = (sample.at - last.at) / 1000;
    if (dt < 0.2) return; // a state event right after a stats event
    this.rates.push([
      ((sample.bytesIn - last.bytesIn) * 8) / dt,
      ((sample.bytesOut - last.bytesOut) * 8) / dt,
    ]);
    if (this.rates.length > SAMPLES) this.rates.shift();
    this.draw();
  }

  /** The rates drawn now, oldest first (bit/s in, out). */
  get samples(): readonly [number, number][] {
    return this.rates;
  }

  private draw(): void {
    const top = Math.max(1, ...this.rates.flat());
    const line = (k: 0 | 1) =>
      this.rates
        .map((r, i) => {
          const x = ((SAMPLES - this.rates.length + i) * 300) / (SAMPLES - 1);
          const y = 58 - (r[k] / top) * 56;
          return `${x.toFixed(1)},${y.toFixed(1)}`;
        })
        .join(" ");
    byId(this.root, "throughput-in").setAttribute("points", line(0));
    byId(this.root, "throughput-out").setAttribute("points", line(1));
    const latest = this.rates[this.rates.length - 1];
    byId(this.root, "rate-in").textContent = latest ? rate(latest[0]) : "–";
    byId(this.root, "rate-out").textContent = latest ? rate(latest[1]) : "–";
  }
}
