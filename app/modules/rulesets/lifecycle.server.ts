import type { Prisma } from "~/generated/prisma/client";
import type { RuleSetVersionState } from "~/generated/prisma/enums";
import { notFound, requireRecordPermission, type Actor } from "~/modules/access/actor.server";
import type { AuditAction } from "~/modules/audit/actions";
import { appendAuditEvent, systemAuditContext, type AuditContext } from "~/modules/audit/ledger.server";
import type { Action } from "~/modules/access/policy.server";
import { db, type Tx } from "~/utils/db.server";
import { enqueueJob } from "~/modules/jobs/queue.server";
import { validateParametersForRegion } from "./bounds.server";
import { backtestJob } from "./rulesets.jobs.server";
import {
  instantFromRegionLocal,
  lockRuleSet,
  parameterDiff,
  parametersHash,
  regionLocalOf,
  RuleSetRefusedError,
  stateWords,
  timeZoneOf,
} from "./versions.server";

// The rule-set version workflow (DESIGN.md §10, issue 9, ADR 010):
//   draft → submitted → approved → active (at its effective time) → retired; draft/submitted/approved
//   → withdrawn; submitted → rejected.
// A regional ops manager drafts (from the active version, or from an older one: a rollback), edits,
// backtests and submits; a compliance officer who is neither the author nor the submitter approves
// with an effective time in the region's time zone, or rejects with a reason. Every step is
// conditional on the version's revision (a stale form is refused, never overwrites) and appends its
// ledger event, with the parameter diff, in the same transaction.

const versionSelect = {
  id: true,
  ruleSetId: true,
  regionCode: true,
  version: true,
  state: true,
  revision: true,
  parameters: true,
  changeNote: true,
  authorId: true,
  submittedById: true,
  approverId: true,
  effectiveFrom: true,
  backtestParametersHash: true,
  author: { select: { displayName: true } },
} as const;

type VersionRow = Prisma.RuleSetVersionGetPayload<{ select: typeof versionSelect }>;

async function loadVersion(tx: Tx, actor: Actor, versionId: string, action: Action) {
  const version = await tx.ruleSetVersion.findUnique({ where: { id: versionId }, select: versionSelect });
  if (!version) throw notFound("That rule-set version");
  const subject = { id: version.id, regionCode: version.regionCode, state: version.state };
  // Reading first: someone who may not see the version learns nothing about it.
  requireRecordPermission(actor, "read", "RuleSetVersion", subject);
  requireRecordPermission(actor, action, "RuleSetVersion", subject);
  return version;
}

function requireState(version: VersionRow, states: RuleSetVersionState[], step: string) {
  if (!states.includes(version.state)) {
    throw new RuleSetRefusedError(`${version.regionCode} v${version.version} is ${stateWords[version.state]}; only a version that is ${states.map((state) => stateWords[state]).join(" or ")} can be ${step}. Nothing was changed.`);
  }
}

function requireRevision(version: VersionRow, revision: number) {
  if (version.revision !== revision) throw staleError(version, revision);
}

function staleError(version: { regionCode: string; version: number; revision: number; state: RuleSetVersionState }, revision: number) {
  return new RuleSetRefusedError(
    `${version.regionCode} v${version.version} was changed since you opened it (you had revision ${revision}, it is now revision ${version.revision}, ${stateWords[version.state]}). Nothing was changed; reload to see the current version and try again.`,
    "stale",
  );
}

/** Applies `data` only while the version is still at `revision` and in `states`; else explains why not. */
async function updateAtRevision(tx: Tx, version: VersionRow, revision: number, states: RuleSetVersionState[], data: Prisma.RuleSetVersionUncheckedUpdateManyInput) {
  const updated = await tx.ruleSetVersion.updateMany({
    where: { id: version.id, revision, state: { in: states } },
    data: { ...data, revision: { increment: 1 } },
  });
  if (updated.count === 0) {
    const current = await tx.ruleSetVersion.findUniqueOrThrow({ where: { id: version.id }, select: { regionCode: true, version: true, revision: true, state: true } });
    throw staleError(current, revision);
  }
}

function requireValid(regionCode: string, parameters: unknown) {
  const result = validateParametersForRegion(regionCode, parameters);
  if (!result.success) {
    throw new RuleSetRefusedError(
      `These parameters are not valid in ${regionCode}: ${result.issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")}. Nothing was saved.`,
      "invalid",
      result.issues,
    );
  }
  return result.data;
}

/** Submitting or approving needs a backtest of exactly these parameters. */
function requireCurrentBacktest(version: VersionRow, step: string) {
  const hash = parametersHash(version.parameters);
  if (version.backtestParametersHash === null) {
    throw new RuleSetRefusedError(`${version.regionCode} v${version.version} has no backtest yet; run one before it can be ${step}. Nothing was changed.`, "backtest");
  }
  if (version.backtestParametersHash !== hash) {
    throw new RuleSetRefusedError(
      `The parameters of ${version.regionCode} v${version.version} changed since its last backtest; run the backtest again before it can be ${step}. Nothing was changed.`,
      "backtest",
    );
  }
}

async function audit(
  tx: Tx,
  context: AuditContext,
  version: Pick<VersionRow, "id" | "regionCode" | "version" | "revision">,
  action: AuditAction,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  justification: string | null = null,
) {
  await appendAuditEvent(tx, context, {
    action,
    subjectType: "RuleSetVersion",
    subjectId: version.id,
    regionCode: version.regionCode,
    justification,
    changes: { before: { ...before, revision: version.revision }, after: { ...after, revision: version.revision + 1 }, version: version.version, ...extra },
  });
}

async function activeParameters(tx: Tx, ruleSetId: string) {
  const active = await tx.ruleSetVersion.findFirst({ where: { ruleSetId, state: "active" }, select: { version: true, parameters: true } });
  return active;
}

// ── Steps ──

/** A new draft copied from `fromVersionId` (the active version, or an older one: a rollback). */
export async function createDraft(actor: Actor, input: { fromVersionId: string; changeNote?: string | null }) {
  return db.$transaction(async (tx) => {
    const source = await loadVersion(tx, actor, input.fromVersionId, "read");
    requireRecordPermission(actor, "create", "RuleSetVersion", { regionCode: source.regionCode, state: "draft" });
    if (source.state === "draft" || source.state === "rejected" || source.state === "withdrawn") {
      throw new RuleSetRefusedError(`A draft starts from a version that was approved (active, scheduled or retired); ${source.regionCode} v${source.version} is ${stateWords[source.state]}.`);
    }
    await lockRuleSet(tx, source.ruleSetId);
    const ruleSet = await tx.ruleSet.update({ where: { id: source.ruleSetId }, data: { nextVersion: { increment: 1 } }, select: { nextVersion: true } });
    const number = ruleSet.nextVersion - 1;
    const active = await activeParameters(tx, source.ruleSetId);
    const isRollback = active !== null && source.state === "retired";
    const created = await tx.ruleSetVersion.create({
      data: {
        ruleSetId: source.ruleSetId,
        regionCode: source.regionCode,
        version: number,
        state: "draft",
        parameters: source.parameters as Prisma.InputJsonValue,
        changeNote: input.changeNote?.trim() || (isRollback ? `Roll back to the parameters of v${source.version}.` : null),
        authorId: actor.user.id,
        basedOnVersion: source.version,
      },
      select: { id: true, version: true, regionCode: true, revision: true },
    });
    await audit(tx, actor.audit, { ...created, revision: -1 }, "rule_set_version.drafted", {}, { state: "draft" }, {
      basedOnVersion: source.version,
      isRollback,
      parameterChangesFromActive: active ? parameterDiff(active.parameters, source.parameters) : null,
      parametersHash: parametersHash(source.parameters),
    });
    return created;
  });
}

/** Saves a draft's parameters and change note: all valid for the region, or nothing at all. */
export async function updateDraft(actor: Actor, input: { versionId: string; revision: number; parameters: unknown; changeNote: string | null }) {
  return db.$transaction(async (tx) => {
    const version = await loadVersion(tx, actor, input.versionId, "update");
    requireState(version, ["draft"], "edited");
    requireRevision(version, input.revision);
    const parameters = requireValid(version.regionCode, input.parameters);
    const diff = parameterDiff(version.parameters, parameters);
    await updateAtRevision(tx, version, input.revision, ["draft"], { parameters: parameters as Prisma.InputJsonValue, changeNote: input.changeNote });
    await audit(tx, actor.audit, version, "rule_set_version.edited", { changeNote: version.changeNote }, { changeNote: input.changeNote }, {
      parameterChanges: diff,
      parametersHash: parametersHash(parameters),
    });
    return { revision: version.revision + 1, changedCount: Object.keys(diff).length };
  });
}

export async function submitVersion(actor: Actor, input: { versionId: string; revision: number; changeNote: string }) {
  return db.$transaction(async (tx) => {
    const version = await loadVersion(tx, actor, input.versionId, "submit");
    requireState(version, ["draft"], "submitted");
    requireRevision(version, input.revision);
    requireValid(version.regionCode, version.parameters);
    requireCurrentBacktest(version, "submitted");
    const now = new Date();
    await updateAtRevision(tx, version, input.revision, ["draft"], { state: "submitted", submittedAt: now, submittedById: actor.user.id, changeNote: input.changeNote });
    const active = await activeParameters(tx, version.ruleSetId);
    await audit(tx, actor.audit, version, "rule_set_version.submitted", { state: "draft" }, { state: "submitted", submittedById: actor.user.id }, {
      parameterChangesFromActive: active ? parameterDiff(active.parameters, version.parameters) : null,
      parametersHash: parametersHash(version.parameters),
    }, input.changeNote);
  });
}

/** The author's team takes a draft, a submitted or a scheduled version back before it takes effect. */
export async function withdrawVersion(actor: Actor, input: { versionId: string; revision: number; reason: string }) {
  return db.$transaction(async (tx) => {
    const version = await tx.ruleSetVersion.findUnique({ where: { id: input.versionId }, select: versionSelect });
    if (!version) throw notFound("That rule-set version");
    // Drafts and submissions are the ops team's to withdraw; a scheduled version, the approvers'.
    await loadVersion(tx, actor, input.versionId, version.state === "approved" ? "approve" : "update");
    requireState(version, ["draft", "submitted", "approved"], "withdrawn");
    requireRevision(version, input.revision);
    await lockRuleSet(tx, version.ruleSetId);
    await updateAtRevision(tx, version, input.revision, ["draft", "submitted", "approved"], { state: "withdrawn", withdrawnAt: new Date() });
    await audit(tx, actor.audit, version, "rule_set_version.withdrawn", { state: version.state }, { state: "withdrawn" }, {}, input.reason);
  });
}

function requireFourEyes(actor: Actor, version: VersionRow, step: string) {
  if (version.authorId === actor.user.id) {
    throw new RuleSetRefusedError(`You drafted ${version.regionCode} v${version.version}; it must be ${step} by a second person with approval rights (four-eyes). Nothing was changed.`, "four_eyes");
  }
  if (version.submittedById === actor.user.id) {
    throw new RuleSetRefusedError(`You submitted ${version.regionCode} v${version.version}; it must be ${step} by a second person with approval rights (four-eyes). Nothing was changed.`, "four_eyes");
  }
}

/**
 * Approves a submitted version to take effect at `effectiveFromLocal`, wall-clock time in the region.
 * Scheduling is serialised per region: a second approval for the same instant, or one before a version
 * already scheduled, is refused. A time already past activates at once.
 */
export async function approveVersion(actor: Actor, input: { versionId: string; revision: number; effectiveFromLocal: string; note?: string | null }, now = new Date()) {
  return db.$transaction(async (tx) => {
    const version = await loadVersion(tx, actor, input.versionId, "approve");
    requireFourEyes(actor, version, "approved");
    requireState(version, ["submitted"], "approved");
    requireRevision(version, input.revision);
    requireValid(version.regionCode, version.parameters);
    requireCurrentBacktest(version, "approved");
    const effectiveFrom = instantFromRegionLocal(version.regionCode, input.effectiveFromLocal);
    if (!effectiveFrom) {
      throw new RuleSetRefusedError(`Effective from: "${input.effectiveFromLocal}" is not a time that exists in ${version.regionCode} (give a date and time, local to the region). Nothing was changed.`, "schedule");
    }
    // A minute's grace for the time it takes to press the button on "now".
    if (effectiveFrom.getTime() < now.getTime() - 60_000) {
      throw new RuleSetRefusedError(`Effective from: ${input.effectiveFromLocal} (${version.regionCode} time) is in the past; a version takes effect now or later. Nothing was changed.`, "schedule");
    }
    await lockRuleSet(tx, version.ruleSetId);
    const later = await tx.ruleSetVersion.findFirst({
      where: { ruleSetId: version.ruleSetId, state: "approved", effectiveFrom: { gte: effectiveFrom } },
      orderBy: { effectiveFrom: "asc" },
      select: { version: true, effectiveFrom: true },
    });
    if (later) {
      throw new RuleSetRefusedError(
        `Effective from: v${later.version} is already scheduled for ${regionLocalOf(version.regionCode, later.effectiveFrom!)} (${version.regionCode} time); choose a later time, or withdraw v${later.version} first. Nothing was changed.`,
        "schedule",
      );
    }
    const effective = effectiveFrom.getTime() < now.getTime() ? now : effectiveFrom;
    await updateAtRevision(tx, version, input.revision, ["submitted"], { state: "approved", approverId: actor.user.id, approvedAt: now, effectiveFrom: effective });
    const active = await activeParameters(tx, version.ruleSetId);
    await audit(tx, actor.audit, version, "rule_set_version.approved", { state: "submitted" }, { state: "approved", approverId: actor.user.id, effectiveFrom: effective.toISOString() }, {
      effectiveFromLocal: regionLocalOf(version.regionCode, effective),
      timeZone: timeZoneOf(version.regionCode),
      parameterChangesFromActive: active ? parameterDiff(active.parameters, version.parameters) : null,
      parametersHash: parametersHash(version.parameters),
      backtestParametersHash: version.backtestParametersHash,
    }, input.note ?? null);
    await activateDue(tx, version.ruleSetId, now);
    return { effectiveFrom: effective };
  });
}

export async function rejectVersion(actor: Actor, input: { versionId: string; revision: number; reason: string }) {
  return db.$transaction(async (tx) => {
    const version = await loadVersion(tx, actor, input.versionId, "approve");
    requireFourEyes(actor, version, "rejected");
    requireState(version, ["submitted"], "rejected");
    requireRevision(version, input.revision);
    const now = new Date();
    await updateAtRevision(tx, version, input.revision, ["submitted"], { state: "rejected", approverId: actor.user.id, rejectedAt: now, rejectionReason: input.reason });
    await audit(tx, actor.audit, version, "rule_set_version.rejected", { state: "submitted" }, { state: "rejected", approverId: actor.user.id }, {}, input.reason);
  });
}

/**
 * Makes the latest approved version whose time has come the active one and retires the one before
 * (and any scheduled version it overtook). Runs under the region's lock; the partial unique index on
 * active versions stops two instances from both succeeding. Returns the versions activated.
 */
export async function activateDue(tx: Tx, ruleSetId: string, now = new Date()) {
  await lockRuleSet(tx, ruleSetId);
  const due = await tx.ruleSetVersion.findMany({
    where: { ruleSetId, state: "approved", effectiveFrom: { lte: now } },
    orderBy: { effectiveFrom: "asc" },
    select: { id: true, version: true, regionCode: true, revision: true, effectiveFrom: true },
  });
  if (due.length === 0) return [];
  const current = await tx.ruleSetVersion.findFirst({ where: { ruleSetId, state: "active" }, select: { id: true, version: true, revision: true } });
  const winner = due[due.length - 1]!;
  const retired: { version: number; retiredAt: string }[] = [];
  // Retire first: the one-active index must never see two active rows.
  const predecessors = [...(current ? [{ ...current, successorFrom: due[0]!.effectiveFrom! }] : []), ...due.slice(0, -1).map((entry, index) => ({ ...entry, successorFrom: due[index + 1]!.effectiveFrom! }))];
  for (const predecessor of predecessors) {
    await tx.ruleSetVersion.update({ where: { id: predecessor.id }, data: { state: "retired", retiredAt: predecessor.successorFrom, revision: { increment: 1 } } });
    retired.push({ version: predecessor.version, retiredAt: predecessor.successorFrom.toISOString() });
  }
  await tx.ruleSetVersion.update({ where: { id: winner.id }, data: { state: "active", revision: { increment: 1 } } });
  await audit(tx, systemAuditContext, winner, "rule_set_version.activated", { state: "approved" }, { state: "active" }, {
    effectiveFrom: winner.effectiveFrom!.toISOString(),
    retired,
  });
  return [winner.version];
}

/** Every region's due activations, one transaction per region (called on a timer by every instance). */
export async function activateDueVersions(now = new Date()) {
  const ruleSets = await db.ruleSetVersion.findMany({ where: { state: "approved", effectiveFrom: { lte: now } }, distinct: ["ruleSetId"], select: { ruleSetId: true } });
  const activated: number[] = [];
  for (const { ruleSetId } of ruleSets) activated.push(...(await db.$transaction((tx) => activateDue(tx, ruleSetId, now))));
  return activated;
}

// ── Backtests ──

const maxBacktestDays = 3 * 366;

/** Queues a backtest of a draft or submitted version over a period and regions, audited in the same transaction. */
export async function requestBacktest(actor: Actor, input: { versionId: string; from: Date; to: Date; regions: string[] }) {
  return db.$transaction(async (tx) => {
    const version = await loadVersion(tx, actor, input.versionId, "backtest");
    requireState(version, ["draft", "submitted"], "backtested");
    const regions = input.regions.length > 0 ? [...new Set(input.regions)] : [version.regionCode];
    const outside = regions.filter((region) => !actor.user.regions.includes(region));
    if (outside.length > 0) throw new RuleSetRefusedError(`Regions: ${outside.join(", ")} ${outside.length === 1 ? "is" : "are"} not among your regions (${actor.user.regions.join(", ")}).`, "invalid", [{ path: "regions", message: "outside your regions" }]);
    if (!(input.from < input.to)) throw new RuleSetRefusedError("Period: the start must be before the end.", "invalid", [{ path: "from", message: "must be before the end" }]);
    if (input.to.getTime() - input.from.getTime() > maxBacktestDays * 86_400_000) {
      throw new RuleSetRefusedError(`Period: at most ${maxBacktestDays} days can be replayed at once.`, "invalid", [{ path: "from", message: "period too long" }]);
    }
    const jobId = await enqueueJob(tx, backtestJob, {
      input: { versionId: version.id, from: input.from.toISOString(), to: input.to.toISOString(), regions },
      requestedById: actor.user.id,
      subject: { type: "RuleSetVersion", id: version.id, regionCode: version.regionCode },
    });
    await appendAuditEvent(tx, actor.audit, {
      action: "rule_set_version.backtest_requested",
      subjectType: "RuleSetVersion",
      subjectId: version.id,
      regionCode: version.regionCode,
      changes: { version: version.version, jobId, period: { from: input.from.toISOString(), to: input.to.toISOString() }, regions, parametersHash: parametersHash(version.parameters) },
    });
    return { jobId };
  });
}
