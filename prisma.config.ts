import { defineConfig } from "prisma/config";

// Migrations are applied by scripts/db-migrate.ts through the WASM schema engine (DESIGN.md §2);
// this file keeps `prisma generate` and, where the native engine exists, `prisma migrate deploy` working.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost/attest" },
});
