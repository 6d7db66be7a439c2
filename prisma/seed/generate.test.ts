import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { DecisionFeaturesSchema } from "~/modules/decisions/features";
import { findReasonCode } from "~/modules/decisions/reason-codes.server";
import { dueDatesInRegion, regimeForRegion } from "~/modules/privacy/regimes.server";
import { evaluateRules } from "~/modules/rulesets/evaluator";
import { generateBook, planRuleSets, type BookOptions } from "./generate";
import { seedTables, type Cell, type SeedTable } from "./tables";

// The generator without a database: same inputs give the same rows, and the rows tell a consistent
// story (codes cite features the decision has, holds carry fraud codes, four-eyes holds).

const options: BookOptions = { decisions: 2_500, seed: 11, now: new Date("2026-06-30T00:00:00Z") };
const context = {
  staff: { idOf: (email: string) => `staff:${email}` },
  regimeByRegion: new Map([
    ["SE", "eu_gdpr"],
    ["DE", "eu_gdpr"],
    ["NL", "eu_gdpr"],
    ["UK", "uk_gdpr"],
    ["US", "ccpa"],
    ["AU", "au_privacy_act"],
  ] as const),
  currencyByRegion: new Map([
    ["SE", "SEK"],
    ["DE", "EUR"],
    ["NL", "EUR"],
    ["UK", "GBP"],
    ["US", "USD"],
    ["AU", "AUD"],
  ]),
};

async function generateRows(bookOptions: BookOptions) {
  const rows = new Map<SeedTable, Cell[][]>();
  await generateBook(bookOptions, context, planRuleSets(bookOptions), {
    add(table, row) {
      let tableRows = rows.get(table);
      if (!tableRows) rows.set(table, (tableRows = []));
      tableRows.push(row);
    },
    customerDone() {},
  });
  return rows;
}

function fingerprint(rows: Map<SeedTable, Cell[][]>) {
  const hash = crypto.createHash("sha256");
  for (const [table, tableRows] of [...rows.entries()].sort()) hash.update(table).update(JSON.stringify(tableRows));
  return hash.digest("hex");
}

function asRecords(rows: Map<SeedTable, Cell[][]>, table: SeedTable) {
  const columns = seedTables[table];
  return (rows.get(table) ?? []).map((row) => Object.fromEntries(columns.map((column, index) => [column, row[index]])));
}

describe("synthetic book", async () => {
  const rows = await generateRows(options);
  const decisions = asRecords(rows, "decision");
  const reasons = asRecords(rows, "decision_reason");
  const decisionById = new Map(decisions.map((decision) => [decision.id, decision]));

  it("is identical for the same seed, anchor and size, and different for another seed", async () => {
    expect(fingerprint(await generateRows(options))).toBe(fingerprint(rows));
    expect(fingerprint(await generateRows({ ...options, seed: 12 }))).not.toBe(fingerprint(rows));
    expect(decisions).toHaveLength(options.decisions);
  }, 60_000);

  it("dates nothing after the anchor", () => {
    const anchor = options.now.toISOString();
    for (const decision of decisions) expect(decision.decided_at! <= anchor).toBe(true);
    for (const outcome of asRecords(rows, "repayment_outcome")) expect(outcome.observed_at! <= anchor).toBe(true);
    for (const review of asRecords(rows, "review")) expect((review.closed_at ?? "") <= anchor).toBe(true);
  });

  it("stores features the app's schema accepts and scores within [0, 1]", () => {
    for (const decision of decisions) {
      expect(DecisionFeaturesSchema.safeParse(JSON.parse(decision.features!)).success).toBe(true);
      expect(Number(decision.score)).toBeGreaterThanOrEqual(0);
      expect(Number(decision.score)).toBeLessThanOrEqual(1);
    }
  });

  it("only cites catalogue codes whose features the decision has, fraud codes only on holds' side", () => {
    for (const reason of reasons) {
      const decision = decisionById.get(reason.decision_id)!;
      const code = findReasonCode(reason.code!);
      expect(code, reason.code!).toBeDefined();
      const features = JSON.parse(decision.features!) as Record<string, unknown>;
      expect(code!.features.some((feature) => feature in features), `${reason.code} on ${decision.kind}`).toBe(true);
      if (decision.outcome === "fraud_hold") expect(code!.category).toBe("fraud");
    }
    const declines = decisions.filter((decision) => decision.outcome === "declined");
    const declinesWithReasons = new Set(reasons.map((reason) => reason.decision_id));
    expect(declines.every((decision) => declinesWithReasons.has(decision.id))).toBe(true);
  });

  it("decides every decision as the rulesets module's evaluator does under the version it cites", () => {
    const versions = new Map([...planRuleSets(options).values()].flatMap((plan) => plan.versions.map((version) => [version.id, version])));
    for (const decision of decisions) {
      const version = versions.get(decision.rule_set_version_id!)!;
      expect(version.effectiveFrom! <= new Date(decision.decided_at!).getTime(), decision.external_id!).toBe(true);
      const evaluation = evaluateRules(version.parameters, {
        kind: decision.kind as "credit" | "limit" | "fraud",
        score: Number(decision.score),
        amount: Number(decision.amount),
        features: JSON.parse(decision.features!),
      });
      expect(evaluation.outcome, decision.external_id!).toBe(decision.outcome);
    }
  });

  it("has realistic outcome mixes", () => {
    const credit = decisions.filter((decision) => decision.kind === "credit");
    const share = (outcome: string) => credit.filter((decision) => decision.outcome === outcome).length / credit.length;
    expect(share("approved")).toBeGreaterThan(0.7);
    expect(share("approved")).toBeLessThan(0.82);
    expect(share("declined")).toBeGreaterThan(0.12);
    expect(share("referred")).toBeGreaterThan(0.01);
  });

  it("dates privacy requests as the app's regime module does (UK: from when the identity information arrived; pauses recorded)", () => {
    const requests = asRecords(rows, "privacy_request");
    const pauses = asRecords(rows, "privacy_request_pause");
    expect(requests.length).toBeGreaterThan(20);
    for (const request of requests) {
      const { regime } = regimeForRegion(request.region_code!);
      const clockStart = request.clock_started_at ?? request.received_at!;
      const expected = dueDatesInRegion(request.region_code!, {
        clockStartedAt: new Date(clockStart),
        extension: request.extended_due_at ? regime.extension!.max : null,
        now: options.now,
      });
      expect(request.due_at, request.reference!).toBe(expected.dueAt.toISOString());
      expect(request.extended_due_at, request.reference!).toBe(expected.extendedDueAt?.toISOString() ?? null);
      if (regime.clockStarts === "latest_of_receipt_identity_fee" && request.identity_state === "verified") {
        // UK GDPR Art. 12A: from the day the identity information arrived, recorded apart from the check.
        expect(request.clock_started_at, request.reference!).toBe(request.identity_information_received_at);
      } else {
        expect(request.clock_started_at).toBe(request.received_at);
      }
    }
    // Every UK request waiting for its scope to be clarified has an open pause, and only those.
    const pausedIds = new Set(pauses.map((pause) => pause.request_id));
    const waiting = requests.filter((request) => request.state === "scope_clarification" && regimeForRegion(request.region_code!).regime.pausesForClarification && request.clock_started_at);
    expect([...pausedIds].sort()).toEqual(waiting.map((request) => request.id).sort());
    expect(pauses.length).toBeGreaterThan(0);
    for (const pause of pauses) expect(pause.ended_at).toBeNull();
    expect(requests.some((request) => request.region_code === "UK" && request.clock_started_at !== null && request.clock_started_at !== request.received_at)).toBe(true);
  });

  it("answers contests as the app does: the review opens at intake and its closing completes the request", () => {
    const contests = asRecords(rows, "privacy_request").filter((request) => request.type === "contest");
    const reviewByRequest = new Map(asRecords(rows, "review").filter((review) => review.privacy_request_id).map((review) => [review.privacy_request_id, review]));
    expect(contests.length).toBeGreaterThan(3);
    for (const contest of contests) {
      expect(["in_progress", "completed", "refused"], contest.reference!).toContain(contest.state);
      const review = reviewByRequest.get(contest.id);
      if (contest.state !== "refused") expect(review, contest.reference!).toBeDefined();
      if (contest.state === "completed") expect(contest.completed_at).toBe(review!.closed_at);
      if (contest.state === "in_progress") expect(review!.closed_at).toBeNull();
    }
  });

  it("has a second person approve every overturned decline or fraud hold", () => {
    for (const review of asRecords(rows, "review")) {
      const decision = decisionById.get(review.decision_id)!;
      const isOverturnedAdverse =
        review.status === "closed" &&
        review.verdict === "overturned" &&
        (decision.outcome === "declined" || decision.outcome === "fraud_hold");
      if (isOverturnedAdverse) {
        expect(review.approver_id).not.toBeNull();
        expect(review.approver_id).not.toBe(review.reviewer_id);
      }
    }
  });
});
