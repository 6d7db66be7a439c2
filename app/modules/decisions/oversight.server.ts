import { db } from "~/utils/db.server";
import { accessibleWhere } from "~/modules/access/ability.server";
import { requirePermission, type Actor } from "~/modules/access/actor.server";
import { regionScope } from "~/modules/access/region-scope.server";
import type { OversightQuery } from "./schema";
import { DEFAULT_PERIOD_DAYS, RUBBER_STAMP_MEDIAN_MINUTES, RUBBER_STAMP_OVERRIDE_RATE, MIN_REVIEWS_TO_FLAG, summarise } from "./oversight";

export type { OversightRow } from "./oversight";

// Human-oversight metrics (EU AI Act Art. 14(4)(b): staff overseeing a high-risk system must stay
// aware of automation bias). For each reviewer, model version and region: how many decisions were
// reviewed, how often the human overturned the machine, and the median time spent per review —
// within the viewer's access and region filter.

const DAY_MS = 86_400_000;

function groupBy<T>(items: T[], keyOf: (item: T) => { key: string; label: string }) {
  const groups = new Map<string, { label: string; items: T[] }>();
  for (const item of items) {
    const { key, label } = keyOf(item);
    const group = groups.get(key) ?? { label, items: [] };
    group.items.push(item);
    groups.set(key, group);
  }
  return [...groups.entries()];
}

export async function getOversightMetrics(actor: Actor, query: OversightQuery) {
  requirePermission(actor, "read", "Review");
  requirePermission(actor, "read", "Decision");
  const to = query.to ? new Date(query.to.getTime() + DAY_MS) : new Date();
  const from = query.from ?? new Date(to.getTime() - DEFAULT_PERIOD_DAYS * DAY_MS);
  const rows = await db.review.findMany({
    where: {
      AND: [
        accessibleWhere(actor.ability, "read", "Review"),
        regionScope(actor, query.region),
        { decision: accessibleWhere(actor.ability, "read", "Decision") },
        { verdict: { not: null }, decidedAt: { gte: from, lt: to }, status: { in: ["closed", "awaiting_approval"] } },
      ],
    },
    select: {
      verdict: true,
      openedAt: true,
      claimedAt: true,
      decidedAt: true,
      regionCode: true,
      reviewerId: true,
      reviewer: { select: { displayName: true } },
      decision: { select: { modelName: true, modelVersion: true } },
    },
  });
  const samples = rows.map((row) => {
    const started = row.claimedAt ?? row.openedAt;
    const minutes = row.decidedAt ? Math.max(0, (row.decidedAt.getTime() - started.getTime()) / 60_000) : null;
    return { ...row, verdict: row.verdict as "upheld" | "overturned", minutes };
  });
  const table = (groups: [string, { label: string; items: typeof samples }][]) =>
    groups.map(([key, group]) => summarise(key, group.label, group.items)).sort((a, b) => b.reviews - a.reviews || a.label.localeCompare(b.label));
  return {
    period: { from, to: new Date(to.getTime() - 1) },
    regions: query.region ? [query.region] : actor.regionFilter,
    overall: summarise("all", "All reviews", samples),
    byReviewer: table(groupBy(samples, (sample) => ({ key: sample.reviewerId ?? "unknown", label: sample.reviewer?.displayName ?? "unknown reviewer" }))),
    byModel: table(groupBy(samples, (sample) => ({ key: `${sample.decision.modelName}@${sample.decision.modelVersion}`, label: `${sample.decision.modelName} ${sample.decision.modelVersion}` }))),
    byRegion: table(groupBy(samples, (sample) => ({ key: sample.regionCode, label: sample.regionCode }))),
    thresholds: { overrideRate: RUBBER_STAMP_OVERRIDE_RATE, medianMinutes: RUBBER_STAMP_MEDIAN_MINUTES, minReviews: MIN_REVIEWS_TO_FLAG },
  };
}
