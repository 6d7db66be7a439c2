import type { EventEmitter } from "node:events";
import type pg from "pg";
import { readInt16, readInt32, type RawColumns } from "./event-leaf-writer";

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
    // Rows are parsed as the network delivers them: memory holds one network chunk, not the result.
    const query = new CopyOutQuery(`COPY (${select}) TO STDOUT (FORMAT binary)`, new CopyRowParser(columns, onRow));
    source.client.query(query);
    await query.done;
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

// Protocol message types (PostgreSQL's frontend/backend protocol) a COPY TO STDOUT answer carries.
const MESSAGE = { copyOutResponse: 0x48, copyData: 0x64, copyDone: 0x63, error: 0x45, notice: 0x4e, parameterStatus: 0x53, notification: 0x41 };

/**
 * `COPY … TO STDOUT` on a pg client, read straight off its socket: each CopyData message's bytes go
 * to the row parser where they lie in the network chunk — no copy per message, no Buffer per row (a
 * message split across two chunks is the only one copied, joined). It takes the socket's data over
 * from pg's protocol parser for the COPY's messages, as pg-copy-streams does, and hands the rest
 * back at CopyDone (or at an ErrorResponse, which pg then reports to this query as its error).
 * `done` settles when pg has seen the COPY complete and the connection is ready again.
 */
export class CopyOutQuery {
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: Error) => void;
  private error: Error | null = null;
  private stream: EventEmitter | null = null;
  private pgOnData: ((chunk: Buffer) => void) | null = null;
  /** The start of a message the last chunk ended inside. */
  private carried: Buffer | null = null;

  constructor(
    readonly text: string,
    private readonly rows: CopyRowParser,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Called by pg when the query's turn comes on the connection. */
  submit(connection: { stream: EventEmitter; query: (text: string) => void }) {
    const listeners = connection.stream.listeners("data");
    if (listeners.length !== 1) return new Error(`cannot read COPY: the connection has ${listeners.length} data listeners, expected pg's one`);
    this.stream = connection.stream;
    this.pgOnData = listeners[0] as (chunk: Buffer) => void;
    this.stream.removeListener("data", this.pgOnData);
    this.stream.on("data", this.onData);
    connection.query(this.text);
  }

  private readonly onData = (chunk: Buffer) => {
    try {
      this.read(chunk);
    } catch (error) {
      // A malformed COPY: the rest of it is skipped, and the error reported when the query ends.
      this.error ??= error instanceof Error ? error : new Error(String(error));
    }
  };

  private read(chunk: Buffer) {
    let at = 0;
    if (this.carried) {
      // Join the carried start of a message with as much of this chunk as completes it.
      const carried = this.carried;
      const headerFromChunk = Math.max(0, 5 - carried.length);
      if (chunk.length < headerFromChunk) {
        this.carried = Buffer.concat([carried, chunk]);
        return;
      }
      const header = headerFromChunk > 0 ? Buffer.concat([carried, chunk.subarray(0, headerFromChunk)]) : carried;
      const fromChunk = 1 + header.readInt32BE(1) - carried.length;
      if (chunk.length < fromChunk) {
        this.carried = Buffer.concat([carried, chunk]);
        return;
      }
      this.carried = null;
      const message = Buffer.concat([carried, chunk.subarray(0, fromChunk)]);
      // Past CopyDone pg reads on; a message pg must read itself is handed to it whole.
      if (!this.handle(message, 0, message.length)) return this.detach(message[0] === MESSAGE.copyDone ? chunk.subarray(fromChunk) : Buffer.concat([message, chunk.subarray(fromChunk)]));
      at = fromChunk;
    }
    while (at < chunk.length) {
      // pg reads an error itself (and reports it to this query): from its first byte on.
      if (chunk[at] === MESSAGE.error) return this.detach(chunk.subarray(at));
      if (at + 5 > chunk.length) break;
      const end = at + 1 + readInt32(chunk, at + 1);
      if (end > chunk.length) break;
      if (!this.handle(chunk, at, end)) return this.detach(chunk.subarray(chunk[at] === MESSAGE.copyDone ? end : at));
      at = end;
    }
    if (at < chunk.length) this.carried = Buffer.from(chunk.subarray(at));
  }

  /** One whole message at [at, end); false once the COPY's messages end (CopyDone, or one pg must read). */
  private handle(data: Buffer, at: number, end: number) {
    const code = data[at];
    if (code === MESSAGE.copyData) {
      if (!this.error) this.rows.push(data, at + 5, end);
      return true;
    }
    if (code === MESSAGE.copyDone) {
      if (!this.error) {
        try {
          this.rows.end();
        } catch (error) {
          this.error = error instanceof Error ? error : new Error(String(error));
        }
      }
      return false;
    }
    // CopyOutResponse, and what the server may send at any time, carry nothing for the rows.
    return code === MESSAGE.copyOutResponse || code === MESSAGE.notice || code === MESSAGE.parameterStatus || code === MESSAGE.notification;
  }

  /** Gives the socket back to pg, with the bytes after the COPY's messages (or from the one it must read). */
  private detach(rest: Buffer) {
    this.stream!.removeListener("data", this.onData);
    this.stream!.on("data", this.pgOnData!);
    if (rest.length > 0) this.pgOnData!(rest);
  }

  handleError(error: Error) {
    this.error ??= error;
    this.reject(this.error);
  }

  handleCommandComplete() {}

  handleReadyForQuery() {
    if (this.error) this.reject(this.error);
    else this.resolve();
  }
}

/**
 * PostgreSQL's binary COPY format: a header, then per row a field count and length-prefixed fields, and
 * a trailer (field count -1). Fed piece by piece (network chunks, or the bytes of each CopyData message
 * where they lie in one); a row split across pieces waits for the next one.
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

  /** The next bytes of the stream: [start, end) of `data`. */
  push(data: Buffer, start = 0, end = data.length) {
    let at = start;
    if (this.carried || !this.isHeaderRead) {
      // The row (or header) split across pieces is joined with as little of this piece as it needs,
      // not with the whole piece: every byte of the stream is then copied once less.
      at = this.joinCarried(data, start, end);
      if (at < 0) return;
    }
    const { columns } = this;
    if (columns.buffers[0] !== data) columns.buffers.fill(data);
    while (!this.isComplete) {
      const rowEnd = this.readRow(data, at, end);
      if (rowEnd < 0) break;
      at = rowEnd;
      if (!this.isComplete && !this.isStopped && this.onRow(columns) === false) this.isStopped = true;
    }
    this.carried = at < end && !this.isComplete ? Buffer.from(data.subarray(at, end)) : null;
  }

  /**
   * Completes the header, or the carried row, from `start` in `piece` (handing that row on); returns
   * where in `piece` the next row starts, or -1 when the whole piece was carried (still incomplete).
   * A carried header or row is incomplete on its own, so what completes it ends inside the piece.
   */
  private joinCarried(piece: Buffer, start: number, end: number) {
    const carried = this.carried ?? Buffer.alloc(0);
    const isHeaderNeeded = !this.isHeaderRead;
    const length = end - start;
    for (let take = Math.min(length, 8192); ; take = Math.min(length, take * 4)) {
      const data = carried.length > 0 ? Buffer.concat([carried, piece.subarray(start, start + take)]) : piece.subarray(start, start + take);
      let at: number;
      if (isHeaderNeeded) {
        at = this.readHeader(data);
      } else {
        this.columns.buffers.fill(data);
        at = this.readRow(data, 0, data.length);
        if (at >= 0 && !this.isComplete && !this.isStopped && this.onRow(this.columns) === false) this.isStopped = true;
      }
      if (at >= 0) {
        this.carried = null;
        return start + at - carried.length;
      }
      if (take === length) {
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

  /** Fills the columns with the row at `at` (bytes up to `end`) and returns where it ends, or -1 if it is incomplete. */
  private readRow(data: Buffer, at: number, end: number) {
    if (at + 2 > end) return -1;
    const fieldCount = readInt16(data, at);
    at += 2;
    if (fieldCount === -1) {
      this.isComplete = true;
      return at;
    }
    if (fieldCount !== this.columns.starts.length) throw new Error(`COPY returned ${fieldCount} columns, expected ${this.columns.starts.length}`);
    for (let column = 0; column < fieldCount; column++) {
      if (at + 4 > end) return -1;
      const length = readInt32(data, at);
      at += 4;
      if (length > 0 && at + length > end) return -1;
      this.columns.starts[column] = length < 0 ? -1 : at;
      this.columns.ends[column] = length < 0 ? -1 : at + length;
      if (length > 0) at += length;
    }
    return at;
  }
}
