import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "~/generated/prisma/client";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "./embedded-db.server";
import { env } from "./env.server";
import { logger } from "./logger.server";
import { isPGliteServer } from "./pglite-server.server";

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

export const isSingleSessionDatabase = embedded !== null || (await isPGliteServer(databaseUrl));

const pool = new pg.Pool({ connectionString: databaseUrl, max: isSingleSessionDatabase ? 1 : env.DATABASE_POOL_SIZE });

// Prisma owns the pool's lifetime: $disconnect ends it.
export const db: Db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });

/**
 * One hand-written, parameterised read statement on the app's own connections, without Prisma's
 * per-query work (≈0.2–1 ms, the larger part of a millisecond page). Only for hot list pages whose
 * statement is built from validated input and the viewer's ability (decisions/decision-page.server.ts);
 * everything else goes through `db`. Values come back as pg parses them (numeric and bigint as text).
 */
export async function queryRows<Row>(text: string, values: unknown[]): Promise<Row[]> {
  return (await pool.query(text, values)).rows as Row[];
}

export async function disconnectDatabase() {
  await db.$disconnect();
  await embedded?.stop();
}
