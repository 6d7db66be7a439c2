import { subDays, addDays } from "date-fns";
import { db } from "~/utils/db.server";
import { accessibleWhere } from "~/modules/access/ability.server";
import type { Actor } from "~/modules/access/actor.server";
import { accessPolicy } from "~/modules/access/policy.server";
import { regionScope } from "~/modules/access/region-scope.server";
import { listPsiAlerts } from "~/modules/dashboards/model.server";

// Each role's home: the work waiting for this person, within their regions and the region filter.
// Every count goes through accessibleBy, so a home never counts what its viewer may not open.

const OPEN_REVIEW = ["open", "claimed", "awaiting_approval"] as const;
const OPEN_PRIVACY = ["received", "identity_pending", "in_progress", "scope_clarification", "awaiting_approval"] as const;
const DEADLINE_WARNING_DAYS = 10;

async function reviewWork(actor: Actor) {
  if (!actor.ability.can("read", "Review")) return null;
  const where = { AND: [accessibleWhere(actor.ability, "read", "Review"), regionScope(actor), { status: { in: [...OPEN_REVIEW] } }] };
  const now = new Date();
  const [waiting, overdue, contests, mine, awaitingApproval] = await Promise.all([
    db.review.count({ where }),
    db.review.count({ where: { AND: [where, { dueAt: { lt: now } }] } }),
    // A contest opens its own review or joins the one already open for the decision (linked to it).
    db.review.count({ where: { AND: [where, { OR: [{ trigger: "contest" }, { privacyRequestId: { not: null } }] }] } }),
    db.review.count({ where: { AND: [where, { claimedById: actor.user.id }] } }),
    actor.ability.can("approve", "Review")
      ? db.review.count({ where: { AND: [where, { status: "awaiting_approval" }, { NOT: { reviewerId: actor.user.id } }] } })
      : Promise.resolve(null),
  ]);
  return { waiting, overdue, contests, mine, awaitingApproval };
}

async function privacyWork(actor: Actor) {
  if (!actor.ability.can("read", "PrivacyRequest")) return null;
  const where = { AND: [accessibleWhere(actor.ability, "read", "PrivacyRequest"), regionScope(actor), { state: { in: [...OPEN_PRIVACY] } }] };
  const soon = addDays(new Date(), DEADLINE_WARNING_DAYS);
  const [open, nearDeadline] = await Promise.all([
    db.privacyRequest.count({ where }),
    db.privacyRequest.findMany({
      where: { AND: [where, { dueAt: { lte: soon } }] },
      orderBy: { dueAt: "asc" },
      take: 6,
      select: { id: true, reference: true, type: true, regionCode: true, state: true, dueAt: true, extendedDueAt: true },
    }),
  ]);
  return { open, nearDeadline };
}

async function ruleSetWork(actor: Actor) {
  if (!actor.ability.can("read", "RuleSetVersion")) return null;
  const states = actor.ability.can("approve", "RuleSetVersion") ? ["submitted" as const] : ["draft" as const, "submitted" as const];
  const versions = await db.ruleSetVersion.findMany({
    where: { AND: [accessibleWhere(actor.ability, "read", "RuleSetVersion"), regionScope(actor), { state: { in: states } }] },
    orderBy: [{ submittedAt: "asc" }, { createdAt: "asc" }],
    take: 6,
    select: { id: true, regionCode: true, version: true, state: true, changeNote: true, submittedAt: true, createdAt: true, author: { select: { displayName: true } } },
  });
  // Governance check (issue 9): decisions ingested citing a version not in force at their decidedAt.
  const decisionsNotInForce = actor.ability.can("read", "Decision")
    ? await db.decision.count({ where: { AND: [accessibleWhere(actor.ability, "read", "Decision"), regionScope(actor), { ruleSetVersionNotInForce: true }] } })
    : 0;
  return { isApprover: states.length === 1, versions, decisionsNotInForce };
}

async function decisionSummary(actor: Actor) {
  if (!actor.ability.can("read", "Decision")) return null;
  // From the daily rollups (ADR 011), whole UTC days: the last 30 days including today.
  const since = startOfUtcDay(subDays(new Date(), 30));
  const regions = regionScope(actor).regionCode.in;
  const rows = await db.$queryRaw<{ outcome: string; decisions: number }[]>`
    SELECT outcome::text AS outcome, sum(decisions)::int AS decisions FROM rollup_decision_daily
     WHERE day >= ${since}::date AND region_code = ANY(${regions}::text[]) GROUP BY 1 HAVING sum(decisions) <> 0`;
  const byOutcome = Object.fromEntries(rows.map((row) => [row.outcome, row.decisions]));
  const total = rows.reduce((sum, row) => sum + row.decisions, 0);
  return { since: since.toISOString(), total, byOutcome };
}

function startOfUtcDay(date: Date) {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

async function staffSummary(actor: Actor) {
  if (!actor.ability.can("read", "StaffUser")) return null;
  const privilegedRoles = Object.entries(accessPolicy.roles)
    .filter(([, role]) => role.mfaRequired)
    .map(([name]) => name);
  const [active, deactivated, withoutMfa] = await Promise.all([
    db.staffUser.count({ where: { isActive: true } }),
    db.staffUser.count({ where: { isActive: false } }),
    db.staffUser.count({ where: { isActive: true, totpEnrolledAt: null, role: { in: privilegedRoles as never } } }),
  ]);
  return { active, deactivated, withoutMfa };
}

async function recentActivity(actor: Actor) {
  return db.auditEvent.findMany({
    where: accessibleWhere(actor.ability, "read", "AuditEvent"),
    orderBy: { seq: "desc" },
    take: 8,
    select: { seq: true, occurredAt: true, action: true, actorLabel: true, subjectType: true, subjectId: true, regionCode: true },
  });
}

export async function loadHome(actor: Actor) {
  const [reviews, privacy, ruleSets, decisions, staff, activity, psiAlerts] = await Promise.all([
    reviewWork(actor),
    privacyWork(actor),
    ruleSetWork(actor),
    decisionSummary(actor),
    staffSummary(actor),
    recentActivity(actor),
    listPsiAlerts(actor),
  ]);
  return { reviews, privacy, ruleSets, decisions, staff, activity, psiAlerts };
}
