import { db } from "~/utils/db.server";
import { accessibleWhere } from "~/modules/access/ability.server";
import { requirePermission, requireRecordPermission, type Actor, missingRecord } from "~/modules/access/actor.server";
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
  return { regions: [...regions.values()] };
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
