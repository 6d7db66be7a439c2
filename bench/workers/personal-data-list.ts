// A 1,000-row list with customers' names, as the DPO's lists read them (issue 14 "Speed"): the names
// decrypted through the one API (readPersonalData: data keys unwrapped under the KEK, each name
// AES-256-GCM-decrypted in the app), beside the floor — the same read as before encryption at rest: the
// customer rows and 1,000 names held in clear, through the same client. Both timed many times in one process. Prints one JSON line:
//   {"decrypted":{"p50":…},"plain":{"p50":…},"rows":1000}
//   DATABASE_URL=… ATTEST_KEK_DIR=… tsx bench/workers/personal-data-list.ts <iterations>
import { randomUUID } from "node:crypto";
import pg from "pg";
import { readPersonalData } from "../../app/modules/customers/personal-data.server";
import { createSubjectKeys } from "../../app/modules/customers/subject-keys.server";
import { writePersonalData } from "../../app/modules/customers/personal-data.server";
import { db, disconnectDatabase, type Tx } from "../../app/utils/db.server";

const ROWS = 1000;
const iterations = Number(process.argv[2] ?? "50");
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });

const ids = Array.from({ length: ROWS }, () => randomUUID());
await db.region.upsert({ where: { code: "SE" }, create: { code: "SE", name: "Sweden", currency: "SEK", locale: "sv-SE", timeZone: "Europe/Stockholm", privacyRegime: "eu_gdpr" } as never, update: {} }).catch(() => {});
await db.customer.createMany({ data: ids.map((id, index) => ({ id, reference: `C-BENCH-${index}`, regionCode: "SE" })) });
await createSubjectKeys(db, ids.map((id) => ({ id, kind: "customer" as const })));
for (const [index, id] of ids.entries()) {
  await writePersonalData(db, id, { fullName: `Bench Person ${index}`, email: `p${index}@bench.test`, phone: `+46 70 000 ${String(index).padStart(4, "0")}`, dateOfBirth: "1980-01-01", street: `Gatan ${index}`, postalCode: "111 22", city: "Stockholm", country: "SE" });
}
await pool.query(`CREATE TABLE bench_plain_names AS SELECT customer_id, 'Bench Person ' || row_number() OVER () AS full_name FROM customer_personal_data`);

async function decrypted() {
  const views = await db.$transaction((tx) => readPersonalData(tx as unknown as Tx, ids, { system: "bench" }, { fields: ["fullName"] }));
  if (views.size !== ROWS) throw new Error(`read ${views.size} of ${ROWS}`);
}

// The read as it was before encryption at rest: the same customer rows and the names' column through the
// same client and transaction, as text — everything but the key look-up and the decryption.
async function plain() {
  const rows = await db.$transaction(async (tx) => {
    await tx.customer.findMany({
      where: { id: { in: ids } },
      select: { id: true, reference: true, regionCode: true, createdAt: true, isRestricted: true, restrictedAt: true, objectedAt: true, erasedAt: true },
    });
    return tx.$queryRawUnsafe<{ customer_id: string; full_name: string }[]>(`SELECT customer_id::text AS customer_id, full_name FROM bench_plain_names WHERE customer_id = ANY($1::uuid[])`, ids);
  });
  if (rows.length !== ROWS) throw new Error(`read ${rows.length} of ${ROWS}`);
}

async function time(fn: () => Promise<void>) {
  for (let warm = 0; warm < 5; warm++) await fn();
  const samples: number[] = [];
  for (let run = 0; run < iterations; run++) {
    const startedAt = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - startedAt) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(samples.length / 2)]! };
}

const result = { decrypted: await time(decrypted), plain: await time(plain), rows: ROWS };
console.log(JSON.stringify(result));
await pool.end();
await disconnectDatabase();
