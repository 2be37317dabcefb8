// The error screen of the connection view: for a failed attempt
// (ibexd's structured `failure`), a title, what happened and what to do,
// with "Try again" and "Show logs". Text from outside (the gateway, ibexd)
// is only ever set with textContent.

import { byId } from "./layout";
import type { Failure, Snapshot } from "./types";

export const FAILURE_LAYOUT = `
<div id="failure" role="alert" aria-labelledby="failure-title" hidden>
  <h3 id="failure-title"></h3>
  <p id="failure-what"></p>
  <p id="failure-todo"></p>
  <div class="buttons">
    <button type="button" id="failure-retry">Try again</button>
    <button type="button" id="failure-logs">Show logs</button>
  </div>
</div>
`;

const METHODS: Record<string, string> = {
  psk: "pre-shared key",
  certificate: "certificate",
  mschapv2: "password (EAP-MSCHAPv2)",
  gtc: "one-time code (EAP-GTC)",
  tls: "certificate (EAP-TLS)",
  fido2: "security key (FIDO2)",
  push: "push approval",
};

const AUTH_TODO: Record<string, string> = {
  psk: "Check the pre-shared key with your administrator, then try again.",
  certificate:
    "Check that your certificate is still valid and issued for this gateway, and that the profile's identity matches it.",
  mschapv2: "Check your user name and password, then try again.",
  gtc: "Check the code in your authenticator app (use the current one), then try again.",
  tls: "Check that your certificate is still valid and issued by the gateway's CA.",
  fido2: "Use the security key registered for your account.",
  push: "Try again and approve the sign-in on your phone when it arrives.",
};

/** A method's name in words (`gtc` → "one-time code (EAP-GTC)"). */
export function methodLabel(method: string | undefined): string {
  if (!method) return "";
  return METHODS[method] ?? method;
}

/** What the error screen says about `f`. */
export interface Explained {
  title: string;
  what: string;
  todo: string;
}

function round(f: Failure): string {
  if (!f.round) return f.method ? `The ${methodLabel(f.method)}` : "A sign-in step";
  const m = f.method ? ` (${methodLabel(f.method)})` : "";
  return `Round ${f.round} of the sign-in${m}`;
}

/** Title, what happened and what to do for a failure. */
export function explain(f: Failure, s?: Snapshot): Explained {
  const detail = f.detail ? `: ${f.detail}` : ".";
  const gateway = f.gateway ?? s?.gateway;
  switch (f.kind) {
    case "auth_failed":
      return {
        title: "Sign-in failed",
        what: `${round(f)} was not accepted${detail}`,
        todo:
          (f.method && AUTH_TODO[f.method]) ||
          "Check your credentials, then try again. If it keeps failing, ask your administrator.",
      };
    case "clock_skew": {
      const secs = Math.abs(f.skew_s ?? 0);
      const when = (f.skew_s ?? 0) < 0 ? "in the past" : "in the future";
      return {
        title: "A clock is off",
        what:
          `${round(f)}: the one-time code matches a code about ${secs} s ${when}, ` +
          "so your device's clock (or your authenticator's) is off.",
        todo: "Set the clock to update automatically (network time), then try again with a new code.",
      };
    }
    case "no_proposal": {
      const ours = f.ours?.length ? f.ours.join(", ") : "the profile's proposals";
      const theirs = f.theirs?.length
        ? `The gateway asks for ${f.theirs.join(", ")}.`
        : "The gateway accepted none of them and did not say which it wants.";
      return {
        title: "No common encryption settings",
        what: `We offered: ${ours}. ${theirs}`,
        todo:
          "Ask your administrator which IKE proposals the gateway accepts, and add them to the profile (ike_proposals).",
      };
    }
    case "gateway_unreachable":
      return {
        title: "Gateway unreachable",
        what: `The gateway${gateway ? ` at ${gateway}` : ""} did not answer${detail}`,
        todo:
          "Check your internet connection and the gateway's address, and that UDP ports 500 and 4500 are not blocked (a hotel or guest network may block them).",
      };
    case "dns":
      return {
        title: "Gateway not found",
        what: `The gateway's name could not be resolved${detail}`,
        todo: "Check the gateway's host name in the profile and your internet connection.",
      };
    case "cancelled":
      return {
        title: "Sign-in cancelled",
        what: `${round(f)} got no answer${detail}`,
        todo: "Try again and answer the prompt when it appears.",
      };
    case "gateway_error":
      return {
        title: "The gateway refused the connection",
        what: `The gateway reported a problem${detail}`,
        todo: "Try again. If it keeps failing, export the diagnostics (Logs) and send them to your administrator.",
      };
    case "setup":
      return {
        title: "Could not set up the tunnel",
        what: `The system could not be set up${detail}`,
        todo: "Check that the Ibex service (ibexd) is running; the logs say more.",
      };
    default:
      return {
        title: "Connection failed",
        what: f.detail ?? "The attempt failed.",
        todo: "Try again. If it keeps failing, look at the logs.",
      };
  }
}

/** The error screen: shows the last failure while nothing else runs. */
export class FailureScreen {
  constructor(
    private root: ParentNode,
    actions: { retry: () => void; logs: () => void },
  ) {
    byId(root, "failure-retry").addEventListener("click", () => actions.retry());
    byId(root, "failure-logs").addEventListener("click", () => actions.logs());
  }

  render(s: Snapshot): void {
    const box = byId(this.root, "failure");
    const f = s.failure;
    const show = !!f && s.daemon_running && (s.state === "error" || s.state === "disconnected");
    box.hidden = !show;
    if (!show || !f) {
      delete box.dataset.kind;
      return;
    }
    const e = explain(f, s);
    box.dataset.kind = f.kind;
    byId(this.root, "failure-title").textContent = e.title;
    byId(this.root, "failure-what").textContent = e.what;
    byId(this.root, "failure-todo").textContent = e.todo;
    byId<HTMLButtonElement>(this.root, "failure-retry").disabled = !s.profile;
  }
}
