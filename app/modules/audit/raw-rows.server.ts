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
    const chunks: Buffer[] = [];
    for await (const chunk of source.client.query(copyTo(`COPY (${select}) TO STDOUT (FORMAT binary)`))) chunks.push(chunk as Buffer);
    forEachCopyRow(Buffer.concat(chunks), columns, onRow);
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

/** PostgreSQL's binary COPY format: header, then per row a field count and length-prefixed fields. */
function forEachCopyRow(data: Buffer, columns: RawColumns, onRow: (columns: RawColumns) => boolean | void) {
  if (data.length === 0) return;
  if (data.compare(COPY_SIGNATURE, 0, COPY_SIGNATURE.length, 0, COPY_SIGNATURE.length) !== 0) throw new Error("COPY did not return PostgreSQL's binary format");
  let at = COPY_SIGNATURE.length + 4;
  at += 4 + data.readUInt32BE(at);
  columns.buffers.fill(data);
  for (;;) {
    const fieldCount = data.readInt16BE(at);
    at += 2;
    if (fieldCount === -1) return;
    if (fieldCount !== columns.starts.length) throw new Error(`COPY returned ${fieldCount} columns, expected ${columns.starts.length}`);
    for (let column = 0; column < fieldCount; column++) {
      const length = data.readInt32BE(at);
      at += 4;
      columns.starts[column] = length < 0 ? -1 : at;
      columns.ends[column] = length < 0 ? -1 : at + length;
      if (length > 0) at += length;
    }
    if (onRow(columns) === false) return;
  }
}
