import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "~/generated/prisma/client";
import { SqlParameters, whereSql } from "~/modules/access/accessible-sql.server";
import { decisionSqlColumns } from "~/modules/decisions/decision-page.server";
import { filtersOf, listDecisions } from "~/modules/decisions/decisions.server";
import { DecisionListQuerySchema, decisionKinds, decisionOutcomes, reviewStates, type DecisionListQuery } from "~/modules/decisions/schema";
import type { Actor } from "~/modules/access/actor.server";
import { db, queryRows } from "~/utils/db.server";
import { fixtureIds as ids } from "../fixtures/ids";
import { personaNames, personas } from "../fixtures/staff";
import { actorFor, thrownResponse } from "./helpers/actors";
import { removeTestDecisions } from "./helpers/decisions";

// The explorer page is one hand-written statement (decision-page.server.ts) with the viewer's access
// conditions translated from the CASL ability (accessible-sql.server.ts). Its answer must be the
// Prisma query's answer — the one the CSV export still runs through filtersOf — row for row, in the
// same order, for every role and every filter and sort: the same ids, references, principal reasons
// and values, whichever persona asks.

const run = crypto.randomBytes(3).toString("hex");
const model = `page-sql-${run}`;
const regions = ["SE", "DE", "NL", "UK", "US"] as const;
const reasonCodes = ["CH01", "AF02", "IN03"];
const count = 180;
const base = Date.UTC(2026, 4, 10, 12);

beforeAll(async () => {
  const decisions = Array.from({ length: count }, (_, index) => {
    const region = regions[index % regions.length]!;
    return {
      id: crypto.randomUUID(),
      externalId: `ENG-PS-${run}-${index}`,
      customerId: ids.customers[region],
      kind: decisionKinds[index % 3]!,
      regionCode: region,
      modelName: model,
      modelVersion: index % 4 === 0 ? "2.0" : "1.0",
      // Few distinct values, so ties on every sort column are broken by id.
      score: [0.12, 0.35, 0.5, 0.62, 0.9][(index * 7) % 5]!,
      outcome: decisionOutcomes[(index * 5) % 4]!,
      amount: ["99.00", "450.50", "1200.00", "7999.99", "0.10"][(index * 3) % 5]!,
      currency: "EUR",
      features: {},
      decidedAt: new Date(base - (index % 9) * 86_400_000 - (index % 2) * 1000),
      reviewState: reviewStates[index % 6]!,
    };
  });
  await db.decision.createMany({ data: decisions });
  // Some decisions without reasons; the principal reason is the one at the lowest position.
  await db.decisionReason.createMany({
    data: decisions.flatMap((decision, index) =>
      index % 4 === 3
        ? []
        : [
            { decisionId: decision.id, position: 2, code: reasonCodes[(index + 1) % 3]!, contribution: 0.1 },
            { decisionId: decision.id, position: 1, code: reasonCodes[index % 3]!, contribution: 0.3 },
          ],
    ),
  });
});

afterAll(async () => {
  await removeTestDecisions(`ENG-PS-${run}-`);
});

describe("access conditions as SQL select the rows Prisma selects", () => {
  const shapes: [string, Prisma.DecisionWhereInput][] = [
    ["equality", { regionCode: "SE" }],
    ["in", { regionCode: { in: ["SE", "DE"] } }],
    ["empty in", { regionCode: { in: [] } }],
    ["notIn", { regionCode: { notIn: ["SE", "UK"] } }],
    ["not", { kind: { not: "fraud" } }],
    ["enum in", { outcome: { in: ["declined", "referred"] }, reviewState: { in: ["queued", "upheld"] } }],
    ["comparisons", { score: { gt: 0.3, lte: 0.62 }, amount: { gte: 450.5 }, decidedAt: { lt: new Date(base - 3 * 86_400_000) } }],
    ["OR of ANDs", { OR: [{ regionCode: "SE", kind: "credit" }, { AND: [{ regionCode: "DE" }, { outcome: "declined" }] }] }],
    ["NOT object", { NOT: { regionCode: { in: ["SE", "NL"] }, kind: "limit" } }],
    ["NOT list", { NOT: [{ regionCode: "SE" }, { outcome: "approved" }] }],
    ["CASL's inverted-rule shape", { AND: [{ OR: [{ regionCode: { in: ["SE", "DE", "US"] } }] }, { NOT: { OR: [{ outcome: "fraud_hold" }] } }] }],
  ];

  it.each(shapes)("%s", async (_, shape) => {
    const where: Prisma.DecisionWhereInput = { AND: [{ modelName: model }, shape] };
    const parameters = new SqlParameters();
    const sql = whereSql(where, decisionSqlColumns, parameters);
    const viaSql = await queryRows<{ id: string }>(`SELECT d.id::text AS id FROM decision d WHERE ${sql} ORDER BY d.id`, parameters.values);
    const viaPrisma = await db.decision.findMany({ where, select: { id: true }, orderBy: { id: "asc" } });
    expect(viaSql.map((row) => row.id)).toEqual(viaPrisma.map((row) => row.id));
  });
});

/** Every page of the query, walked with the next-page cursor. */
async function walk(actor: Actor, params: Record<string, string>) {
  const rows: Awaited<ReturnType<typeof listDecisions>>["decisions"] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 20; pages++) {
    const page = await listDecisions(actor, DecisionListQuerySchema.parse({ ...params, ...(after ? { after } : {}) }));
    rows.push(...page.decisions);
    if (!page.paging.nextCursor) return rows;
    after = page.paging.nextCursor;
  }
  throw new Error("more than 20 pages: the walk does not end");
}

/** The same query through Prisma: filtersOf (the export's conditions), the same order, the same details. */
async function viaPrisma(actor: Actor, query: DecisionListQuery) {
  const canReadReference = actor.ability.can("read", "Customer", "reference");
  const rows = await db.decision.findMany({
    where: { AND: filtersOf(actor, query) },
    orderBy: [{ [query.sort]: query.order }, { id: query.order }],
    select: {
      id: true,
      externalId: true,
      decidedAt: true,
      regionCode: true,
      kind: true,
      outcome: true,
      score: true,
      amount: true,
      currency: true,
      modelName: true,
      modelVersion: true,
      reviewState: true,
      customer: { select: { reference: true } },
      reasons: { orderBy: { position: "asc" }, take: 1, select: { code: true } },
    },
  });
  return rows.map(({ customer, reasons, amount, ...row }) => ({
    ...row,
    amount: amount.toString(),
    customerReference: canReadReference ? customer.reference : null,
    principalReason: reasons[0]?.code ?? null,
  }));
}

const filterSets: Record<string, string>[] = [
  {},
  { kind: "credit" },
  { outcome: "declined" },
  { review: "queued" },
  { model: `${model}@2.0` },
  { reason: "AF02" },
  { customerRef: "CUS-DE-000001" },
  { customer: ids.customers.SE },
  { scoreMin: "0.35", scoreMax: "0.62" },
  { amountMin: "100", amountMax: "1200" },
  { from: "2026-05-05", to: "2026-05-08" },
  { region: "SE", kind: "limit", reason: "CH01", scoreMin: "0.3" },
  { region: "DE", outcome: "approved", amountMin: "400" },
];

describe("every role, filter and sort: the page statement reads what Prisma reads", () => {
  const readers = personaNames.filter((name) => name !== "admin");

  it.each(readers)("%s", async (persona) => {
    const actor = await actorFor(persona);
    let compared = 0;
    for (const filters of filterSets) {
      if (filters.region && !personas[persona].regions.includes(filters.region as never)) continue;
      for (const sort of ["decidedAt", "score", "amount"]) {
        for (const order of ["desc", "asc"]) {
          // Limited to this file's decisions (unless another model is named), so each walk is short.
          const params = { model: `${model}@1.0`, ...filters, sort, order };
          const expected = await viaPrisma(actor, DecisionListQuerySchema.parse(params));
          const actual = await walk(actor, params);
          expect(actual, `${persona} ${JSON.stringify(params)}`).toEqual(expected);
          compared += expected.length;
        }
      }
    }
    expect(compared).toBeGreaterThan(0);
  });

  it("includes the rows of the fixture world too (first page, every reader)", async () => {
    for (const persona of readers) {
      const actor = await actorFor(persona);
      const query = DecisionListQuerySchema.parse({});
      const page = await listDecisions(actor, query);
      const expected = (await viaPrisma(actor, query)).slice(0, page.decisions.length);
      expect(page.decisions, persona).toEqual(expected);
      expect(new Set(page.decisions.map((decision) => decision.regionCode)).size).toBeGreaterThan(0);
      for (const decision of page.decisions) expect(personas[persona].regions).toContain(decision.regionCode);
    }
  });

  it("refuses a role without read on decisions before any statement is built", async () => {
    const admin = await actorFor("admin");
    const response = await thrownResponse(() => listDecisions(admin, DecisionListQuerySchema.parse({})));
    expect(response.status).toBe(403);
  });

  it("refuses a cursor whose id is not a uuid (no database error)", async () => {
    const actor = await actorFor("compliance");
    const cursor = Buffer.from(JSON.stringify(["2026-05-01T00:00:00.000Z", "-".repeat(36)])).toString("base64url");
    const response = await thrownResponse(() => listDecisions(actor, DecisionListQuerySchema.parse({ after: cursor })));
    expect(response.status).toBe(400);
  });
});
