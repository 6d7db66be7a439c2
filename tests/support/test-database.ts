import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { findFreePort } from "./free-port";
import { rootDir } from "./paths";

// A fresh database for one test run, migrated with the project's own migrate script:
//   TEST_DATABASE_URL or DATABASE_URL set → a uniquely named database on that PostgreSQL server,
//                                           dropped at the end;
//   neither set                           → an embedded PGlite server in a temp directory on a free
//                                           port (tests/support/embedded-db-host.ts), removed at the end.

export interface TestDatabase {
  url: string;
  kind: "postgresql" | "embedded";
  /** Human-readable, for logs: the database name or the PGlite directory. */
  label: string;
  drop(): Promise<void>;
}

const TEST_DB_PREFIX = "attest_test_";
// Databases of runs that were killed before they could drop theirs; older than this is abandoned.
const ABANDONED_AFTER_MS = 6 * 3600_000;

export function serverUrlFromEnv(env: NodeJS.ProcessEnv = process.env) {
  return env.TEST_DATABASE_URL || env.DATABASE_URL || null;
}

function withDatabase(url: string, database: string) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs a Node script (TypeScript through tsx) and resolves with its output, or rejects with it. */
export function runNodeScript(args: string[], env: NodeJS.ProcessEnv, options: { timeoutMs?: number } = {}) {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: rootDir, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 180_000).unref();
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`node ${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

/** Environment for child processes that must use exactly this database and nothing else. */
export function databaseEnv(url: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url, ...extra };
  delete env.TEST_DATABASE_URL;
  return env;
}

export async function migrateDatabase(url: string) {
  const output = await runNodeScript(["--experimental-wasm-modules", "--import", "tsx", "scripts/db-migrate.ts"], databaseEnv(url, { NODE_ENV: "test" }), {
    timeoutMs: 240_000,
  });
  return output.trim();
}

export async function seedFixtureData(url: string) {
  const output = await runNodeScript(["--import", "tsx", "tests/fixtures/seed-cli.ts"], databaseEnv(url, { NODE_ENV: "test" }));
  return output.trim();
}

async function dropAbandonedDatabases(admin: pg.Client) {
  const { rows } = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${TEST_DB_PREFIX}%`]);
  for (const { datname } of rows) {
    const createdAt = Number(/^attest_test_(\d{13})_/.exec(datname)?.[1]);
    if (createdAt && Date.now() - createdAt > ABANDONED_AFTER_MS) {
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => {});
    }
  }
}

async function createPostgresDatabase(serverUrl: string, purpose: string): Promise<TestDatabase> {
  const name = `${TEST_DB_PREFIX}${Date.now()}_${purpose}_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await dropAbandonedDatabases(admin);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(serverUrl, name);
  return {
    url,
    kind: "postgresql",
    label: `PostgreSQL database ${name}`,
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

function waitForReady(child: ChildProcess, timeoutMs: number) {
  return new Promise<string>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`embedded database did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^ready (\S+)$/m.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`embedded database exited (${code}) before it was ready:\n${output}`));
    });
  });
}

async function createEmbeddedDatabase(purpose: string): Promise<TestDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `attest-${purpose}-`));
  const dataDir = path.join(dir, "pglite");
  const port = await findFreePort();
  const child = spawn(process.execPath, ["--import", "tsx", "tests/support/embedded-db-host.ts", dataDir, String(port)], {
    cwd: rootDir,
    env: { ...process.env, NODE_ENV: "test" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const url = await waitForReady(child, 60_000);
  return {
    url,
    kind: "embedded",
    label: `embedded PGlite at ${dataDir} (port ${port})`,
    async drop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates and migrates a database for this run; `purpose` ends up in its name ("int", "e2e"). */
export async function createTestDatabase(purpose: string): Promise<TestDatabase> {
  const serverUrl = serverUrlFromEnv();
  const database = serverUrl ? await createPostgresDatabase(serverUrl, purpose) : await createEmbeddedDatabase(purpose);
  try {
    await migrateDatabase(database.url);
  } catch (error) {
    await database.drop().catch(() => {});
    throw error;
  }
  return database;
}
