import crypto from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "~/modules/access/actor.server";
import { accessibleWhere } from "~/modules/access/ability.server";
import { regionScope } from "~/modules/access/region-scope.server";
import { summarise } from "~/modules/decisions/oversight";
import { getOversightMetrics } from "~/modules/decisions/oversight.server";
import { OversightQuerySchema, type OversightQuery } from "~/modules/decisions/schema";
import { db } from "~/utils/db.server";
import { fixtureIds as ids } from "../fixtures/ids";
import { personas } from "../fixtures/staff";
import { actorFor } from "./helpers/actors";
import { scratchDecisions } from "./helpers/scratch-decisions";

// The home page and the oversight page read only what their figures need (ADR 016).
//
// The oversight page aggregates in one SQL statement; its figures must equal what loading
// every decided review of the period and summarising it in the app gives (the page's earlier
// implementation, restated below): counts, override rates, medians (odd and even counts, ties, zero
// and negative durations) and the automation-bias flag, by reviewer, model version and region, for
// every role, region filter and period — after random sets of reviews. The home page's drift alert,
// which reads only the months it compares, must equal the model dashboard's PSI (all months read) for
// the last complete month, month after month.

const scratch = scratchDecisions();
afterAll(() => scratch.removeAll());

const regions = ["SE", "DE", "UK"] as const;
const currencies = { SE: "SEK", DE: "EUR", UK: "GBP" } as const;
const models = [
  ["credit-gbm", "2026.10"],
  ["fraud-net", "1.6"],
] as const;
// A period of its own, years before the fixtures, so each property run sees only its own reviews.
const periodStart = Date.UTC(2003, 2, 1);
const DAY = 86_400_000;
const query: OversightQuery = OversightQuerySchema.parse({ from: "2003-03-01", to: "2003-03-10" });

let actors: Actor[] = [];
let reviewers: (string | null)[] = [];

beforeAll(async () => {
  actors = [await actorFor("compliance"), await actorFor("opsSe"), await actorFor("fraud"), await actorFor("dpo"), await actorFor("auditor")];
  reviewers = [personas.compliance.id, personas.opsSe.id, personas.fraud.id, null];
});

/** The page as it was computed before (Prisma rows, summarised in the app). */
async function expected(actor: Actor, period: OversightQuery) {
  const to = new Date(period.to!.getTime() + DAY);
  const rows = await db.review.findMany({
    where: {
      AND: [
        accessibleWhere(actor.ability, "read", "Review"),
        regionScope(actor, period.region),
        { decision: accessibleWhere(actor.ability, "read", "Decision") },
        { verdict: { not: null }, decidedAt: { gte: period.from!, lt: to }, status: { in: ["closed", "awaiting_approval"] } },
      ],
    },
    select: { verdict: true, openedAt: true, claimedAt: true, decidedAt: true, regionCode: true, reviewerId: true, reviewer: { select: { displayName: true } }, decision: { select: { modelName: true, modelVersion: true } } },
  });
  const samples = rows.map((row) => ({
    ...row,
    verdict: row.verdict as "upheld" | "overturned",
    minutes: Math.max(0, (row.decidedAt!.getTime() - (row.claimedAt ?? row.openedAt).getTime()) / 60_000),
  }));
  const table = (keyOf: (sample: (typeof samples)[number]) => { key: string; label: string }) => {
    const groups = new Map<string, { label: string; items: typeof samples }>();
    for (const sample of samples) {
      const { key, label } = keyOf(sample);
      const group = groups.get(key) ?? { label, items: [] };
      group.items.push(sample);
      groups.set(key, group);
    }
    return [...groups].map(([key, group]) => summarise(key, group.label, group.items)).sort((a, b) => b.reviews - a.reviews || a.label.localeCompare(b.label));
  };
  return {
    overall: summarise("all", "All reviews", samples),
    byReviewer: table((sample) => ({ key: sample.reviewerId ?? "unknown", label: sample.reviewer?.displayName ?? "unknown reviewer" })),
    byModel: table((sample) => ({ key: `${sample.decision.modelName}@${sample.decision.modelVersion}`, label: `${sample.decision.modelName} ${sample.decision.modelVersion}` })),
    byRegion: table((sample) => ({ key: sample.regionCode, label: sample.regionCode })),
  };
}

const reviewArbitrary = fc.record({
  region: fc.constantFrom(...regions),
  model: fc.constantFrom(...models),
  reviewer: fc.nat({ max: 3 }),
  verdict: fc.constantFrom("upheld" as const, "overturned" as const, null),
  status: fc.constantFrom("closed" as const, "awaiting_approval" as const, "claimed" as const),
  // Decided up to a day outside the period on either side; durations include ties (whole minutes), zero and a claim after the verdict.
  decidedOffsetMs: fc.integer({ min: -DAY, max: 11 * DAY }),
  durationMs: fc.oneof(fc.integer({ min: 0, max: 5 }).map((minutes) => minutes * 60_000), fc.integer({ min: -90_000, max: 4 * 3_600_000 })),
  isClaimed: fc.boolean(),
});

type ReviewSpec = typeof reviewArbitrary extends fc.Arbitrary<infer T> ? T : never;

async function makeReviews(reviews: ReviewSpec[]) {
  const made: string[] = [];
  for (const review of reviews) {
    const decidedAt = new Date(periodStart + review.decidedOffsetMs);
    const started = new Date(decidedAt.getTime() - review.durationMs);
    const decision = scratch.track(
      await db.decision.create({
        data: {
          externalId: `OVS-${crypto.randomBytes(6).toString("hex")}`,
          customerId: ids.customers[review.region],
          kind: review.model[0] === "fraud-net" ? "fraud" : "credit",
          regionCode: review.region,
          modelName: review.model[0],
          modelVersion: review.model[1],
          score: 0.5,
          outcome: "referred",
          amount: "100.00",
          currency: currencies[review.region],
          features: { age: 40 },
          decidedAt: new Date(decidedAt.getTime() - DAY),
          reviewState: "queued",
        },
      }),
    );
    const row = await db.review.create({
      data: {
        decisionId: decision.id,
        regionCode: review.region,
        trigger: "referral",
        status: review.verdict === null ? "claimed" : review.status,
        openedAt: review.isClaimed ? new Date(started.getTime() - 3_600_000) : started,
        claimedAt: review.isClaimed ? started : null,
        dueAt: new Date(decidedAt.getTime() + DAY),
        reviewerId: reviewers[review.reviewer],
        verdict: review.verdict,
        decidedAt: review.verdict === null ? null : decidedAt,
      },
    });
    made.push(row.id);
  }
  return made;
}

describe("oversight figures from one SQL statement", () => {
  it("equal the reviews summarised one by one, for every role, region filter and period", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(reviewArbitrary, { minLength: 0, maxLength: 25 }), async (reviews) => {
        const made = await makeReviews(reviews);
        try {
          for (const actor of actors) {
            const periods = [query, OversightQuerySchema.parse({ from: "2003-03-02", to: "2003-03-02" })];
            if (actor.regionFilter.length > 1) periods.push({ ...query, region: actor.regionFilter[1] as OversightQuery["region"] });
            for (const period of periods) {
              const actual = await getOversightMetrics(actor, period);
              const { overall, byReviewer, byModel, byRegion } = await expected(actor, period);
              expect({ overall: actual.overall, byReviewer: actual.byReviewer, byModel: actual.byModel, byRegion: actual.byRegion }).toEqual({ overall, byReviewer, byModel, byRegion });
            }
          }
        } finally {
          await db.review.deleteMany({ where: { id: { in: made } } });
        }
      }),
      { numRuns: 15, seed: 20261206 },
    );
  });
});

describe("the home page's drift alert", () => {
  it("equals the model dashboard's PSI for the last complete month, which reads every month", async () => {
    const { listPsiAlerts, MIN_ALERT_DECISIONS } = await import("~/modules/dashboards/model.server");
    const { loadModelDashboard } = await import("~/modules/dashboards/model.server");
    const { DashboardQuerySchema, addMonths } = await import("~/modules/dashboards/schema");
    // A version of its own that drifts: three baseline months scoring low, then a month scoring high.
    const model = `drift-${crypto.randomBytes(3).toString("hex")}`;
    const months = [
      ["2004-01", 0.2],
      ["2004-02", 0.25],
      ["2004-03", 0.2],
      ["2004-04", 0.22],
      ["2004-05", 0.6],
    ] as const;
    for (const [month, centre] of months) {
      const created = await db.decision.createManyAndReturn({
        select: { id: true },
        data: Array.from({ length: 120 }, (_, index) => ({
          externalId: `DRIFT-${model}-${month}-${index}`,
          customerId: ids.customers.SE,
          kind: "credit" as const,
          regionCode: "SE",
          modelName: model,
          modelVersion: "1.0",
          score: Math.min(0.99, centre + (index % 20) / 100),
          outcome: "approved" as const,
          amount: "100.00",
          currency: "SEK",
          features: { age: 40 },
          decidedAt: new Date(`${month}-${String(1 + (index % 27)).padStart(2, "0")}T12:00:00Z`),
        })),
      });
      created.forEach((decision) => scratch.track(decision));
    }
    const [span] = await db.$queryRaw<{ first: string | null; last: string | null }[]>`
      SELECT to_char(min(month), 'YYYY-MM') AS first, to_char(max(month), 'YYYY-MM') AS last FROM rollup_score_monthly WHERE decisions <> 0`;
    expect(span?.first).toBeTruthy();
    let alertsSeen = 0;
    for (const actor of actors) {
      if (!actor.ability.can("read", "Dashboard", "model")) continue;
      for (let month = span!.first!; month <= addMonths(span!.last!, 1); month = addMonths(month, 1)) {
        const now = new Date(`${addMonths(month, 1)}-03T10:00:00Z`);
        const dashboard = await loadModelDashboard(actor, DashboardQuerySchema.parse({ from: month, to: month }), now);
        const expected = dashboard.summaries
          .filter((summary) => summary.decisions > 0 && summary.psi && summary.psi.band !== "green")
          .filter((summary) => summary.psi!.baselineTotal >= MIN_ALERT_DECISIONS && summary.psi!.currentTotal >= MIN_ALERT_DECISIONS)
          .map((summary) => ({ model: summary.model, psi: summary.psi!.psi, band: summary.psi!.band, baseline: summary.baseline, current: summary.current }))
          .sort((a, b) => b.psi - a.psi);
        const alerts = await listPsiAlerts(actor, now);
        expect(alerts).toEqual(expected);
        alertsSeen += alerts.length;
      }
    }
    // The drifting version alerts for May 2004 (and the fixture book may add its own).
    expect(alertsSeen).toBeGreaterThanOrEqual(1);
  });
});
