import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "~/modules/access/actor.server";
import { createApiToken, revokeApiToken } from "~/modules/access/api-tokens.server";
import { INGEST_MAX_BYTES, INGEST_MAX_LINES } from "~/modules/ingest/batch.server";
import { action as decisionsAction, loader as decisionsLoader } from "~/routes/api.v1.decisions";
import { action as fraudAction } from "~/routes/api.v1.fraud-outcomes";
import { action as repaymentAction } from "~/routes/api.v1.repayment-outcomes";
import { db } from "~/utils/db.server";
import { fixtureIds as ids } from "../fixtures/ids";
import { actorFor } from "./helpers/actors";
import { removeTestDecisions } from "./helpers/decisions";
import { changesOf, eventsSince, ledgerSize } from "./helpers/ledger";

// The ingestion API as the decision engine uses it (issue 4 §1, docs/ingestion.md): NDJSON batches,
// all or nothing, idempotent on the engine's external id, per-line errors, region-scoped tokens, a
// clear 413, and exactly one ledger event per call.

let admin: Actor;
let seToken: string;
let seDeToken: string;
let outcomesToken: string;

const run = crypto.randomBytes(3).toString("hex");
const externalId = (label: string) => `ENG-T-${run}-${label}`;
const customerRef = (label: string) => `CUS-T-${run}-${label}`;

function decisionLine(label: string, overrides: Record<string, unknown> = {}) {
  return {
    externalId: externalId(label),
    customerReference: customerRef(label),
    region: "SE",
    kind: "credit",
    outcome: "approved",
    modelName: "credit-gbm",
    modelVersion: "4.2.0",
    score: 0.91,
    amount: "1299.00",
    currency: "SEK",
    decidedAt: new Date(Date.now() - 60_000).toISOString(),
    features: { age: 34, orderAmount: 1299, bureauScore: 710 },
    reasonCodes: [],
    ...overrides,
  };
}

const ndjson = (lines: unknown[]) => lines.map((line) => (typeof line === "string" ? line : JSON.stringify(line))).join("\n") + "\n";

async function post(handler: typeof decisionsAction, path: string, token: string | null, body: string, headers: Record<string, string> = {}) {
  const request = new Request(`http://attest.test${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-ndjson", ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    body,
  });
  let response: Response;
  try {
    response = (await handler({ request, params: {}, context: {} })) as Response;
  } catch (error) {
    if (!(error instanceof Response)) throw error;
    response = error;
  }
  return { status: response.status, json: (await response.json()) as Record<string, unknown> & { errors?: { line: number; field: string | null; message: string }[] } };
}

const postDecisions = (token: string | null, body: string, headers?: Record<string, string>) => post(decisionsAction, "/api/v1/decisions", token, body, headers);

async function decisionCount(labels: string[]) {
  return db.decision.count({ where: { externalId: { in: labels.map(externalId) } } });
}

beforeAll(async () => {
  admin = await actorFor("admin");
  seToken = (await createApiToken(admin, { name: "engine-se", scopes: ["decisions:write"], regions: ["SE"] })).secret;
  seDeToken = (await createApiToken(admin, { name: "engine-se-de", scopes: ["decisions:write", "outcomes:write"], regions: ["SE", "DE"] })).secret;
  outcomesToken = (await createApiToken(admin, { name: "outcomes-se", scopes: ["outcomes:write"], regions: ["SE"] })).secret;
});

afterAll(async () => {
  await db.fraudOutcome.deleteMany({ where: { externalId: { startsWith: `FRA-${run}-` } } });
  await removeTestDecisions(`ENG-T-${run}-`, `CUS-T-${run}-`);
});

describe("POST /api/v1/decisions", () => {
  it("ingests a batch, creates new customers in the decision's region, queues referrals and grey-band scores, and records one event", async () => {
    const lines = [
      decisionLine("ok"),
      decisionLine("referred", {
        outcome: "referred",
        score: 0.55,
        features: { age: 34, orderAmount: 1299, creditHistoryMonths: 7 },
        reasonCodes: [{ code: "AF02", contribution: 0.6 }, { code: "CH02", contribution: 0.4 }],
      }),
      // Approved by the engine, but between the active SE rule set's bands (0.4 and 0.7): a grey-band look.
      decisionLine("grey", { score: 0.52, ruleSetVersion: 1 }),
      decisionLine("declined", { outcome: "declined", score: 0.2, reasonCodes: ["CH01", "AF01"] }),
    ];
    const body = ndjson(lines);
    const before = await ledgerSize();
    const { status, json } = await postDecisions(seToken, body);
    expect(status, JSON.stringify(json)).toBe(201);
    expect(json).toMatchObject({ lines: 4, created: 4, replayed: 0, customersCreated: 4, reviewsOpened: { referral: 1, grey_band: 1 } });

    const stored = await db.decision.findMany({
      where: { externalId: { in: ["ok", "referred", "grey", "declined"].map(externalId) } },
      include: { customer: true, reasons: { orderBy: { position: "asc" } }, reviews: true },
    });
    const byLabel = (label: string) => stored.find((row) => row.externalId === externalId(label))!;
    expect(stored).toHaveLength(4);
    expect(byLabel("ok")).toMatchObject({ regionCode: "SE", reviewState: "not_required", currency: "SEK" });
    expect(byLabel("ok").amount.toFixed(2)).toBe("1299.00");
    expect(byLabel("ok").customer).toMatchObject({ reference: customerRef("ok"), regionCode: "SE" });
    expect(byLabel("referred").reviewState).toBe("queued");
    expect(byLabel("referred").reviews).toMatchObject([{ trigger: "referral", status: "open", regionCode: "SE" }]);
    const review = byLabel("referred").reviews[0]!;
    expect(review.dueAt.getTime() - review.openedAt.getTime()).toBe(48 * 3_600_000);
    expect(byLabel("referred").reasons.map((reason) => [reason.code, reason.contribution])).toEqual([["AF02", 0.6], ["CH02", 0.4]]);
    expect(byLabel("grey").reviews).toMatchObject([{ trigger: "grey_band" }]);
    expect(byLabel("grey").ruleSetVersionId).toBe(ids.ruleSetVersions.seActive);
    expect(byLabel("declined").reviews).toEqual([]);
    expect(byLabel("declined").reasons.map((reason) => reason.code)).toEqual(["CH01", "AF01"]);

    const events = await eventsSince(before);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: "ingest.decisions_accepted", actorType: "api_token", actorLabel: "engine-se", subjectType: "IngestBatch", regionCode: "SE" });
    const batch = changesOf(events[0]!).batch as Record<string, unknown>;
    expect(batch).toMatchObject({ kind: "decisions", lines: 4, created: 4, replayed: 0, bytes: Buffer.byteLength(body) });
    expect(batch.sha256).toBe(crypto.createHash("sha256").update(body).digest("hex"));
  });

  it("counts the batch into the dashboard facts at its end, from the rows as they commit (queued reviews included)", async () => {
    const lines = [decisionLine("fact-ok"), decisionLine("fact-referred", { outcome: "referred", score: 0.55 }), decisionLine("fact-declined", { outcome: "declined", score: 0.2 })];
    const { status, json } = await postDecisions(seToken, ndjson(lines));
    expect(status, JSON.stringify(json)).toBe(201);
    const stored = await db.decision.findMany({ where: { externalId: { in: ["fact-ok", "fact-referred", "fact-declined"].map(externalId) } }, select: { id: true, externalId: true } });
    const ids = stored.map((row) => row.id);
    const facts = await db.$queryRaw<{ row: string }[]>`SELECT (f.*)::text AS row FROM decision_fact f WHERE f.decision_id = ANY(${ids}::uuid[]) ORDER BY f.decision_id`;
    const derived = await db.$queryRaw<{ row: string }[]>`SELECT (s.*)::text AS row FROM decision_fact_source(${ids}::uuid[]) s ORDER BY s.decision_id`;
    expect(facts).toHaveLength(3);
    expect(facts).toEqual(derived);
    const referred = stored.find((row) => row.externalId === externalId("fact-referred"))!;
    const [fact] = await db.$queryRaw<{ review_state: string }[]>`SELECT review_state::text FROM decision_fact WHERE decision_id = ${referred.id}::uuid`;
    expect(fact?.review_state).toBe("queued");
    // The hold is this transaction's alone: later writers count at once.
    const [setting] = await db.$queryRaw<{ deferred: boolean }[]>`SELECT rollups_are_deferred() AS deferred`;
    expect(setting?.deferred).toBe(false);
  });

  it("treats an identical replay as a no-op, and refuses the same external id with other content", async () => {
    const lines = [decisionLine("replay-a"), decisionLine("replay-b", { outcome: "referred", score: 0.5 })];
    expect((await postDecisions(seToken, ndjson(lines))).status).toBe(201);
    const reviewsBefore = await db.review.count();

    const before = await ledgerSize();
    const replay = await postDecisions(seToken, ndjson(lines));
    expect(replay.status).toBe(200);
    expect(replay.json).toMatchObject({ created: 0, replayed: 2 });
    expect(await db.review.count()).toBe(reviewsBefore);
    expect(await decisionCount(["replay-a", "replay-b"])).toBe(2);
    const [event, ...more] = await eventsSince(before);
    expect(more).toEqual([]);
    expect(changesOf(event!).batch).toMatchObject({ created: 0, replayed: 2 });

    const changed = await postDecisions(seToken, ndjson([decisionLine("new-one"), { ...lines[0], score: 0.12, outcome: "declined" }]));
    expect(changed.status).toBe(422);
    expect(changed.json.errors?.map((error) => error.message)).toEqual([
      `line 2: externalId "${externalId("replay-a")}" was already ingested with different content (outcome, score); a decision is immutable`,
    ]);
    // All or nothing: the valid first line was not written either.
    expect(await decisionCount(["new-one"])).toBe(0);
  });

  it("names the line and field of every error and writes nothing of a bad batch", async () => {
    const { reasonCodes: _omitted, ...withoutReasons } = decisionLine("x");
    const { score: _score, ...withoutScore } = decisionLine("missing-score");
    const lines = [
      decisionLine("valid"),
      decisionLine("unknown-code", { outcome: "declined", score: 0.1, reasonCodes: ["CH01", "AF01", "XX9"] }),
      '{"externalId": "broken", ',
      withoutScore,
      decisionLine("bad-values", { score: 1.5, kind: "loan", currency: "EUR", amount: "12.345" }),
      decisionLine("dup"),
      decisionLine("dup"),
      { ...withoutReasons, externalId: externalId("extra"), colour: "blue" },
      decisionLine("future", { decidedAt: new Date(Date.now() + 3_600_000).toISOString() }),
      decisionLine("bad-features", { features: { age: "thirty" } }),
      "[1, 2]",
      decisionLine("unscored-reason", { outcome: "declined", score: 0.1, reasonCodes: ["CH01", "ID01"] }),
    ];
    const before = await ledgerSize();
    const { status, json } = await postDecisions(seToken, ndjson(lines));
    expect(status).toBe(422);
    const messages = json.errors!.map((error) => error.message);
    expect(messages).toContain(`line 2: reasonCodes[2] "XX9" is not in the catalogue`);
    expect(messages.find((message) => message.startsWith("line 3: is not valid JSON"))).toBeDefined();
    expect(messages).toContain("line 4: score is required");
    expect(messages).toContain("line 5: score must be at most 1");
    expect(messages).toContain('line 5: kind "loan" is not one of credit, limit, fraud');
    expect(messages).toContain("line 5: amount must be a non-negative amount with at most two decimals, such as 1299.50");
    expect(messages).toContain(`line 7: externalId "${externalId("dup")}" already appears on line 6 of this batch`);
    expect(messages).toContain('line 8: has unknown field(s) "colour"');
    expect(messages.find((message) => message.startsWith("line 9: decidedAt") && message.endsWith("is in the future"))).toBeDefined();
    expect(messages).toContain("line 10: features.age must be a number (got string)");
    expect(messages).toContain("line 11: must be one JSON object");
    expect(messages).toContain('line 12: reasonCodes[1] "ID01" derives from identityVerified, none of which is among the features the model scored');
    expect(json.error).toMatch(/nothing was written/);
    expect(await decisionCount(["valid", "unknown-code", "dup", "extra", "future"])).toBe(0);

    const [event, ...more] = await eventsSince(before);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ action: "ingest.batch_rejected", actorLabel: "engine-se" });
    expect(changesOf(event!).batch).toMatchObject({ kind: "decisions", status: 422, lines: 12, errorCount: messages.length });
  });

  it("refuses a decision outside the token's regions with 403, and a customer reference of another region", async () => {
    const crossRegion = await postDecisions(seToken, ndjson([decisionLine("se-fine"), decisionLine("de-line", { region: "DE", currency: "EUR" })]));
    expect(crossRegion.status).toBe(403);
    expect(crossRegion.json.errors?.map((error) => error.message)).toEqual(['line 2: region "DE" is outside this token\'s regions (SE)']);
    expect(await decisionCount(["se-fine", "de-line"])).toBe(0);

    // CUS-DE-000001 is a German fixture customer: the SE+DE token may write DE decisions, but not move them to SE.
    const moved = await postDecisions(seDeToken, ndjson([decisionLine("moved", { customerReference: "CUS-DE-000001" })]));
    expect(moved.status).toBe(422);
    expect(moved.json.errors?.[0]?.message).toBe('line 1: customerReference "CUS-DE-000001" is a customer of region DE, not SE; a customer stays in the region they were created in');

    const known = await postDecisions(seDeToken, ndjson([decisionLine("known-de", { customerReference: "CUS-DE-000001", region: "DE", currency: "EUR" })]));
    expect(known.status).toBe(201);
    expect(known.json).toMatchObject({ customersCreated: 0 });
    const row = await db.decision.findUniqueOrThrow({ where: { externalId: externalId("known-de") } });
    expect(row.customerId).toBe(ids.customers.DE);
  });

  it("answers a stored decision or customer of another region with a plain 409 conflict: no field diff, no region", async () => {
    const german = decisionLine("stored-de", { region: "DE", currency: "EUR", outcome: "declined", score: 0.2 });
    expect((await postDecisions(seDeToken, ndjson([german]))).status).toBe(201);
    const before = await ledgerSize();

    // An SE token reusing the German decision's external id (with its own, different content).
    const probe = await postDecisions(seToken, ndjson([decisionLine("se-ok"), decisionLine("stored-de")]));
    expect(probe.status).toBe(409);
    expect(probe.json.errors?.map((error) => error.message)).toEqual([`line 2: externalId "${externalId("stored-de")}" is already in use; choose another`]);
    expect(JSON.stringify(probe.json)).not.toMatch(/\b(SE|DE|NL|UK|US|AU)\b|region|different content|outcome|score|currency/);
    // A German customer's reference on an SE line.
    const moved = await postDecisions(seToken, ndjson([decisionLine("moved-se", { customerReference: "CUS-DE-000001" })]));
    expect(moved.status).toBe(409);
    expect(moved.json.errors?.map((error) => error.message)).toEqual(['line 1: customerReference "CUS-DE-000001" is already in use; choose another']);
    expect(JSON.stringify(moved.json)).not.toMatch(/region|not SE|erased/);
    expect(await decisionCount(["se-ok", "moved-se"])).toBe(0);
    // Both refusals are audited as rejected batches, with the true reason for the auditor.
    const events = await eventsSince(before);
    expect(events.map((event) => [event.action, (changesOf(event).batch as { status?: number } | undefined)?.status, (changesOf(event).batch as { reason?: string } | undefined)?.reason])).toEqual([
      ["ingest.batch_rejected", 409, "outside_token_regions"],
      ["ingest.batch_rejected", 409, "outside_token_regions"],
    ]);
    expect(JSON.stringify(events.map((event) => event.changes))).not.toMatch(/region DE|different content/);
    // A token covering the stored row's region still gets the full answer.
    const covered = await postDecisions(seDeToken, ndjson([{ ...german, score: 0.3 }]));
    expect(covered.status).toBe(422);
    expect(covered.json.errors?.[0]?.message).toContain("already ingested with different content (score)");
  });

  it("refuses unknown, revoked and wrongly scoped tokens", async () => {
    const body = ndjson([decisionLine("auth")]);
    expect((await postDecisions(null, body)).status).toBe(401);
    expect((await postDecisions("att_nope_nope", body)).status).toBe(401);
    const wrongScope = await postDecisions(outcomesToken, body);
    expect(wrongScope.status).toBe(403);
    expect(wrongScope.json.error).toBe('the API token lacks the scope "decisions:write"');
    const revoked = await createApiToken(admin, { name: "soon-revoked", scopes: ["decisions:write"], regions: ["SE"] });
    await revokeApiToken(admin, revoked.id, "engine key rotated");
    expect((await postDecisions(revoked.secret, body)).status).toBe(401);
    expect(await decisionCount(["auth"])).toBe(0);
  });

  it("answers 413 for a body over the byte limit or the line limit, and 415 for another content type", async () => {
    const before = await ledgerSize();
    const huge = "x".repeat(INGEST_MAX_BYTES + 1);
    const tooLarge = await postDecisions(seToken, huge);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json.error).toMatch(/at most 8,388,608 bytes/);
    const manyLines = ndjson(Array.from({ length: INGEST_MAX_LINES + 1 }, (_, index) => decisionLine(`many-${index}`)));
    const tooMany = await postDecisions(seToken, manyLines);
    expect(tooMany.status).toBe(413);
    expect(tooMany.json.error).toMatch(/more than 5,000 lines/);
    const wrongType = await postDecisions(seToken, JSON.stringify([decisionLine("json")]), { "Content-Type": "application/json" });
    expect(wrongType.status).toBe(415);
    const events = await eventsSince(before);
    expect(events.map((event) => [event.action, (changesOf(event).batch as { status: number }).status])).toEqual([
      ["ingest.batch_rejected", 413],
      ["ingest.batch_rejected", 413],
      ["ingest.batch_rejected", 415],
    ]);
    expect(await decisionCount(["many-0", "json"])).toBe(0);
  });

  it("takes the same batch sent twice at once exactly once", async () => {
    const body = ndjson([decisionLine("race-1"), decisionLine("race-2", { customerReference: customerRef("race-1") })]);
    const [first, second] = await Promise.all([postDecisions(seToken, body), postDecisions(seToken, body)]);
    expect([first.status, second.status].sort()).toEqual([200, 201]);
    expect(await decisionCount(["race-1", "race-2"])).toBe(2);
    expect(await db.customer.count({ where: { reference: customerRef("race-1") } })).toBe(1);
  });

  it("answers a GET with 405 once the token is checked", async () => {
    const request = new Request("http://attest.test/api/v1/decisions", { headers: { Authorization: `Bearer ${seToken}` } });
    const response = (await decisionsLoader({ request, params: {}, context: {} })) as Response;
    expect(response.status).toBe(405);
  });
});

describe("POST /api/v1/repayment-outcomes and /api/v1/fraud-outcomes", () => {
  it("records repayment outcomes of granted credit, idempotently", async () => {
    expect((await postDecisions(seToken, ndjson([decisionLine("repaid")]))).status).toBe(201);
    const line = { externalId: `REP-${run}-1`, decisionExternalId: externalId("repaid"), status: "late_30", observedAt: new Date().toISOString(), outstandingAmount: 420.5 };
    const before = await ledgerSize();
    const first = await post(repaymentAction, "/api/v1/repayment-outcomes", outcomesToken, ndjson([line]));
    expect(first.status, JSON.stringify(first.json)).toBe(201);
    const again = await post(repaymentAction, "/api/v1/repayment-outcomes", outcomesToken, ndjson([line]));
    expect(again.json).toMatchObject({ created: 0, replayed: 1 });
    const rows = await db.repaymentOutcome.findMany({ where: { externalId: line.externalId } });
    expect(rows.map((row) => [row.status, row.outstandingAmount.toFixed(2)])).toEqual([["late_30", "420.50"]]);
    const events = await eventsSince(before);
    expect(events.map((event) => event.action)).toEqual(["ingest.repayment_outcomes_accepted", "ingest.repayment_outcomes_accepted"]);

    const conflicting = await post(repaymentAction, "/api/v1/repayment-outcomes", outcomesToken, ndjson([{ ...line, status: "repaid" }]));
    expect(conflicting.status).toBe(422);
    const declined = await post(repaymentAction, "/api/v1/repayment-outcomes", outcomesToken, ndjson([{ ...line, externalId: `REP-${run}-2`, decisionExternalId: "ENG-SE-000001" }]));
    expect(declined.json.errors?.[0]?.message).toBe('line 1: decisionExternalId "ENG-SE-000001" was declined, so no credit was granted to repay');
    const unknown = await post(repaymentAction, "/api/v1/repayment-outcomes", outcomesToken, ndjson([{ ...line, externalId: `REP-${run}-3`, decisionExternalId: "ENG-NOPE" }]));
    expect(unknown.json.errors?.[0]?.message).toBe('line 1: decisionExternalId "ENG-NOPE" is not a decision Attest has ingested');
  });

  it("answers a fraud outcome for a decision outside the token's regions exactly as for an unknown decision", async () => {
    const deHold = await db.decision.findUniqueOrThrow({ where: { id: ids.decisions.deFraudHold } });
    const line = { externalId: `FRA-${run}-1`, decisionExternalId: deHold.externalId, outcome: "confirmed_fraud", reportedAt: new Date().toISOString(), lossAmount: "1299.00" };
    const refused = await post(fraudAction, "/api/v1/fraud-outcomes", outcomesToken, ndjson([line]));
    expect(refused.status).toBe(422);
    // No existence oracle: the same answer as for an external id never ingested.
    expect(refused.json.errors?.map((error) => error.message)).toEqual([`line 1: decisionExternalId "${deHold.externalId}" is not a decision Attest has ingested`]);
    const unknown = await post(fraudAction, "/api/v1/fraud-outcomes", outcomesToken, ndjson([{ ...line, decisionExternalId: "ENG-NEVER-SEEN" }]));
    expect(unknown.status).toBe(refused.status);
    expect(Object.keys(unknown.json).sort()).toEqual(Object.keys(refused.json).sort());
    expect(await db.fraudOutcome.count({ where: { externalId: line.externalId } })).toBe(0);

    const allowed = await post(fraudAction, "/api/v1/fraud-outcomes", seDeToken, ndjson([line]));
    expect(allowed.status).toBe(201);
    expect(await db.fraudOutcome.count({ where: { externalId: line.externalId, decisionId: deHold.id } })).toBe(1);

    // The same outcome id sent by the SE token against one of its own decisions: the stored (German)
    // outcome is neither diffed nor described.
    const seDecision = await db.decision.findUniqueOrThrow({ where: { id: ids.decisions.seApproved } });
    const probe = await post(fraudAction, "/api/v1/fraud-outcomes", outcomesToken, ndjson([{ ...line, decisionExternalId: seDecision.externalId }]));
    expect(probe.status).toBe(409);
    expect(probe.json.errors?.map((error) => error.message)).toEqual([`line 1: externalId "${line.externalId}" is already in use; choose another`]);
    expect(await db.fraudOutcome.count({ where: { externalId: line.externalId } })).toBe(1);
  });
});
