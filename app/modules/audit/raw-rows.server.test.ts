import { Readable } from "node:stream";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { readRawRows } from "./raw-rows.server";

// PostgreSQL's binary COPY stream parsed as it arrives: however the network splits it (inside the
// header, inside a length, inside a value, between rows), every row comes out the same, once, in order.

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

async function parse(stream: Buffer, cuts: number[], columnCount: number) {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    chunks.push(stream.subarray(from, cut));
    from = cut;
  }
  const client = { query: () => Readable.from(chunks) } as unknown as pg.ClientBase;
  const rows: (string | null)[][] = [];
  await readRawRows({ client, isCopySupported: true }, "SELECT", columnCount, ({ buffers, starts, ends }) => {
    rows.push(Array.from({ length: columnCount }, (_, column) => (starts[column]! < 0 ? null : buffers[column]!.toString("utf8", starts[column], ends[column]))));
  });
  return rows;
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

  it("refuses a stream that ends in the middle of a row", async () => {
    await expect(parse(stream.subarray(0, stream.length - 10), [100], 3)).rejects.toThrow(/middle of a row/);
  });
});
