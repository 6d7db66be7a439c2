import pg from "pg";
import { databaseUrl, isSingleSessionDatabase, queryRows } from "~/utils/db.server";

// How a pack build reads its large datasets (decisions and their customers, ADR 018). On PostgreSQL:
// one connection of its own holding one read-only REPEATABLE READ transaction, each dataset read
// through a server-side cursor — one plan and one snapshot for the whole range, whatever the planner
// estimates (keyset batches planned one by one turned into a sort of the whole rest each time right
// after a bulk load: quadratic), and the next batch fetched while Node writes the current one. JIT is
// off for the transaction: the whole range costs enough to trigger it and compiling took longer than
// reading 100,000 rows. On the embedded single-session database (PGlite) a transaction held open would
// take in every other statement of the process, so `cursor` is null and callers page by keyset.

export interface PackReader {
  /**
   * The rows of `text` in its order, `batch` at a time, the next batch requested before this one is
   * used. PostgreSQL plans a cursor for its first tenth of rows (`cursor_tuple_fraction`): right for an
   * ordered index scan that streams the decisions; `plannedForAllRows` plans for reading every row
   * instead (the customers' semi-join: a hash join and one sort, not a probe of the decisions for
   * every customer of the book).
   */
  batches<Row>(name: string, text: string, parameters: unknown[], batch: number, options?: { plannedForAllRows?: boolean }): AsyncGenerator<Row[]>;
  /** One statement in the same snapshot. */
  query<Row>(text: string, parameters: unknown[]): Promise<Row[]>;
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
  const cursor: PackReader = {
    query,
    async *batches<Row>(name: string, text: string, parameters: unknown[], batch: number, options?: { plannedForAllRows?: boolean }) {
      if (!/^[a-z_]+$/.test(name)) throw new Error(`cursor name ${name} must be lower-case letters and underscores`);
      // Planned when declared: the setting only needs to hold for the DECLARE.
      if (options?.plannedForAllRows) await client.query("SET LOCAL cursor_tuple_fraction = 1");
      await client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${text}`, parameters);
      if (options?.plannedForAllRows) await client.query("SET LOCAL cursor_tuple_fraction TO DEFAULT");
      const fetch = () => query<Row>(`FETCH ${batch} FROM ${name}`, []);
      let pending: Promise<Row[]> | null = fetch();
      try {
        while (pending) {
          const rows: Row[] = await pending;
          pending = rows.length < batch ? null : fetch();
          // Settled by the next turn of the loop; an error there is thrown by that await.
          pending?.catch(() => undefined);
          if (rows.length > 0) yield rows;
        }
      } finally {
        // A caller that stops early (an error, a cancelled build) leaves a fetch in flight: let it settle.
        await pending?.catch(() => undefined);
        if (!isClosed) await client.query(`CLOSE ${name}`).catch(() => undefined);
      }
    },
  };
  return {
    cursor,
    query,
    async close() {
      if (isClosed) return;
      isClosed = true;
      try {
        await client.query("COMMIT");
      } finally {
        await client.end().catch(() => {});
      }
    },
  };
}
