import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.JOB_HEARTBEAT_MS = "200";
  process.env.JOB_POLL_INTERVAL_SECONDS = "0.5";
});

import { requireActor, type Actor } from "~/modules/access/actor.server";
import { installJobQueue } from "~/modules/jobs/install.server";
import { startJobWorkers, type JobWorkers } from "~/modules/jobs/worker.server";
import { evaluateRules } from "~/modules/rulesets/evaluator";
import { ruleOutcomeSql } from "~/modules/rulesets/evaluator-sql";
import {
  activateDueVersions,
  approveVersion,
  createDraft,
  rejectVersion,
  requestBacktest,
  submitVersion,
  updateDraft,
  withdrawVersion,
} from "~/modules/rulesets/lifecycle.server";
import { backtestJob } from "~/modules/rulesets/rulesets.jobs.server";
import type { RuleSetParameters } from "~/modules/rulesets/schema";
import type { BacktestResult } from "~/modules/rulesets/backtest.server";
import { regionLocalOf, RuleSetRefusedError } from "~/modules/rulesets/versions.server";
import { db } from "~/utils/db.server";
import { markets } from "../../prisma/seed/markets";
import { waitFor } from "../support/test-jobs";
import { createApiToken } from "~/modules/access/api-tokens.server";
import { action as ingestAction } from "~/routes/api.v1.decisions";
import { actorFor, createTestStaff, requestWithSession, signInAs } from "./helpers/actors";

// The rule-set workflow (issue 9) on the run's real database: four-eyes, optimistic concurrency,
// version numbering, validation with nothing stored, racing approvals and activations, and a backtest
// whose counts match a hand-written SQL count and the evaluator row by row. It works on a rule set of
// its own (the Netherlands) so the shared fixtures stay as they are.

const REGION = "NL";
const nlRules: RuleSetParameters = markets.find((market) => market.regionCode === REGION)!.activeRuleSet;

let ops: Actor;
let ops2: Actor;
let checkerA: Actor;
let checkerB: Actor;
let ruleSetId: string;
let v1: string;
let workers: JobWorkers;
const decisionIds: string[] = [];

async function actorOf(role: "regional_ops_manager" | "compliance_officer", label: string) {
  const staff = await createTestStaff(role, [REGION], label);
  return requireActor(await requestWithSession(await signInAs(staff.email)));
}

async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RuleSetRefusedError) return error;
    throw error;
  }
  throw new Error("expected the rule-set step to be refused");
}

async function read(versionId: string) {
  return db.ruleSetVersion.findUniqueOrThrow({ where: { id: versionId } });
}

async function eventsOf(versionId: string) {
  return (await db.auditEvent.findMany({ where: { subjectType: "RuleSetVersion", subjectId: versionId }, orderBy: { seq: "asc" } })).map((event) => event.action);
}

/** Runs a backtest job on the worker and waits for its stored result. */
async function backtest(actor: Actor, versionId: string, from = new Date("2020-01-01T00:00:00Z"), to = new Date("2020-02-01T00:00:00Z")) {
  const { jobId } = await requestBacktest(actor, { versionId, from, to, regions: [REGION] });
  await waitFor("the backtest", async () => {
    const job = await db.backgroundJob.findUniqueOrThrow({ where: { id: jobId } });
    if (job.state === "failed") throw new Error(`backtest failed: ${job.error}`);
    return job.state === "succeeded";
  }, 60_000);
  return (await read(versionId)).backtest as unknown as BacktestResult;
}

/** A draft that passed a backtest and was submitted, ready for a compliance officer. */
async function submittedDraft(parameters: Partial<RuleSetParameters> = {}) {
  const draft = await createDraft(ops, { fromVersionId: v1 });
  await updateDraft(ops, { versionId: draft.id, revision: 0, parameters: { ...nlRules, ...parameters }, changeNote: "test" });
  await backtest(ops, draft.id);
  await submitVersion(ops, { versionId: draft.id, revision: 1, changeNote: "please approve" });
  return draft.id;
}

function inMinutes(minutes: number) {
  return regionLocalOf(REGION, new Date(Date.now() + minutes * 60_000));
}

beforeAll(async () => {
  await installJobQueue(inject("databaseUrl"), ["ruleset.backtest"]);
  workers = await startJobWorkers([backtestJob] as never[]);
  ops = await actorOf("regional_ops_manager", "ops-nl");
  ops2 = await actorOf("regional_ops_manager", "ops-nl-2");
  checkerA = await actorOf("compliance_officer", "checker-a");
  checkerB = await actorOf("compliance_officer", "checker-b");
  const ruleSet = await db.ruleSet.create({ data: { regionCode: REGION, name: "Netherlands test rules", nextVersion: 2 } });
  ruleSetId = ruleSet.id;
  v1 = (
    await db.ruleSetVersion.create({
      data: { ruleSetId, regionCode: REGION, version: 1, state: "active", parameters: nlRules, authorId: ops.user.id, submittedById: ops.user.id, approverId: checkerA.user.id, approvedAt: new Date("2019-12-01"), effectiveFrom: new Date("2019-12-01"), submittedAt: new Date("2019-11-30") },
    })
  ).id;
  // A small book in January 2020 with decisions on both sides of every threshold the draft moves.
  const customer = await db.customer.create({ data: { reference: `CUS-NL-${crypto.randomBytes(3).toString("hex")}`, regionCode: REGION } });
  const rows = [] as Parameters<typeof db.decision.create>[0]["data"][];
  for (let index = 0; index < 60; index++) {
    const kind = index % 10 === 0 ? "fraud" : index % 7 === 0 ? "limit" : "credit";
    const amount = [150, 900, 1_000, 1_200, 1_900, 2_100][index % 6]!;
    const score = [0.3, 0.52, 0.56, 0.6, 0.61, 0.7, 0.79, 0.81, 0.9][index % 9]!;
    const features = kind === "limit"
      ? { age: 20 + (index % 50), requestedLimit: amount * 2, existingExposure: 0 }
      : { age: [17, 18, 30, 45, 70][index % 5]!, orderAmount: amount, bureauScore: index % 4 === 0 ? null : 650, existingExposure: (index % 3) * 400, incomeVerified: index % 2 === 0, identityVerified: index % 13 !== 0, merchantCategory: "fashion" as const };
    const outcome = evaluateRules(nlRules, { kind, score, amount, features }).outcome;
    rows.push({ externalId: `BT-${crypto.randomBytes(5).toString("hex")}`, customerId: customer.id, kind, regionCode: REGION, modelName: "credit-gbm", modelVersion: index % 2 ? "3.2" : "3.3", score, outcome, amount: amount.toFixed(2), currency: "EUR", features, ruleSetVersionId: v1, decidedAt: new Date(Date.UTC(2020, 0, 1 + (index % 28), index % 24)) });
  }
  for (const data of rows) decisionIds.push((await db.decision.create({ data, select: { id: true } })).id);
}, 120_000);

afterAll(async () => {
  await workers?.stop();
  await db.decision.deleteMany({ where: { id: { in: decisionIds } } });
});

describe("rule-set lifecycle", () => {
  it("refuses approval by the author and by the submitter, with a clear message, and changes nothing", async () => {
    const versionId = await submittedDraft({ fraudHoldAbove: 0.79 });
    // The author holds a compliance role elsewhere too in some lenders: make the author the would-be approver.
    await db.ruleSetVersion.update({ where: { id: versionId }, data: { authorId: checkerA.user.id } });
    const byAuthor = await refusal(approveVersion(checkerA, { versionId, revision: 2, effectiveFromLocal: inMinutes(60) }));
    expect(byAuthor.kind).toBe("four_eyes");
    expect(byAuthor.message).toMatch(/^You drafted NL v\d+; it must be approved by a second person/);
    await db.ruleSetVersion.update({ where: { id: versionId }, data: { authorId: ops.user.id, submittedById: checkerB.user.id } });
    const bySubmitter = await refusal(approveVersion(checkerB, { versionId, revision: 2, effectiveFromLocal: inMinutes(60) }));
    expect(bySubmitter.message).toMatch(/^You submitted NL v\d+/);
    expect((await read(versionId)).state).toBe("submitted");
    expect(await eventsOf(versionId)).not.toContain("rule_set_version.approved");
    // The database refuses it too, whoever writes the row.
    await expect(db.ruleSetVersion.update({ where: { id: versionId }, data: { state: "approved", approverId: checkerB.user.id, effectiveFrom: new Date() } })).rejects.toThrow(/approver other than its author and submitter/);
    await rejectVersion(checkerA, { versionId, revision: 2, reason: "Not now" });
    expect((await read(versionId)).state).toBe("rejected");
  }, 60_000);

  it("refuses invalid parameters naming the field and bound, storing nothing", async () => {
    const draft = await createDraft(ops, { fromVersionId: v1 });
    const before = await db.auditEvent.count({ where: { subjectId: draft.id } });
    const refused = await refusal(updateDraft(ops, { versionId: draft.id, revision: 0, parameters: { ...nlRules, lateFeeCapPerEvent: 16, scoreBands: { approveAbove: 0.5, declineBelow: 0.6 } }, changeNote: "x" }));
    expect(refused.kind).toBe("invalid");
    expect(refused.issues.map((issue) => issue.path).sort()).toEqual(["lateFeeCapPerEvent", "scoreBands.declineBelow"]);
    expect(refused.issues.find((issue) => issue.path === "lateFeeCapPerEvent")!.message).toMatch(/at most 15 EUR in NL/);
    const stored = await read(draft.id);
    expect(stored.parameters).toEqual(nlRules);
    expect(stored.revision).toBe(0);
    expect(await db.auditEvent.count({ where: { subjectId: draft.id } })).toBe(before);
  });

  it("refuses a stale form and a submission whose parameters changed since the backtest", async () => {
    const draft = await createDraft(ops, { fromVersionId: v1 });
    await updateDraft(ops, { versionId: draft.id, revision: 0, parameters: { ...nlRules, fraudHoldAbove: 0.75 }, changeNote: "a" });
    const stale = await refusal(updateDraft(ops2, { versionId: draft.id, revision: 0, parameters: nlRules, changeNote: "b" }));
    expect(stale.message).toMatch(/changed since you opened it \(you had revision 0, it is now revision 1/);
    await backtest(ops, draft.id);
    await updateDraft(ops, { versionId: draft.id, revision: 1, parameters: { ...nlRules, fraudHoldAbove: 0.76 }, changeNote: "a" });
    const unbacktested = await refusal(submitVersion(ops, { versionId: draft.id, revision: 2, changeNote: "go" }));
    expect(unbacktested.message).toMatch(/changed since its last backtest/);
    expect((await read(draft.id)).state).toBe("draft");
  }, 60_000);

  it("never reuses a version number: a rollback after a withdrawn draft takes the next one", async () => {
    const withdrawn = await createDraft(ops, { fromVersionId: v1 });
    await withdrawVersion(ops, { versionId: withdrawn.id, revision: 0, reason: "wrong idea" });
    const rollback = await createDraft(ops, { fromVersionId: v1 });
    expect(rollback.version).toBe(withdrawn.version + 1);
    const numbers = (await db.ruleSetVersion.findMany({ where: { ruleSetId }, select: { version: true } })).map((row) => row.version);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect((await db.ruleSet.findUniqueOrThrow({ where: { id: ruleSetId } })).nextVersion).toBe(rollback.version + 1);
  });

  it("lets only one of two approvals racing for the same effective time through", async () => {
    const first = await submittedDraft({ fraudHoldAbove: 0.78 });
    const second = await submittedDraft({ fraudHoldAbove: 0.77 });
    const when = inMinutes(24 * 60);
    const results = await Promise.allSettled([
      approveVersion(checkerA, { versionId: first, revision: 2, effectiveFromLocal: when }),
      approveVersion(checkerB, { versionId: second, revision: 2, effectiveFromLocal: when }),
    ]);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const failure = results.find((result) => result.status === "rejected") as PromiseRejectedResult;
    expect(failure.reason).toBeInstanceOf(RuleSetRefusedError);
    expect((failure.reason as Error).message).toMatch(/is already scheduled for/);
    const states = [(await read(first)).state, (await read(second)).state].sort();
    expect(states).toEqual(["approved", "submitted"]);
    // Withdraw the scheduled one so later tests start clean.
    const scheduled = (await read(first)).state === "approved" ? first : second;
    await withdrawVersion(checkerA, { versionId: scheduled, revision: 3, reason: "test over" });
  }, 90_000);

  it("activates a due version exactly once when two instances race, retiring the previous one", async () => {
    const versionId = await submittedDraft({ fraudHoldAbove: 0.82 });
    await approveVersion(checkerA, { versionId, revision: 2, effectiveFromLocal: inMinutes(2) });
    expect((await read(versionId)).state).toBe("approved");
    const later = new Date(Date.now() + 3 * 60_000);
    const results = await Promise.allSettled([activateDueVersions(later), activateDueVersions(later), activateDueVersions(later)]);
    const activated = results.flatMap((result) => (result.status === "fulfilled" ? result.value : []));
    expect(activated).toEqual([(await read(versionId)).version]);
    const active = await db.ruleSetVersion.findMany({ where: { ruleSetId, state: "active" } });
    expect(active.map((row) => row.id)).toEqual([versionId]);
    const previous = await read(v1);
    expect(previous.state).toBe("retired");
    expect(previous.retiredAt!.getTime()).toBe((await read(versionId)).effectiveFrom!.getTime());
    expect((await eventsOf(versionId)).filter((action) => action === "rule_set_version.activated")).toHaveLength(1);
    // The index holds it even for a writer that bypasses the service.
    await expect(db.ruleSetVersion.update({ where: { id: v1 }, data: { state: "active" } })).rejects.toThrow();
    v1 = versionId;
  }, 90_000);

  it("records every step as one ledger event with the parameter diff", async () => {
    const versionId = await submittedDraft({ maxOrderAmount: 1_500 });
    const events = await db.auditEvent.findMany({ where: { subjectType: "RuleSetVersion", subjectId: versionId }, orderBy: { seq: "asc" } });
    expect(events.map((event) => event.action)).toEqual([
      "rule_set_version.drafted",
      "rule_set_version.edited",
      "rule_set_version.backtest_requested",
      "rule_set_version.backtest_stored",
      "rule_set_version.submitted",
    ]);
    const edited = events[1]!.changes as { parameterChanges: Record<string, unknown> };
    expect(Object.keys(edited.parameterChanges)).toContain("maxOrderAmount");
    await withdrawVersion(ops, { versionId, revision: 2, reason: "test over" });
  }, 60_000);

  it("counts a backtest exactly as a hand-written SQL count and the evaluator row by row", async () => {
    const draftParameters: RuleSetParameters = { ...nlRules, maxOrderAmount: 1_000, scoreBands: { approveAbove: 0.65, declineBelow: 0.55 }, fraudHoldAbove: 0.8 };
    const draft = await createDraft(ops, { fromVersionId: v1 });
    await updateDraft(ops, { versionId: draft.id, revision: 0, parameters: draftParameters, changeNote: "tighter" });
    const result = await backtest(ops, draft.id);

    // Hand-written, independent of evaluator-sql.ts: the same rules for these parameters, literally.
    const [hand] = await db.$queryRawUnsafe<{ decisions: number; approved: number; changed: number; exposure: number }[]>(`
      WITH replay AS (
        SELECT d.outcome::text AS actual, d.amount,
          CASE
            WHEN d.kind = 'fraud' THEN CASE WHEN d.score >= 0.8 THEN 'fraud_hold' ELSE 'approved' END
            WHEN (d.features->>'age')::int < 18 THEN 'declined'
            WHEN d.kind = 'limit' THEN CASE WHEN (d.features->>'requestedLimit')::numeric > ${nlRules.creditLimit} THEN 'declined'
                                            WHEN d.score >= 0.65 THEN 'approved' WHEN d.score < 0.55 THEN 'declined' ELSE 'referred' END
            WHEN d.features->>'identityVerified' = 'false' THEN 'declined'
            WHEN (d.features->>'orderAmount')::numeric > 1000 THEN 'declined'
            WHEN d.features->>'bureauScore' IS NULL AND (d.features->>'orderAmount')::numeric > ${nlRules.bureauCheckAbove} THEN 'declined'
            WHEN (d.features->>'existingExposure')::numeric + (d.features->>'orderAmount')::numeric > ${nlRules.creditLimit} THEN 'declined'
            WHEN (d.features->>'orderAmount')::numeric > ${nlRules.affordabilityCheckAbove} AND d.features->>'incomeVerified' <> 'true' THEN 'referred'
            WHEN d.score >= 0.65 THEN 'approved' WHEN d.score < 0.55 THEN 'declined' ELSE 'referred'
          END AS replayed
        FROM decision d WHERE d.region_code = 'NL' AND d.decided_at >= '2020-01-01' AND d.decided_at < '2020-02-01')
      SELECT count(*)::int AS decisions, count(*) FILTER (WHERE replayed = 'approved')::int AS approved,
             count(*) FILTER (WHERE replayed <> actual)::int AS changed,
             coalesce(sum(amount) FILTER (WHERE replayed = 'approved'), 0)::float8 - coalesce(sum(amount) FILTER (WHERE actual = 'approved'), 0)::float8 AS exposure
      FROM replay`);
    expect(result.decisions).toBe(60);
    expect(result.decisions).toBe(hand!.decisions);
    expect(result.changed).toBe(hand!.changed);
    expect(result.changed).toBeGreaterThan(5);
    expect(result.outcomeCounts.find((entry) => entry.outcome === "approved")!.replayed).toBe(hand!.approved);
    expect(result.overall.exposure.delta).toBeCloseTo(hand!.exposure, 2);
    expect(result.transitions.reduce((sum, entry) => sum + entry.count, 0)).toBe(result.changed);
    expect(result.segments.model.reduce((sum, entry) => sum + entry.decisions, 0)).toBe(60);

    // The SQL twin and the evaluator agree on every row.
    const rows = await db.$queryRawUnsafe<{ kind: "credit" | "limit" | "fraud"; score: number; amount: number; features: never; replayed: string }[]>(
      `SELECT d.kind::text AS kind, d.score, d.amount::float8 AS amount, d.features, ${ruleOutcomeSql(draftParameters)}::text AS replayed FROM decision d WHERE d.id = ANY($1::uuid[])`,
      decisionIds,
    );
    for (const row of rows) expect(row.replayed).toBe(evaluateRules(draftParameters, row).outcome);
  }, 60_000);

  it("flags an ingested decision citing a version that was not in force in its region at decidedAt", async () => {
    const admin = await actorFor("admin");
    const token = (await createApiToken(admin, { name: "engine-nl-test", scopes: ["decisions:write"], regions: [REGION] })).secret;
    const current = await db.ruleSetVersion.findFirstOrThrow({ where: { ruleSetId, state: "active" }, select: { version: true, effectiveFrom: true } });
    const run = crypto.randomBytes(4).toString("hex");
    const line = (label: string, version: number, decidedAt: Date) => ({
      externalId: `GOV-${run}-${label}`, customerReference: `CUS-GOV-${run}`, region: REGION, kind: "credit", outcome: "approved", modelName: "credit-gbm",
      modelVersion: "3.3", score: 0.9, amount: "100.00", currency: "EUR", decidedAt: decidedAt.toISOString(), features: { age: 30, orderAmount: 100, bureauScore: 700 }, ruleSetVersion: version,
    });
    // v1 was in force from 2019-12-01 until the version activated above; nothing was before it.
    const january = new Date("2020-01-15T12:00:00Z");
    const body = [line("ok", 1, january), line("late", current.version, january), line("early", 1, new Date("2019-11-01T12:00:00Z"))].map((entry) => JSON.stringify(entry)).join("\n") + "\n";
    const request = new Request("http://attest.test/api/v1/decisions", { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/x-ndjson" }, body });
    const response = (await ingestAction({ request, params: {}, context: {} })) as Response;
    expect(response.status, await response.clone().text()).toBeLessThan(300);
    expect(await response.json()).toMatchObject({ created: 3, flaggedRuleSetVersion: 2 });
    const stored = await db.decision.findMany({ where: { externalId: { startsWith: `GOV-${run}` } }, select: { id: true, externalId: true, ruleSetVersionNotInForce: true } });
    decisionIds.push(...stored.map((row) => row.id));
    expect(Object.fromEntries(stored.map((row) => [row.externalId.split("-").pop(), row.ruleSetVersionNotInForce]))).toEqual({ ok: false, late: true, early: true });
  }, 60_000);
});
