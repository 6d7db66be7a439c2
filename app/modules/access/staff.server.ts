import type { z } from "zod";
import { db } from "~/utils/db.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import type { Role } from "~/generated/prisma/enums";
import { accessibleWhere, subjectOf } from "./ability.server";
import { forbidden, missingRecord, type Actor } from "./actor.server";
import { hashPassword } from "./password.server";
import type { CreateStaffUserSchema, UpdateStaffUserSchema } from "./schema";
import { isWideningChange, requestStaffChange } from "./staff-changes.server";

// Staff administration (admin only, by policy): accounts, roles, regions, deactivation, MFA reset.
// Each change and its audit event commit together; deactivation and MFA reset end live sessions.
// What widens access (new account, role, added regions, re-activation, MFA reset) waits for a second
// administrator (staff-changes.server.ts); what narrows it (deactivation, fewer regions) applies now.

const staffSelect = {
  id: true,
  email: true,
  displayName: true,
  role: true,
  isActive: true,
  totpEnrolledAt: true,
  lastSignInAt: true,
  createdAt: true,
  regions: { select: { regionCode: true }, orderBy: { regionCode: "asc" as const } },
  staffChanges: { where: { state: "pending" as const }, select: { kind: true } },
};

type StaffRow = { regions: { regionCode: string }[] } & Record<string, unknown>;
function withRegionList<T extends StaffRow>(row: T) {
  return { ...row, regions: row.regions.map((region) => region.regionCode) };
}

export async function listStaff(actor: Actor) {
  if (!actor.ability.can("read", "StaffUser")) throw forbidden("read", "StaffUser");
  const rows = await db.staffUser.findMany({
    where: accessibleWhere(actor.ability, "read", "StaffUser"),
    select: staffSelect,
    orderBy: [{ isActive: "desc" }, { role: "asc" }, { email: "asc" }],
  });
  return rows.map(withRegionList);
}

async function loadStaffForAction(actor: Actor, action: "read" | "update" | "deactivate" | "resetMfa", userId: string) {
  const row = await db.staffUser.findUnique({ where: { id: userId }, select: staffSelect });
  if (!row) throw missingRecord(actor, action, "StaffUser");
  if (!actor.ability.can(action, subjectOf("StaffUser", { id: row.id }) as never)) {
    throw forbidden(action, "StaffUser", row.id === actor.user.id ? "your own account" : undefined);
  }
  return withRegionList(row);
}

export async function getStaffMember(actor: Actor, userId: string) {
  return loadStaffForAction(actor, "read", userId);
}

export class StaffConflictError extends Error {}

export async function createStaffUser(actor: Actor, input: z.infer<typeof CreateStaffUserSchema>) {
  if (!actor.ability.can("create", "StaffUser")) throw forbidden("create", "StaffUser");
  const passwordHash = await hashPassword(input.password);
  return db.$transaction(async (tx) => {
    const existing = await tx.staffUser.findUnique({ where: { email: input.email }, select: { id: true } });
    if (existing) throw new StaffConflictError(`A staff account with the email ${input.email} already exists`);
    const user = await tx.staffUser.create({
      data: {
        email: input.email,
        displayName: input.displayName,
        role: input.role,
        passwordHash,
        // Cannot sign in until a second administrator approves the account (four-eyes).
        isActive: false,
        regions: { create: input.regions.map((regionCode) => ({ regionCode })) },
      },
      select: { id: true },
    });
    const regions = [...input.regions].sort();
    await appendAuditEvent(tx, actor.audit, {
      action: "staff_user.created",
      subjectType: "StaffUser",
      subjectId: user.id,
      changes: { after: { email: input.email, displayName: input.displayName, role: input.role, regions: input.regions, isActive: false } },
    });
    await requestStaffChange(tx, actor, { targetUserId: user.id, kind: "create", proposedRole: input.role, proposedRegions: regions });
    return { id: user.id, isPendingApproval: true };
  });
}

export async function updateStaffUser(actor: Actor, userId: string, input: z.infer<typeof UpdateStaffUserSchema>) {
  const before = await loadStaffForAction(actor, "update", userId);
  const requested = { role: input.role as Role, regions: [...new Set(input.regions)].sort() };
  const isWidening = isWideningChange(before, requested);
  // Narrowing applies now; a new role or added regions wait for the second administrator.
  const after = {
    displayName: input.displayName,
    role: isWidening ? before.role : requested.role,
    regions: isWidening ? requested.regions.filter((region) => before.regions.includes(region)) : requested.regions,
  };
  const changed = Object.fromEntries(
    (Object.keys(after) as (keyof typeof after)[])
      .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
      .map((key) => [key, { before: before[key], after: after[key] }]),
  );
  const isPendingApproval = isWidening;
  if (Object.keys(changed).length === 0 && !isPendingApproval) return { isChanged: false, isPendingApproval };
  await db.$transaction(async (tx) => {
    if (isPendingApproval) {
      await requestStaffChange(tx, actor, {
        targetUserId: userId,
        kind: "update",
        proposedRole: requested.role,
        proposedRegions: requested.regions,
        before: { role: before.role, regions: before.regions },
      });
    }
    if (Object.keys(changed).length === 0) return;
    await tx.staffUser.update({ where: { id: userId }, data: { displayName: after.displayName, role: after.role } });
    await tx.staffRegion.deleteMany({ where: { userId } });
    await tx.staffRegion.createMany({ data: after.regions.map((regionCode) => ({ userId, regionCode })) });
    // A new role or narrower regions take effect now, not at the next sign-in.
    if (changed.role || changed.regions) {
      await tx.staffSession.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });
    }
    await appendAuditEvent(tx, actor.audit, {
      action: "staff_user.updated",
      subjectType: "StaffUser",
      subjectId: userId,
      changes: {
        before: Object.fromEntries(Object.entries(changed).map(([key, value]) => [key, value.before])),
        after: Object.fromEntries(Object.entries(changed).map(([key, value]) => [key, value.after])),
      },
    });
  });
  return { isChanged: Object.keys(changed).length > 0, isPendingApproval };
}

export async function setStaffActive(actor: Actor, userId: string, isActive: boolean, justification: string) {
  const before = await loadStaffForAction(actor, "deactivate", userId);
  if (before.isActive === isActive) return { isChanged: false, isPendingApproval: false };
  if (isActive) {
    await db.$transaction((tx) =>
      requestStaffChange(tx, actor, { targetUserId: userId, kind: "reactivate", justification, before: { isActive: false } }),
    );
    return { isChanged: false, isPendingApproval: true };
  }
  await db.$transaction(async (tx) => {
    await tx.staffUser.update({ where: { id: userId }, data: { isActive } });
    if (!isActive) {
      await tx.staffSession.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });
    }
    await appendAuditEvent(tx, actor.audit, {
      action: isActive ? "staff_user.reactivated" : "staff_user.deactivated",
      subjectType: "StaffUser",
      subjectId: userId,
      justification,
      changes: { before: { isActive: before.isActive }, after: { isActive } },
    });
  });
  return { isChanged: true, isPendingApproval: false };
}

export async function resetStaffMfa(actor: Actor, userId: string, justification: string) {
  const before = await loadStaffForAction(actor, "resetMfa", userId);
  // The authenticator stays until a second administrator approves: a reset hands the account to
  // whoever enrols next, so it is as sensitive as a new account.
  await db.$transaction((tx) =>
    requestStaffChange(tx, actor, { targetUserId: userId, kind: "reset_mfa", justification, before: { mfaEnrolled: before.totpEnrolledAt !== null } }),
  );
  return { isPendingApproval: true };
}
