// The e2e web server (playwright.config.ts webServer): builds the app if needed, creates and migrates
// a database of its own (PostgreSQL from TEST_DATABASE_URL/DATABASE_URL, else embedded PGlite), loads
// tests/fixtures, and serves the production build on ATTEST_E2E_PORT until Playwright stops it.
import { ensureAppBuild, generateTestEventTagKey, generateTestSigningKey, startAppServer, type AppServer } from "../support/app-server";
import { createTestDatabase, databaseEnv, runNodeScript, seedFixtureData, type TestDatabase } from "../support/test-database";
import { createTestKeyDirectory } from "../support/test-keys";

const port = Number(process.env.ATTEST_E2E_PORT);
if (!port) throw new Error("ATTEST_E2E_PORT is not set (playwright.config.ts sets it)");

const log = (line: string) => console.log(`[e2e server] ${line}`);
let creating: Promise<TestDatabase> | null = null;
let server: AppServer | null = null;
let isStopping = false;
// The key-encryption keys of this database (ADR 009), for the fixture seed and the server alike.
const keys = createTestKeyDirectory();
process.env.ATTEST_KEK_DIR = keys.dir;
delete process.env.ATTEST_KEK;
// The run's database is thrown away: its checkpoints are not published to ./data/checkpoints.
process.env.ATTEST_CHECKPOINT_SINK_DIR = "off";

async function stop(code: number) {
  if (isStopping) return;
  isStopping = true;
  await server?.stop().catch(() => {});
  // Stopped while the database was still being created: wait for it, so it is dropped all the same.
  const database = await creating?.catch(() => null);
  if (database) {
    await database.drop().catch((error: unknown) => console.error(`[e2e server] could not drop ${database.label}:`, error));
    log(`dropped ${database.label}`);
  }
  keys.remove();
  process.exit(code);
}
process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));

try {
  const started = Date.now();
  const buildRoot = ensureAppBuild(log);
  // One event tag key for the seeding processes and the server (they inherit this environment).
  process.env.ATTEST_LEDGER_HMAC_KEY = generateTestEventTagKey();
  creating = createTestDatabase("e2e");
  const database = await creating;
  log(`${database.label} migrated`);
  log(await seedFixtureData(database.url));
  // Privacy erasure journey (issue 5): a customer with records in several retention states (the journey
  // logs their erasure request through the intake form).
  log((await runNodeScript(["--import", "tsx", "tests/fixtures/erasure-seed-cli.ts"], databaseEnv(database.url, { NODE_ENV: "test" }))).trim());
  server = await startAppServer(database.url, { name: "e2e", port, buildRoot, signingKey: await generateTestSigningKey() });
  log(`serving ${server.origin} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s; log: ${server.logFile})`);
} catch (error) {
  console.error("[e2e server] failed to start:", error);
  await stop(1);
}
