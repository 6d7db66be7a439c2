import type { TestProject } from "vitest/node";
import { generateTestEventTagKey, generateTestSigningKey } from "../support/app-server";
import { createTestDatabase, seedFixtureData } from "../support/test-database";

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
  }
}

export default async function setup(project: TestProject) {
  const started = Date.now();
  // Set before seeding: the fixture seed appends ledger events, and child processes inherit it.
  const eventTagKey = generateTestEventTagKey();
  process.env.ATTEST_LEDGER_HMAC_KEY = eventTagKey;
  const database = await createTestDatabase("int");
  try {
    await seedFixtureData(database.url);
  } catch (error) {
    await database.drop();
    throw error;
  }
  console.log(`[integration] ${database.label} migrated and seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide("databaseUrl", database.url);
  project.provide("databaseKind", database.kind);
  project.provide("signingKey", await generateTestSigningKey());
  project.provide("eventTagKey", eventTagKey);
  return async () => {
    await database.drop();
  };
}
