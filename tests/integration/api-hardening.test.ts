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

describe("the API error corpus (issue 13, item 4): status, message, and nothing written", () => {
  const label = (name: string) => `ENG-H-${run}-${name}`;
  function line(name: string, overrides: Record<string, unknown> = {}) {
    return {
      externalId: label(name),
      customerReference: `CUS-H-${run}-${name}`,
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
  const auth = () => ({ Authorization: `Bearer ${token}`, "Content-Type": "application/x-ndjson" });
  const post = (body: BodyInit | null, headers: Record<string, string>) => call(decisionsAction, "/api/v1/decisions", body, headers);
  async function stored(name: string) {
    const { db } = await import("~/utils/db.server");
    return db.decision.count({ where: { externalId: label(name) } });
  }

  it("answers a call without Authorization with 401, WWW-Authenticate: Bearer and a JSON body", async () => {
    const response = await post(JSON.stringify(line("no-auth")), { "Content-Type": "application/x-ndjson" });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    expect(response.json.error).toMatch(/Authorization: Bearer/);
    expect(await stored("no-auth")).toBe(0);
  });

  it("takes the Bearer scheme in any case (RFC 7235)", async () => {
    for (const [index, scheme] of ["bearer", "BEARER", "BeArEr"].entries()) {
      const response = await post(JSON.stringify(line(`case-${index}`)), { ...auth(), Authorization: `${scheme} ${token}` });
      expect(response.status, scheme).toBe(201);
    }
  });

  it("answers a missing Content-Type with 415 and writes nothing", async () => {
    const before = await ledgerSize();
    // Bytes, not a string: a string body would make Request add text/plain on its own.
    const response = await post(Buffer.from(JSON.stringify(line("no-type"))), { Authorization: `Bearer ${token}` });
    expect(response.status).toBe(415);
    expect(response.json.error).toMatch(/Content-Type is missing/);
    expect(await stored("no-type")).toBe(0);
    expect((await eventsSince(before)).map((event) => event.action)).toEqual(["ingest.batch_rejected"]);
  });

  it("accepts a gzip body and refuses another Content-Encoding with 415 naming it", async () => {
    const { gzipSync } = await import("node:zlib");
    const gz = await post(gzipSync(JSON.stringify(line("gzip")) + "\n"), { ...auth(), "Content-Encoding": "gzip" });
    expect(gz.status).toBe(201);
    expect(await stored("gzip")).toBe(1);
    const br = await post(JSON.stringify(line("brotli")), { ...auth(), "Content-Encoding": "br" });
    expect(br.status).toBe(415);
    expect(br.json.error).toContain("Content-Encoding br");
    expect(await stored("brotli")).toBe(0);
    const broken = await post("not gzip at all", { ...auth(), "Content-Encoding": "gzip" });
    expect(broken.status).toBe(400);
    expect(broken.json.error).toContain("not valid gzip");
  });

  it("refuses invalid UTF-8 with 422 naming the line, never replacing it with U+FFFD", async () => {
    const good = Buffer.from(JSON.stringify(line("utf8-good")) + "\n");
    const bad = Buffer.concat([Buffer.from(JSON.stringify(line("utf8-bad", { modelName: "credit-XX" })).replace("XX", "")), Buffer.from([0x0a])]);
    const badBytes = Buffer.from(bad.toString("latin1").replace("credit-", "credit-\u00ff"), "latin1");
    const body = Buffer.concat([good, badBytes]);
    const response = await post(body, auth());
    expect(response.status).toBe(422);
    expect(response.json.errors).toEqual([{ line: 2, field: null, message: "line 2: is not valid UTF-8" }]);
    expect(await stored("utf8-good")).toBe(0);
    expect(await stored("utf8-bad")).toBe(0);
  });

  it("refuses a NUL character in any string with 422 naming line and field, and records the refusal", async () => {
    const before = await ledgerSize();
    const response = await post(
      [JSON.stringify(line("nul-ok")), JSON.stringify(line("nul-bad", { modelVersion: "4.2\u00000" })), JSON.stringify(line("nul-key", { features: { age: 30, "a\u0000b": 1 } }))].join("\n"),
      auth(),
    );
    expect(response.status).toBe(422);
    expect(response.json.errors?.map((error) => [error.line, error.field])).toEqual([
      [2, "modelVersion"],
      [3, "features.*"],
    ]);
    expect(response.json.errors?.[0]?.message).toContain("NUL character");
    expect(await stored("nul-ok")).toBe(0);
    const events = await eventsSince(before);
    expect(events.map((event) => event.action)).toEqual(["ingest.batch_rejected"]);
    expect((events[0]!.changes as { firstErrors: unknown[] }).firstErrors).toEqual([
      { line: 2, field: "modelVersion", code: "nul_character" },
      { line: 3, field: "features.*", code: "nul_character" },
    ]);
  });

  it("refuses a decidedAt before 2000 with 422 naming line and field", async () => {
    const response = await post(JSON.stringify(line("epoch", { decidedAt: "1970-01-01T00:00:00Z" })), auth());
    expect(response.status).toBe(422);
    expect(response.json.errors).toEqual([{ line: 1, field: "decidedAt", message: "line 1: decidedAt must be on or after 2000-01-01T00:00:00Z" }]);
    expect(await stored("epoch")).toBe(0);
  });

  it("answers an over-limit chunked body (no Content-Length) with 413, having read it through", async () => {
    const { INGEST_MAX_BYTES } = await import("~/modules/ingest/batch.server");
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > INGEST_MAX_BYTES * 2) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = await post(body, auth());
    expect(response.status).toBe(413);
    expect(response.json.error).toMatch(/exceeds/);
    // The rest of what the client sent was read (and dropped), so the answer is not a reset connection.
    expect(sent).toBeGreaterThan(INGEST_MAX_BYTES * 2);
  });
});
