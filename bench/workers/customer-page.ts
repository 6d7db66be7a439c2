// The DPO's customer page (issue 14 "Speed": within 1.2× of reading the same page with the personal
// data in plain text). getCustomer is the page's loader: the customer, their personal data through the
// audited read (decrypted in the app; an event in the ledger), their recent decisions and requests.
// The floor is the same loader for a twin of the customer — same region, a copy of every decision — whose
// personal data row holds the same values in plain text, as a database did before encryption at rest
// (the loader reads such a row as it is). Timed in one process, in rounds that alternate the variants:
//   decrypted  the page read again within the cache's lifetime (ADR 020)
//   cold       the same with both caches emptied first (the key unwrapped, every value decrypted)
//   plain      the floor
// Prints one JSON line: {"decrypted":{"p50":…},"cold":{"p50":…},"plain":{"p50":…},"decisions":N}
//   DATABASE_URL=… ATTEST_KEK_DIR=… tsx bench/workers/customer-page.ts <rounds>   (on a seeded database)
import { randomUUID } from "node:crypto";
import pg from "pg";
import { getCustomer } from "../../app/modules/customers/customers.server";
import { forgetDataKeysUnder } from "../../app/modules/customers/data-key-cache";
import { encryptedPersonalFields, readPersonalDataForSystem } from "../../app/modules/customers/personal-data.server";
import { db, disconnectDatabase } from "../../app/utils/db.server";
import { medianOfAlternatingRounds } from "../lib/alternate";
import { benchActor, benchUser } from "../lib/bench-actor";

const rounds = Number(process.argv[2] ?? "50");
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });

const user = await benchUser("dpo@attest.test");
const actor = benchActor(user);

// The customer with the most decisions among those with personal data, not restricted, no requests.
const { rows: [chosen] } = await pool.query<{ id: string; decisions: number }>(
  `SELECT c.id::text AS id, count(d.id)::int AS decisions FROM customer c JOIN customer_personal_data p ON p.customer_id = c.id JOIN decision d ON d.customer_id = c.id
    WHERE NOT c.is_restricted AND c.erased_at IS NULL AND c.region_code = ANY($1) AND c.reference NOT LIKE '%-PLAIN-%' AND NOT EXISTS (SELECT 1 FROM privacy_request r WHERE r.customer_id = c.id)
    GROUP BY c.id ORDER BY count(d.id) DESC, c.id LIMIT 1`,
  [user.regions],
);
if (!chosen) throw new Error("no customer with personal data and decisions in the DPO's regions: seed the database first");
const data = await db.$transaction((tx) => readPersonalDataForSystem(tx, chosen.id, "bench"));
if (!data) throw new Error(`customer ${chosen.id} has no readable personal data`);

// The twin: same region, a copy of each decision, the same values stored as plain text.
const twinId = randomUUID();
await pool.query(`INSERT INTO customer (id, reference, region_code, created_at) SELECT $2::uuid, reference || '-PLAIN-' || left($2::text, 8), region_code, created_at FROM customer WHERE id = $1::uuid`, [chosen.id, twinId]);
await pool.query(`CREATE TEMP TABLE twin_decision AS SELECT * FROM decision WHERE customer_id = $1::uuid`, [chosen.id]);
await pool.query(`UPDATE twin_decision SET id = gen_random_uuid(), external_id = external_id || '-PLAIN-' || left($1::text, 8), customer_id = $1::uuid`, [twinId]);
await pool.query(`INSERT INTO decision SELECT * FROM twin_decision`);
await pool.query(
  `INSERT INTO customer_personal_data (customer_id, full_name, email, phone, date_of_birth, street, postal_code, city, country, updated_at)
   VALUES ($1::uuid, convert_to($2, 'UTF8'), convert_to($3, 'UTF8'), convert_to($4, 'UTF8'), convert_to($5, 'UTF8'), convert_to($6, 'UTF8'), convert_to($7, 'UTF8'), convert_to($8, 'UTF8'), $9, now())`,
  [twinId, data.fullName, data.email, data.phone, data.dateOfBirth, data.street, data.postalCode, data.city, data.country],
);

async function page(customerId: string) {
  const result = await getCustomer(actor, customerId);
  if (result.personalData?.fullName !== data!.fullName || result.decisionCount !== chosen!.decisions) {
    throw new Error(`the page of ${customerId} showed ${result.personalData?.fullName ?? "no name"} and ${result.decisionCount} decisions`);
  }
  for (const field of encryptedPersonalFields) if (result.personalData[field] !== data![field]) throw new Error(`the page showed a different ${field}`);
}

const variants = {
  decrypted: () => page(chosen.id),
  cold: () => {
    forgetDataKeysUnder();
    return page(chosen.id);
  },
  plain: () => page(twinId),
};
const medians = await medianOfAlternatingRounds(variants, rounds);
console.log(JSON.stringify({ ...medians, decisions: chosen.decisions }));
await pool.end();
await disconnectDatabase();
