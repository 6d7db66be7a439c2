// A 1,000-row list with customers' names, as the DPO's lists read them (issue 14 "Speed"): the names
// decrypted through the one API (readPersonalData: one statement for the customers, their names and
// whether each data key is live; data keys unwrapped under the KEK and each name AES-256-GCM-decrypted
// in the app, or taken from the instance's short-lived cache, ADR 020), beside the floor — the same read
// as before encryption at rest: the customer rows and 1,000 names held in clear, through the same
// client. Timed in one process, in rounds that alternate the variants (and which goes first) so a
// change in the machine's load falls on all alike:
//   decrypted  the list read again within the cache's lifetime (a DPO paging or reloading)
//   cold       the same read with both caches emptied first (every key unwrapped, every name decrypted)
//   plain      the floor
// Prints one JSON line: {"decrypted":{"p50":…},"cold":{"p50":…},"plain":{"p50":…},"rows":1000}
//   DATABASE_URL=… ATTEST_KEK_DIR=… tsx bench/workers/personal-data-list.ts <iterations>
import { randomUUID } from "node:crypto";
import pg from "pg";
import { forgetDataKeysUnder, personalDataCacheStats } from "../../app/modules/customers/data-key-cache";
import { readPersonalData } from "../../app/modules/customers/personal-data.server";
import { createSubjectKeys } from "../../app/modules/customers/subject-keys.server";
import { writePersonalData } from "../../app/modules/customers/personal-data.server";
import { db, disconnectDatabase, type Tx } from "../../app/utils/db.server";
import { medianOfAlternatingRounds } from "../lib/alternate";

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
  let names = 0;
  for (const view of views.values()) if (view.status === "shown" && view.data.fullName?.startsWith("Bench Person ")) names++;
  if (names !== ROWS) throw new Error(`read ${names} names of ${ROWS}`);
}

async function cold() {
  forgetDataKeysUnder();
  await decrypted();
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

const variants = { decrypted, cold, plain };
const medians = await medianOfAlternatingRounds(variants, iterations);
const stats = personalDataCacheStats();
if (stats.valueHits === 0) throw new Error("the warm reads never found a decrypted name in the cache");
const result = { ...medians, rows: ROWS };
console.log(JSON.stringify(result));
await pool.end();
await disconnectDatabase();
