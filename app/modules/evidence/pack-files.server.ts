import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { once } from "node:events";
import { stringify } from "csv-stringify/sync";

// The files of a pack being built, staged on disk one by one (never whole in memory): each is hashed
// and counted while it is written, so manifest.json can list every file's SHA-256, size and rows.

/** Rows rendered per write: a few tens of kilobytes of text, well under V8's large-object threshold. */
export const ROWS_PER_WRITE = 64;

export interface StagedFile {
  path: string;
  sha256: string;
  size: number;
  rows?: number;
  description: string;
}

class HashedFile {
  private readonly stream: fs.WriteStream;
  private readonly hash = createHash("sha256");
  size = 0;

  constructor(absolutePath: string) {
    fs.mkdirSync(path.dirname(absolutePath), { recursive: true });
    // A larger buffer than the default 16 KiB: a few rows' worth of text is written without waiting
    // for the disk each time, so the rows being written are not kept alive across those waits.
    this.stream = fs.createWriteStream(absolutePath, { flags: "wx", highWaterMark: 1024 * 1024 });
  }

  async write(chunk: string | Buffer) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    if (bytes.length === 0) return;
    this.hash.update(bytes);
    this.size += bytes.length;
    if (!this.stream.write(bytes)) await once(this.stream, "drain");
  }

  async close() {
    this.stream.end();
    await once(this.stream, "finish");
    return this.hash.digest("hex");
  }
}

export class PackStage {
  readonly files: StagedFile[] = [];

  constructor(readonly dir: string) {}

  absolute(name: string) {
    return path.join(this.dir, ...name.split("/"));
  }

  async writeFile(name: string, content: string | Buffer, description: string) {
    const file = new HashedFile(this.absolute(name));
    await file.write(content);
    const sha256 = await file.close();
    const staged = { path: name, sha256, size: file.size, description };
    this.files.push(staged);
    return staged;
  }

  /** A binary or text file written in pieces. */
  open(name: string, description: string) {
    const file = new HashedFile(this.absolute(name));
    return {
      write: (chunk: string | Buffer) => file.write(chunk),
      close: async (rows?: number) => {
        const sha256 = await file.close();
        const staged: StagedFile = { path: name, sha256, size: file.size, description, ...(rows === undefined ? {} : { rows }) };
        this.files.push(staged);
        return staged;
      },
    };
  }

  /** One dataset as JSON Lines and CSV side by side (same rows, same order). */
  dataset<Row>(base: string, description: string, columns: { header: string; value: (row: Row) => unknown }[]) {
    const jsonl = this.open(`${base}.jsonl`, `${description} (JSON Lines, one object a line)`);
    const csv = this.open(`${base}.csv`, `${description} (CSV with a header row)`);
    let rows = 0;
    let isHeaderWritten = false;
    const cell = (value: unknown) => (value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : value);
    const render = (row: Row) => {
      const record: Record<string, unknown> = {};
      const values = columns.map((column) => {
        const value = column.value(row);
        record[column.header] = value === undefined ? null : value;
        return cell(value);
      });
      return { jsonl: `${JSON.stringify(record)}\n`, csv: stringify([values]) };
    };
    const writeHeader = async () => {
      if (isHeaderWritten) return;
      await csv.write(stringify([columns.map((column) => column.header)]));
      isHeaderWritten = true;
    };
    return {
      /** One row's JSONL line and CSV record, as append writes them. */
      render,
      /** Rows already rendered (by PostgreSQL, byte for byte as `render` would): JSONL and CSV text. */
      async appendRendered(jsonlText: string | Buffer, csvText: string | Buffer, count: number) {
        await writeHeader();
        if (count === 0) return;
        await jsonl.write(jsonlText);
        await csv.write(csvText);
        rows += count;
      },
      async append(batch: Row[]) {
        if (!isHeaderWritten) {
          await csv.write(stringify([columns.map((column) => column.header)]));
          isHeaderWritten = true;
        }
        if (batch.length === 0) return;
        // Written a few rows at a time: no batch-sized string (one over 128 KiB goes to V8's large-object
        // space and stays there until a full collection).
        for (let start = 0; start < batch.length; start += ROWS_PER_WRITE) {
          let lines = "";
          const records: unknown[][] = [];
          for (const row of batch.slice(start, start + ROWS_PER_WRITE)) {
            const record: Record<string, unknown> = {};
            const values = columns.map((column) => {
              const value = column.value(row);
              record[column.header] = value === undefined ? null : value;
              return cell(value);
            });
            lines += `${JSON.stringify(record)}\n`;
            records.push(values);
          }
          await jsonl.write(lines);
          await csv.write(stringify(records));
        }
        rows += batch.length;
      },
      async close() {
        if (!isHeaderWritten) await csv.write(stringify([columns.map((column) => column.header)]));
        return [await jsonl.close(rows), await csv.close(rows)];
      },
    };
  }
}
