import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { decryptField, isEncryptedField, unwrapKey } from "~/modules/customers/field-crypto";
import { keysFromDirectory } from "~/modules/customers/kek-files";
import { databaseEnv, runNodeScript } from "../support/test-database";

// `npm run data:encrypt` on a database from before encryption at rest (ADR 009): the schema of the
// previous release with plain text in it, then this release's migration (text → bytea in place), then
// the command — resumable, with counts, nothing plain left, every value decrypting under the keys the
// app holds. Needs PostgreSQL (a database of its own, built from the migration files).
const isPostgres = inject("databaseKind") === "postgresql";
const migrationsDir = path.join(process.cwd(), "prisma", "migrations");
const encryptionMigration = fs.readdirSync(migrationsDir).find((name) => name.endsWith("_personal_data_encrypted_at_rest"))!;

const customerId = "0c0ffee0-0000-4000-8000-000000000001";
const matchedRequest = "0c0ffee0-0000-4000-8000-0000000000a1";
const unmatchedRequest = "0c0ffee0-0000-4000-8000-0000000000a2";
const rawLedgerKey = Buffer.alloc(32, 7);
const reviewMigration = fs.readdirSync(migrationsDir).find((name) => name.endsWith("_review_free_text_encrypted"))!;
const erasedCustomerId = "0c0ffee0-0000-4000-8000-000000000002";
const decisionIds = ["0c0ffee0-0000-4000-8000-0000000000d1", "0c0ffee0-0000-4000-8000-0000000000d2"] as const;

describe.skipIf(!isPostgres)("npm run data:encrypt", () => {
  const serverUrl = new URL(inject("databaseUrl"));
  const name = `attest_test_${Date.now()}_encrypt_${process.pid}`;
  const url = Object.assign(new URL(serverUrl.href), { pathname: `/${name}` }).href;
  let client: pg.Client;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: serverUrl.href });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    client = new pg.Client({ connectionString: url });
    await client.connect();
    // The previous release's schema, as its migrations left it.
    for (const migration of fs.readdirSync(migrationsDir).filter((entry) => /^\d+_/.test(entry) && entry < encryptionMigration).sort()) {
      await client.query(fs.readFileSync(path.join(migrationsDir, migration, "migration.sql"), "utf8"));
    }
    await client.query(`INSERT INTO region (code, name, currency, locale, time_zone, privacy_regime) VALUES ('SE', 'Sweden', 'SEK', 'sv-SE', 'Europe/Stockholm', 'eu_gdpr')`);
    await client.query(`INSERT INTO staff_user (id, email, display_name, role, password_hash, updated_at) VALUES ('0c0ffee0-0000-4000-8000-0000000000f1', 'dpo@legacy.test', 'Legacy DPO', 'dpo', 'x', now())`);
    await client.query(`INSERT INTO customer (id, reference, region_code) VALUES ($1, 'CUS-SE-LEGACY', 'SE')`, [customerId]);
    await client.query(
      `INSERT INTO customer_personal_data (customer_id, full_name, email, phone, date_of_birth, street, postal_code, city, country)
       VALUES ($1, 'Ingrid Legacysdotter', 'ingrid@legacy.test', '+46 70 123 45 67', '1966-06-06', 'Gamla vägen 3', '123 45', 'Ystad', 'SE')`,
      [customerId],
    );
    await client.query(`INSERT INTO subject_data_key (customer_id, key_material) VALUES ($1, $2)`, [customerId, rawLedgerKey]);
    for (const [id, owner, reference] of [[matchedRequest, customerId, "PR-SE-LEGACY-1"], [unmatchedRequest, null, "PR-SE-LEGACY-2"]] as const) {
      await client.query(
        `INSERT INTO privacy_request (id, reference, type, customer_id, region_code, regime, channel, details, requester_name, requester_email, extension_reason, received_at, due_at, updated_at)
         VALUES ($1, $2, 'access', $3, 'SE', 'eu_gdpr', 'email', 'Everything about Ingrid please', 'Ingrid Legacysdotter', 'ingrid@legacy.test', 'Archive in Ystad', now(), now() + interval '30 days', now())`,
        [id, reference, owner],
      );
      await client.query(`INSERT INTO privacy_request_note (id, request_id, author_id, body) VALUES (gen_random_uuid(), $1, '0c0ffee0-0000-4000-8000-0000000000f1', 'Called Ingrid at +46 70 123 45 67')`, [id]);
    }
    // This release's migration, then nothing but the command.
    await client.query(fs.readFileSync(path.join(migrationsDir, encryptionMigration, "migration.sql"), "utf8"));
    // And the migrations after it, so the app's client finds the schema it expects; reviews written in
    // plain text before their own migration (ADR 020): one of a live customer quoting them, one of an
    // erased customer holding what the erasure scrubbed.
    for (const migration of fs.readdirSync(migrationsDir).filter((entry) => /^\d+_/.test(entry) && entry > encryptionMigration).sort()) {
      if (migration === reviewMigration) {
        await client.query(`INSERT INTO customer (id, reference, region_code, erased_at) VALUES ($1, 'CUS-SE-ERASED', 'SE', now())`, [erasedCustomerId]);
        for (const [decisionId, owner, justification, sendBack] of [
          [decisionIds[0], customerId, "Spoke to Ingrid Legacysdotter on +46 70 123 45 67", "Ask Ingrid for payslips first"],
          [decisionIds[1], erasedCustomerId, "Spoke to [erased] on [erased]", null],
        ] as const) {
          await client.query(
            `INSERT INTO decision (id, external_id, customer_id, kind, region_code, model_name, model_version, score, outcome, amount, currency, features, decided_at)
             VALUES ($1::uuid, $1::text, $2, 'credit', 'SE', 'legacy', '1', 0.4, 'declined', 100, 'SEK', '{}', now())`,
            [decisionId, owner],
          );
          await client.query(
            `INSERT INTO review (id, decision_id, region_code, trigger, status, due_at, verdict, verdict_reason, justification, approval_rejected_reason)
             VALUES (gen_random_uuid(), $1, 'SE', 'contest', 'closed', now(), 'upheld', 'adverse_history', $2, $3)`,
            [decisionId, justification, sendBack],
          );
        }
      }
      await client.query(fs.readFileSync(path.join(migrationsDir, migration, "migration.sql"), "utf8"));
    }
  }, 120_000);

  afterAll(async () => {
    await client?.end();
    const admin = new pg.Client({ connectionString: serverUrl.href });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it("the migration keeps the plain values as bytes in place, and the app's readers still read them", async () => {
    const { rows } = await client.query<{ full_name: Buffer; date_of_birth: Buffer }>(`SELECT full_name, date_of_birth FROM customer_personal_data`);
    expect(rows[0]!.full_name.toString("utf8")).toBe("Ingrid Legacysdotter");
    expect(rows[0]!.date_of_birth.toString("utf8")).toBe("1966-06-06");
    expect(isEncryptedField(rows[0]!.full_name)).toBe(false);
  });

  it("encrypts everything in place, with counts, leaves no plain text, and is safe to run again", async () => {
    const output = await runNodeScript(["--import", "tsx", "scripts/encrypt-personal-data.ts", "--batch", "1"], databaseEnv(url, { NODE_ENV: "test", LOG_LEVEL: "warn" }));
    expect(output).toMatch(/still in plain text before: .*"customer_personal_data":1.*"privacy_request":2.*"privacy_request_note":2.*"review":1/);
    expect(output).toMatch(/encrypted: .*"rawKeysWrapped":1.*"personalDataRows":1.*"privacyRequests":2.*"notes":2.*"reviews":1/);
    expect(output).toMatch(/still in plain text after: \{"customer_personal_data":0,"privacy_request":0,"privacy_request_note":0,"privacy_request_pause":0,"review":0,"privacy_artefact \(access exports\)":0,"subject_data_key \(raw keys\)":0,"customer_personal_data \(no blind index\)":0\}/);
    expect(output).toMatch(/verified: 2 subject key rows unwrap, 7 personal values and 2 review texts decrypt/);

    let dumped = "";
    for (const table of ["customer_personal_data", "privacy_request", "review"]) dumped += JSON.stringify((await client.query(`SELECT * FROM ${table}`)).rows);
    for (const value of ["Ingrid", "legacy.test", "Ystad", "Gamla", "1966", "+46 70"]) expect(dumped).not.toContain(value);

    // The raw ledger key was wrapped, not replaced: events sealed under it still open.
    const kek = keysFromDirectory(process.env.ATTEST_KEK_DIR!)[0]!;
    const { rows: keys } = await client.query<{ kek_id: string; ledger_key: Buffer; data_key: Buffer }>(`SELECT kek_id, ledger_key, data_key FROM subject_data_key WHERE subject_id = $1`, [customerId]);
    expect(keys[0]!.kek_id).toBe(kek.kid);
    expect(unwrapKey(kek.key, customerId, "ledger", keys[0]!.ledger_key)).toEqual(rawLedgerKey);
    const dataKey = unwrapKey(kek.key, customerId, "data", keys[0]!.data_key);
    const { rows: personal } = await client.query<{ city: Buffer; email_index: Buffer | null }>(`SELECT city, email_index FROM customer_personal_data`);
    expect(decryptField(dataKey, customerId, personal[0]!.city)).toBe("Ystad");
    expect(personal[0]!.email_index).not.toBeNull();
    // The live customer's review text is under their data key; the erased customer's scrubbed text stays plain.
    const { rows: reviews } = await client.query<{ decision_id: string; justification: Buffer; approval_rejected_reason: Buffer | null }>(
      `SELECT decision_id::text, justification, approval_rejected_reason FROM review ORDER BY decision_id`,
    );
    expect(decryptField(dataKey, customerId, reviews[0]!.justification)).toBe("Spoke to Ingrid Legacysdotter on +46 70 123 45 67");
    expect(decryptField(dataKey, customerId, reviews[0]!.approval_rejected_reason!)).toBe("Ask Ingrid for payslips first");
    expect(isEncryptedField(reviews[1]!.justification)).toBe(false);
    expect(reviews[1]!.justification.toString("utf8")).toBe("Spoke to [erased] on [erased]");
    // The unmatched request's text is under a requester key of its own.
    const { rows: requester } = await client.query<{ subject_kind: string }>(`SELECT subject_kind FROM subject_data_key WHERE subject_id = $1`, [unmatchedRequest]);
    expect(requester[0]!.subject_kind).toBe("requester");

    const again = await runNodeScript(["--import", "tsx", "scripts/encrypt-personal-data.ts"], databaseEnv(url, { NODE_ENV: "test", LOG_LEVEL: "warn" }));
    expect(again).toMatch(/encrypted: \{"rawKeysWrapped":0,"customerKeysCreated":0,"personalDataRows":0,"privacyRequests":0,"notes":0,"pauses":0,"accessExports":0,"reviews":0\}/);
  }, 180_000);
});
