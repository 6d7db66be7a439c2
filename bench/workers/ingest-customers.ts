// Ingestion of decisions for new customers (issue 14 "Speed": with encryption ≥ 90% of the throughput
// before it). Each new customer gets a data key, wrapped under the key-encryption key, in the batch's
// transaction (createSubjectKeys; the ledger key comes later, with the first event sealing their data).
// Batches go through ingestDecisions — validation,
// checks against the database, the all-or-nothing write and its audit event — one process, rounds
// alternating the measured batch (keys created) and the floor (the same batch with key creation switched
// off through a module hook, bench/workers/floor/, as ingestion was before encryption at rest).
// Prints one JSON line: {"withKeys":{"p50":…},"withoutKeys":{"p50":…},"creatingKeys":{"p50":…},"batch":1000}
//   DATABASE_URL=… ATTEST_KEK_DIR=… tsx --import ./bench/workers/floor/register-without-subject-keys.mjs bench/workers/ingest-customers.ts <rounds>
import crypto from "node:crypto";
import pg from "pg";
import { requireApiCaller } from "../../app/modules/access/api-tokens.server";
import { ingestDecisions } from "../../app/modules/ingest/decisions.server";
import { disconnectDatabase } from "../../app/utils/db.server";
import { subjectKeySwitch } from "./floor/subject-keys-switch";

const BATCH = 1000;
const rounds = Number(process.argv[2] ?? "10");
const url = process.env.DATABASE_URL!;
const pool = new pg.Pool({ connectionString: url, max: 1 });

const secret = `att_bench_${crypto.randomBytes(24).toString("base64url")}`;
const admin = await pool.query<{ id: string }>("SELECT id FROM staff_user WHERE role = 'admin' ORDER BY email LIMIT 1");
if (!admin.rows[0]) throw new Error("the database holds no administrator: seed it first (prisma/seed/index.ts)");
await pool.query(
  "INSERT INTO api_token (id, name, token_hash, prefix, regions, scopes, created_by_id) VALUES (gen_random_uuid(), 'bench-ingest-customers', $1, 'bench', $2, $3, $4)",
  [crypto.createHash("sha256").update(secret).digest("hex"), ["SE"], ["decisions:write"], admin.rows[0].id],
);
const headers = { authorization: `Bearer ${secret}`, "content-type": "application/x-ndjson" };
const caller = await requireApiCaller(new Request("http://attest.bench/api/v1/decisions", { method: "POST", headers }), "decisions:write");
const run = crypto.randomBytes(4).toString("hex");
let batchNo = 0;

/** 1,000 declined decisions, each for a customer Attest has not seen. */
function body() {
  const lines: string[] = [];
  const batch = batchNo++;
  for (let index = 0; index < BATCH; index++) {
    const n = batch * BATCH + index;
    lines.push(
      JSON.stringify({
        externalId: `BENCH-NC-${run}-${n}`,
        customerReference: `BNC-${run}-${n}`,
        region: "SE",
        kind: "credit",
        outcome: "declined",
        modelName: "credit-gbm",
        modelVersion: "4.2.0",
        score: 0.2,
        amount: (50 + (n % 4000)).toFixed(2),
        currency: "SEK",
        decidedAt: new Date(Date.now() - (n % 86_400) * 1000).toISOString(),
        features: { age: 18 + (n % 60), orderAmount: 50 + (n % 4000), bureauScore: 300 + (n % 600), existingExposure: n % 9000, identityVerified: true },
        reasonCodes: [{ code: "CH01", contribution: 0.6 }, { code: "AF01", contribution: 0.4 }],
      }),
    );
  }
  return { text: `${lines.join("\n")}\n`, references: `BNC-${run}-${batch * BATCH}` };
}

async function ingest(withKeys: boolean) {
  const { text } = body();
  subjectKeySwitch.createKeysForNewSubjects = withKeys;
  const request = new Request("http://attest.bench/api/v1/decisions", { method: "POST", headers, body: text });
  const startedAt = process.hrtime.bigint();
  const result = await ingestDecisions(caller, request);
  const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;
  const created = (result.body as { customersCreated?: number }).customersCreated;
  if (result.status !== 201 || created !== BATCH) throw new Error(`a batch answered ${result.status} with ${created} new customers: ${JSON.stringify(result.body).slice(0, 300)}`);
  return ms;
}

const samples = { withKeys: [] as number[], withoutKeys: [] as number[] };
for (let round = 0; round < rounds + 1; round++) {
  // Alternate which goes first, so a change in load falls on both alike; round 0 warms up.
  for (const withKeys of round % 2 === 0 ? [true, false] : [false, true]) {
    const ms = await ingest(withKeys);
    if (round > 0) samples[withKeys ? "withKeys" : "withoutKeys"].push(ms);
  }
}
subjectKeySwitch.createKeysForNewSubjects = true;

// The switch did what it says: keys for the measured batches' customers, none for the floor's.
const { rows } = await pool.query<{ keyed: string; customers: string }>(
  `SELECT count(k.subject_id) AS keyed, count(*) AS customers FROM customer c LEFT JOIN subject_data_key k ON k.subject_id = c.id WHERE c.reference LIKE $1`,
  [`BNC-${run}-%`],
);
const expected = (rounds + 1) * BATCH;
if (Number(rows[0]!.customers) !== 2 * expected || Number(rows[0]!.keyed) !== expected) {
  throw new Error(`expected ${2 * expected} new customers, ${expected} with keys; found ${rows[0]!.customers} and ${rows[0]!.keyed} (is the module hook registered?)`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
// Time inside createSubjectKeys (wrapping the keys and the one INSERT), to tell it from the rest.
const creating = median(subjectKeySwitch.creatingMs.slice(1));
console.log(JSON.stringify({ withKeys: { p50: median(samples.withKeys) }, withoutKeys: { p50: median(samples.withoutKeys) }, creatingKeys: { p50: creating }, batch: BATCH }));
await pool.end();
await disconnectDatabase();
