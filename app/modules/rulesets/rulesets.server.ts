import { db } from "~/utils/db.server";
import { accessibleWhere, subjectOf } from "~/modules/access/ability.server";
import { getJobStatus, latestJobIdFor } from "~/modules/jobs/jobs.server";
import type { BacktestResult } from "./backtest.server";
import { ruleBoundsFor } from "./bounds.server";
import { BACKTEST_JOB_KIND } from "./rulesets.jobs.server";
import { parametersHash, regionLocalOf, timeZoneOf } from "./versions.server";
import { missingRecord, requirePermission, requireRecordPermission, type Actor } from "~/modules/access/actor.server";
import { regionScope } from "~/modules/access/region-scope.server";
import { parameterRows } from "./parameters";
import { RuleSetParametersSchema } from "./schema";

// Rule-set versions per region (DESIGN.md §10): the history of each region's rules, and one version
// read against the version the decision engine runs today.

const staffName = { select: { displayName: true } } as const;

export async function listRuleSetVersions(actor: Actor) {
  requirePermission(actor, "read", "RuleSetVersion");
  const versions = await db.ruleSetVersion.findMany({
    where: { AND: [accessibleWhere(actor.ability, "read", "RuleSetVersion"), regionScope(actor)] },
    orderBy: [{ regionCode: "asc" }, { version: "desc" }],
    select: {
      id: true,
      regionCode: true,
      version: true,
      state: true,
      changeNote: true,
      createdAt: true,
      submittedAt: true,
      approvedAt: true,
      effectiveFrom: true,
      retiredAt: true,
      author: staffName,
      approver: staffName,
      ruleSet: { select: { name: true, region: { select: { name: true } } } },
    },
  });
  const rows = versions.map(({ author, approver, ruleSet, ...version }) => ({
    ...version,
    authorName: author.displayName,
    approverName: approver?.displayName ?? null,
    ruleSetName: ruleSet.name,
    regionName: ruleSet.region.name,
  }));
  const regions = new Map<string, { regionCode: string; regionName: string; ruleSetName: string; versions: typeof rows }>();
  for (const row of rows) {
    const group = regions.get(row.regionCode) ?? { regionCode: row.regionCode, regionName: row.regionName, ruleSetName: row.ruleSetName, versions: [] };
    group.versions.push(row);
    regions.set(row.regionCode, group);
  }
  const groups = [...regions.values()].map((group) => {
    const active = group.versions.find((version) => version.state === "active");
    return { ...group, activeVersionId: active?.id ?? null, canDraft: active !== undefined && actor.ability.can("create", subjectOf("RuleSetVersion", { regionCode: group.regionCode, state: "draft" }) as never) };
  });
  return { regions: groups, inbox: await listApprovalInbox(actor) };
}

export async function getRuleSetVersion(actor: Actor, versionId: string) {
  const version = await db.ruleSetVersion.findUnique({
    where: { id: versionId },
    include: {
      author: staffName,
      approver: staffName,
      ruleSet: { select: { name: true, region: { select: { name: true, currency: true } } } },
    },
  });
  if (!version) throw missingRecord(actor, "read", "RuleSetVersion");
  const { author, approver, ruleSet, ...facts } = version;
  requireRecordPermission(actor, "read", "RuleSetVersion", facts);

  const active =
    facts.state === "active"
      ? null
      : await db.ruleSetVersion.findFirst({
          where: {
            AND: [accessibleWhere(actor.ability, "read", "RuleSetVersion"), { ruleSetId: facts.ruleSetId, state: "active" }],
          },
          orderBy: { version: "desc" },
          select: { id: true, version: true, parameters: true, effectiveFrom: true },
        });

  const validation = RuleSetParametersSchema.safeParse(facts.parameters);
  const currency = ruleSet.region.currency;
  const rows = parameterRows(facts.parameters, currency, active ? active.parameters : undefined);

  return {
    version: {
      id: facts.id,
      regionCode: facts.regionCode,
      version: facts.version,
      state: facts.state,
      changeNote: facts.changeNote,
      createdAt: facts.createdAt,
      submittedAt: facts.submittedAt,
      approvedAt: facts.approvedAt,
      effectiveFrom: facts.effectiveFrom,
      retiredAt: facts.retiredAt,
      backtest: facts.backtest,
      authorName: author.displayName,
      approverName: approver?.displayName ?? null,
      ruleSetName: ruleSet.name,
      regionName: ruleSet.region.name,
      currency,
    },
    active: active ? { id: active.id, version: active.version, effectiveFrom: active.effectiveFrom } : null,
    parameters: rows,
    changedCount: rows.filter((row) => row.isChanged).length,
    validationIssues: validation.success
      ? []
      : validation.error.issues.map((issue) => ({ path: issue.path.join(".") || "parameters", message: issue.message })),
  };
}

// ── The version page: everything the editor, the backtest, the approval and the history need ──

export async function getRuleSetVersionPage(actor: Actor, versionId: string) {
  const base = await getRuleSetVersion(actor, versionId);
  const row = await db.ruleSetVersion.findUniqueOrThrow({
    where: { id: versionId },
    select: {
      ruleSetId: true, revision: true, parameters: true, authorId: true, submittedById: true, basedOnVersion: true,
      rejectionReason: true, rejectedAt: true, withdrawnAt: true, backtestParametersHash: true, backtestedAt: true,
      submitter: { select: { displayName: true } },
    },
  });
  const active = await db.ruleSetVersion.findFirst({ where: { ruleSetId: row.ruleSetId, state: "active" }, select: { parameters: true } });
  const subject = { id: versionId, regionCode: base.version.regionCode, state: base.version.state };
  const can = (action: "update" | "submit" | "backtest" | "approve" | "create") => actor.ability.can(action, subjectOf("RuleSetVersion", subject) as never);
  const state = base.version.state;
  const isOwnWork = row.authorId === actor.user.id || row.submittedById === actor.user.id;
  const currentHash = parametersHash(row.parameters);
  const backtest = base.version.backtest as BacktestResult | null;
  const jobId = await latestJobIdFor(BACKTEST_JOB_KIND, "RuleSetVersion", versionId);
  const job = jobId ? await getJobStatus(actor, jobId).catch(() => null) : null;
  const history = await db.auditEvent.findMany({
    where: { AND: [accessibleWhere(actor.ability, "read", "AuditEvent"), { subjectType: "RuleSetVersion", subjectId: versionId }] },
    orderBy: { seq: "asc" },
    select: { seq: true, action: true, occurredAt: true, actorLabel: true, actorType: true, justification: true },
  });
  const now = new Date();
  return {
    ...base,
    revision: row.revision,
    rawParameters: row.parameters,
    activeParameters: active?.parameters ?? null,
    basedOnVersion: row.basedOnVersion,
    submitterName: row.submitter?.displayName ?? null,
    rejectionReason: row.rejectionReason,
    rejectedAt: row.rejectedAt,
    withdrawnAt: row.withdrawnAt,
    bounds: ruleBoundsFor(base.version.regionCode),
    timeZone: timeZoneOf(base.version.regionCode),
    defaultEffectiveLocal: regionLocalOf(base.version.regionCode, new Date(now.getTime() + 60 * 60_000)).slice(0, 14) + "00",
    backtest: backtest ? { result: backtest, isCurrent: row.backtestParametersHash === currentHash, ranAt: row.backtestedAt } : null,
    backtestJob: job,
    defaultPeriod: { from: new Date(now.getTime() - 90 * 86_400_000).toISOString().slice(0, 10), to: now.toISOString().slice(0, 10) },
    history: history.map((event) => ({ ...event, seq: event.seq.toString() })),
    permissions: {
      canEdit: state === "draft" && can("update"),
      canBacktest: (state === "draft" || state === "submitted") && can("backtest"),
      canSubmit: state === "draft" && can("submit"),
      canWithdraw: (state === "draft" || state === "submitted") ? can("update") : state === "approved" ? can("approve") : false,
      canDecide: state === "submitted" && can("approve"),
      fourEyesBlock: state === "submitted" && can("approve") && isOwnWork ? "You drafted or submitted this version; a second compliance officer must approve or reject it (four-eyes)." : null,
      canDraftFrom: ["active", "approved", "retired"].includes(state) && can("create"),
    },
  };
}

/** Submitted versions waiting for the viewer's approval (not their own work), oldest first. */
export async function listApprovalInbox(actor: Actor) {
  if (!actor.ability.can("approve", "RuleSetVersion")) return [];
  const rows = await db.ruleSetVersion.findMany({
    where: { AND: [accessibleWhere(actor.ability, "approve", "RuleSetVersion"), regionScope(actor), { state: "submitted" }] },
    orderBy: { submittedAt: "asc" },
    select: { id: true, regionCode: true, version: true, changeNote: true, submittedAt: true, authorId: true, submittedById: true, backtestParametersHash: true, parameters: true, author: staffName },
  });
  return rows.map((row) => ({
    id: row.id,
    regionCode: row.regionCode,
    version: row.version,
    changeNote: row.changeNote,
    submittedAt: row.submittedAt,
    authorName: row.author.displayName,
    isOwnWork: row.authorId === actor.user.id || row.submittedById === actor.user.id,
    hasCurrentBacktest: row.backtestParametersHash === parametersHash(row.parameters),
  }));
}
