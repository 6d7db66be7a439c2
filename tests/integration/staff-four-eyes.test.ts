import crypto from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { requireActor, type Actor } from "~/modules/access/actor.server";
import { loadSession, signIn } from "~/modules/access/auth.server";
import { decideStaffChange, listPendingStaffChanges } from "~/modules/access/staff-changes.server";
import { createStaffUser, resetStaffMfa, setStaffActive, updateStaffUser } from "~/modules/access/staff.server";
import { getCustomer } from "~/modules/customers/customers.server";
import { db } from "~/utils/db.server";
import { fixturePassword, personas } from "../fixtures/staff";
import { actorFor, requestMetaFor, requestWithSession, signInAs, thrownResponse } from "./helpers/actors";
import { changesOf, eventsSince, ledgerSize } from "./helpers/ledger";

// Issue 13, item 1 (DESIGN.md §5, ADR 014): one administrator alone cannot hand anyone wider access.
// A new account, a new role, added regions, a re-activation and an MFA reset wait for a second
// administrator; until then the account cannot sign in or keeps its old rights. Both steps are audited.

let admin: Actor;
let admin2: Actor;
const password = "correct horse battery staple";

async function actorForEmail(email: string) {
  const sessionId = await signInAs(email, fixturePassword);
  return requireActor(await requestWithSession(sessionId));
}

function uniqueEmail(label: string) {
  return `${label}.${crypto.randomBytes(4).toString("hex")}@attest.test`;
}

async function pendingChangeFor(userId: string) {
  return db.staffChangeRequest.findFirstOrThrow({ where: { targetUserId: userId, state: "pending" } });
}

async function approvedAccount(role: "auditor" | "dpo" | "regional_ops_manager", regions: ("SE" | "DE" | "UK")[]) {
  const email = uniqueEmail(role);
  const { id } = await createStaffUser(admin, { email, displayName: `Test ${role}`, role, regions, password });
  await decideStaffChange(admin2, { intent: "approveChange", changeId: (await pendingChangeFor(id)).id, justification: "Onboarding ticket HR-1" });
  return { id, email };
}

beforeAll(async () => {
  admin = await actorFor("admin");
  admin2 = await actorForEmail("admin2@attest.test");
});

describe("a new account waits for a second administrator", () => {
  it("cannot sign in as a DPO created by one administrator until another approves, and both steps are in the ledger", async () => {
    const email = uniqueEmail("new-dpo");
    const before = await ledgerSize();
    const { id } = await createStaffUser(admin, { email, displayName: "Dora Pending", role: "dpo", regions: ["SE"], password });
    const requested = await eventsSince(before);
    expect(requested.map((event) => event.action)).toEqual(["staff_user.created", "staff_user.change_requested"]);
    expect(changesOf(requested[1]!)).toMatchObject({ kind: "create", after: { role: "dpo", regions: ["SE"] } });
    expect(requested[1]).toMatchObject({ actorId: personas.admin.id, subjectId: id });

    // The account exists, but the password that the creating administrator knows opens nothing.
    expect(await signIn({ email, password }, requestMetaFor("pending-dpo"))).toEqual({ ok: false, reason: "invalid" });

    // The requester cannot approve their own request.
    const change = await pendingChangeFor(id);
    const selfApproval = await thrownResponse(() => decideStaffChange(admin, { intent: "approveChange", changeId: change.id, justification: "Approving my own" }));
    expect(selfApproval.status).toBe(403);
    expect((await db.staffUser.findUniqueOrThrow({ where: { id } })).isActive).toBe(false);

    const beforeApproval = await ledgerSize();
    expect(await decideStaffChange(admin2, { intent: "approveChange", changeId: change.id, justification: "DPO hire confirmed by HR" })).toEqual({ isApproved: true });
    const [approval, ...others] = await eventsSince(beforeApproval);
    expect(others).toEqual([]);
    expect(approval).toMatchObject({ action: "staff_user.change_approved", actorId: admin2.user.id, subjectId: id, justification: "DPO hire confirmed by HR" });
    expect(changesOf(approval!)).toMatchObject({ kind: "create", requestedById: personas.admin.id, before: { isActive: false }, after: { isActive: true } });
    expect((await signIn({ email, password }, requestMetaFor("approved-dpo"))).ok).toBe(true);
  });

  it("keeps a rejected account unable to sign in, and a decided change cannot be decided again", async () => {
    const email = uniqueEmail("rejected");
    const { id } = await createStaffUser(admin, { email, displayName: "Rex Rejected", role: "auditor", regions: ["DE"], password });
    const change = await pendingChangeFor(id);
    expect(await decideStaffChange(admin2, { intent: "rejectChange", changeId: change.id, justification: "No ticket for this hire" })).toEqual({ isApproved: false });
    expect(await signIn({ email, password }, requestMetaFor("rejected"))).toEqual({ ok: false, reason: "invalid" });
    await expect(decideStaffChange(admin2, { intent: "approveChange", changeId: change.id, justification: "Changed my mind" })).rejects.toThrow(/already rejected/);
  });
});

describe("a wider role or more regions wait; the account keeps its old rights", () => {
  it("keeps an auditor an auditor, in its old region, until a second administrator approves the move to DPO", async () => {
    const account = await approvedAccount("auditor", ["SE"]);
    const sessionId = await signInAs(account.email, password);
    const result = await updateStaffUser(admin, account.id, { displayName: "Test auditor", role: "dpo", regions: ["SE", "DE"] });
    expect(result).toEqual({ isChanged: false, isPendingApproval: true });
    const stored = await db.staffUser.findUniqueOrThrow({ where: { id: account.id }, include: { regions: true } });
    expect(stored.role).toBe("auditor");
    expect(stored.regions.map((region) => region.regionCode)).toEqual(["SE"]);
    const session = await loadSession(sessionId);
    expect(session?.user).toMatchObject({ role: "auditor", regions: ["SE"] });
    // Still masked: an auditor's view of a customer.
    const customer = await db.customer.findFirstOrThrow({ where: { regionCode: "SE", erasedAt: null } });
    const pendingActor = await requireActor(await requestWithSession(sessionId));
    const page = await getCustomer(pendingActor, customer.id);
    expect(page.personalData === null || page.personalData.isMasked).toBe(true);

    const change = await pendingChangeFor(account.id);
    await decideStaffChange(admin2, { intent: "approveChange", changeId: change.id, justification: "Moved to the privacy team" });
    const after = await db.staffUser.findUniqueOrThrow({ where: { id: account.id }, include: { regions: true } });
    expect(after.role).toBe("dpo");
    expect(after.regions.map((region) => region.regionCode).sort()).toEqual(["DE", "SE"]);
    // The new rights start from a new sign-in.
    expect(await loadSession(sessionId)).toBeNull();
  });

  it("applies a narrowing at once and holds back only the added region", async () => {
    const account = await approvedAccount("regional_ops_manager", ["SE", "DE"]);
    const result = await updateStaffUser(admin, account.id, { displayName: "Renamed", role: "regional_ops_manager", regions: ["SE", "UK"] });
    expect(result).toEqual({ isChanged: true, isPendingApproval: true });
    const stored = await db.staffUser.findUniqueOrThrow({ where: { id: account.id }, include: { regions: true } });
    expect(stored.displayName).toBe("Renamed");
    expect(stored.regions.map((region) => region.regionCode)).toEqual(["SE"]);
    expect((await pendingChangeFor(account.id)).proposedRegions.sort()).toEqual(["SE", "UK"]);
  });

  it("applies a removal of regions alone at once, without a second administrator", async () => {
    const account = await approvedAccount("auditor", ["SE", "DE"]);
    expect(await updateStaffUser(admin, account.id, { displayName: "Test auditor", role: "auditor", regions: ["SE"] })).toEqual({ isChanged: true, isPendingApproval: false });
    expect(await db.staffChangeRequest.count({ where: { targetUserId: account.id, state: "pending" } })).toBe(0);
  });

  it("refuses a second pending change for the same account", async () => {
    const account = await approvedAccount("auditor", ["SE"]);
    await updateStaffUser(admin, account.id, { displayName: "Test auditor", role: "auditor", regions: ["SE", "DE"] });
    await expect(updateStaffUser(admin, account.id, { displayName: "Test auditor", role: "dpo", regions: ["SE"] })).rejects.toThrow(/already waiting/);
  });
});

describe("re-activation and MFA reset wait too", () => {
  it("keeps a deactivated account out until a second administrator approves its re-activation", async () => {
    const account = await approvedAccount("auditor", ["SE"]);
    await setStaffActive(admin, account.id, false, "Left the company");
    expect(await setStaffActive(admin, account.id, true, "Came back")).toEqual({ isChanged: false, isPendingApproval: true });
    expect(await signIn({ email: account.email, password }, requestMetaFor("reactivate-pending"))).toEqual({ ok: false, reason: "invalid" });
    const change = await pendingChangeFor(account.id);
    expect(change.kind).toBe("reactivate");
    await decideStaffChange(admin2, { intent: "approveChange", changeId: change.id, justification: "Rehired, ticket HR-9" });
    expect((await signIn({ email: account.email, password }, requestMetaFor("reactivated"))).ok).toBe(true);
  });

  it("keeps the authenticator until a second administrator approves the reset, then ends sessions", async () => {
    const account = await approvedAccount("auditor", ["SE"]);
    await db.staffUser.update({ where: { id: account.id }, data: { totpSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", totpEnrolledAt: new Date(), totpLastStep: 1n } });
    const sessionId = await signInAs(account.email, password);
    await resetStaffMfa(admin, account.id, "Phone stolen, ticket IT-4711");
    expect((await db.staffUser.findUniqueOrThrow({ where: { id: account.id } })).totpSecret).not.toBeNull();
    expect(await loadSession(sessionId)).not.toBeNull();
    const change = await pendingChangeFor(account.id);
    const before = await ledgerSize();
    await decideStaffChange(admin2, { intent: "approveChange", changeId: change.id, justification: "Identity checked in person" });
    const [event] = await eventsSince(before);
    expect(changesOf(event!)).toMatchObject({ kind: "reset_mfa", before: { mfaEnrolled: true }, after: { mfaEnrolled: false } });
    expect(await db.staffUser.findUniqueOrThrow({ where: { id: account.id } })).toMatchObject({ totpSecret: null, totpEnrolledAt: null });
    expect(await loadSession(sessionId)).toBeNull();
  });

  it("never lets the account itself approve a change to it", async () => {
    const target = await approvedAccount("auditor", ["SE"]);
    // An administrator whose own MFA reset is pending cannot approve it, even though another asked.
    await db.staffUser.update({ where: { id: admin2.user.id }, data: { totpEnrolledAt: new Date(), totpSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" } });
    try {
      await resetStaffMfa(admin, admin2.user.id, "Testing self-approval");
      const change = await pendingChangeFor(admin2.user.id);
      const response = await thrownResponse(() => decideStaffChange(admin2, { intent: "approveChange", changeId: change.id, justification: "Approving my own reset" }));
      expect(response.status).toBe(403);
      const pending = await listPendingStaffChanges(admin2, admin2.user.id);
      expect(pending[0]?.canApprove).toBe(false);
      await decideStaffChange(admin, { intent: "rejectChange", changeId: change.id, justification: "Withdrawn, test over" });
    } finally {
      await db.staffUser.update({ where: { id: admin2.user.id }, data: { totpEnrolledAt: null, totpSecret: null, totpLastStep: null } });
    }
    expect(target.id).toBeTruthy();
  });

  it("refuses approval to a role without the approve permission", async () => {
    const { id } = await createStaffUser(admin, { email: uniqueEmail("x"), displayName: "Test x", role: "auditor", regions: ["SE"], password });
    const change = await pendingChangeFor(id);
    const compliance = await actorFor("compliance");
    const response = await thrownResponse(() => decideStaffChange(compliance, { intent: "approveChange", changeId: change.id, justification: "Not my job" }));
    expect(response.status).toBe(403);
    expect((await db.staffChangeRequest.findUniqueOrThrow({ where: { id: change.id } })).state).toBe("pending");
  });
});
