import { Secret, TOTP } from "otpauth";
import QRCode from "qrcode";

// RFC 6238 TOTP: 30-second steps, 6 digits, SHA-1 (what every authenticator app supports).
const ISSUER = "Attest";
const PERIOD_SECONDS = 30;

function totpFor(secret: string, email: string) {
  return new TOTP({ issuer: ISSUER, label: email, algorithm: "SHA1", digits: 6, period: PERIOD_SECONDS, secret: Secret.fromBase32(secret) });
}

export function generateTotpSecret() {
  return new Secret({ size: 20 }).base32;
}

export async function totpEnrolment(secret: string, email: string) {
  const uri = totpFor(secret, email).toString();
  return { secret, uri, qrDataUrl: await QRCode.toDataURL(uri, { margin: 1, width: 200 }) };
}

/** The time step the code belongs to (±1 step of clock drift), or null when it does not match. */
export function matchTotpStep(secret: string, email: string, code: string, now = Date.now()): number | null {
  const delta = totpFor(secret, email).validate({ token: code.replace(/\s+/g, ""), timestamp: now, window: 1 });
  if (delta === null) return null;
  return Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
}

export function currentTotpCode(secret: string, email: string, now = Date.now()) {
  return totpFor(secret, email).generate({ timestamp: now });
}
