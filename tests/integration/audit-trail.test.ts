import crypto from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "~/modules/access/actor.server";
import { loadSession, signIn, signOut } from "~/modules/access/auth.server";
import { createStaffUser, resetStaffMfa, setStaffActive, updateStaffUser } from "~/modules/access/staff.server";
import { decideStaffChange } from "~/modules/access/staff-changes.server";
import { db } from "~/utils/db.server";
import { fixturePassword, personas } from "../fixtures/staff";
import { actorFor, requestMetaFor, requestWithSession, signInAs, thrownResponse } from "./helpers/actors";
import { requireActor } from "~/modules/access/actor.server";
import { changesOf, eventsSince, ledgerSize, serialized } from "./helpers/ledger";

// Every state change appends its audit event in the same transaction (DESIGN.md §6): an auditor can
// reconstruct who signed in, who failed to, and who changed which account, with what justification.

let admin: Actor;
let admin2: Actor;

/** The second administrator approves the pending change of an account (four-eyes, ADR 014). */
async function approvePending(userId: string, justification = "Approved by the second administrator") {
  const change = await db.staffChangeRequest.findFirstOrThrow({ where: { targetUserId: userId, state: "pending" } });
  await decideStaffChange(admin2, { intent: "approveChange", changeId: change.id, justification });
}
const newPassword = "correct horse battery staple";

function uniqueEmail(label: string) {
  return `${label}.${crypto.randomBytes(4).toString("hex")}@attest.test`;
}

async function createAccount(label: string, role: "auditor" | "fraud_analyst" = "auditor", regions: ("SE" | "DE")[] = ["SE"]) {
  const email = uniqueEmail(label);
  const { id } = await createStaffUser(admin, { email, displayName: `Test ${label}`, role, regions, password: newPassword });
  await approvePending(id);
  return { id, email };
}

beforeAll(async () => {
  admin = await actorFor("admin");
  admin2 = await requireActor(await requestWithSession(await signInAs("admin2@attest.test")));
});

describe("sign-in and sign-out are on the record", () => {
  it("records a successful sign-in with the person, role, address and request", async () => {
    const before = await ledgerSize();
    const meta = requestMetaFor("good-sign-in", "203.0.113.20");
    const result = await signIn({ email: "  Auditor@Attest.TEST ", password: fixturePassword }, meta);
    expect(result.ok).toBe(true);
    const [event, ...others] = await eventsSince(before);
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      action: "staff.signed_in",
      actorType: "staff",
      actorId: personas.auditor.id,
      actorLabel: personas.auditor.email,
      actorRole: "auditor",
      subjectType: "StaffUser",
      subjectId: personas.auditor.id,
      ipAddress: "203.0.113.20",
      requestId: meta.requestId,
    });
    expect(Number(event!.seq)).toBe(before + 1);
    const user = await db.staffUser.findUniqueOrThrow({ where: { id: personas.auditor.id } });
    expect(user.lastSignInAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it("records a wrong password as a failed sign-in, without a session", async () => {
    const before = await ledgerSize();
    const sessionsBefore = await db.staffSession.count({ where: { userId: personas.dpo.id } });
    const result = await signIn({ email: personas.dpo.email, password: "not-the-password" }, requestMetaFor("bad-sign-in", "203.0.113.21"));
    expect(result).toEqual({ ok: false, reason: "invalid" });
    const events = await eventsSince(before);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: "staff.sign_in_failed", actorType: "anonymous", actorLabel: personas.dpo.email, subjectId: personas.dpo.id, ipAddress: "203.0.113.21" });
    expect(changesOf(events[0]!)).toEqual({ reason: "wrong_password" });
    // The attempted password never reaches the ledger.
    expect(serialized(events[0])).not.toContain("not-the-password");
    expect(await db.staffSession.count({ where: { userId: personas.dpo.id } })).toBe(sessionsBefore);
  });

  it("records an unknown email as a failed sign-in that names no account", async () => {
    const before = await ledgerSize();
    const result = await signIn({ email: "nobody@attest.test", password: fixturePassword }, requestMetaFor("unknown", "203.0.113.22"));
    expect(result).toEqual({ ok: false, reason: "invalid" });
    const [event] = await eventsSince(before);
    expect(event).toMatchObject({ action: "staff.sign_in_failed", subjectId: null, actorLabel: "nobody@attest.test" });
    expect(changesOf(event!)).toEqual({ reason: "unknown_email" });
  });

  it("ends the session on sign-out and records it", async () => {
    const sessionId = await signInAs(personas.fraud.email, fixturePassword, "203.0.113.23");
    const session = await loadSession(sessionId);
    expect(session).not.toBeNull();
    const before = await ledgerSize();
    await signOut(session!, requestMetaFor("sign-out", "203.0.113.23"));
    expect(await loadSession(sessionId)).toBeNull();
    const row = await db.staffSession.findUniqueOrThrow({ where: { id: sessionId } });
    expect(row.revokedAt).not.toBeNull();
    const [event] = await eventsSince(before);
    expect(event).toMatchObject({ action: "staff.signed_out", actorId: personas.fraud.id, subjectId: personas.fraud.id });
  });
});

describe("staff administration is on the record", () => {
  it("records a new account with its role and regions but never its password", async () => {
    const before = await ledgerSize();
    const email = uniqueEmail("created");
    const { id } = await createStaffUser(admin, { email, displayName: "Nadia Created", role: "fraud_analyst", regions: ["DE", "SE"], password: newPassword });
    const [event, requested, ...others] = await eventsSince(before);
    expect(others).toEqual([]);
    expect(event).toMatchObject({ action: "staff_user.created", actorId: personas.admin.id, actorRole: "admin", subjectType: "StaffUser", subjectId: id });
    expect(changesOf(event!).after).toEqual({ email, displayName: "Nadia Created", role: "fraud_analyst", regions: ["DE", "SE"], isActive: false });
    expect(requested).toMatchObject({ action: "staff_user.change_requested", subjectId: id });
    expect(serialized([event, requested])).not.toContain(newPassword);
    const stored = await db.staffUser.findUniqueOrThrow({ where: { id }, include: { regions: true } });
    expect(stored.passwordHash).toMatch(/^\$argon2id\$/);
    expect(stored.regions.map((region) => region.regionCode).sort()).toEqual(["DE", "SE"]);
  });

  it("records a role change with before and after, and ends the person's sessions at once", async () => {
    const account = await createAccount("promoted");
    const sessionId = await signInAs(account.email, newPassword, "203.0.113.24");
    expect(await loadSession(sessionId)).not.toBeNull();
    const before = await ledgerSize();
    const result = await updateStaffUser(admin, account.id, { displayName: "Test promoted", role: "fraud_analyst", regions: ["SE", "DE"] });
    expect(result).toEqual({ isChanged: false, isPendingApproval: true });
    const [requested] = await eventsSince(before);
    expect(requested).toMatchObject({ action: "staff_user.change_requested", subjectId: account.id });
    expect(changesOf(requested!)).toMatchObject({ kind: "update", before: { role: "auditor", regions: ["SE"] }, after: { role: "fraud_analyst", regions: ["DE", "SE"] } });
    expect(await loadSession(sessionId)).not.toBeNull();
    await approvePending(account.id, "Joined the fraud team");
    const [, approved] = await eventsSince(before);
    expect(approved).toMatchObject({ action: "staff_user.change_approved", subjectId: account.id, actorId: admin2.user.id });
    expect(changesOf(approved!)).toMatchObject({ before: { role: "auditor", regions: ["SE"] }, after: { role: "fraud_analyst", regions: ["DE", "SE"] } });
    expect(await loadSession(sessionId)).toBeNull();
  });

  it("writes nothing when an update changes nothing", async () => {
    const account = await createAccount("unchanged");
    const before = await ledgerSize();
    expect(await updateStaffUser(admin, account.id, { displayName: "Test unchanged", role: "auditor", regions: ["SE"] })).toEqual({ isChanged: false, isPendingApproval: false });
    expect(await ledgerSize()).toBe(before);
  });

  it("records a deactivation with its justification, ends sessions and refuses the next sign-in", async () => {
    const account = await createAccount("leaver");
    const sessionId = await signInAs(account.email, newPassword, "203.0.113.25");
    const before = await ledgerSize();
    await setStaffActive(admin, account.id, false, "Left the company on 31 October");
    const [event] = await eventsSince(before);
    expect(event).toMatchObject({ action: "staff_user.deactivated", subjectId: account.id, justification: "Left the company on 31 October" });
    expect(changesOf(event!)).toEqual({ before: { isActive: true }, after: { isActive: false } });
    expect(await loadSession(sessionId)).toBeNull();
    expect(await db.staffSession.count({ where: { userId: account.id, revokedAt: null } })).toBe(0);

    const retry = await signIn({ email: account.email, password: newPassword }, requestMetaFor("leaver-again", "203.0.113.25"));
    expect(retry).toEqual({ ok: false, reason: "invalid" });
    const [refusal] = await eventsSince(before + 1);
    expect(changesOf(refusal!)).toEqual({ reason: "inactive_account" });
  });

  it("records an MFA reset, clears the enrolment and ends sessions", async () => {
    const account = await createAccount("lost-phone");
    await db.staffUser.update({ where: { id: account.id }, data: { totpSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", totpEnrolledAt: new Date(), totpLastStep: 1n } });
    const sessionId = await signInAs(account.email, newPassword, "203.0.113.26");
    const before = await ledgerSize();
    await resetStaffMfa(admin, account.id, "Phone stolen, ticket IT-4711");
    const [event] = await eventsSince(before);
    expect(event).toMatchObject({ action: "staff_user.change_requested", subjectId: account.id, justification: "Phone stolen, ticket IT-4711" });
    expect(changesOf(event!)).toMatchObject({ kind: "reset_mfa", before: { mfaEnrolled: true }, after: { mfaEnrolled: false } });
    await approvePending(account.id, "Identity checked in person");
    const stored = await db.staffUser.findUniqueOrThrow({ where: { id: account.id } });
    expect(stored).toMatchObject({ totpSecret: null, totpEnrolledAt: null, totpLastStep: null });
    expect(await loadSession(sessionId)).toBeNull();
  });

  it("refuses an administrator deactivating themself, and records nothing", async () => {
    const before = await ledgerSize();
    const response = await thrownResponse(() => setStaffActive(admin, personas.admin.id, false, "Trying to lock myself out"));
    expect(response.status).toBe(403);
    expect(((await response.json()) as { missingPermission: string }).missingPermission).toBe("deactivate StaffUser (your own account)");
    expect(await ledgerSize()).toBe(before);
    expect((await db.staffUser.findUniqueOrThrow({ where: { id: personas.admin.id } })).isActive).toBe(true);
  });

  it("refuses staff administration to a non-admin before anything is written", async () => {
    const compliance = await actorFor("compliance");
    const before = await ledgerSize();
    const response = await thrownResponse(() =>
      createStaffUser(compliance, { email: uniqueEmail("sneaky"), displayName: "Sneaky Account", role: "admin", regions: [], password: newPassword }),
    );
    expect(response.status).toBe(403);
    expect(await ledgerSize()).toBe(before);
  });
});

describe("no change without its event", () => {
  it("rolls back the account when its audit event cannot be written", async () => {
    // Make the database refuse this one audit action, as a full disk or a bug would.
    await db.$executeRawUnsafe(`
      CREATE OR REPLACE FUNCTION attest_test_refuse_created() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit store unavailable (test)'; END; $$`);
    await db.$executeRawUnsafe(`
      CREATE TRIGGER attest_test_refuse_created BEFORE INSERT ON audit_event
      FOR EACH ROW WHEN (NEW.action = 'staff_user.created') EXECUTE FUNCTION attest_test_refuse_created()`);
    const email = uniqueEmail("orphan");
    const before = await ledgerSize();
    try {
      await expect(createStaffUser(admin, { email, displayName: "Orphan Account", role: "auditor", regions: ["SE"], password: newPassword })).rejects.toThrow(
        /audit store unavailable/,
      );
    } finally {
      await db.$executeRawUnsafe("DROP TRIGGER attest_test_refuse_created ON audit_event");
      await db.$executeRawUnsafe("DROP FUNCTION attest_test_refuse_created()");
    }
    expect(await db.staffUser.findUnique({ where: { email } })).toBeNull();
    expect(await ledgerSize()).toBe(before);
    // And the next event follows on without a gap.
    const { id } = await createStaffUser(admin, { email, displayName: "Orphan Account", role: "auditor", regions: ["SE"], password: newPassword });
    const [event] = await eventsSince(before);
    expect(Number(event!.seq)).toBe(before + 1);
    expect(event!.subjectId).toBe(id);
  });
});
