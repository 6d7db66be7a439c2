import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { databaseUrl, isSingleSessionDatabase, queryRows } from "~/utils/db.server";

// How a pack build reads its large datasets (decisions and their customers, ADR 018). On PostgreSQL:
// one connection of its own holding one read-only REPEATABLE READ transaction, each dataset read as
// one `COPY (…) TO STDOUT (FORMAT binary)` — one plan and one snapshot for the whole range, whatever the
// planner estimates (keyset batches planned one by one turned into a sort of the whole rest each time
// right after a bulk load: quadratic), and bytes instead of a JavaScript value per field (pg's parsing
// of rows grew V8's old generation with every batch). JIT is off for the transaction: the whole range
// costs enough to trigger it and compiling took longer than reading 100,000 rows. On the embedded
// single-session database (PGlite: its socket server has no COPY, and a transaction held open would take
// in every other statement of the process) `cursor` is null and callers page by keyset.

export interface PackReader {
  /** One statement in the same snapshot. */
  query<Row>(text: string, parameters: unknown[]): Promise<Row[]>;
  /**
   * The rows of `text` as `COPY (…) TO STDOUT (FORMAT binary)` bytes, chunk by chunk as the network
   * delivers them (no JavaScript value per field), in the same snapshot. COPY takes no bind
   * parameters: each `$n` is replaced by its value as a quoted literal (`inlineParameters`).
   */
  copyBinary(text: string, parameters: unknown[]): AsyncIterable<Buffer>;
  /**
   * One statement in the same snapshot on a second connection (opened on first use, importing the
   * snapshot the first exported before its first COPY), for rows needed while a COPY holds the first.
   */
  sideQuery<Row>(text: string, parameters: unknown[]): Promise<Row[]>;
}

export interface PackReaderSession {
  /** Null on a single-session database: page by keyset through `query`. */
  cursor: PackReader | null;
  query<Row>(text: string, parameters: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

export async function openPackReader(): Promise<PackReaderSession> {
  if (isSingleSessionDatabase) return { cursor: null, query: queryRows, close: async () => {} };
  const client = new pg.Client({ connectionString: databaseUrl, application_name: "attest evidence pack" });
  await client.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    await client.query("SET LOCAL jit = off");
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  const query = async <Row>(text: string, parameters: unknown[]) => (await client.query(text, parameters)).rows as Row[];
  let isClosed = false;
  let snapshot: string | null = null;
  let side: Promise<pg.Client> | null = null;
  const openSide = async (exported: string) => {
    const second = new pg.Client({ connectionString: databaseUrl, application_name: "attest evidence pack (snapshot)" });
    await second.connect();
    try {
      await second.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      await second.query(`SET TRANSACTION SNAPSHOT ${second.escapeLiteral(exported)}`);
      await second.query("SET LOCAL jit = off");
    } catch (error) {
      await second.end().catch(() => {});
      throw error;
    }
    return second;
  };
  const cursor: PackReader = {
    query,
    async *copyBinary(text: string, parameters: unknown[]) {
      // The snapshot for sideQuery is exported before the COPY starts (the connection is busy during
      // it); valid while this transaction is open.
      snapshot ??= (await client.query<{ snapshot: string }>("SELECT pg_export_snapshot() AS snapshot")).rows[0]!.snapshot;
      const stream = client.query(copyTo(`COPY (${inlineParameters(text, parameters)}) TO STDOUT (FORMAT binary)`));
      try {
        for await (const chunk of stream) yield chunk as Buffer;
      } finally {
        // A caller that stops early (an error, a cancelled build) leaves the COPY running: the
        // connection cannot be used again, so it is closed (the server rolls the transaction back).
        if (!stream.readableEnded) {
          isClosed = true;
          stream.destroy();
          await client.end().catch(() => {});
        }
      }
    },
    async sideQuery<Row>(text: string, parameters: unknown[]) {
      if (snapshot === null) throw new Error("sideQuery is available once copyBinary has started");
      side ??= openSide(snapshot);
      return (await (await side).query(text, parameters)).rows as Row[];
    },
  };
  return {
    cursor,
    query,
    async close() {
      const second = side ? await side.catch(() => null) : null;
      if (second) {
        await second.query("COMMIT").catch(() => undefined);
        await second.end().catch(() => {});
      }
      if (isClosed) {
        await client.end().catch(() => {});
        return;
      }
      isClosed = true;
      try {
        await client.query("COMMIT");
      } finally {
        await client.end().catch(() => {});
      }
    },
  };
}

/**
 * `text` with each `$n` replaced by parameter n as a quoted literal, for statements that take no bind
 * parameters (COPY). The statements come from SqlParameters, which casts every placeholder
 * (`$n::type`), so a literal takes the same type the parameter did.
 */
export function inlineParameters(text: string, parameters: unknown[]) {
  return text.replace(/\$(\d+)/g, (placeholder, digits: string) => {
    const index = Number(digits) - 1;
    if (index < 0 || index >= parameters.length) throw new Error(`the statement's ${placeholder} has no parameter`);
    return sqlLiteral(parameters[index]);
  });
}

function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Error("a parameter is an invalid date");
    return pg.escapeLiteral(value.toISOString());
  }
  if (Array.isArray(value)) return pg.escapeLiteral(`{${value.map(arrayElement).join(",")}}`);
  if (typeof value === "string" || typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    if (typeof value === "number" && !Number.isFinite(value)) throw new Error(`a parameter is ${value}`);
    return pg.escapeLiteral(String(value));
  }
  throw new Error(`a parameter of type ${typeof value} cannot be written as a literal`);
}

function arrayElement(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (Array.isArray(value)) return `{${value.map(arrayElement).join(",")}}`;
  const text = value instanceof Date ? value.toISOString() : String(value);
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}
