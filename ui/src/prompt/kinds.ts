// What each prompt kind shows: the dialog's title and the field's label.

import type { PromptKind } from "../types";

/** Digits in a one-time code: it is sent when this many are typed. */
export const OTP_LENGTH = 6;

/** The answer to a one-time-code prompt that switches to a push approval
 * (when the gateway offers it in `choices`). */
export const USE_PUSH = "push";
/** The answer to a one-time-code prompt that asks for a new code. */
export const RESEND = "resend";

export const TITLES: Record<PromptKind, string> = {
  password: "Password",
  psk: "Pre-shared key",
  otp: "One-time code",
  push: "Approve the sign-in on your phone",
  fido2: "Security key",
  pin: "PIN",
  "certificate-passphrase": "Certificate passphrase",
  unknown: "Answer needed",
};

export const LABELS: Partial<Record<PromptKind, string>> = {
  password: "Your account password",
  psk: "The connection's pre-shared key",
  otp: `The ${OTP_LENGTH}-digit code from your authenticator app`,
  pin: "PIN of your smart card or security key",
  "certificate-passphrase": "The passphrase of your certificate's private key",
  unknown: "Your answer",
};

/** The kind to show: one this version does not know takes typed input. */
export function kindOf(kind: string): PromptKind {
  return kind in TITLES ? (kind as PromptKind) : "unknown";
}
