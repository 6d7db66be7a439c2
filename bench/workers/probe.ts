import crypto from "node:crypto";
import { db, disconnectDatabase } from "../../app/utils/db.server";
import { ingestDecisions } from "../../app/modules/ingest/decisions.server";
const run = crypto.randomBytes(3).toString("hex");
const regions = [{ code: "SE", currency: "SEK" }, { code: "DE", currency: "EUR" }, { code: "UK", currency: "GBP" }];
function body(batch: number) {
  const lines = [];
  for (let i = 0; i < 1000; i++) {
    const n = batch * 1000 + i; const region = regions[n % 3]!; const score = ((n * 7919) % 1000) / 1000;
    const outcome = score >= 0.7 ? "approved" : score < 0.4 ? "declined" : "referred";
    lines.push(JSON.stringify({ externalId: `P-${run}-${n}`, customerReference: `PC-${run}-${region.code}-${Math.floor(n / 3)}`, region: region.code, kind: "credit", outcome, modelName: "m", modelVersion: "1", score, amount: "100.00", currency: region.currency, decidedAt: new Date().toISOString(), features: { age: 30, orderAmount: 100 }, reasonCodes: outcome === "approved" ? [] : [{ code: "CH01", contribution: 0.6 }, { code: "AF01", contribution: 0.4 }] }));
  }
  return lines.join("\n");
}
const caller = { tokenId: "t", name: "probe", scopes: ["decisions:write" as const], regions: ["SE", "DE", "UK"], audit: { actorType: "api_token" as const, actorId: "t", actorLabel: "probe", actorRole: null, requestId: null, ipAddress: null } };
for (let b = 10; b < 16; b++) {
  const req = new Request("http://x/", { method: "POST", body: body(b), headers: { "content-type": "application/x-ndjson" } });
  const t = performance.now();
  const r = await ingestDecisions(caller, req);
  console.log("batch", b, r.status, (performance.now() - t).toFixed(0), "ms");
}
await disconnectDatabase();
