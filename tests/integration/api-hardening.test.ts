import crypto from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "~/modules/access/actor.server";
import { createApiToken } from "~/modules/access/api-tokens.server";
import { action as decisionsAction } from "~/routes/api.v1.decisions";
import { action as fraudAction } from "~/routes/api.v1.fraud-outcomes";
import { action as repaymentAction } from "~/routes/api.v1.repayment-outcomes";
import { actorFor } from "./helpers/actors";
import { eventsSince, ledgerSize, serialized } from "./helpers/ledger";

// Issue 13, items 4 and 5: the ingestion API answers like an API, and nothing a client sent goes into
// the append-only ledger raw — rejected input leaves line numbers, field paths and codes only.

let admin: Actor;
let token: string;
const run = crypto.randomBytes(3).toString("hex");

type Handler = typeof decisionsAction;

async function call(handler: Handler, path: string, body: BodyInit | null, headers: Record<string, string>) {
  const request = new Request(`http://attest.test${path}`, { method: "POST", headers, body, ...(body instanceof ReadableStream ? { duplex: "half" } : {}) } as RequestInit);
  let response: Response;
  try {
    response = (await handler({ request, params: {}, context: {} })) as Response;
  } catch (error) {
    if (!(error instanceof Response)) throw error;
    response = error;
  }
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: (text ? JSON.parse(text) : {}) as { error?: string; errors?: { line: number; field: string | null; message: string }[] } };
}

beforeAll(async () => {
  admin = await actorFor("admin");
  token = (await createApiToken(admin, { name: `hardening-${run}`, scopes: ["decisions:write", "outcomes:write"], regions: ["SE"] })).secret;
});

describe("nothing a client sent goes into the ledger raw", () => {
  const person = "Jane Doe <jane.doe@example.se>";
  const leaks = [/Jane/i, /jane\.doe/i, /example\.se/i, /Doe/];

  function everyFieldHolds(value: string) {
    return {
      externalId: value,
      customerReference: value,
      region: value,
      kind: value,
      outcome: value,
      modelName: value,
      modelVersion: value,
      score: value,
      amount: value,
      currency: value,
      decidedAt: value,
      ruleSetVersion: value,
      features: { age: value, merchantCategory: value, [value]: value },
      reasonCodes: [value, { code: value, contribution: value }],
      [value]: value,
    };
  }

  it("keeps personal data sent in every field of rejected decision and outcome lines out of the ledger", async () => {
    const before = await ledgerSize();
    const lines = [
      JSON.stringify(everyFieldHolds(person)),
      JSON.stringify({ ...everyFieldHolds(person), kind: "credit", outcome: "approved", region: "SE", currency: "SEK" }),
      `{"externalId": "${person}", broken`,
      JSON.stringify([person]),
      JSON.stringify(person),
    ].join("\n");
    const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/x-ndjson" };
    const decisions = await call(decisionsAction, "/api/v1/decisions", lines, headers);
    expect(decisions.status).toBe(422);
    // The caller is told what was wrong, line by line (their own data, their own answer)…
    expect(decisions.json.errors?.some((error) => error.line === 1 && error.field === "kind")).toBe(true);
    const outcome = JSON.stringify({ externalId: person, decisionExternalId: person, status: person, observedAt: person, outcome: person, reportedAt: person, lossAmount: person, [person]: person });
    expect((await call(repaymentAction, "/api/v1/repayment-outcomes", outcome, headers)).status).toBe(422);
    expect((await call(fraudAction, "/api/v1/fraud-outcomes", outcome, headers)).status).toBe(422);
    // An unsupported Content-Type carrying a name is refused without recording it.
    expect((await call(decisionsAction, "/api/v1/decisions", "{}", { ...headers, "Content-Type": "text/jane-doe" })).status).toBe(415);

    const events = await eventsSince(before);
    expect(events.map((event) => event.action)).toEqual(["ingest.batch_rejected", "ingest.batch_rejected", "ingest.batch_rejected", "ingest.batch_rejected"]);
    const ledger = serialized(events);
    for (const leak of leaks) expect(ledger).not.toMatch(leak);
    // …while the ledger keeps where and why: line, field path and a fixed code.
    const firstErrors = (events[0]!.changes as { firstErrors: { line: number; field: string | null; code: string }[] }).firstErrors;
    expect(firstErrors).toContainEqual({ line: 1, field: "kind", code: "invalid_enum_value" });
    for (const error of firstErrors) {
      expect(Object.keys(error).sort()).toEqual(["code", "field", "line"]);
      expect(error.code).toMatch(/^[a-z_]+$/);
    }
  });
});
