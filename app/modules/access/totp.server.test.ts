import { Secret, TOTP } from "otpauth";
import { describe, expect, it } from "vitest";
import { currentTotpCode, generateTotpSecret, matchTotpStep, totpEnrolment } from "./totp.server";

// The second factor (RFC 6238). matchTotpStep returns the time step a code belongs to; the sign-in
// service stores the last accepted step and refuses any step at or before it, so a code that was
// shoulder-surfed or phished is useless once used (auth.server verifySecondFactor).

const email = "compliance@attest.test";
const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const step = 30_000;
// A fixed instant in the middle of a step, so ±1 step never crosses an unexpected boundary.
const now = Date.UTC(2026, 0, 15, 9, 30, 15);
const stepOf = (time: number) => Math.floor(time / step);

/** What an authenticator app shows at `time`, computed independently of the module under test. */
function appCode(time: number, key = secret) {
  return new TOTP({ algorithm: "SHA1", digits: 6, period: 30, secret: Secret.fromBase32(key) }).generate({ timestamp: time });
}

describe("TOTP step matching", () => {
  it("matches the code an authenticator app shows now to the current step", () => {
    expect(matchTotpStep(secret, email, appCode(now), now)).toBe(stepOf(now));
    expect(currentTotpCode(secret, email, now)).toBe(appCode(now));
  });

  it("accepts the code typed with a space as the app displays it", () => {
    const code = appCode(now);
    expect(matchTotpStep(secret, email, `${code.slice(0, 3)} ${code.slice(3)}`, now)).toBe(stepOf(now));
  });

  it("tolerates one step of clock drift either way and names that step", () => {
    expect(matchTotpStep(secret, email, appCode(now - step), now)).toBe(stepOf(now) - 1);
    expect(matchTotpStep(secret, email, appCode(now + step), now)).toBe(stepOf(now) + 1);
  });

  it("refuses a code two steps old, a wrong code and another account's code", () => {
    expect(matchTotpStep(secret, email, appCode(now - 2 * step), now)).toBeNull();
    expect(matchTotpStep(secret, email, appCode(now + 2 * step), now)).toBeNull();
    const wrong = String((Number(appCode(now)) + 1) % 1_000_000).padStart(6, "0");
    expect(matchTotpStep(secret, email, wrong, now)).toBeNull();
    expect(matchTotpStep(secret, email, appCode(now, generateTotpSecret()), now)).toBeNull();
  });

  it("gives a reused code the same step, which the replay rule (step <= last accepted) then refuses", () => {
    const code = appCode(now);
    const first = matchTotpStep(secret, email, code, now);
    const replay = matchTotpStep(secret, email, code, now + 20_000);
    expect(first).not.toBeNull();
    expect(replay).toBe(first);
    // The next code from the app belongs to a later step, so it is accepted after the first.
    const next = matchTotpStep(secret, email, appCode(now + step), now + step);
    expect(next).toBeGreaterThan(first!);
  });

  it("generates distinct 160-bit base32 secrets", () => {
    const secrets = new Set(Array.from({ length: 50 }, () => generateTotpSecret()));
    expect(secrets.size).toBe(50);
    for (const value of secrets) expect(value).toMatch(/^[A-Z2-7]{32}$/);
  });

  it("builds an otpauth enrolment URI an authenticator app accepts", async () => {
    const enrolment = await totpEnrolment(secret, email);
    const uri = new URL(enrolment.uri);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.searchParams.get("secret")).toBe(secret);
    expect(uri.searchParams.get("issuer")).toBe("Attest");
    expect(decodeURIComponent(uri.pathname)).toContain(email);
    expect(enrolment.qrDataUrl).toMatch(/^data:image\/png;base64,/);
  });
});
