import type { TestProject } from "vitest/node";
import { generateTestEventTagKey, generateTestSigningKey } from "../support/app-server";
import { createTestDatabase, seedFixtureData } from "../support/test-database";
import { createTestKeyDirectory } from "../support/test-keys";

// One fresh database per integration run (PostgreSQL when TEST_DATABASE_URL or DATABASE_URL is set,
// else embedded PGlite), migrated with scripts/db-migrate.ts and loaded with tests/fixtures. Its URL
// reaches the test files through provide/inject (tests/integration/setup-env.ts).

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseKind: "postgresql" | "embedded";
    /** The checkpoint signing key every app server started on this database uses. */
    signingKey: string;
    /** The ledger event tag key (ATTEST_LEDGER_HMAC_KEY) every process appending to it uses. */
    eventTagKey: string;
    /** The key-encryption key directory (ATTEST_KEK_DIR) of every process on this database. */
    kekDir: string;
  }
}

export default async function setup(project: TestProject) {
  const started = Date.now();
  // Set before seeding: the fixture seed appends ledger events, and child processes inherit it.
  const eventTagKey = generateTestEventTagKey();
  process.env.ATTEST_LEDGER_HMAC_KEY = eventTagKey;
  const database = await createTestDatabase("int");
  const keys = createTestKeyDirectory();
  // Inherited by the fixture seed and every app server started from here on.
  process.env.ATTEST_KEK_DIR = keys.dir;
  delete process.env.ATTEST_KEK;
  try {
    await seedFixtureData(database.url);
  } catch (error) {
    await database.drop();
    keys.remove();
    throw error;
  }
  console.log(`[integration] ${database.label} migrated and seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide("databaseUrl", database.url);
  project.provide("databaseKind", database.kind);
  project.provide("signingKey", await generateTestSigningKey());
  project.provide("eventTagKey", eventTagKey);
  project.provide("kekDir", keys.dir);
  return async () => {
    await database.drop();
    keys.remove();
  };
}
