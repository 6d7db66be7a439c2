import { describe, expect, inject, it } from "vitest";
import { databaseEnv, runNodeScript } from "../support/test-database";

// schema.prisma and prisma/migrations must tell the same story: a model changed without its migration
// (or a migration whose objects Prisma's schema describer cannot read) fails here, not at the next
// `npm run db:migration:create`. The check replays the migrations in a shadow database, which the
// single-session embedded database cannot provide.
const isPostgres = inject("databaseKind") === "postgresql";

describe("migrations", () => {
  it.skipIf(!isPostgres)("match schema.prisma exactly", async () => {
    const output = await runNodeScript(
      ["--experimental-wasm-modules", "--import", "tsx", "scripts/db-migrate.ts", "--check"],
      databaseEnv(process.env.DATABASE_URL!),
    );
    expect(output).toContain("schema.prisma matches the migrations");
  });
});
