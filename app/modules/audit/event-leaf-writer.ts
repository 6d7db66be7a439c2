import { hash } from "node:crypto";
import { canonicalJson } from "./canonical-json";
import { LEAF_FORMAT_VERSION, LEGACY_LEAF_FORMAT_VERSION } from "./event-document";
import { writeCanonicalJsonb } from "./jsonb-canonical";

// The verifier's leaf builder: writes the leaf's inputs (docs/ledger.md "Events and leaves") straight
// from the database's binary column values into reused buffers, so checking millions of events
// allocates almost nothing. For a v2 event that is the content's canonical JSON, hashed, then the
// envelope naming that hash (0x00 ‖ canonical JSON); for a v1 event the whole event's canonical JSON.
// Its output is byte-for-byte eventLeafBytes(…) — event-leaf-writer.test.ts holds it to that — but it
// never builds the event object: the documents' members are fixed and written in their sorted order,
// and only `changes` (free-form JSON) goes through the generic canonicaliser.

/** A column value: bytes [start, end) of `buffer` in PostgreSQL's binary format, or null (start = -1). */
export interface RawColumns {
  buffers: (Buffer | null)[];
  starts: Int32Array;
  ends: Int32Array;
}

/** The audit_event columns the verifier reads, in this order (EVENT_COLUMN_LIST). */
export const EVENT_COLUMN_LIST =
  "seq, id, occurred_at, actor_type, actor_id, actor_label, actor_role, action, subject_type, subject_id, region_code, justification, changes, request_id, ip_address, leaf_hash, business_time, tag_key_id, tag";
export const enum Column {
  Seq,
  Id,
  OccurredAt,
  ActorType,
  ActorId,
  ActorLabel,
  ActorRole,
  Action,
  SubjectType,
  SubjectId,
  RegionCode,
  Justification,
  Changes,
  RequestId,
  IpAddress,
  LeafHash,
  BusinessTime,
  TagKeyId,
  Tag,
}
export const EVENT_COLUMN_COUNT = 19;

const ascii = (text: string) => Buffer.from(text, "latin1");
const PIECES = {
  start: ascii('{"action":'),
  actorId: ascii(',"actor":{"id":'),
  actorLabel: ascii(',"label":'),
  actorRole: ascii(',"role":'),
  actorType: ascii(',"type":'),
  changes: ascii('},"changes":'),
  id: ascii(',"id":"'),
  ipAddress: ascii('","ipAddress":'),
  justification: ascii(',"justification":'),
  occurredAt: ascii(',"occurredAt":"'),
  regionCode: ascii('Z","regionCode":'),
  requestId: ascii(',"requestId":'),
  seq: ascii(',"seq":'),
  subjectId: ascii(',"subject":{"id":'),
  subjectType: ascii(',"type":'),
  end: ascii(`},"v":${LEGACY_LEAF_FORMAT_VERSION}}`),
  null: ascii("null"),
};
// Leaf format v2: the content document, then the envelope.
const CONTENT = {
  start: ascii('{"action":'),
  actorId: ascii(',"actor":{"id":'),
  actorLabel: ascii(',"label":'),
  actorRole: ascii(',"role":'),
  actorType: ascii(',"type":'),
  businessTime: ascii('},"businessTime":'),
  changes: ascii(',"changes":'),
  id: ascii(',"id":"'),
  ipAddress: ascii('","ipAddress":'),
  justification: ascii(',"justification":'),
  regionCode: ascii(',"regionCode":'),
  requestId: ascii(',"requestId":'),
  subjectId: ascii(',"subject":{"id":'),
  subjectType: ascii(',"type":'),
  end: ascii("}}"),
};
const ENVELOPE = {
  start: ascii('\0{"content":"'),
  occurredAt: ascii('","occurredAt":"'),
  seq: ascii('Z","seq":'),
  tagKeyId: ascii(',"tag":{"kid":'),
  tag: ascii(',"mac":'),
  end: ascii(`},"v":${LEAF_FORMAT_VERSION}}`),
};
const HEX = ascii("0123456789abcdef");
// JSON.stringify's short escapes; every other control character becomes \u00XX.
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };
/** 1 for the bytes a JSON string escapes (control characters, quote, backslash): one look-up per byte. */
const ESCAPED = new Uint8Array(256);
for (let byte = 0; byte < 0x20; byte++) ESCAPED[byte] = 1;
ESCAPED[0x22] = 1;
ESCAPED[0x5c] = 1;
// PostgreSQL's binary timestamptz counts microseconds from 2000-01-01 UTC.
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);
const VIEW_CACHE_LENGTH = 2048;

// Big-endian integers read from the bytes themselves: Buffer#readInt32BE validates its offset on every
// call and costs several times more, and the verifier reads about thirty of them an event (callers
// check that the bytes are there).

/** A signed 32-bit big-endian integer at `start`. */
export function readInt32(buffer: Buffer, start: number) {
  return (buffer[start]! << 24) | (buffer[start + 1]! << 16) | (buffer[start + 2]! << 8) | buffer[start + 3]!;
}

/** A signed 16-bit big-endian integer at `start`. */
export function readInt16(buffer: Buffer, start: number) {
  return (((buffer[start]! << 8) | buffer[start + 1]!) << 16) >> 16;
}

/** A signed 64-bit big-endian integer as a Number (exact below 2^53: sequence numbers, microseconds). */
export function readInt64(buffer: Buffer, start: number) {
  return readInt32(buffer, start) * 0x1_0000_0000 + (readInt32(buffer, start + 4) >>> 0);
}

/** A timestamptz column as the verifier and the leaf format write it: ISO-8601 UTC with milliseconds. */
export function timestampMs(columns: RawColumns, column: Column) {
  const micros = readInt64(columns.buffers[column]!, columns.starts[column]!);
  return POSTGRES_EPOCH_MS + Math.floor(micros / 1000);
}

export function occurredAtMs(columns: RawColumns) {
  return timestampMs(columns, Column.OccurredAt);
}

/** Is the event in `columns` written in leaf format v2 (it carries a tag)? */
export function isTaggedColumns(columns: RawColumns) {
  return columns.starts[Column.Tag]! >= 0;
}

export class EventLeafWriter {
  private out = Buffer.allocUnsafe(4096);
  private length = 0;
  private reserve = 0;
  // Events arrive milliseconds apart: the date-and-second part of the time is reused while it holds.
  private cachedSecond = NaN;
  private cachedSecondBytes = Buffer.alloc(0);
  private envelope = Buffer.allocUnsafe(512);
  private envelopeLength = 0;
  /** The SHA-256 of the last v2 event's content, as a 32-character latin1 string (for its tag check). */
  contentSha256 = "";

  /**
   * The leaf hash of the event in `columns`, as if it had sequence number `seq` (default: its own), as
   * a 32-character latin1 string: a string digest costs a third of a Buffer one (no ArrayBuffer each).
   */
  leafHashLatin1(columns: RawColumns, seq = readInt64(columns.buffers[Column.Seq]!, columns.starts[Column.Seq]!)) {
    if (!isTaggedColumns(columns)) {
      this.writeLegacy(columns, seq);
      return hash("sha256", this.outView(), "binary");
    }
    this.writeEnvelope(columns, seq);
    return hash("sha256", this.envelopeView(), "binary");
  }

  /**
   * The leaf hash again at another sequence number, reusing the last event's content hash (a v2
   * event's content does not depend on its position): the search for where a moved event belongs.
   */
  leafHashAtLatin1(columns: RawColumns, seq: number) {
    if (!isTaggedColumns(columns)) return this.leafHashLatin1(columns, seq);
    this.writeEnvelopeAround(columns, seq);
    return hash("sha256", this.envelopeView(), "binary");
  }

  /** The leaf input bytes (0x00 ‖ canonical JSON); a view into a buffer the next call overwrites. */
  leafBytes(columns: RawColumns, seq: number) {
    if (!isTaggedColumns(columns)) {
      this.writeLegacy(columns, seq);
      return this.out.subarray(0, this.length);
    }
    this.writeEnvelope(columns, seq);
    return this.envelope.subarray(0, this.envelopeLength);
  }

  /** The v2 content's canonical JSON bytes; a view into a buffer the next call overwrites. */
  contentBytes(columns: RawColumns) {
    this.writeContent(columns);
    return this.out.subarray(0, this.length);
  }

  private prepare(columns: RawColumns) {
    let worstCase = 256;
    for (let column = 0; column < EVENT_COLUMN_COUNT; column++) {
      if (columns.starts[column]! >= 0) worstCase += 6 * (columns.ends[column]! - columns.starts[column]!);
    }
    if (this.out.length < worstCase) this.out = Buffer.allocUnsafe(worstCase * 2);
    this.reserve = worstCase;
    this.length = 0;
  }

  private writeContent(columns: RawColumns) {
    this.prepare(columns);
    this.piece(CONTENT.start);
    this.text(columns, Column.Action);
    this.piece(CONTENT.actorId);
    this.text(columns, Column.ActorId);
    this.piece(CONTENT.actorLabel);
    this.text(columns, Column.ActorLabel);
    this.piece(CONTENT.actorRole);
    this.text(columns, Column.ActorRole);
    this.piece(CONTENT.actorType);
    this.text(columns, Column.ActorType);
    this.piece(CONTENT.businessTime);
    if (columns.starts[Column.BusinessTime]! < 0) {
      this.piece(PIECES.null);
    } else {
      this.out[this.length++] = 0x22;
      this.time(timestampMs(columns, Column.BusinessTime));
      this.out[this.length++] = 0x5a;
      this.out[this.length++] = 0x22;
    }
    this.piece(CONTENT.changes);
    this.changes(columns);
    this.piece(CONTENT.id);
    this.uuid(columns.buffers[Column.Id]!, columns.starts[Column.Id]!);
    this.piece(CONTENT.ipAddress);
    this.text(columns, Column.IpAddress);
    this.piece(CONTENT.justification);
    this.text(columns, Column.Justification);
    this.piece(CONTENT.regionCode);
    this.text(columns, Column.RegionCode);
    this.piece(CONTENT.requestId);
    this.text(columns, Column.RequestId);
    this.piece(CONTENT.subjectId);
    this.text(columns, Column.SubjectId);
    this.piece(CONTENT.subjectType);
    this.text(columns, Column.SubjectType);
    this.piece(CONTENT.end);
  }

  private writeEnvelope(columns: RawColumns, seq: number) {
    this.writeContent(columns);
    this.contentSha256 = hash("sha256", this.outView(), "binary");
    this.writeEnvelopeAround(columns, seq);
  }

  /** The envelope around this.contentSha256: 0x00 ‖ {"content":…,"occurredAt":…,"seq":…,"tag":…,"v":2}. */
  private writeEnvelopeAround(columns: RawColumns, seq: number) {
    const tagBytes = (columns.ends[Column.Tag]! - columns.starts[Column.Tag]!) + Math.max(0, columns.ends[Column.TagKeyId]! - columns.starts[Column.TagKeyId]!);
    const worstCase = 256 + 6 * tagBytes;
    if (this.envelope.length < worstCase) this.envelope = Buffer.allocUnsafe(worstCase * 2);
    // The envelope is written with the same helpers, into its own buffer.
    const [out, length] = [this.out, this.length];
    this.out = this.envelope;
    this.length = 0;
    this.piece(ENVELOPE.start);
    const digest = this.contentSha256;
    const envelope = this.out;
    let at = this.length;
    for (let i = 0; i < 32; i++) {
      const byte = digest.charCodeAt(i);
      envelope[at++] = HEX[byte >> 4]!;
      envelope[at++] = HEX[byte & 15]!;
    }
    this.length = at;
    this.piece(ENVELOPE.occurredAt);
    this.time(occurredAtMs(columns));
    this.piece(ENVELOPE.seq);
    this.integer(seq);
    this.piece(ENVELOPE.tagKeyId);
    this.text(columns, Column.TagKeyId);
    this.piece(ENVELOPE.tag);
    this.text(columns, Column.Tag);
    this.piece(ENVELOPE.end);
    this.envelope = this.out;
    this.envelopeLength = this.length;
    this.out = out;
    this.length = length;
  }

  private writeLegacy(columns: RawColumns, seq: number) {
    this.prepare(columns);
    this.out[this.length++] = 0x00;
    this.piece(PIECES.start);
    this.text(columns, Column.Action);
    this.piece(PIECES.actorId);
    this.text(columns, Column.ActorId);
    this.piece(PIECES.actorLabel);
    this.text(columns, Column.ActorLabel);
    this.piece(PIECES.actorRole);
    this.text(columns, Column.ActorRole);
    this.piece(PIECES.actorType);
    this.text(columns, Column.ActorType);
    this.piece(PIECES.changes);
    this.changes(columns);
    this.piece(PIECES.id);
    this.uuid(columns.buffers[Column.Id]!, columns.starts[Column.Id]!);
    this.piece(PIECES.ipAddress);
    this.text(columns, Column.IpAddress);
    this.piece(PIECES.justification);
    this.text(columns, Column.Justification);
    this.piece(PIECES.occurredAt);
    this.time(occurredAtMs(columns));
    this.piece(PIECES.regionCode);
    this.text(columns, Column.RegionCode);
    this.piece(PIECES.requestId);
    this.text(columns, Column.RequestId);
    this.piece(PIECES.seq);
    this.integer(seq);
    this.piece(PIECES.subjectId);
    this.text(columns, Column.SubjectId);
    this.piece(PIECES.subjectType);
    this.text(columns, Column.SubjectType);
    this.piece(PIECES.end);
  }

  // Views of the written bytes for hashing, one per length (up to VIEW_CACHE_LENGTH), kept while their
  // buffer is: a subarray per event and hash would be two Buffer objects per event to collect.
  private outViews: (Buffer | undefined)[] = [];
  private outViewsOf: Buffer | null = null;
  private envelopeViews: (Buffer | undefined)[] = [];
  private envelopeViewsOf: Buffer | null = null;

  private outView() {
    if (this.length > VIEW_CACHE_LENGTH) return this.out.subarray(0, this.length);
    if (this.outViewsOf !== this.out) {
      this.outViewsOf = this.out;
      this.outViews = new Array<Buffer | undefined>(VIEW_CACHE_LENGTH + 1).fill(undefined);
    }
    return (this.outViews[this.length] ??= this.out.subarray(0, this.length));
  }

  private envelopeView() {
    if (this.envelopeLength > VIEW_CACHE_LENGTH) return this.envelope.subarray(0, this.envelopeLength);
    if (this.envelopeViewsOf !== this.envelope) {
      this.envelopeViewsOf = this.envelope;
      this.envelopeViews = new Array<Buffer | undefined>(VIEW_CACHE_LENGTH + 1).fill(undefined);
    }
    return (this.envelopeViews[this.envelopeLength] ??= this.envelope.subarray(0, this.envelopeLength));
  }

  /** A fixed piece of JSON (a few bytes): copied byte by byte, cheaper than a set() call at this size. */
  private piece(bytes: Buffer) {
    const out = this.out;
    let at = this.length;
    for (let i = 0; i < bytes.length; i++) out[at++] = bytes[i]!;
    this.length = at;
  }

  /** A text column as a JSON string, escaped exactly as JSON.stringify escapes (UTF-8 passes through). */
  private text(columns: RawColumns, column: Column) {
    const start = columns.starts[column]!;
    if (start < 0) return this.piece(PIECES.null);
    const source = columns.buffers[column]!;
    const end = columns.ends[column]!;
    const out = this.out;
    let at = this.length;
    out[at++] = 0x22;
    for (let i = start; i < end; i++) {
      const byte = source[i]!;
      if (ESCAPED[byte] === 0) {
        out[at++] = byte;
      } else if (byte === 0x22 || byte === 0x5c) {
        out[at++] = 0x5c;
        out[at++] = byte;
      } else if (SHORT_ESCAPES[byte] !== undefined) {
        out[at++] = 0x5c;
        out[at++] = SHORT_ESCAPES[byte]!;
      } else {
        out[at++] = 0x5c;
        out[at++] = 0x75;
        out[at++] = 0x30;
        out[at++] = 0x30;
        out[at++] = HEX[byte >> 4]!;
        out[at++] = HEX[byte & 15]!;
      }
    }
    out[at++] = 0x22;
    this.length = at;
  }

  /** A non-negative integer's decimal digits, without making a string. */
  private integer(value: number) {
    const out = this.out;
    let digits = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits += 1;
    let at = this.length + digits;
    this.length = at;
    let rest = value;
    do {
      out[--at] = 0x30 + (rest % 10);
      rest = Math.floor(rest / 10);
    } while (rest > 0);
  }

  private uuid(source: Buffer, start: number) {
    const out = this.out;
    let at = this.length;
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) out[at++] = 0x2d;
      const byte = source[start + i]!;
      out[at++] = HEX[byte >> 4]!;
      out[at++] = HEX[byte & 15]!;
    }
    this.length = at;
  }

  private time(ms: number) {
    const second = Math.floor(ms / 1000);
    if (second !== this.cachedSecond) {
      this.cachedSecond = second;
      this.cachedSecondBytes = ascii(new Date(second * 1000).toISOString().slice(0, 20));
    }
    const millis = ms - second * 1000;
    this.piece(this.cachedSecondBytes);
    this.out[this.length++] = 0x30 + Math.floor(millis / 100);
    this.out[this.length++] = 0x30 + (Math.floor(millis / 10) % 10);
    this.out[this.length++] = 0x30 + (millis % 10);
  }

  /** jsonb in binary form is a version byte (1) and the JSON text; canonicalised like the app does. */
  private changes(columns: RawColumns) {
    const start = columns.starts[Column.Changes]!;
    if (start < 0) return this.piece(PIECES.null);
    const source = columns.buffers[Column.Changes]!;
    if (source[start] !== 1) throw new Error(`unsupported jsonb binary format version ${source[start]}`);
    const written = writeCanonicalJsonb(source, start + 1, columns.ends[Column.Changes]!, this.out, this.length);
    if (written >= 0) {
      this.length = written;
      return;
    }
    const text = canonicalJson(JSON.parse(source.toString("utf8", start + 1, columns.ends[Column.Changes])));
    const worstCase = this.length + Buffer.byteLength(text) + this.reserve;
    if (this.out.length < worstCase) {
      const larger = Buffer.allocUnsafe(worstCase * 2);
      this.out.copy(larger, 0, 0, this.length);
      this.out = larger;
    }
    this.length += this.out.write(text, this.length, "utf8");
  }
}
