import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "~/generated/prisma/client";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "./embedded-db.server";
import { env } from "./env.server";
import { logger } from "./logger.server";

// One database client per process. DATABASE_URL → that PostgreSQL; unset → the embedded PGlite server.

export type Db = PrismaClient;
export type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

let embedded: EmbeddedDatabase | null = null;

async function resolveDatabaseUrl() {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  embedded = await startEmbeddedDatabase({
    dataDir: env.EMBEDDED_DB_DIR,
    port: env.EMBEDDED_DB_PORT,
    log: (message) => logger.warn(`${message} — for demos and small teams; use DATABASE_URL in production`),
  });
  return embedded.url;
}

export const databaseUrl = await resolveDatabaseUrl();

export const db: Db = new PrismaClient({
  adapter: new PrismaPg({ connectionString: databaseUrl, max: env.DATABASE_POOL_SIZE }),
});

export async function disconnectDatabase() {
  await db.$disconnect();
  await embedded?.stop();
}
