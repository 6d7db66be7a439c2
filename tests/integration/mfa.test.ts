import { beforeAll, describe, expect, it, vi } from "vitest";

// With AUTH_REQUIRE_MFA on (the production default), privileged roles must enrol TOTP before they see
// anything, and a TOTP code works once. env.server.ts reads the setting at import; vi.hoisted runs
// before this file's imports (and after tests/integration/setup-env.ts set the suite's default).
vi.hoisted(() => {
  process.env.AUTH_REQUIRE_MFA = "true";
});

import { requireActor } from "~/modules/access/actor.server";
import { confirmTotpEnrolment, loadSession, signIn, verifySecondFactor } from "~/modules/access/auth.server";
import { currentTotpCode, generateTotpSecret } from "~/modules/access/totp.server";
import { db } from "~/utils/db.server";
import { fixturePassword, personas } from "../fixtures/staff";
import { createTestStaff, requestMetaFor, requestWithSession, thrownResponse } from "./helpers/actors";
import { changesOf, eventsSince, ledgerSize, serialized } from "./helpers/ledger";

const meta = () => requestMetaFor("mfa", "203.0.113.60");

async function signInOk(email: string) {
  const result = await signIn({ email, password: fixturePassword }, meta());
  if (!result.ok) throw new Error(`sign-in failed: ${result.reason}`);
  return result;
}

// A DPO account of its own: enrolling the demo DPO would make every later file's sign-in ask for a code.
let dpo: Awaited<ReturnType<typeof createTestStaff>>;
beforeAll(async () => {
  dpo = await createTestStaff("dpo", ["DE", "SE"], "mfa-dpo");
});

describe("two-step verification when required", () => {
  const secret = generateTotpSecret();

  it("sends a privileged role without TOTP to enrolment, and lets it open nothing until then", async () => {
    const { sessionId, next } = await signInOk(dpo.email);
    expect(next).toBe("mfa_enrol");
    const session = await loadSession(sessionId);
    expect(session).toMatchObject({ isMfaComplete: false, needsMfaEnrolment: true });
    const response = await thrownResponse(async () => requireActor(await requestWithSession(sessionId, "/privacy")));
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/login/mfa");
  });

  it("enrols the authenticator on a correct code, on the record", async () => {
    const { sessionId } = await signInOk(dpo.email);
    const session = (await loadSession(sessionId))!;
    expect(await confirmTotpEnrolment(session, secret, "000000", meta())).toEqual({ ok: false, reason: "invalid" });
    const before = await ledgerSize();
    expect(await confirmTotpEnrolment(session, secret, currentTotpCode(secret, dpo.email), meta())).toEqual({ ok: true });
    const [event] = await eventsSince(before);
    expect(event).toMatchObject({ action: "staff.mfa_enrolled", actorId: dpo.id });
    expect(serialized(event)).not.toContain(secret);
    expect((await loadSession(sessionId))?.isMfaComplete).toBe(true);
    const actor = await requireActor(await requestWithSession(sessionId, "/privacy"));
    expect(actor.user.role).toBe("dpo");
  });

  it("refuses the code used at enrolment when it is replayed at the next sign-in", async () => {
    const { sessionId, next } = await signInOk(dpo.email);
    expect(next).toBe("mfa_verify");
    const session = (await loadSession(sessionId))!;
    const before = await ledgerSize();
    const replayed = await verifySecondFactor(session, currentTotpCode(secret, dpo.email), meta());
    expect(replayed).toEqual({ ok: false, reason: "invalid" });
    const [event] = await eventsSince(before);
    expect(event).toMatchObject({ action: "staff.mfa_failed", actorId: dpo.id });
    expect(changesOf(event!)).toEqual({ reason: "replayed_code" });
    expect((await loadSession(sessionId))?.isMfaComplete).toBe(false);
  });

  it("accepts the authenticator's next code once, and not a second time", async () => {
    const { sessionId } = await signInOk(dpo.email);
    const session = (await loadSession(sessionId))!;
    const nextCode = currentTotpCode(secret, dpo.email, Date.now() + 30_000);
    expect(await verifySecondFactor(session, nextCode, meta())).toEqual({ ok: true });
    expect((await loadSession(sessionId))?.isMfaComplete).toBe(true);

    const other = (await loadSession((await signInOk(dpo.email)).sessionId))!;
    expect(await verifySecondFactor(other, nextCode, meta())).toEqual({ ok: false, reason: "invalid" });
  });

  it("records a wrong code as such", async () => {
    const { sessionId } = await signInOk(dpo.email);
    const session = (await loadSession(sessionId))!;
    const right = currentTotpCode(secret, dpo.email);
    const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, "0");
    const before = await ledgerSize();
    expect(await verifySecondFactor(session, wrong, meta())).toEqual({ ok: false, reason: "invalid" });
    expect(changesOf((await eventsSince(before))[0]!)).toEqual({ reason: "wrong_code" });
  });

  it("does not ask a role the policy leaves without MFA for a second factor", async () => {
    const { next, sessionId } = await signInOk(personas.auditor.email);
    expect(next).toBe("home");
    expect((await loadSession(sessionId))?.isMfaComplete).toBe(true);
  });

  it("stores the secret only on the account that enrolled", async () => {
    const enrolled = await db.staffUser.findUniqueOrThrow({ where: { id: dpo.id } });
    expect(enrolled.totpSecret).toBe(secret);
    expect(enrolled.totpEnrolledAt).not.toBeNull();
    const demoDpo = await db.staffUser.findUniqueOrThrow({ where: { id: personas.dpo.id } });
    expect(demoDpo.totpSecret).toBeNull();
  });
});
