import { z } from "zod";
import { db } from "~/utils/db.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import type { Prisma } from "~/generated/prisma/client";
import type { Role, StaffChangeKind } from "~/generated/prisma/enums";
import { forbidden, notFound, type Actor } from "./actor.server";

// Four-eyes on staff administration (DESIGN.md §5, ADR 014): a change that widens what an account can
// reach — a new account, a new role, more regions, re-activation, an MFA reset — is recorded here as
// pending and takes effect only when a second administrator approves it. Until then the account cannot
// sign in (create, reactivate) or keeps its old role, regions and authenticator (update, reset_mfa).

type Tx = Prisma.TransactionClient;

export const DecideStaffChangeSchema = z.object({
  intent: z.enum(["approveChange", "rejectChange"]),
  changeId: z.string().uuid("That change request was not found"),
  justification: z.string().trim().min(5, "Say why (at least 5 characters)").max(500),
});

export class StaffChangeRefusedError extends Error {}

export const staffChangeKindLabels: Record<StaffChangeKind, string> = {
  create: "New account",
  update: "Wider role or regions",
  reactivate: "Re-activation",
  reset_mfa: "Two-step verification reset",
};

/** True when moving from `before` to `after` reaches more (any new role, any added region). */
export function isWideningChange(before: { role: Role; regions: string[] }, after: { role: Role; regions: string[] }) {
  return before.role !== after.role || after.regions.some((region) => !before.regions.includes(region));
}

/** Opens a pending change for an account, refusing a second one while the first waits. */
export async function requestStaffChange(
  tx: Tx,
  actor: Actor,
  input: { targetUserId: string; kind: StaffChangeKind; proposedRole?: Role; proposedRegions?: string[]; justification?: string | null; before?: unknown },
) {
  // One pending change per account: the row lock serialises two administrators asking at once.
  await tx.$queryRaw`SELECT id FROM staff_user WHERE id = ${input.targetUserId}::uuid FOR UPDATE`;
  const pending = await tx.staffChangeRequest.findFirst({ where: { targetUserId: input.targetUserId, state: "pending" }, select: { id: true } });
  if (pending) throw new StaffChangeRefusedError("Another change to this account is already waiting for a second administrator; approve or reject it first.");
  const change = await tx.staffChangeRequest.create({
    data: {
      targetUserId: input.targetUserId,
      kind: input.kind,
      proposedRole: input.proposedRole ?? null,
      proposedRegions: input.proposedRegions ?? [],
      justification: input.justification ?? null,
      requestedById: actor.user.id,
    },
  });
  await appendAuditEvent(tx, actor.audit, {
    action: "staff_user.change_requested",
    subjectType: "StaffUser",
    subjectId: input.targetUserId,
    justification: input.justification ?? undefined,
    changes: {
      changeId: change.id,
      kind: input.kind,
      before: input.before ?? null,
      after: input.kind === "create" || input.kind === "update" ? { role: input.proposedRole, regions: input.proposedRegions } : kindOutcome(input.kind),
    },
  });
  return change;
}

function kindOutcome(kind: StaffChangeKind) {
  return kind === "reactivate" ? { isActive: true } : kind === "reset_mfa" ? { mfaEnrolled: false } : null;
}

export async function listPendingStaffChanges(actor: Actor, targetUserId?: string) {
  if (!actor.ability.can("read", "StaffUser")) throw forbidden("read", "StaffUser");
  const changes = await db.staffChangeRequest.findMany({
    where: { state: "pending", ...(targetUserId ? { targetUserId } : {}) },
    orderBy: { requestedAt: "asc" },
    include: { target: { select: { id: true, displayName: true, email: true, role: true, regions: { select: { regionCode: true } } } } },
  });
  const requesters = await db.staffUser.findMany({ where: { id: { in: changes.map((change) => change.requestedById) } }, select: { id: true, displayName: true } });
  const canApprove = actor.ability.can("approve", "StaffUser");
  return changes.map((change) => ({
    id: change.id,
    kind: change.kind,
    kindLabel: staffChangeKindLabels[change.kind],
    proposedRole: change.proposedRole,
    proposedRegions: [...change.proposedRegions].sort(),
    justification: change.justification,
    requestedAt: change.requestedAt,
    requestedBy: requesters.find((member) => member.id === change.requestedById)?.displayName ?? "unknown",
    isMine: change.requestedById === actor.user.id,
    // Four-eyes: never the person who asked, never the account itself.
    canApprove: canApprove && change.requestedById !== actor.user.id && change.targetUserId !== actor.user.id,
    target: {
      id: change.target.id,
      displayName: change.target.displayName,
      email: change.target.email,
      role: change.target.role,
      regions: change.target.regions.map((region) => region.regionCode).sort(),
    },
  }));
}

/** A second administrator approves (the change takes effect now) or rejects a pending change. */
export async function decideStaffChange(actor: Actor, input: z.infer<typeof DecideStaffChangeSchema>) {
  const isApproval = input.intent === "approveChange";
  // Withdrawing one's own request is a rejection any administrator may make; approving needs `approve`.
  if (!actor.ability.can(isApproval ? "approve" : "update", "StaffUser")) throw forbidden(isApproval ? "approve" : "update", "StaffUser");
  return db.$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM staff_change_request WHERE id = ${input.changeId}::uuid FOR UPDATE`;
    if (!locked) throw notFound("That change request");
    const change = await tx.staffChangeRequest.findUniqueOrThrow({
      where: { id: input.changeId },
      include: { target: { include: { regions: { select: { regionCode: true } } } } },
    });
    if (change.state !== "pending") throw new StaffChangeRefusedError(`This change was already ${change.state}.`);
    if (isApproval && change.requestedById === actor.user.id) {
      throw forbidden("approve", "StaffUser", "a second administrator must approve a change you asked for");
    }
    if (isApproval && change.targetUserId === actor.user.id) {
      throw forbidden("approve", "StaffUser", "nobody approves a change to their own account");
    }
    const now = new Date();
    await tx.staffChangeRequest.update({ where: { id: change.id }, data: { state: isApproval ? "approved" : "rejected", decidedById: actor.user.id, decidedAt: now } });
    const target = change.target;
    const before = { role: target.role, regions: target.regions.map((region) => region.regionCode).sort(), isActive: target.isActive, mfaEnrolled: target.totpEnrolledAt !== null };
    if (!isApproval) {
      await appendAuditEvent(tx, actor.audit, {
        action: "staff_user.change_rejected",
        subjectType: "StaffUser",
        subjectId: target.id,
        justification: input.justification,
        changes: { changeId: change.id, kind: change.kind, isWithdrawn: change.requestedById === actor.user.id },
      });
      return { isApproved: false };
    }
    let after: Record<string, unknown>;
    const endSessions = () => tx.staffSession.updateMany({ where: { userId: target.id, revokedAt: null }, data: { revokedAt: now } });
    switch (change.kind) {
      case "create":
      case "reactivate":
        await tx.staffUser.update({ where: { id: target.id }, data: { isActive: true } });
        after = { isActive: true };
        break;
      case "update": {
        const regions = [...change.proposedRegions].sort();
        await tx.staffUser.update({ where: { id: target.id }, data: { role: change.proposedRole ?? target.role } });
        await tx.staffRegion.deleteMany({ where: { userId: target.id } });
        await tx.staffRegion.createMany({ data: regions.map((regionCode) => ({ userId: target.id, regionCode })) });
        await endSessions();
        after = { role: change.proposedRole ?? target.role, regions };
        break;
      }
      case "reset_mfa":
        await tx.staffUser.update({ where: { id: target.id }, data: { totpSecret: null, totpEnrolledAt: null, totpLastStep: null } });
        // Whoever holds a session may be the person who lost the device: end them all.
        await endSessions();
        after = { mfaEnrolled: false };
        break;
    }
    await appendAuditEvent(tx, actor.audit, {
      action: "staff_user.change_approved",
      subjectType: "StaffUser",
      subjectId: target.id,
      justification: input.justification,
      changes: {
        changeId: change.id,
        kind: change.kind,
        requestedById: change.requestedById,
        before: Object.fromEntries(Object.keys(after).map((key) => [key, before[key as keyof typeof before]])),
        after,
      },
    });
    return { isApproved: true };
  });
}
