import { EventEmitter } from "node:events";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { readRawRows, type CopyOutQuery } from "./raw-rows.server";

// PostgreSQL's binary COPY stream parsed as it arrives off the connection: however the network splits
// the protocol's messages (inside a message header, the COPY header, a length, a value, between rows)
// and however the server cuts the stream into CopyData messages, every row comes out the same, once,
// in order, and pg is handed back exactly the bytes after the COPY.

const COPY_SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");

function copyStream(rows: (string | null)[][]) {
  const parts: Buffer[] = [COPY_SIGNATURE, Buffer.from([0, 0, 0, 0]), Buffer.from([0, 0, 0, 0])];
  for (const row of rows) {
    const count = Buffer.alloc(2);
    count.writeInt16BE(row.length);
    parts.push(count);
    for (const value of row) {
      const length = Buffer.alloc(4);
      length.writeInt32BE(value === null ? -1 : Buffer.byteLength(value));
      parts.push(length);
      if (value !== null) parts.push(Buffer.from(value));
    }
  }
  parts.push(Buffer.from([0xff, 0xff]));
  return Buffer.concat(parts);
}

function message(code: string, payload: Buffer) {
  const header = Buffer.alloc(5);
  header[0] = code.charCodeAt(0);
  header.writeInt32BE(payload.length + 4, 1);
  return Buffer.concat([header, payload]);
}

// What PostgreSQL sends for COPY TO STDOUT: CopyOutResponse, the COPY stream as CopyData messages (cut
// at `messageCuts`, one message per row when none are given), CopyDone, then what pg itself reads.
const AFTER_COPY = Buffer.concat([message("C", Buffer.from("COPY 40\0")), message("Z", Buffer.from("I"))]);
function protocol(stream: Buffer, messageCuts: number[]) {
  const parts = [message("H", Buffer.from([1, 0, 3, 0, 1, 0, 1, 0, 1]))];
  let from = 0;
  for (const cut of [...messageCuts, stream.length]) {
    parts.push(message("d", stream.subarray(from, cut)));
    from = cut;
  }
  parts.push(message("c", Buffer.alloc(0)), AFTER_COPY);
  return Buffer.concat(parts);
}

/** A pg client whose connection delivers `bytes` cut at `cuts`; pg's own parser just collects what it is handed. */
function fakeClient(bytes: Buffer, cuts: number[], handedToPg: Buffer[]) {
  const stream = new EventEmitter();
  stream.on("data", (chunk: Buffer) => handedToPg.push(Buffer.from(chunk)));
  return {
    query(query: CopyOutQuery) {
      const error = query.submit({ stream, query: () => {} });
      if (error) throw error;
      let from = 0;
      for (const cut of [...cuts, bytes.length]) {
        stream.emit("data", bytes.subarray(from, cut));
        from = cut;
      }
      // pg, having read the messages after the COPY: an error, or the command's end.
      const pgBytes = Buffer.concat(handedToPg);
      if (pgBytes[0] === "E".charCodeAt(0)) query.handleError(new Error("ERROR from the server"));
      query.handleCommandComplete();
      query.handleReadyForQuery();
      return query;
    },
  } as unknown as pg.ClientBase;
}

async function parse(stream: Buffer, cuts: number[], columnCount: number, options: { messageCuts?: number[]; handedToPg?: Buffer[]; bytes?: Buffer } = {}) {
  const handedToPg = options.handedToPg ?? [];
  const bytes = options.bytes ?? protocol(stream, options.messageCuts ?? rowBoundaries(stream, columnCount));
  const client = fakeClient(bytes, cuts, handedToPg);
  const rows: (string | null)[][] = [];
  await readRawRows({ client, isCopySupported: true }, "SELECT", columnCount, ({ buffers, starts, ends }) => {
    rows.push(Array.from({ length: columnCount }, (_, column) => (starts[column]! < 0 ? null : buffers[column]!.toString("utf8", starts[column], ends[column]))));
  });
  return rows;
}

/** Where PostgreSQL ends its CopyData messages: after the header with the first row, then after each row. */
function rowBoundaries(stream: Buffer, columnCount: number) {
  const cuts: number[] = [];
  let at = COPY_SIGNATURE.length + 8;
  while (stream.readInt16BE(at) !== -1) {
    at += 2;
    for (let column = 0; column < columnCount; column++) {
      const length = stream.readInt32BE(at);
      at += 4 + Math.max(0, length);
    }
    cuts.push(at);
  }
  return cuts;
}

describe("readRawRows over binary COPY", () => {
  const rows = Array.from({ length: 40 }, (_, n) => [`row ${n}`, n % 3 === 0 ? null : "x".repeat(n * 37), n % 5 === 0 ? "" : `é${n}`]);
  const stream = copyStream(rows);

  it("reads every row whole when the stream arrives in one chunk", async () => {
    expect(await parse(stream, [], 3)).toEqual(rows);
  });

  it("reads the same rows whatever the chunk boundaries", async () => {
    for (let cut = 1; cut < stream.length; cut += 7) expect(await parse(stream, [cut], 3)).toEqual(rows);
    const everyByte = Array.from({ length: stream.length - 1 }, (_, i) => i + 1);
    expect(await parse(stream, everyByte, 3)).toEqual(rows);
    const uneven: number[] = [];
    for (let at = 5, step = 3; at < stream.length; at += step, step = (step * 7) % 97 + 1) uneven.push(at);
    expect(await parse(stream, uneven, 3)).toEqual(rows);
  });

  it("reads a row longer than the first look into the next chunk", async () => {
    const long = [["a", "y".repeat(100_000), null], ["b", "z", "w"]];
    const longStream = copyStream(long);
    expect(await parse(longStream, [30, 40, 50_000, 50_001], 3)).toEqual(long);
  });

  it("reads the same rows whatever the CopyData messages hold", async () => {
    expect(await parse(stream, [], 3, { messageCuts: [] })).toEqual(rows);
    expect(await parse(stream, [], 3, { messageCuts: [3, 20, 21, 500, 1_000] })).toEqual(rows);
    expect(await parse(stream, [7, 19, 700, 701, 2_000], 3, { messageCuts: Array.from({ length: 60 }, (_, i) => 11 + 53 * i) })).toEqual(rows);
  });

  it("hands pg exactly the bytes after CopyDone", async () => {
    for (const cuts of [[], [50], [protocol(stream, rowBoundaries(stream, 3)).length - AFTER_COPY.length - 2]]) {
      const handedToPg: Buffer[] = [];
      await parse(stream, cuts, 3, { handedToPg });
      expect(Buffer.concat(handedToPg)).toEqual(AFTER_COPY);
    }
  });

  it("hands an error from the server to pg and fails with it", async () => {
    // The server fails after six rows: the message that would have held the seventh is an error.
    const bytes = protocol(stream, rowBoundaries(stream, 3));
    let at = 0;
    for (let messages = 0; messages < 1 + 7; messages++) at += 1 + bytes.readInt32BE(at + 1);
    const error = message("E", Buffer.from("SERROR\0Mcanceled\0\0"));
    const broken = Buffer.concat([bytes.subarray(0, at), error, message("Z", Buffer.from("I"))]);
    const handedToPg: Buffer[] = [];
    await expect(parse(stream, [at - 3], 3, { bytes: broken, handedToPg })).rejects.toThrow(/ERROR from the server/);
    expect(Buffer.concat(handedToPg).subarray(0, error.length)).toEqual(error);
  });

  it("hands pg a message that is not the COPY's whole, even when it was split across two chunks", async () => {
    const bytes = protocol(stream, rowBoundaries(stream, 3));
    let at = 0;
    for (let messages = 0; messages < 1 + 7; messages++) at += 1 + bytes.readInt32BE(at + 1);
    const foreign = message("K", Buffer.from("12345678"));
    const broken = Buffer.concat([bytes.subarray(0, at), foreign, message("Z", Buffer.from("I"))]);
    for (const cut of [at + 2, at + 7]) {
      const handedToPg: Buffer[] = [];
      await parse(stream, [cut], 3, { bytes: broken, handedToPg }).catch(() => undefined);
      expect(Buffer.concat(handedToPg).subarray(0, foreign.length)).toEqual(foreign);
    }
  });

  it("refuses a stream that ends in the middle of a row", async () => {
    const truncated = stream.subarray(0, stream.length - 10);
    await expect(parse(truncated, [100], 3, { messageCuts: [] })).rejects.toThrow(/middle of a row/);
  });
});
