import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { RowSink } from "./generate";
import { seedTables, seedTableOrder, type Cell, type SeedTable } from "./tables";

// Getting rows into PostgreSQL fast. On a real server: COPY FROM STDIN, streamed batch by batch while
// the next batch is generated. The embedded PGlite's socket server does not speak the COPY sub-protocol
// (the connection dies with "protocol synchronization was lost"), so there each table's batch goes in
// as one INSERT … SELECT FROM unnest(column arrays) statement instead — one round trip per table.

export interface TableWriter {
  readonly method: string;
  write(table: SeedTable, rows: Cell[][]): Promise<void>;
}

const quotedColumns = (table: SeedTable) => seedTables[table].map((column) => `"${column}"`).join(", ");

const copyEscapes: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };
const needsCopyEscape = /[\\\t\n\r]/;

/** Rows in COPY's text format, in chunks of about a megabyte. */
function* copyTextChunks(rows: Cell[][]) {
  let chunk = "";
  for (const row of rows) {
    let line = "";
    for (let index = 0; index < row.length; index++) {
      const value = row[index];
      if (index > 0) line += "\t";
      if (value === null || value === undefined) line += "\\N";
      else if (needsCopyEscape.test(value)) line += value.replace(/[\\\t\n\r]/g, (character) => copyEscapes[character]!);
      else line += value;
    }
    chunk += line + "\n";
    if (chunk.length > 1 << 20) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk) yield chunk;
}

export class CopyTableWriter implements TableWriter {
  readonly method = "COPY FROM STDIN";

  constructor(private readonly client: pg.ClientBase) {}

  async write(table: SeedTable, rows: Cell[][]) {
    if (rows.length === 0) return;
    const stream = this.client.query(copyFrom(`COPY "${table}" (${quotedColumns(table)}) FROM STDIN`));
    await pipeline(Readable.from(copyTextChunks(rows)), stream);
  }
}

export class ArrayInsertTableWriter implements TableWriter {
  readonly method = "INSERT … SELECT FROM unnest(arrays)";

  private constructor(
    private readonly client: pg.ClientBase,
    private readonly statements: ReadonlyMap<SeedTable, string>,
    private readonly rowsPerStatement: number,
  ) {}

  /** Builds one statement per table, casting each text array element to the column's own type. */
  static async create(client: pg.ClientBase, rowsPerStatement = 5_000) {
    const { rows } = await client.query<{ table_name: string; column_name: string; column_type: string }>(
      `SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS column_type
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped`,
      [seedTableOrder],
    );
    const typeOf = new Map(rows.map((row) => [`${row.table_name}.${row.column_name}`, row.column_type]));
    const statements = new Map<SeedTable, string>();
    for (const table of seedTableOrder) {
      const columns = seedTables[table];
      const casts = columns.map((column, index) => {
        const type = typeOf.get(`${table}.${column}`);
        if (!type) throw new Error(`${table}.${column} is not in the database: run npm run db:migrate, or update prisma/seed/tables.ts`);
        return `u.c${index}::${type}`;
      });
      const arrays = columns.map((_, index) => `$${index + 1}::text[]`).join(", ");
      const aliases = columns.map((_, index) => `c${index}`).join(", ");
      statements.set(
        table,
        `INSERT INTO "${table}" (${quotedColumns(table)}) SELECT ${casts.join(", ")} FROM unnest(${arrays}) AS u(${aliases})`,
      );
    }
    return new ArrayInsertTableWriter(client, statements, rowsPerStatement);
  }

  async write(table: SeedTable, rows: Cell[][]) {
    const width = seedTables[table].length;
    for (let start = 0; start < rows.length; start += this.rowsPerStatement) {
      const slice = rows.slice(start, start + this.rowsPerStatement);
      const columns: Cell[][] = Array.from({ length: width }, () => new Array<Cell>(slice.length));
      slice.forEach((row, rowIndex) => {
        for (let column = 0; column < width; column++) columns[column]![rowIndex] = row[column] ?? null;
      });
      await this.client.query(this.statements.get(table)!, columns);
    }
  }
}

type Batch = Map<SeedTable, Cell[][]>;

/**
 * Collects generated rows per table and writes them a batch at a time in foreign-key order. While one
 * batch is being written the generator already fills the next, so the database and the generator
 * work in parallel; at most two batches are held in memory.
 */
export class BatchedRowSink implements RowSink {
  readonly rowCounts = new Map<SeedTable, number>();
  private batch: Batch = new Map();
  private decisionsInBatch = 0;
  private customersSinceYield = 0;
  private decisionsWritten = 0;
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown = null;

  constructor(
    private readonly writer: TableWriter,
    private readonly decisionsPerBatch: number,
    private readonly onBatchWritten?: (decisionsWritten: number) => void,
  ) {}

  add(table: SeedTable, row: Cell[]) {
    let rows = this.batch.get(table);
    if (!rows) this.batch.set(table, (rows = []));
    rows.push(row);
    this.rowCounts.set(table, (this.rowCounts.get(table) ?? 0) + 1);
  }

  async customerDone(decisionCount: number) {
    this.decisionsInBatch += decisionCount;
    if (this.decisionsInBatch >= this.decisionsPerBatch) {
      await this.flush();
    } else if (++this.customersSinceYield >= 250) {
      // Let the socket drain the batch being written while generation continues.
      this.customersSinceYield = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Hands the current batch to the writer once the previous one is in. */
  async flush() {
    const batch = this.batch;
    const decisions = this.decisionsInBatch;
    this.batch = new Map();
    this.decisionsInBatch = 0;
    await this.writing;
    if (this.failure) throw this.failure;
    this.writing = this.writeBatch(batch, decisions).catch((error: unknown) => {
      this.failure = error;
    });
  }

  async finish() {
    await this.flush();
    await this.writing;
    if (this.failure) throw this.failure;
  }

  private async writeBatch(batch: Batch, decisions: number) {
    for (const table of seedTableOrder) {
      const rows = batch.get(table);
      if (rows?.length) await this.writer.write(table, rows);
    }
    this.decisionsWritten += decisions;
    this.onBatchWritten?.(this.decisionsWritten);
  }
}

interface DetachedDefinition {
  table: string;
  name: string;
  definition: string;
}

/**
 * Drops the indexes and constraints of tables about to receive a large load and returns a function
 * that recreates them exactly as they were: building an index once over loaded rows is several times
 * faster than maintaining it row by row, and foreign keys are then validated in one join each. Both
 * steps run inside the caller's transaction, so a failed load leaves the schema untouched.
 */
export async function detachIndexesAndConstraints(client: pg.ClientBase, tables: readonly string[]) {
  const { rows: constraints } = await client.query<DetachedDefinition & { kind: string }>(
    `SELECT c.conrelid::regclass::text AS table, c.conname AS name, pg_get_constraintdef(c.oid) AS definition,
            c.contype AS kind
       FROM pg_constraint c
      WHERE c.contype IN ('p', 'u', 'f')
        AND (c.conrelid = ANY($1::regclass[]) OR (c.contype = 'f' AND c.confrelid = ANY($1::regclass[])))`,
    [tables],
  );
  const { rows: indexes } = await client.query<DetachedDefinition>(
    `SELECT i.indrelid::regclass::text AS table, i.indexrelid::regclass::text AS name,
            pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i
      WHERE i.indrelid = ANY($1::regclass[])
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
    [tables],
  );
  const foreignKeys = constraints.filter((constraint) => constraint.kind === "f");
  const keys = constraints.filter((constraint) => constraint.kind !== "f");

  for (const foreignKey of foreignKeys) await client.query(`ALTER TABLE ${foreignKey.table} DROP CONSTRAINT "${foreignKey.name}"`);
  for (const index of indexes) await client.query(`DROP INDEX ${index.name}`);
  for (const key of keys) await client.query(`ALTER TABLE ${key.table} DROP CONSTRAINT "${key.name}"`);

  return {
    count: constraints.length + indexes.length,
    async restore() {
      for (const key of keys) await client.query(`ALTER TABLE ${key.table} ADD CONSTRAINT "${key.name}" ${key.definition}`);
      for (const index of indexes) await client.query(index.definition);
      for (const foreignKey of foreignKeys) {
        await client.query(`ALTER TABLE ${foreignKey.table} ADD CONSTRAINT "${foreignKey.name}" ${foreignKey.definition}`);
      }
    },
  };
}
