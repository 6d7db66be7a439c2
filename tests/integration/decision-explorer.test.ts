import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PAGE_SIZE } from "~/components/data-table/url-state";
import { exportDecisionsCsv } from "~/modules/decisions/decision-export.server";
import { getDecision, listDecisions } from "~/modules/decisions/decisions.server";
import { DecisionListQuerySchema } from "~/modules/decisions/schema";
import { storedPersonalData } from "./helpers/stored-text";
import { db } from "~/utils/db.server";
import { fixtureIds as ids } from "../fixtures/ids";
import { actorFor, thrownResponse } from "./helpers/actors";
import { parseCsvRecords } from "./helpers/csv";
import { removeTestDecisions } from "./helpers/decisions";
import { eventsSince, ledgerSize } from "./helpers/ledger";

// The decision explorer (issue 4 §3): keyset pages in any sort that add up to exactly the filtered
// set in order, filters that hold, and region scoping that holds for the list and the export alike.

const run = crypto.randomBytes(3).toString("hex");
const model = `explorer-test-${run}`;
const modelFilter = `${model}@1.0`;
const perRegion = { SE: 130, DE: 40 } as const;

interface Row {
  id: string;
  region: string;
  score: number;
  amount: string;
  decidedAt: Date;
  reference: string;
}
const rows: Row[] = [];

beforeAll(async () => {
  const now = Date.now();
  const customers = { SE: ids.customers.SE, DE: ids.customers.DE } as const;
  for (const [region, count] of Object.entries(perRegion) as [keyof typeof perRegion, number][]) {
    for (let index = 0; index < count; index++) {
      rows.push({
        id: crypto.randomUUID(),
        region,
        // Few distinct values, so ties on the sort column must be broken by id.
        score: [0.15, 0.35, 0.5, 0.62, 0.81][index % 5]!,
        amount: ["99.00", "450.50", "1200.00", "1200.00", "7999.99"][(index * 3) % 5]!,
        decidedAt: new Date(now - (index % 7) * 3_600_000),
        reference: `CUS-${region}-000001`,
      });
    }
  }
  await db.decision.createMany({
    data: rows.map((row, index) => ({
      id: row.id,
      externalId: `ENG-X-${run}-${index}`,
      customerId: customers[row.region as keyof typeof customers],
      kind: "credit",
      regionCode: row.region,
      modelName: model,
      modelVersion: "1.0",
      score: row.score,
      outcome: row.score < 0.4 ? "declined" : "approved",
      amount: row.amount,
      currency: row.region === "SE" ? "SEK" : "EUR",
      features: { age: 30 + (index % 40) },
      decidedAt: row.decidedAt,
    })),
  });
});

afterAll(async () => {
  await removeTestDecisions(`ENG-X-${run}-`);
});

const query = (params: Record<string, string>) => DecisionListQuerySchema.parse({ model: modelFilter, ...params });

/** Every page of a sort, walked with the next-page cursor. */
async function walk(persona: "compliance" | "opsSe", params: Record<string, string>) {
  const actor = await actorFor(persona);
  const pages: string[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = await listDecisions(actor, query({ ...params, ...(after ? { after } : {}) }));
    pages.push(page.decisions.map((decision) => decision.id));
    if (!page.paging.nextCursor) return { pages, actor };
    after = page.paging.nextCursor;
  }
}

const byThenId = <T,>(key: (row: Row) => T, order: "asc" | "desc") => (a: Row, b: Row) => {
  const [x, y] = [key(a), key(b)];
  const cmp = x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  return order === "asc" ? cmp : -cmp;
};

describe("keyset paging in every sort", () => {
  it("walks score ascending page by page to exactly the filtered set, ties broken by id", async () => {
    const { pages } = await walk("compliance", { sort: "score", order: "asc" });
    const expected = [...rows].sort(byThenId((row) => row.score, "asc")).map((row) => row.id);
    expect(pages.length).toBe(Math.ceil(rows.length / PAGE_SIZE));
    expect(pages.flat()).toEqual(expected);
  });

  it("walks amount descending, and back again with the previous-page cursor", async () => {
    const actor = await actorFor("compliance");
    const { pages } = await walk("compliance", { sort: "amount", order: "desc" });
    const expected = [...rows].sort(byThenId((row) => Number(row.amount), "desc")).map((row) => row.id);
    expect(pages.flat()).toEqual(expected);

    // From the last page back to the first with `before`.
    let page = await listDecisions(actor, query({ sort: "amount", order: "desc" }));
    const forward = [page];
    while (page.paging.nextCursor) {
      page = await listDecisions(actor, query({ sort: "amount", order: "desc", after: page.paging.nextCursor }));
      forward.push(page);
    }
    for (let index = forward.length - 1; index > 0; index--) {
      const back = await listDecisions(actor, query({ sort: "amount", order: "desc", before: forward[index]!.paging.previousCursor! }));
      expect(back.decisions.map((decision) => decision.id)).toEqual(forward[index - 1]!.decisions.map((decision) => decision.id));
    }
  });

  it("refuses a cursor of another sort instead of guessing", async () => {
    const actor = await actorFor("compliance");
    const first = await listDecisions(actor, query({ sort: "decidedAt" }));
    const response = await thrownResponse(() => listDecisions(actor, query({ sort: "score", after: first.paging.nextCursor! })));
    expect(response.status).toBe(400);
  });
});

describe("filters", () => {
  it("applies score and amount ranges and the customer reference together", async () => {
    const { pages } = await walk("compliance", { scoreMin: "0.35", scoreMax: "0.62", amountMin: "400", amountMax: "1200", customerRef: "CUS-DE-000001" });
    const expected = rows.filter((row) => row.region === "DE" && row.score >= 0.35 && row.score <= 0.62 && Number(row.amount) >= 400 && Number(row.amount) <= 1200);
    expect(expected.length).toBeGreaterThan(0);
    expect(new Set(pages.flat())).toEqual(new Set(expected.map((row) => row.id)));
  });

  it("explains a bad range in the address, naming the parameter", () => {
    const parsed = DecisionListQuerySchema.safeParse({ scoreMin: "0.8", scoreMax: "0.2" });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ["scoreMax"], message: "must not be below scoreMin" });
    expect(DecisionListQuerySchema.safeParse({ cols: "score,password" }).success).toBe(false);
  });
});

describe("region isolation", () => {
  it("shows a Swedish manager only Swedish decisions, in the list and in the export", async () => {
    const { pages } = await walk("opsSe", { sort: "score", order: "desc" });
    const seIds = new Set(rows.filter((row) => row.region === "SE").map((row) => row.id));
    expect(new Set(pages.flat())).toEqual(seIds);

    const opsSe = await actorFor("opsSe");
    const before = await ledgerSize();
    const csv = await new Response(await exportDecisionsCsv(opsSe, query({}))).text();
    const records = parseCsvRecords(csv);
    expect(new Set(records.map((record) => record.decision_id))).toEqual(seIds);
    expect(records.every((record) => record.region === "SE")).toBe(true);
    const [event, ...more] = await eventsSince(before);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ action: "decision.exported", actorId: opsSe.user.id, subjectType: "Decision" });
  });

  it("exports every visible region for compliance, with no personal data, and leaves restricted customers out of the list and the export", async () => {
    const compliance = await actorFor("compliance");
    const csv = await new Response(await exportDecisionsCsv(compliance, query({ sort: "amount", order: "asc" }))).text();
    const records = parseCsvRecords(csv);
    expect(records).toHaveLength(rows.length);
    expect(records.map((record) => record.decision_id)).toEqual([...rows].sort(byThenId((row) => Number(row.amount), "asc")).map((row) => row.id));
    expect(records[0]).toMatchObject({ customer_reference: expect.stringMatching(/^CUS-(SE|DE)-000001$/) as unknown as string });
    const personal = (await storedPersonalData(ids.customers.SE))!;
    expect(csv).not.toContain(personal.fullName);
    expect(csv).not.toContain(personal.email);

    await db.customer.update({ where: { id: ids.customers.DE }, data: { isRestricted: true, restrictedAt: new Date() } });
    try {
      const restricted = parseCsvRecords(await new Response(await exportDecisionsCsv(compliance, query({}))).text());
      expect(restricted.map((record) => record.region)).not.toContain("DE");
      expect(restricted).toHaveLength(perRegion.SE);
      const listed = await listDecisions(compliance, query({ region: "DE" }));
      expect(listed.decisions).toEqual([]);
    } finally {
      await db.customer.update({ where: { id: ids.customers.DE }, data: { isRestricted: false, restrictedAt: null } });
    }
  });

  it("answers a German decision's page to the Swedish manager exactly like a missing one", async () => {
    const opsSe = await actorFor("opsSe");
    const german = rows.find((row) => row.region === "DE")!;
    const refused = await thrownResponse(() => getDecision(opsSe, german.id));
    expect(refused.status).toBe(404);
    expect(await refused.json()).toEqual({ kind: "not_found", message: "That decision was not found." });
    const swedish = rows.find((row) => row.region === "SE")!;
    expect((await getDecision(opsSe, swedish.id)).decision.regionCode).toBe("SE");
  });

  it("refuses the export to roles without the export permission, and a region outside one's own", async () => {
    const fraud = await actorFor("fraud");
    const refused = await thrownResponse(() => exportDecisionsCsv(fraud, query({})));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ missingPermission: "export Decision" });
    const opsSe = await actorFor("opsSe");
    expect((await thrownResponse(() => exportDecisionsCsv(opsSe, query({ region: "DE" })))).status).toBe(400);
  });
});
