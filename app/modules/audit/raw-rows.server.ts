import type pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import type { RawColumns } from "./event-leaf-writer";

// Reads rows for the verifier as PostgreSQL binary column values, without building a JavaScript
// object per row: `COPY (…) TO STDOUT (FORMAT binary)` on PostgreSQL (about twice as fast to serve and
// to parse as a query), or on the embedded PGlite, whose socket server does not speak the COPY
// sub-protocol, a query returning each row's binary record. Both hand every row to `onRow` as the same
// reused RawColumns.

const COPY_SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");

export interface RawRowSource {
  client: pg.ClientBase;
  isCopySupported: boolean;
}

/** Calls onRow for each row of `select` in order; stops early when onRow returns false. */
export async function readRawRows(source: RawRowSource, select: string, columnCount: number, onRow: (columns: RawColumns) => boolean | void) {
  const columns: RawColumns = { buffers: new Array<Buffer | null>(columnCount).fill(null), starts: new Int32Array(columnCount), ends: new Int32Array(columnCount) };
  if (source.isCopySupported) {
    // Rows are parsed as the stream delivers them: memory holds one network chunk, not the result.
    const parser = new CopyRowParser(columns, onRow);
    const stream = source.client.query(copyTo(`COPY (${select}) TO STDOUT (FORMAT binary)`));
    await new Promise<void>((resolve, reject) => {
      stream.on("data", (chunk: Buffer) => parser.push(chunk));
      stream.on("end", () => resolve());
      stream.on("error", reject);
    });
    parser.end();
    return;
  }
  // record_send gives each row in binary record format as one bytea (text mode carries it as hex):
  // the same column bytes, without COPY. The subquery's ORDER BY is kept by the plain scan above it.
  const { rows } = await source.client.query<{ row: Buffer }>(`SELECT record_send(r) AS row FROM (${select}) r`);
  for (const { row } of rows) {
    forEachRecordColumn(row, columns);
    if (onRow(columns) === false) return;
  }
}

/** PostgreSQL's binary record format: column count, then per column its type OID and length-prefixed bytes. */
function forEachRecordColumn(row: Buffer, columns: RawColumns) {
  const count = row.readInt32BE(0);
  if (count !== columns.starts.length) throw new Error(`the query returned ${count} columns, expected ${columns.starts.length}`);
  columns.buffers.fill(row);
  let at = 4;
  for (let column = 0; column < count; column++) {
    const length = row.readInt32BE(at + 4);
    at += 8;
    columns.starts[column] = length < 0 ? -1 : at;
    columns.ends[column] = length < 0 ? -1 : at + length;
    if (length > 0) at += length;
  }
}

/**
 * PostgreSQL's binary COPY format: a header, then per row a field count and length-prefixed fields, and
 * a trailer (field count -1). Fed chunk by chunk; a row split across chunks waits for the next one.
 */
export class CopyRowParser {
  private carried: Buffer | null = null;
  private isHeaderRead = false;
  private isStopped = false;
  private isComplete = false;

  constructor(
    private readonly columns: RawColumns,
    private readonly onRow: (columns: RawColumns) => boolean | void,
  ) {}

  push(chunk: Buffer) {
    let at = 0;
    if (this.carried || !this.isHeaderRead) {
      // The row (or header) split across chunks is joined with as little of this chunk as it needs,
      // not with the whole chunk: every byte of the stream is then copied once less.
      at = this.joinCarried(chunk);
      if (at < 0) return;
    }
    const { columns } = this;
    columns.buffers.fill(chunk);
    while (!this.isComplete) {
      const rowEnd = this.readRow(chunk, at);
      if (rowEnd < 0) break;
      at = rowEnd;
      if (!this.isComplete && !this.isStopped && this.onRow(columns) === false) this.isStopped = true;
    }
    this.carried = at < chunk.length && !this.isComplete ? Buffer.from(chunk.subarray(at)) : null;
  }

  /**
   * Completes the header, or the carried row, from the start of `chunk` (handing that row on); returns
   * where in `chunk` the next row starts, or -1 when the whole chunk was carried (still incomplete).
   * A carried header or row is incomplete on its own, so what completes it ends inside `chunk`.
   */
  private joinCarried(chunk: Buffer) {
    const carried = this.carried ?? Buffer.alloc(0);
    const isHeaderNeeded = !this.isHeaderRead;
    for (let take = Math.min(chunk.length, 8192); ; take = Math.min(chunk.length, take * 4)) {
      const data = carried.length > 0 ? Buffer.concat([carried, chunk.subarray(0, take)]) : chunk.subarray(0, take);
      let at: number;
      if (isHeaderNeeded) {
        at = this.readHeader(data);
      } else {
        this.columns.buffers.fill(data);
        at = this.readRow(data, 0);
        if (at >= 0 && !this.isComplete && !this.isStopped && this.onRow(this.columns) === false) this.isStopped = true;
      }
      if (at >= 0) {
        this.carried = null;
        return at - carried.length;
      }
      if (take === chunk.length) {
        this.carried = Buffer.from(data);
        return -1;
      }
    }
  }

  end() {
    if (this.isHeaderRead && !this.isComplete) throw new Error("COPY ended in the middle of a row");
  }

  /** Where the rows start, or -1 if the header has not fully arrived. */
  private readHeader(data: Buffer) {
    const fixed = COPY_SIGNATURE.length + 8;
    if (data.length < fixed) return -1;
    if (data.compare(COPY_SIGNATURE, 0, COPY_SIGNATURE.length, 0, COPY_SIGNATURE.length) !== 0) throw new Error("COPY did not return PostgreSQL's binary format");
    const start = fixed + data.readUInt32BE(COPY_SIGNATURE.length + 4);
    if (data.length < start) return -1;
    this.isHeaderRead = true;
    return start;
  }

  /** Fills the columns with the row at `at` and returns where it ends, or -1 if it is incomplete. */
  private readRow(data: Buffer, at: number) {
    if (at + 2 > data.length) return -1;
    const fieldCount = data.readInt16BE(at);
    at += 2;
    if (fieldCount === -1) {
      this.isComplete = true;
      return at;
    }
    if (fieldCount !== this.columns.starts.length) throw new Error(`COPY returned ${fieldCount} columns, expected ${this.columns.starts.length}`);
    for (let column = 0; column < fieldCount; column++) {
      if (at + 4 > data.length) return -1;
      const length = data.readInt32BE(at);
      at += 4;
      if (length > 0 && at + length > data.length) return -1;
      this.columns.starts[column] = length < 0 ? -1 : at;
      this.columns.ends[column] = length < 0 ? -1 : at + length;
      if (length > 0) at += length;
    }
    return at;
  }
}
