import { type Tx } from "~/utils/db.server";
import { requireRecordPermission, type Actor } from "~/modules/access/actor.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { encryptRequestText } from "~/modules/customers/subject-text.server";
import { type PrivacyRequestAction } from "./schema";
import { describeDuration, extensionProblem, extendedDueDate, localDay, moveDueDate, pausedDays, startOfLocalDay } from "./deadlines";
import { regimeForRegion } from "./regimes.server";
import { PrivacyRequestRefusedError, type RequestRow, requireOpen, requireNotPendingApproval, requireNotUnverifiedDuplicate, requireNotPaused, updateVersioned, event } from "./request-workflow.server";

// The statutory clock on one request: an extension with its reason and notice (GDPR Art. 12(3)), and
// UK pauses while the scope is clarified.

export async function extend(tx: Tx, actor: Actor, row: RequestRow, input: Extract<PrivacyRequestAction, { intent: "extend" }>) {
  requireRecordPermission(actor, "extend", "PrivacyRequest", row);
  requireOpen(row);
  requireNotPendingApproval(row);
  requireNotUnverifiedDuplicate(row, "extend the deadline");
  if (!row.clockStartedAt) throw new PrivacyRequestRefusedError("the clock has not started (identity not confirmed yet); there is nothing to extend", "extendBy");
  const { regime, timeZone } = regimeForRegion(row.regionCode);
  const now = new Date();
  const today = localDay(now, timeZone);
  if (input.notifiedOn && input.notifiedOn > today) throw new PrivacyRequestRefusedError("the requester cannot have been told in the future", "notifiedOn", 422);
  const notifiedAt = input.notifiedOn ? (input.notifiedOn === today ? now : startOfLocalDay(input.notifiedOn, timeZone)) : null;
  const extension = regime.extension && "days" in regime.extension.max ? { days: input.extendBy } : { months: input.extendBy };
  const problem = extensionProblem(regime, {
    extension,
    reason: input.reason,
    notifiedAt,
    dueAt: row.dueAt,
    alreadyExtended: row.extendedDueAt !== null,
    now,
  });
  // The form asks for the day the requester was told (notifiedOn); the policy check names the instant.
  if (problem) throw new PrivacyRequestRefusedError(problem.message, problem.field === "notifiedAt" ? "notifiedOn" : problem.field, 422);
  const extendedDueAt = extendedDueDate(row.dueAt, extension, timeZone);
  await updateVersioned(tx, row, row.version, { extendedDueAt, extensionReason: await encryptRequestText(tx, row, input.reason!.trim()), extensionNotifiedAt: notifiedAt });
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.extended", {
    justification: input.reason!.trim(),
    changes: {
      before: { dueAt: row.dueAt.toISOString() },
      after: { extendedDueAt: extendedDueAt.toISOString(), extension: describeDuration(extension), extensionNotifiedAt: notifiedAt?.toISOString() ?? null },
    },
  }));
  return `Deadline extended by ${describeDuration(extension)} to ${localDay(extendedDueAt, timeZone)}.`;
}

export async function pause(tx: Tx, actor: Actor, row: RequestRow, input: { reason: string }) {
  requireRecordPermission(actor, "update", "PrivacyRequest", row);
  requireOpen(row);
  requireNotPendingApproval(row);
  requireNotUnverifiedDuplicate(row, "pause the clock");
  const { regime } = regimeForRegion(row.regionCode);
  if (!regime.pausesForClarification) throw new PrivacyRequestRefusedError(`the ${regime.label} clock does not pause while the scope is clarified`, "reason");
  if (!row.clockStartedAt) throw new PrivacyRequestRefusedError("the clock has not started yet (identity not confirmed); there is nothing to pause", "reason");
  requireNotPaused(row);
  const now = new Date();
  const created = await tx.privacyRequestPause.create({ data: { requestId: row.id, reason: await encryptRequestText(tx, row, input.reason), startedAt: now, startedById: actor.user.id }, select: { id: true } });
  await updateVersioned(tx, row, row.version, { state: "scope_clarification" });
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.paused", {
    justification: input.reason,
    changes: { before: { state: row.state }, after: { state: "scope_clarification", pauseId: created.id, startedAt: now.toISOString() } },
  }));
  return "Clock paused while the scope is clarified. Resume it when the requester answers.";
}

export async function resume(tx: Tx, actor: Actor, row: RequestRow) {
  requireRecordPermission(actor, "update", "PrivacyRequest", row);
  requireOpen(row);
  const open = row.pauses[0];
  if (!open) throw new PrivacyRequestRefusedError("the clock is not paused");
  const { timeZone } = regimeForRegion(row.regionCode);
  const now = new Date();
  const days = pausedDays([{ startedAt: open.startedAt, endedAt: now }], timeZone, now);
  const dueAt = moveDueDate(row.dueAt, days, timeZone);
  const extendedDueAt = row.extendedDueAt ? moveDueDate(row.extendedDueAt, days, timeZone) : null;
  await tx.privacyRequestPause.update({ where: { id: open.id }, data: { endedAt: now } });
  await updateVersioned(tx, row, row.version, { state: "in_progress", dueAt, extendedDueAt });
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.resumed", {
    changes: {
      before: { state: row.state, dueAt: row.dueAt.toISOString(), extendedDueAt: row.extendedDueAt?.toISOString() ?? null },
      after: { state: "in_progress", dueAt: dueAt.toISOString(), extendedDueAt: extendedDueAt?.toISOString() ?? null, pauseId: open.id, pausedDays: days },
    },
  }));
  return days === 0 ? "Clock resumed (paused less than a day: the due date is unchanged)." : `Clock resumed; the due date moved by ${days} ${days === 1 ? "day" : "days"} to ${localDay(dueAt, timeZone)}.`;
}
