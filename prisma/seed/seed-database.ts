import type pg from "pg";
import { hashPassword } from "~/modules/access/password.server";
import { regionPolicies } from "~/modules/access/regions.server";
import { ArrayInsertTableWriter, BatchedRowSink, CopyTableWriter, detachIndexesAndConstraints } from "./bulk-load";
import { demoPassword, demoStaff } from "./demo-staff";
import { optionalTimestamp, timestamp } from "./format";
import { generateBook, planRuleSets, type BookOptions, type BookStatistics } from "./generate";
import type { PrivacyRegime } from "./privacy-requests";
import { deriveSeed, Random } from "./random";
import type { StaffDirectory } from "./reviews";
import type { RuleSetPlan } from "./rule-sets";
import { bulkTables, resetTables, type SeedTable } from "./tables";
import { resolveKeyring } from "~/modules/customers/key-encryption-keys.server";
import { SealingRowSink } from "./seal-personal-data";
import { storeSubmittedBacktests } from "./rule-set-backtests";

// One seed run inside one transaction: reset (optional), regions, demo staff, rule sets, then the
// synthetic book. Either everything is there afterwards or nothing changed.

export class SeedRefusedError extends Error {}

export interface SeedRunOptions extends BookOptions {
  reset: boolean;
  /** COPY on a real PostgreSQL; the unnest-based insert on the embedded PGlite. */
  isCopySupported: boolean;
  log: (message: string) => void;
}

export interface SeedRunResult {
  statistics: BookStatistics;
  rowsWritten: Map<SeedTable, number>;
  loadMethod: string;
  rebuiltIndexes: number;
}

// Above this many decisions into empty tables, indexes are rebuilt after the load rather than kept up.
const rebuildIndexesFrom = 100_000;

export async function seedDatabase(client: pg.ClientBase, options: SeedRunOptions): Promise<SeedRunResult> {
  const { log } = options;
  const passwordHashes = await Promise.all(demoStaff.map(() => hashPassword(demoPassword)));

  await client.query("BEGIN");
  try {
    await client.query("SET LOCAL maintenance_work_mem = '256MB'");
    // Dashboard rollups are rebuilt once after the load rather than kept up row batch by row batch (ADR 011).
    await client.query("SET LOCAL attest.rollups_deferred = 'on'");
    if (options.reset) {
      await client.query(`TRUNCATE ${resetTables.map((table) => `"${table}"`).join(", ")}`);
      log(`emptied ${resetTables.length} domain tables (the audit ledger is left as it is)`);
    }
    await refuseIfAlreadySeeded(client);
    await upsertRegions(client);
    const staff = await upsertDemoStaff(client, passwordHashes, options.now);

    const writer = options.isCopySupported ? new CopyTableWriter(client) : await ArrayInsertTableWriter.create(client);
    const ruleSets = planRuleSets(options);
    const ruleSetRows = new BatchedRowSink(writer, Number.POSITIVE_INFINITY);
    writeRuleSets(ruleSetRows, ruleSets, staff);
    await ruleSetRows.finish();

    const detached =
      options.decisions >= rebuildIndexesFrom ? await detachIndexesAndConstraints(client, bulkTables) : null;
    const progressStep = Math.max(100_000, Math.round(options.decisions / 10 / 100_000) * 100_000);
    let nextProgress = progressStep;
    const startedAt = Date.now();
    const sink = new BatchedRowSink(writer, options.isCopySupported ? 25_000 : 5_000, (written) => {
      if (written < nextProgress || written >= options.decisions) return;
      nextProgress = Math.ceil((written + 1) / progressStep) * progressStep;
      log(`${written.toLocaleString("en")} of ${options.decisions.toLocaleString("en")} decisions written (${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);
    });
    // Personal data is encrypted in Node on its way to COPY (ADR 009), under the active key-encryption key.
    const keyring = await resolveKeyring(async (text, values) => (await client.query(text, values)).rows as Record<string, unknown>[]);
    const statistics = await generateBook(
      options,
      {
        staff,
        regimeByRegion: new Map(regionPolicies.map((region) => [region.code, region.privacyRegime as PrivacyRegime])),
        currencyByRegion: new Map(regionPolicies.map((region) => [region.code, region.currency])),
      },
      ruleSets,
      new SealingRowSink(sink, keyring),
    );
    await sink.finish();
    if (detached) {
      log(`rows written (${((Date.now() - startedAt) / 1000).toFixed(1)} s); rebuilding ${detached.count} indexes and constraints`);
      await detached.restore();
    }
    const backtests = await storeSubmittedBacktests(client, ruleSets, options.now.getTime());
    log(`stored the backtests of ${backtests} submitted rule-set versions`);
    const rollupsStartedAt = Date.now();
    await client.query("SELECT rollups_rebuild()");
    log(`dashboard rollups rebuilt (${((Date.now() - rollupsStartedAt) / 1000).toFixed(1)} s)`);
    await client.query("COMMIT");

    const rowsWritten = new Map(ruleSetRows.rowCounts);
    for (const [table, count] of sink.rowCounts) rowsWritten.set(table, count);
    return { statistics, rowsWritten, loadMethod: writer.method, rebuiltIndexes: detached?.count ?? 0 };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

async function refuseIfAlreadySeeded(client: pg.ClientBase) {
  const { rows } = await client.query<{ decisions: string; rule_sets: string }>(
    `SELECT (SELECT count(*) FROM decision) AS decisions, (SELECT count(*) FROM rule_set) AS rule_sets`,
  );
  const decisions = Number(rows[0]!.decisions);
  if (decisions > 0 || Number(rows[0]!.rule_sets) > 0) {
    throw new SeedRefusedError(
      `the database already holds domain data (${decisions.toLocaleString("en")} decisions); ` +
        "run with --reset to replace it (staff accounts and the audit ledger are kept)",
    );
  }
}

async function upsertRegions(client: pg.ClientBase) {
  for (const region of regionPolicies) {
    await client.query(
      `INSERT INTO region (code, name, currency, locale, time_zone, privacy_regime) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, currency = EXCLUDED.currency, locale = EXCLUDED.locale,
         time_zone = EXCLUDED.time_zone, privacy_regime = EXCLUDED.privacy_regime`,
      [region.code, region.name, region.currency, region.locale, region.timeZone, region.privacyRegime],
    );
  }
}

/**
 * Demo staff by email: created, or brought back to their demo role, regions and password. Ids are
 * derived from the email so two seeded databases agree; an account that already exists keeps its id,
 * TOTP enrolment and sessions.
 */
async function upsertDemoStaff(client: pg.ClientBase, passwordHashes: string[], now: Date): Promise<StaffDirectory> {
  const idByEmail = new Map<string, string>();
  for (const [index, member] of demoStaff.entries()) {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO staff_user (id, email, display_name, role, password_hash, is_active, created_at, updated_at)
       VALUES ($1, $2, $3, $4::"Role", $5, true, $6, $6)
       ON CONFLICT (email) DO UPDATE SET display_name = EXCLUDED.display_name, role = EXCLUDED.role,
         password_hash = EXCLUDED.password_hash, is_active = true, updated_at = EXCLUDED.updated_at
       RETURNING id`,
      [
        new Random(deriveSeed(0, `staff:${member.email}`)).uuid(),
        member.email,
        member.displayName,
        member.role,
        passwordHashes[index],
        now.toISOString(),
      ],
    );
    const id = rows[0]!.id;
    idByEmail.set(member.email, id);
    await client.query("DELETE FROM staff_region WHERE user_id = $1", [id]);
    await client.query(
      "INSERT INTO staff_region (user_id, region_code) SELECT $1, unnest($2::varchar(2)[])",
      [id, member.regions],
    );
  }
  return {
    idOf(email: string) {
      const id = idByEmail.get(email);
      if (!id) throw new Error(`${email} is not a demo staff member (prisma/seed/demo-staff.ts)`);
      return id;
    },
  };
}

function writeRuleSets(sink: BatchedRowSink, ruleSets: ReadonlyMap<string, RuleSetPlan>, staff: StaffDirectory) {
  for (const ruleSet of ruleSets.values()) {
    const nextVersion = Math.max(...ruleSet.versions.map((version) => version.version)) + 1;
    sink.add("rule_set", [ruleSet.id, ruleSet.regionCode, ruleSet.name, timestamp(ruleSet.createdAt), String(nextVersion)]);
    for (const version of ruleSet.versions) {
      sink.add("rule_set_version", [
        version.id,
        version.ruleSetId,
        version.regionCode,
        String(version.version),
        version.state,
        JSON.stringify(version.parameters),
        version.changeNote,
        staff.idOf(version.authorEmail),
        timestamp(version.createdAt),
        optionalTimestamp(version.submittedAt),
        version.approverEmail ? staff.idOf(version.approverEmail) : null,
        optionalTimestamp(version.approvedAt),
        optionalTimestamp(version.effectiveFrom),
        optionalTimestamp(version.retiredAt),
        null,
        version.submittedAt !== null ? staff.idOf(version.authorEmail) : null,
      ]);
    }
  }
}
