// Creates and applies Prisma migrations without Prisma's native schema engine (DESIGN.md §2), through
// @prisma/schema-engine-wasm and the same pg driver adapter the app uses. prisma/migrations keeps
// Prisma's standard layout, so `prisma migrate deploy` works unchanged where the native engine exists.
//
//   npm run db:migrate                         apply pending migrations (DATABASE_URL or embedded)
//   npm run db:migration:create -- <name>      write a migration for schema.prisma changes (needs a real
//                                              PostgreSQL: the diff replays history in a shadow database)
//   npm run db:migration:check                 exit 1 when schema.prisma has changes no migration holds
//   node … scripts/db-migrate.ts --reset       drop everything, then apply all migrations
import fs from "node:fs";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { parse as parseConnectionString } from "pg-connection-string";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import { SchemaEngine } from "@prisma/schema-engine-wasm";
import { installJobQueue } from "../app/modules/jobs/install.server";
import { JOB_QUEUE_SCHEMA } from "../app/modules/jobs/kinds";
import { startEmbeddedDatabase } from "../app/utils/embedded-db.server";
import { parseEnv } from "../app/utils/env.server";

const root = path.resolve(import.meta.dirname, "..");
const schemaPath = path.join(root, "prisma", "schema.prisma");
const migrationsDir = path.join(root, "prisma", "migrations");
const lockfilePath = path.join(migrationsDir, "migration_lock.toml");
const noFilter = { externalTables: [], externalEnums: [] };

// The schema engine reads pg_catalog columns of PostgreSQL's one-byte "char" type (OID 18), which
// @prisma/adapter-pg 7.10 does not map and rejects. They arrive as strings either way, so describe them
// to the adapter as text. Only this script (the engine's introspection) needs it, not the app.
const CHAR_OID = 18;
const TEXT_OID = 25;
const resultPrototype = pg.Result.prototype as unknown as { addFields(fields: { dataTypeID: number }[]): void };
const addFields = resultPrototype.addFields;
resultPrototype.addFields = function (fields) {
  for (const field of fields) if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
  return addFields.call(this, fields);
};

// adapter-pg's executeScript splits a script on every ";", which breaks PL/pgSQL bodies ($$ … $$) in
// hand-written migrations. Send each script whole instead: the simple query protocol runs it as one
// implicit transaction, so a failing migration also leaves nothing half-applied.
type ScriptAdapter = { executeScript(script: string): Promise<void>; onError(error: unknown): never };
function sendScriptsWhole<T extends object>(adapter: T): T {
  const client = (adapter as unknown as { client: pg.Pool | pg.PoolClient }).client;
  (adapter as unknown as ScriptAdapter).executeScript = async (script: string) => {
    try {
      await client.query(script);
    } catch (error) {
      (adapter as unknown as ScriptAdapter).onError(error);
    }
  };
  return adapter;
}

function pgConfig(url: string, database?: string) {
  // Discrete fields, not connectionString, so that `database` can be swapped for the shadow database.
  const parsed = parseConnectionString(url);
  return {
    host: parsed.host ?? undefined,
    port: parsed.port ? Number(parsed.port) : undefined,
    user: parsed.user,
    password: parsed.password,
    database: database ?? parsed.database ?? undefined,
    max: 2,
  };
}

function migrationAdapterFactory(url: string) {
  const factory = new PrismaPg(pgConfig(url));
  const connect = factory.connect.bind(factory);
  factory.connect = async () => sendScriptsWhole(await connect());
  // The shadow database replays prisma/migrations for `--create`. The adapter's own version drops the
  // database while its pool is still connected; close the pool first, then drop.
  factory.connectToShadowDb = async () => {
    const admin = new pg.Client(pgConfig(url));
    await admin.connect();
    const name = `attest_shadow_${Date.now()}_${process.pid}`;
    await admin.query(`CREATE DATABASE "${name}"`);
    const shadow = sendScriptsWhole(await new PrismaPg(pgConfig(url, name)).connect());
    const dispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await dispose();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    };
    return shadow;
  };
  return bindMigrationAwareSqlAdapterFactory(factory);
}

function loadMigrationsList() {
  const directories = fs.existsSync(migrationsDir)
    ? fs
        .readdirSync(migrationsDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort()
    : [];
  return {
    baseDir: migrationsDir,
    lockfile: {
      path: "migration_lock.toml",
      content: fs.existsSync(lockfilePath) ? fs.readFileSync(lockfilePath, "utf8") : null,
    },
    shadowDbInitScript: "",
    migrationDirectories: directories.map((name) => {
      const file = path.join(migrationsDir, name, "migration.sql");
      return {
        path: name,
        migrationFile: {
          path: "migration.sql",
          content: fs.existsSync(file)
            ? { tag: "ok" as const, value: fs.readFileSync(file, "utf8") }
            : { tag: "error" as const, value: `${name}/migration.sql is missing` },
        },
      };
    }),
  };
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

function timestamp() {
  return new Date().toISOString().replace(/[-:TZ]/g, "").slice(0, 14);
}

async function main() {
  const args = process.argv.slice(2);
  const isCreate = args.includes("--create");
  // --check: exit 1 when schema.prisma and prisma/migrations disagree (a migration is missing), write nothing.
  const isCheck = args.includes("--check");
  const isReset = args.includes("--reset");
  const name = args.find((arg) => !arg.startsWith("--")) ?? "change";

  const env = parseEnv(process.env);
  const embedded = env.DATABASE_URL
    ? null
    : await startEmbeddedDatabase({ dataDir: env.EMBEDDED_DB_DIR, port: env.EMBEDDED_DB_PORT });
  const url = env.DATABASE_URL ?? embedded!.url;
  const where = env.DATABASE_URL ? "PostgreSQL (DATABASE_URL)" : `embedded PGlite (${env.EMBEDDED_DB_DIR})`;

  const schema = fs.readFileSync(schemaPath, "utf8");
  const adapterFactory = migrationAdapterFactory(url);
  const engineLog = (line: string) => {
    if (process.env.DEBUG_SCHEMA_ENGINE) console.error(line);
  };
  const engine = await SchemaEngine.new({ datamodels: [[schemaPath, schema]] }, engineLog, adapterFactory);

  try {
    if (isReset) {
      await engine.reset({ filter: noFilter });
      // The job queue's schema lies outside the datamodel, like the ledger's staging schema.
      await withClient(url, (client) => client.query(`DROP SCHEMA IF EXISTS ${JOB_QUEUE_SCHEMA} CASCADE`));
      console.log(`reset ${where}`);
      // The checkpoints the old ledger published outside the database belong to it, not to the new one.
      const sink = process.env.ATTEST_CHECKPOINT_SINK_DIR ?? "./data/checkpoints";
      if (sink !== "off" && fs.existsSync(sink) && fs.readdirSync(sink).length > 0) {
        const aside = `${sink.replace(/\/+$/, "")}.replaced-${new Date().toISOString().replace(/[:.]/g, "-")}`;
        fs.renameSync(sink, aside);
        console.log(`moved the old ledger's published checkpoints to ${aside}`);
      }
    }
    if (isCreate || isCheck) {
      const result = await engine.diff({
        from: { tag: "migrations", ...loadMigrationsList() },
        to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content: schema }] },
        script: true,
        exitCode: null,
        filters: noFilter,
      });
      const script = result.stdout?.trim() ?? "";
      if (!script || script === "-- This is an empty migration.") {
        console.log(`schema.prisma matches the migrations${isCheck ? "" : "; nothing to create"}`);
        return;
      }
      if (isCheck) {
        console.error(`schema.prisma and prisma/migrations disagree; \`npm run db:migration:create -- <name>\` would write:\n${script}`);
        process.exitCode = 1;
        return;
      }
      const dir = path.join(migrationsDir, `${timestamp()}_${name.replace(/[^a-z0-9_]+/gi, "_")}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "migration.sql"), `${script}\n`);
      if (!fs.existsSync(lockfilePath)) {
        fs.writeFileSync(
          lockfilePath,
          '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
        );
      }
      console.log(`created ${path.relative(root, dir)}/migration.sql`);
      return;
    }
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList: loadMigrationsList(),
      filters: noFilter,
    });
    console.log(
      appliedMigrationNames.length
        ? `applied ${appliedMigrationNames.length} migration(s) to ${where}: ${appliedMigrationNames.join(", ")}`
        : `${where} is up to date`,
    );
    // pg-boss's schema and one queue per job kind (ADR 008), installed by the owner as part of migrating.
    const queues = await installJobQueue(url);
    console.log(`job queue ready (${queues} kind(s) in schema ${JOB_QUEUE_SCHEMA})`);
  } finally {
    engine.free();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
